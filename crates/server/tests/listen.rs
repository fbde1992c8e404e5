//! Listening: HTTP over a Unix-domain socket, a second server on a bound address fails, and
//! a server out of descriptors backs off instead of spinning in `accept` (issue 20).

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{Method, Server};

#[test]
fn http_over_a_unix_socket() {
    let dir = std::env::temp_dir().join(format!("brisk-server-uds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let h = Server::builder()
        .bind_unix(&path)
        .workers(2)
        .route(Method::Get, "/peer", |req, res| {
            res.text(req.peer_addr().to_string());
        })
        .start()
        .unwrap();
    assert!(
        h.local_addrs().is_empty(),
        "no TCP address: {:?}",
        h.local_addrs()
    );
    assert_eq!(h.listen_addrs()[0].unix(), Some(path.as_path()));
    let mut c = UnixStream::connect(&path).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..2 {
        c.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (status, _, body) = util::read_response(&mut c);
        assert_eq!((status, &body[..]), (200, &b"0.0.0.0:0"[..]));
    }
    h.shutdown();
    h.join();
    let t = Instant::now();
    while path.exists() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!path.exists(), "socket file left after shutdown");
}

#[test]
fn a_second_server_on_a_bound_address_fails_with_address_in_use() {
    let first = util::start(|b| {
        b.workers(2);
    });
    let addr = first.local_addr();
    let second = Server::builder()
        .bind(addr)
        .workers(2)
        .route(Method::Get, "/", |_, res| {
            res.text("second");
        })
        .start();
    match second {
        Err(brisk_server::Error::Reactor(e @ brisk_server::ReactorError::AddrInUse(_))) => {
            assert_eq!(e.to_string(), format!("address in use: {addr}"));
        }
        other => panic!("expected address in use, got {other:?}"),
    }
    for _ in 0..4 {
        let mut s = util::send_get(addr, "/plaintext");
        util::assert_plaintext(&mut s);
    }
    first.shutdown();
    first.join();
}

/// CPU time (user + system) of process `pid` in clock ticks (100 a second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `brisk` binary with a soft AND hard limit of 64 descriptors (so raising the soft limit
/// at start changes nothing), one worker; returns it, its address, and its stderr lines as
/// they come.
fn brisk_with_64_fds() -> (Killed, SocketAddr, Arc<Mutex<String>>) {
    let mut child = Command::new("bash")
        .args(["-c", "ulimit -Sn 64 && ulimit -Hn 64 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_brisk"))
        .args(["--bind", "127.0.0.1:0", "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash and brisk run");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let err = child.stderr.take().unwrap();
    let child = Killed(child);
    let addr = util::listening_addr(&mut out);
    let log = Arc::new(Mutex::new(String::new()));
    let l = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut l = l.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    (child, addr, log)
}

#[test]
fn out_of_descriptors_the_server_backs_off_logs_and_recovers() {
    let (server, addr, log) = brisk_with_64_fds();
    let pid = server.0.id();
    // 200 connections: the kernel completes them all (backlog 1024), the server can take
    // about 55 before it runs out of descriptors. None sends anything.
    let mut clients = Vec::new();
    for _ in 0..200 {
        clients.push(TcpStream::connect(addr).unwrap());
    }
    std::thread::sleep(Duration::from_millis(300));
    let t0 = cpu_ticks(pid);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - t0;
    let wall = started.elapsed().as_secs_f64();
    // Under 10 % of one core over the window (ticks are 10 ms).
    let share = used as f64 / 100.0 / wall;
    assert!(
        share < 0.10,
        "the server burned {:.0} % of a core while out of descriptors",
        share * 100.0
    );
    let t = Instant::now();
    while !log.lock().unwrap().contains("cannot accept connections")
        && t.elapsed() < Duration::from_secs(3)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = log.lock().unwrap().clone();
    assert!(
        text.contains("Z warn: cannot accept connections: Too many open files"),
        "not logged: {text:?}"
    );
    // At most one line a second.
    let lines = text.matches("cannot accept connections").count();
    assert!(lines <= 4, "{lines} lines in about 2.5 s: {text}");
    // The clients leave; a normal request is served.
    drop(clients);
    let t = Instant::now();
    loop {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0; 512];
        while !got.ends_with(b"Hello, World!") {
            match s.read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        if got.starts_with(b"HTTP/1.1 200") && got.ends_with(b"Hello, World!") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no answer after the clients left: {:?}",
            String::from_utf8_lossy(&got)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
