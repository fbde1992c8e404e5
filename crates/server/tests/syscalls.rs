//! Pipelining costs one write: 20 requests sent in one write are answered with exactly one
//! `writev` (checked with strace on the real binary). Skipped without strace unless
//! BRISK_REQUIRE_PEERS=1.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{read_response, tool};

#[test]
#[cfg_attr(brisk_missing = "strace", ignore = "needs strace")]
fn twenty_pipelined_requests_are_answered_with_one_writev() {
    if !tool(
        "twenty_pipelined_requests_are_answered_with_one_writev",
        "strace",
    ) {
        return;
    }
    let log = std::env::temp_dir().join(format!("brisk-strace-{}.txt", std::process::id()));
    let mut child = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=write,writev,sendto,sendmsg", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_brisk"))
        .args(["--bind", "127.0.0.1:0", "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();

    let mut s = TcpStream::connect(addr).unwrap();
    // One request first, so the connection is set up and its (single) writev is known.
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, _) = read_response(&mut s);
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_millis(200));
    let before = writes(&std::fs::read_to_string(&log).unwrap());
    s.write_all(&b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n".repeat(20))
        .unwrap();
    for i in 0..20 {
        let (status, _, body) = read_response(&mut s);
        assert_eq!(
            (status, body.as_slice()),
            (200, &b"Hello, World!"[..]),
            "response {i}"
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let trace = std::fs::read_to_string(&log).unwrap();
    let after = writes(&trace);
    util::kill_traced(&mut child);
    let _ = std::fs::remove_file(&log);
    assert_eq!(before.len(), 1, "one request, one write:\n{trace}");
    assert_eq!(
        after.len(),
        2,
        "20 pipelined requests took more than one write:\n{trace}"
    );
    // The batch's single write carried all 20 responses.
    let one = before[0];
    assert_eq!(after[1], 20 * one, "{trace}");
}

/// Byte counts of the socket writes in an strace log (writes to stdout/stderr excluded).
fn writes(trace: &str) -> Vec<usize> {
    trace
        .lines()
        .filter(|l| {
            let call = l.split_whitespace().nth(1).unwrap_or("");
            ["write(", "writev(", "sendto(", "sendmsg("]
                .iter()
                .any(|c| call.starts_with(c))
                && !call.starts_with("write(1,")
                && !call.starts_with("write(2,")
        })
        .filter_map(|l| l.rsplit(" = ").next()?.trim().parse().ok())
        .collect()
}
