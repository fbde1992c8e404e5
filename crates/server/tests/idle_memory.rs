//! Idle-connection memory of the real `brisk` binary (issue 17): 1,000 connections, each used
//! for one request and then left open and idle, may grow the server's resident memory
//! (VmRSS, /proc/PID/status) by at most 512 B each over HTTP/1.1 keep-alive and 4 KiB each
//! over h2c (prior knowledge, after the preface, the SETTINGS exchange and one request whose
//! :path, :authority and user-agent are HPACK-indexed, as nghttp2 sends them). The long run
//! against nginx is `benches/idle/idle_connections.sh`.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use util::{read_response, Brisk};

const CONNECTIONS: usize = 1000;
const H1_LIMIT: usize = 512;
const H2_LIMIT: usize = 4096;

/// Raises this process's soft descriptor limit (inherited by the server) to what the test
/// needs, or fails saying why.
fn ensure_fd_limit(need: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("procfs");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files limit");
    let soft: u64 = line
        .split_whitespace()
        .nth(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    if soft >= need {
        return;
    }
    let ok = Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={need}:"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "open-file limit {soft} < {need} and prlimit could not raise it: run with ulimit -n {need}"
    );
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend_from_slice(&[kind, flags]);
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Preface, empty SETTINGS and `GET /plaintext` on stream 1 (END_STREAM), with literal fields
/// with incremental indexing as nghttp2 sends them.
fn h2c_request(port: u16) -> Vec<u8> {
    let authority = format!("127.0.0.1:{port}");
    let mut block = vec![0x82, 0x86, 0x44, 10];
    block.extend_from_slice(b"/plaintext");
    block.extend_from_slice(&[0x41, authority.len() as u8]);
    block.extend_from_slice(authority.as_bytes());
    block.extend_from_slice(&[0x7a, 13]);
    block.extend_from_slice(b"idle-client/1");
    let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    wire.extend(frame(4, 0, 0, &[]));
    wire.extend(frame(1, 0x5, 1, &block));
    wire
}

/// Sends the request, acknowledges the server's SETTINGS and reads until stream 1 ends.
fn h2c_one(s: &mut TcpStream, request: &[u8]) {
    s.write_all(request).unwrap();
    let mut head = [0u8; 9];
    let mut payload = vec![0u8; 16 * 1024];
    loop {
        s.read_exact(&mut head).expect("frame header");
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        assert!(len <= payload.len(), "frame of {len} octets");
        s.read_exact(&mut payload[..len]).expect("frame payload");
        match kind {
            4 if flags & 1 == 0 => s.write_all(&frame(4, 1, 0, &[])).unwrap(),
            7 => panic!("GOAWAY"),
            3 if stream == 1 => panic!("RST_STREAM"),
            0 | 1 if stream == 1 && flags & 1 == 1 => return,
            _ => {}
        }
    }
}

fn h1_one(s: &mut TcpStream) {
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(s);
    assert_eq!((status, body.as_slice()), (200, &b"Hello, World!"[..]));
}

/// Bytes of server RSS per idle connection after `CONNECTIONS` connections made by `open`.
fn per_connection(open: impl Fn(&Brisk) -> TcpStream) -> usize {
    let b = Brisk::start(&["--workers", "1", "--idle-timeout", "10m"]);
    let pid = b.child.id();
    // Warm up: the worker's per-thread state and first buffers exist before measuring.
    for _ in 0..3 {
        drop(open(&b));
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = util::vm_rss_kib(pid);
    let conns: Vec<TcpStream> = (0..CONNECTIONS).map(|_| open(&b)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let after = util::vm_rss_kib(pid);
    // Still all open and usable.
    assert!(b.child.id() == pid && conns.len() == CONNECTIONS);
    after.saturating_sub(before) * 1024 / CONNECTIONS
}

#[test]
fn idle_http1_and_h2c_connections_are_small() {
    ensure_fd_limit(2 * CONNECTIONS as u64 + 256);
    let h1 = per_connection(|b| {
        let mut s = TcpStream::connect(b.addr).unwrap();
        h1_one(&mut s);
        s
    });
    let h2 = per_connection(|b| {
        let mut s = TcpStream::connect(b.addr).unwrap();
        h2c_one(&mut s, &h2c_request(b.addr.port()));
        s
    });
    println!("idle connection: HTTP/1.1 {h1} B, h2c {h2} B (limits {H1_LIMIT} B, {H2_LIMIT} B)");
    assert!(
        h1 <= H1_LIMIT,
        "idle HTTP/1.1 connection costs {h1} B (limit {H1_LIMIT})"
    );
    assert!(
        h2 <= H2_LIMIT,
        "idle h2c connection costs {h2} B (limit {H2_LIMIT})"
    );
}
