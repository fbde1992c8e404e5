//! Slow loris against the pool: many connections that send part of a message and stop must not
//! keep complete messages from being served. Small leftovers are parked outside the pool; larger
//! ones are evicted (start timer fired early, oldest first) when input starves.
//!
//! The pool here is 64 buffers (60 usable for input), so a few hundred connections reproduce
//! what 2,000 do against the default pool.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use brisk_reactor::{Action, Context, Output, Protocol, TimeoutKind};
use util::{connect, reactor};

/// Newline-terminated messages, answered with themselves; a partial one keeps the start
/// timer armed, whose expiry answers "408\n" and closes (like HTTP).
struct Lines;

impl Protocol for Lines {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        match input.iter().position(|&b| b == b'\n') {
            Some(i) if out.extend_from_slice(&input[..=i]).is_ok() => {
                cx.set_timeout(TimeoutKind::Idle);
                (i + 1, Action::Keep)
            }
            _ => {
                if cx.timeout() != Some(TimeoutKind::Start) {
                    cx.set_timeout(TimeoutKind::Start);
                }
                (0, Action::Keep)
            }
        }
    }

    fn on_timeout(
        &mut self,
        _cx: &mut Context<'_>,
        _kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        let _ = out.extend_from_slice(b"408\n");
        Action::CloseAfterFlush
    }
}

const TRICKLERS: usize = 300;

/// Opens `n` connections that each send `partial` (no newline) and then wait.
fn trickle(addr: std::net::SocketAddr, n: usize, partial: &[u8]) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).expect("connect");
            s.write_all(partial).expect("write partial");
            s
        })
        .collect()
}

/// One complete message on a fresh connection, answered within `limit` (the start
/// timeout is 30 s: without a defence, the answer would wait for it).
fn served_within(addr: std::net::SocketAddr, limit: Duration) -> Result<Duration, String> {
    let mut s = connect(addr);
    s.set_read_timeout(Some(limit)).unwrap();
    let t = Instant::now();
    s.write_all(b"complete\n").unwrap();
    let mut got = [0u8; 9];
    match s.read_exact(&mut got) {
        Ok(()) if &got == b"complete\n" => Ok(t.elapsed()),
        Ok(()) => Err(format!("wrong answer {got:?}")),
        Err(e) => Err(format!("no answer within {limit:?}: {e}")),
    }
}

#[test]
fn small_partial_heads_hold_no_buffer_and_complete_messages_are_served() {
    let handle = reactor()
        .workers(1)
        .pool_size(64)
        .start_timeout(Duration::from_secs(30))
        .start(|_| Lines)
        .unwrap();
    let addr = handle.local_addr();
    let conns = trickle(addr, TRICKLERS, b"GET /a-partial-head HTTP/1.1 Host: x");
    // Let the worker read every partial head.
    let t = Instant::now();
    while handle.totals().bytes_in < (TRICKLERS * 36) as u64 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{:?}",
            handle.totals()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A complete message followed by a partial one: the partial one is parked once the
    // answer is out.
    let mut pipelined = trickle(addr, 50, b"done\nGET /next-partial-head");
    for s in &mut pipelined {
        let mut got = [0u8; 5];
        s.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"done\n");
    }
    std::thread::sleep(Duration::from_millis(100));
    let used = handle.totals().buffers_in_use;
    assert!(used == 0, "{used} buffers held by partial heads");
    for _ in 0..5 {
        served_within(addr, Duration::from_secs(5)).unwrap();
    }
    // Parked bytes come back in front of the next read: finishing a head answers it whole.
    let mut s = conns.into_iter().next().unwrap();
    s.write_all(b"\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut got = vec![0u8; 37];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got[..], b"GET /a-partial-head HTTP/1.1 Host: x\n");
    assert_eq!(handle.workers()[0].evicted(), 0, "parking alone suffices");
    assert_eq!(handle.totals().evicted, 0);
    assert_eq!(handle.totals().closed_by_timeout, 0);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn large_partial_heads_are_evicted_oldest_first_when_input_starves() {
    let handle = reactor()
        .workers(1)
        .pool_size(64)
        .start_timeout(Duration::from_secs(30))
        .start(|_| Lines)
        .unwrap();
    let addr = handle.local_addr();
    // Larger than the default park size: each one holds a pool buffer. The 40 old ones fit in
    // the pool (60 buffers for input); of the 40 young ones, 20 get a buffer and 20 wait.
    let partial = vec![b'a'; 3000];
    let mut old = trickle(addr, 40, &partial);
    std::thread::sleep(Duration::from_millis(400));
    let mut young = trickle(addr, 40, &partial);
    std::thread::sleep(Duration::from_millis(300));
    served_within(addr, Duration::from_secs(5)).unwrap();
    let evicted = handle.workers()[0].evicted();
    assert!(evicted >= 20, "{evicted}");
    assert_eq!(handle.totals().evicted, evicted);
    std::thread::sleep(Duration::from_millis(200));
    // Evicted connections got the protocol's timeout answer and were closed: old ones only.
    let got_408 = |conns: &mut [TcpStream]| {
        let mut n = 0;
        for s in conns.iter_mut() {
            s.set_nonblocking(true).unwrap();
            let mut got = [0u8; 8];
            match s.read(&mut got) {
                Ok(4) if &got[..4] == b"408\n" => n += 1,
                Ok(k) => panic!("unexpected {:?}", &got[..k]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        n
    };
    assert_eq!(got_408(&mut old), evicted);
    assert_eq!(got_408(&mut young), 0, "the oldest go first");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}
