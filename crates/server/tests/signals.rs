//! The `brisk` binary's signals (issue 20, defect 7), with the real binary:
//!
//! * a second SIGTERM or SIGINT during graceful shutdown exits at once, with status 128 + the
//!   signal (a request still in flight would otherwise hold the process for the whole
//!   shutdown timeout);
//! * SIGHUP does not stop the server: it goes on serving and says so on stderr.
//!
//! `BRISK_TEST_BIN=/path/to/brisk` runs these tests against another build (e.g. one from
//! before the fix, to see them fail).

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use util::{read_response, Brisk};

fn bin() -> String {
    std::env::var("BRISK_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_brisk").to_string())
}

/// The exit status, if the process ends within `limit`.
fn exited_within(b: &mut Brisk, limit: Duration) -> Option<ExitStatus> {
    let t0 = Instant::now();
    loop {
        if let Some(status) = b.child.try_wait().unwrap() {
            return Some(status);
        }
        if t0.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What the process wrote on stderr (call once it has exited).
fn stderr(b: &mut Brisk) -> String {
    let mut s = String::new();
    if let Some(mut e) = b.child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

#[test]
fn a_second_sigterm_or_sigint_during_graceful_shutdown_exits_at_once() {
    for (sig, code) in [("-TERM", 143), ("-INT", 130)] {
        let mut b = Brisk::start_bin(&bin(), &["--workers", "1", "--shutdown-timeout", "60s"]);
        // A request in flight for 30 s: graceful shutdown waits for it.
        let mut s = TcpStream::connect(b.addr).unwrap();
        s.write_all(b"GET /delay/30000 HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        b.signal(sig);
        assert_eq!(
            exited_within(&mut b, Duration::from_millis(300)),
            None,
            "{sig}: the first signal waits for the request in flight"
        );
        let t0 = Instant::now();
        b.signal(sig);
        let status = exited_within(&mut b, Duration::from_secs(5));
        let Some(status) = status else {
            panic!("{sig}: still running 5 s after the second signal");
        };
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "{sig}: exit took {:?}",
            t0.elapsed()
        );
        assert_eq!(status.code(), Some(code), "{sig}: {status}");
        let err = stderr(&mut b);
        assert!(err.contains("exiting now"), "{sig}: stderr {err:?}");
    }
}

#[test]
fn sighup_does_not_stop_the_server() {
    let mut b = Brisk::start_bin(&bin(), &["--workers", "1"]);
    let mut s = TcpStream::connect(b.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..2 {
        b.signal("-HUP");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            exited_within(&mut b, Duration::ZERO),
            None,
            "SIGHUP stopped brisk"
        );
        // The connection opened before the signals is still served.
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!((status, &body[..]), (200, &b"Hello, World!"[..]));
    }
    drop(s);
    b.terminate();
    let status = exited_within(&mut b, Duration::from_secs(10)).expect("exit after SIGTERM");
    assert!(status.success(), "{status}");
    let err = stderr(&mut b);
    assert_eq!(
        err.matches("SIGHUP: nothing to reload (no access log file)")
            .count(),
        2,
        "stderr: {err:?}"
    );
}
