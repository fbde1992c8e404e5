//! Connection limit (the N+1th client is accepted only after one closes) and graceful shutdown
//! (in-flight work completes, new connections are refused, the deadline force-closes a stuck one).

mod util;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use util::{closed_by_peer, connect, frame, reactor, roundtrip, Echo, Framed};

#[test]
fn connection_limit_defers_the_next_client_until_one_closes() {
    const MAX: usize = 4;
    let handle = reactor()
        .workers(1)
        .max_connections(MAX)
        .start(|_| Echo)
        .unwrap();
    let addr = handle.local_addr();
    let mut scratch = Vec::new();
    let mut clients: Vec<_> = (0..MAX).map(|_| connect(addr)).collect();
    for c in &mut clients {
        roundtrip(c, b"in", &mut scratch);
    }
    // The kernel completes the handshake (backlog), but the worker does not accept it.
    let mut extra = connect(addr);
    extra.write_all(b"waiting").unwrap();
    extra
        .set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut buf = [0u8; 7];
    let e = extra.read_exact(&mut buf).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{e}"
    );
    assert_eq!(handle.totals().accepted, MAX as u64);
    assert_eq!(handle.totals().active, MAX as u64);

    // One leaves: the waiting client is accepted and served.
    drop(clients.remove(0));
    let t = Instant::now();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    extra.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"waiting");
    eprintln!("N+1th client served {:?} after one closed", t.elapsed());
    assert_eq!(handle.totals().accepted, MAX as u64 + 1);
    for c in &mut clients {
        roundtrip(c, b"still here", &mut scratch);
    }
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn graceful_shutdown_finishes_in_flight_refuses_new_and_force_closes_stuck() {
    const GRACE: Duration = Duration::from_millis(1500);
    let handle = reactor().workers(2).start(|_| Framed::default()).unwrap();
    let addr = handle.local_addr();
    let mut scratch = Vec::new();

    let mut idle = connect(addr);
    roundtrip(&mut idle, &frame(b"before"), &mut scratch);
    // In flight: half a 40 KiB frame sent before shutdown, the rest after.
    let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let big = frame(&payload);
    let mut inflight = connect(addr);
    inflight.write_all(&big[..20_000]).unwrap();
    // Stuck: half a frame, never finished.
    let mut stuck = connect(addr);
    stuck.write_all(&big[..100]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(handle.totals().active, 3);

    let t0 = Instant::now();
    handle.shutdown(GRACE);

    // The idle connection is closed promptly.
    idle.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    assert!(closed_by_peer(&mut idle), "idle connection not closed");
    assert!(t0.elapsed() < Duration::from_millis(500));

    // New connections are refused once the listeners are closed (within a loop turn).
    let refused = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        matches!(std::net::TcpStream::connect(addr), Err(e) if e.kind() == ErrorKind::ConnectionRefused)
    });
    assert!(refused, "new connections still accepted after shutdown");

    // The in-flight frame completes, then that connection closes.
    inflight.write_all(&big[20_000..]).unwrap();
    scratch.resize(big.len(), 0);
    inflight.read_exact(&mut scratch).unwrap();
    assert!(scratch == big);
    assert!(closed_by_peer(&mut inflight));

    // The stuck one is force-closed at the deadline.
    stuck
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(closed_by_peer(&mut stuck));
    let at = t0.elapsed();
    eprintln!("stuck connection force-closed {at:?} after shutdown (grace {GRACE:?})");
    assert!(
        at >= GRACE - Duration::from_millis(10) && at < GRACE + Duration::from_millis(500),
        "{at:?}"
    );
    handle.join().unwrap();
    assert_eq!(handle.totals().active, 0);
}
