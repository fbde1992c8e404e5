//! Streams stalled at a zero send window must not pin read-ahead: h2c clients announce
//! SETTINGS_INITIAL_WINDOW_SIZE = 0 and request a 1 MiB file on 100 streams each; the server
//! sends the response heads and then can send nothing. Its resident memory may grow by at most
//! 4 KiB per stalled stream over a baseline taken with the same connections open and warmed.
//!
//! CI runs 5 connections x 100 streams; `H2STALL_CONNS=20` gives the full 20 x 100
//! run (the figure is printed either way). `H2STALL_NGHTTPD=1` runs the same attack against
//! nghttpd (for comparison; it is not held to the limit).

mod h2client;
mod util;

use std::time::{Duration, Instant};

use h2client::Client;
use util::Brisk;

const STREAMS: usize = 100;

/// The server under test, stopped on drop.
enum Server {
    /// Held only to be dropped (which kills it).
    #[allow(dead_code)]
    Brisk(Brisk),
    Peer(std::process::Child),
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Server::Peer(c) = self {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
const PER_STREAM_LIMIT: i64 = 4096;

fn rss_bytes(pid: u32) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kb * 1024
}

/// Turns every client until `done` holds for all of them (or panics after 20 s).
fn pump(clients: &mut [Client], what: &str, done: impl Fn(&Client) -> bool) {
    let t = Instant::now();
    while !clients.iter().all(&done) {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out: {what}");
        for c in clients.iter_mut() {
            assert!(c.turn(usize::MAX), "server closed the connection ({what})");
            c.consume(usize::MAX);
            c.flush();
        }
    }
}

#[test]
fn streams_stalled_at_a_zero_window_pin_no_read_ahead() {
    stall(1024 * 1024);
}

#[test]
fn stalled_streams_of_a_small_file_pin_no_read_ahead_either() {
    // Below the size HTTP/1.1 reads whole (files::INLINE_LIMIT is 256 KiB).
    stall(200 * 1024);
}

/// Opens the stalled streams on a file of `len` bytes and checks the RSS they cost.
fn stall(len: usize) {
    let conns: usize = std::env::var("H2STALL_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("brisk-h2-stall-{}-{len}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.bin"), vec![7u8; len]).unwrap();
    let nghttpd = std::env::var("H2STALL_NGHTTPD").as_deref() == Ok("1");
    let (addr, pid, _server) = if nghttpd {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("nghttpd")
            .args(["--no-tls", "-a", "127.0.0.1", "-d", dir.to_str().unwrap()])
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nghttpd runs");
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let t = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "nghttpd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        (addr, child.id(), Server::Peer(child))
    } else {
        let b = Brisk::start(&["--dir", dir.to_str().unwrap(), "--workers", "1"]);
        (b.addr, b.child.id(), Server::Brisk(b))
    };

    let mut clients: Vec<Client> = (0..conns)
        .map(|_| Client::connect(addr, 0, 65_535))
        .collect();
    // Warm-up: every connection completes one exchange (HEAD: no body, which the zero
    // window would hold), so the baseline includes the connections and their buffers.
    for c in clients.iter_mut() {
        c.try_request("HEAD", "/big.bin").unwrap();
        c.flush();
    }
    pump(&mut clients, "warm-up", |c| c.all_done());
    std::thread::sleep(Duration::from_millis(200));
    let before = rss_bytes(pid);

    for c in clients.iter_mut() {
        for _ in 0..STREAMS {
            c.get("/big.bin");
        }
        c.flush();
    }
    pump(&mut clients, "stalled heads", |c| {
        c.replies.values().all(|r| r.status != 0)
    });
    std::thread::sleep(Duration::from_millis(300));
    let after = rss_bytes(pid);
    let _ = std::fs::remove_dir_all(&dir);

    let stalled = (conns * STREAMS) as i64;
    for c in &clients {
        for r in c.replies.values().filter(|r| r.path == "/big.bin") {
            assert_eq!(r.status, 200);
            assert!(r.body.is_empty(), "data sent despite a zero window");
        }
    }
    let per_stream = (after - before) / stalled;
    if nghttpd {
        eprintln!(
            "nghttpd stall: {conns} x {STREAMS}, {len} B file: RSS {before} -> {after} B, \
             {per_stream} B per stalled stream"
        );
        return;
    }
    eprintln!(
        "h2 stall: {conns} x {STREAMS} streams at a zero window, {len} B file: RSS {before} -> \
         {after} B, {per_stream} B per stalled stream"
    );
    assert!(
        per_stream <= PER_STREAM_LIMIT,
        "{per_stream} B of RSS per stalled stream (limit {PER_STREAM_LIMIT})"
    );
    drop(clients);
}

/// The window-sized reads still deliver every file whole and in order over HTTP/2, at sizes
/// around the frame, window and read-ahead boundaries, and byte ranges.
#[test]
fn files_read_as_the_window_allows_arrive_whole() {
    let dir = std::env::temp_dir().join(format!("brisk-h2-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sizes = [0usize, 1, 13, 16_384, 65_535, 65_536, 204_800, 300_007];
    let data = |n: usize| -> Vec<u8> { (0..n).map(|i| (i % 251) as u8).collect() };
    for n in sizes {
        std::fs::write(dir.join(format!("f{n}")), data(n)).unwrap();
    }
    let b = Brisk::start(&["--dir", dir.to_str().unwrap(), "--workers", "1"]);
    // Small stream windows (the server reads in window-sized pieces) and a roomy connection.
    let mut c = Client::connect(b.addr, 20_000, 1 << 20);
    let mut want = std::collections::BTreeMap::new();
    for n in sizes {
        let id = c.get(&format!("/f{n}"));
        want.insert(id, (200, data(n)));
    }
    let id = c
        .try_request_with("GET", "/f300007", &[("range", "bytes=70000-270000")])
        .unwrap();
    want.insert(id, (206, data(300_007)[70_000..=270_000].to_vec()));
    c.flush();
    pump(std::slice::from_mut(&mut c), "file bodies", |c| {
        c.all_done()
    });
    let _ = std::fs::remove_dir_all(&dir);
    for (id, (status, body)) in want {
        let r = &c.replies[&id];
        assert_eq!((r.status, r.reset), (status, false), "{}", r.path);
        assert!(
            r.body == body,
            "{}: {} of {} bytes, or wrong bytes",
            r.path,
            r.body.len(),
            body.len()
        );
    }
}
