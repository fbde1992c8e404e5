//! Syscall economy under `strace -c -f`: echoing 10,000 small messages on one connection costs
//! at most one read and one write per message plus a small constant, and no `epoll_ctl` per
//! message.
//!
//! The server runs in a child process (this test binary re-run with
//! `BRISK_SYSCALL_CHILD=1`, executing `helper_echo_server_for_strace`), so strace counts only
//! the server. Needs `strace` (Debian package `strace`): skipped when it is missing unless
//! `BRISK_REQUIRE_PEERS=1`, which CI sets.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{reactor, Echo};

const MESSAGES: usize = 10_000;
/// Allowance for process start-up, accept, the test harness's own output and shutdown.
const CONSTANT: u64 = 200;

/// Not a test: the server half of the strace test, active only in the child process.
#[test]
fn helper_echo_server_for_strace() {
    if std::env::var_os("BRISK_SYSCALL_CHILD").is_none() {
        return;
    }
    let handle = reactor().workers(1).start(|_| Echo).unwrap();
    println!("PORT {}", handle.local_addr().port());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {}
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `strace -c` table: syscall name -> calls.
fn parse_counts(table: &str) -> Vec<(String, u64)> {
    table
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // % time, seconds, usecs/call, calls, [errors], syscall
            if f.len() < 5
                || f[0].starts_with('%')
                || f[0].starts_with('-')
                || f.last() == Some(&"total")
            {
                return None;
            }
            let calls = f[3].parse().ok()?;
            Some((f.last()?.to_string(), calls))
        })
        .collect()
}

#[test]
#[cfg_attr(brisk_missing = "strace", ignore = "needs strace")]
fn small_echo_costs_one_read_and_one_write_per_message() {
    if !strace_available() {
        // Fails under BRISK_REQUIRE_PEERS=1 (install the Debian package strace).
        brisk_testkit::have_peer(
            "small_echo_costs_one_read_and_one_write_per_message",
            Command::new("strace").arg("-V"),
        );
        return;
    }
    let out = std::env::temp_dir().join(format!("brisk-strace-{}.txt", std::process::id()));
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&out)
        .arg(&exe)
        .args([
            "--exact",
            "helper_echo_server_for_strace",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BRISK_SYSCALL_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn strace");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        let l = lines
            .next()
            .expect("child exited before printing its port")
            .unwrap();
        // The harness prints "test helper_... ... " on the same line first.
        if let Some(at) = l.find("PORT ") {
            break l[at + 5..].trim().parse().unwrap();
        }
    };
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 32];
    for i in 0..MESSAGES {
        let msg = format!("message {i:>23}\n");
        s.write_all(msg.as_bytes()).unwrap();
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf[..], msg.as_bytes());
    }
    let took = t.elapsed();
    drop(s);
    drop(child.stdin.take()); // the child shuts down on EOF
    for _ in lines.by_ref() {}
    assert!(child.wait().unwrap().success());
    let table = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let counts = parse_counts(&table);
    let sum = |names: &[&str]| -> u64 {
        counts
            .iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, c)| c)
            .sum()
    };
    let reads = sum(&["read", "readv", "recvfrom", "recvmsg"]);
    let writes = sum(&["write", "writev", "sendto", "sendmsg"]);
    let waits = sum(&["epoll_wait", "epoll_pwait", "epoll_pwait2"]);
    let ctls = sum(&["epoll_ctl"]);
    let total: u64 = counts.iter().map(|(_, c)| c).sum();
    eprintln!(
        "{MESSAGES} echoes of 32 B in {took:?} under strace: read-family {reads}, write-family \
         {writes}, epoll_wait {waits}, epoll_ctl {ctls}, all syscalls {total}\n{table}"
    );
    let m = MESSAGES as u64;
    assert!(reads <= m + CONSTANT, "reads {reads}");
    assert!(writes <= m + CONSTANT, "writes {writes}");
    assert!(
        ctls <= 20,
        "epoll_ctl {ctls}: registration is not per request"
    );
    assert!(waits <= m + CONSTANT, "epoll_wait {waits}");
    // And not suspiciously low: every message was really read and written.
    assert!(reads >= m && writes >= m, "reads {reads}, writes {writes}");
}
