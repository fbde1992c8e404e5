//! Idle and start timeouts on loopback: a protocol callback first (it can say why), then
//! the connection closes, within one tick of the deadline.

mod util;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use util::{connect, reactor, roundtrip, Echo};

const TICK: Duration = Duration::from_millis(50);
/// Scheduling slack on a loaded 2-core CI machine, on top of the one-tick granularity.
const SLACK: Duration = Duration::from_millis(40);

fn read_until_close(s: &mut std::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn idle_timeout_closes_within_one_tick_of_the_deadline() {
    const IDLE: Duration = Duration::from_millis(600);
    let handle = reactor()
        .workers(1)
        .timer_tick(TICK)
        .idle_timeout(IDLE)
        .start(|_| Echo)
        .unwrap();
    let mut s = connect(handle.local_addr());
    roundtrip(&mut s, b"hello", &mut Vec::new());
    // The server armed the idle timer when it read "hello", just before we got the echo.
    let armed = Instant::now();
    let said = read_until_close(&mut s);
    let took = armed.elapsed();
    eprintln!("idle {IDLE:?}, tick {TICK:?}: closed after {took:?}");
    assert_eq!(said, b"timeout: idle\n");
    assert!(
        took + Duration::from_millis(5) >= IDLE,
        "closed early: {took:?}"
    );
    assert!(took <= IDLE + TICK + SLACK, "closed late: {took:?}");
    assert_eq!(handle.totals().closed_by_timeout, 1);
    let closes = handle.totals().closes;
    assert_eq!((closes.timeout_idle, closes.total()), (1, 1), "{closes:?}");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn activity_pushes_the_idle_deadline() {
    const IDLE: Duration = Duration::from_millis(400);
    let handle = reactor()
        .workers(1)
        .timer_tick(TICK)
        .idle_timeout(IDLE)
        .start(|_| Echo)
        .unwrap();
    let mut s = connect(handle.local_addr());
    let mut scratch = Vec::new();
    let start = Instant::now();
    while start.elapsed() < IDLE * 3 {
        roundtrip(&mut s, b"tick", &mut scratch);
        std::thread::sleep(IDLE / 4);
    }
    assert_eq!(handle.totals().closed_by_timeout, 0);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn start_timeout_is_armed_on_accept() {
    const HEADER: Duration = Duration::from_millis(300);
    let handle = reactor()
        .workers(1)
        .timer_tick(TICK)
        .start_timeout(HEADER)
        .start(|_| Echo)
        .unwrap();
    let t = Instant::now();
    let mut s = connect(handle.local_addr());
    // A slowloris that never completes anything: the reactor's own timer catches it.
    let said = read_until_close(&mut s);
    let took = t.elapsed();
    assert_eq!(said, b"timeout: start\n");
    assert!(took >= HEADER && took <= HEADER + TICK + SLACK, "{took:?}");
    // Writing to it now fails or is ignored: the server is gone.
    let _ = s.write_all(b"late");
    assert_eq!(handle.totals().closed_by_timeout, 1);
    let closes = handle.workers()[0].closes();
    assert_eq!((closes.timeout_start, closes.total()), (1, 1), "{closes:?}");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}
