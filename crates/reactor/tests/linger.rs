//! Closing without destroying the last answer: when the reactor closes a connection by its own
//! choice while the peer is still sending, it shuts the write side down and reads and discards
//! until EOF (RFC 9112 section 9.6) instead of closing with unread input, which makes the
//! kernel send a reset that can destroy the answer in the peer's buffer. On graceful shutdown,
//! input already in the socket is delivered (and answered) before `on_drain`.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use brisk_reactor::{Action, Context, Output, Protocol};
use util::{connect, reactor};

/// Answers "no\n" to the first bytes and closes after flushing, like an HTTP server refusing
/// an upload with 413 before reading its body.
struct Refuse;

impl Protocol for Refuse {
    fn on_read(
        &mut self,
        _: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        out.extend_from_slice(b"no\n").unwrap();
        (input.len(), Action::CloseAfterFlush)
    }
}

/// Reads to the end: the bytes, and whether the stream ended with EOF (not a reset).
fn read_to_eof(s: &mut TcpStream) -> (Vec<u8>, Result<(), ErrorKind>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, Ok(())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (got, Err(e.kind())),
        }
    }
}

#[test]
fn an_answer_sent_before_closing_survives_input_still_arriving() {
    let handle = reactor().workers(1).start(|_| Refuse).unwrap();
    let mut s = connect(handle.local_addr());
    // The head, then (after the answer and the close) a large body: more than the socket
    // buffers hold, so the writes only finish if the server goes on reading.
    s.write_all(b"upload of 4 MiB follows\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let body = vec![7u8; 2 << 20];
    let written = s.write_all(&body);
    assert!(written.is_ok(), "writing the body: {written:?}");
    let (got, end) = read_to_eof(&mut s);
    assert_eq!((got.as_slice(), end), (&b"no\n"[..], Ok(())));
    let t = Instant::now();
    drop(s);
    // The lingering socket sees our EOF and closes; the slot is free again.
    while handle.totals().active > 0 {
        assert!(t.elapsed() < Duration::from_secs(2));
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn lingering_ends_at_the_linger_timeout_and_does_not_hold_up_shutdown() {
    let linger = Duration::from_millis(1000);
    let handle = reactor()
        .workers(1)
        .linger_timeout(linger)
        .start(|_| Refuse)
        .unwrap();
    let mut s = connect(handle.local_addr());
    let t = Instant::now();
    s.write_all(b"x").unwrap();
    let mut got = [0u8; 3];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"no\n");
    // The peer keeps its side open and goes on sending: discarded while lingering (a busy
    // host may delay this thread past the linger timeout: then the writes may fail).
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(100));
        let sent = s.write_all(b"more");
        assert!(
            sent.is_ok() || t.elapsed() >= linger,
            "refused while lingering, after {:?}: {sent:?}",
            t.elapsed()
        );
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(handle.totals().active, 0, "closed for the protocol");
    // ... then the linger timer closes the socket: what comes next is refused.
    std::thread::sleep((linger + Duration::from_millis(300)).saturating_sub(t.elapsed()));
    let refused = (0..10).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        s.write_all(b"late").is_err()
    });
    assert!(refused, "the socket is still open after the linger timeout");
    // A lingering connection is cut short by the shutdown deadline.
    let mut s2 = connect(handle.local_addr());
    s2.write_all(b"x").unwrap();
    s2.read_exact(&mut got).unwrap();
    let t = Instant::now();
    handle.shutdown(Duration::from_millis(100));
    handle.join().unwrap();
    assert!(t.elapsed() < linger * 3 / 4, "{:?}", t.elapsed());
}

/// Newline-terminated requests answered with themselves; while draining, the answer is the
/// last one. A line "sleep" stalls the worker (so that input queues up behind it).
struct Lines;

impl Protocol for Lines {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let Some(i) = input.iter().position(|&b| b == b'\n') else {
            return (0, Action::Keep);
        };
        if &input[..i] == b"sleep" {
            std::thread::sleep(Duration::from_millis(500));
        }
        out.extend_from_slice(&input[..=i]).unwrap();
        if cx.is_draining() {
            (i + 1, Action::CloseAfterFlush)
        } else {
            (i + 1, Action::Keep)
        }
    }
}

#[test]
fn requests_already_received_at_shutdown_are_answered_then_closed_without_reset() {
    let handle = reactor().workers(1).start(|_| Lines).unwrap();
    let addr = handle.local_addr();
    let mut busy: Vec<TcpStream> = (0..16).map(|_| connect(addr)).collect();
    for (i, s) in busy.iter_mut().enumerate() {
        let line = format!("warm {i}\n");
        s.write_all(line.as_bytes()).unwrap();
        let mut got = vec![0u8; line.len()];
        s.read_exact(&mut got).unwrap();
    }
    // Stall the worker, queue one request on each keep-alive connection, then shut down: the
    // worker sees the requests and the shutdown in the same turn.
    let mut staller = connect(addr);
    staller.write_all(b"sleep\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    for (i, s) in busy.iter_mut().enumerate() {
        s.write_all(format!("last {i}\n").as_bytes()).unwrap();
    }
    handle.shutdown(Duration::from_secs(5));
    for (i, s) in busy.iter_mut().enumerate() {
        let (got, end) = read_to_eof(s);
        assert_eq!(
            (String::from_utf8_lossy(&got).into_owned(), end),
            (format!("last {i}\n"), Ok(())),
            "connection {i}"
        );
    }
    handle.join().unwrap();
}
