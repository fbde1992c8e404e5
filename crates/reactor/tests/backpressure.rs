//! A client that sends 100 MiB and never reads: the server stops reading it, its memory stays
//! bounded (pool + output limit), other clients keep their latency, and the write-stall timeout
//! closes it.

mod util;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use util::{connect, reactor, roundtrip, Echo};

#[test]
fn never_reading_client_is_paused_bounded_and_closed_by_write_stall() {
    const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
    const TICK: Duration = Duration::from_millis(50);
    let handle = reactor()
        .workers(1)
        .write_timeout(WRITE_TIMEOUT)
        .timer_tick(TICK)
        .start(|_| Echo)
        .unwrap();
    let addr = handle.local_addr();
    let cfg = brisk_reactor::Config::default();
    // What one connection may hold: its output limit (+1 block partly written) and one full input.
    let max_blocks =
        (cfg.max_pending_output / cfg.buffer_size + 1 + cfg.max_input / cfg.buffer_size) as u64;

    let sent = Arc::new(AtomicU64::new(0));
    let hog = {
        let sent = Arc::clone(&sent);
        std::thread::spawn(move || {
            let mut s = connect(addr);
            let chunk = vec![0x5a; 64 * 1024];
            let mut total = 0u64;
            while total < 100 * 1024 * 1024 {
                match s.write(&chunk) {
                    Ok(n) => {
                        total += n as u64;
                        sent.store(total, Ordering::Relaxed);
                    }
                    Err(_) => return (total, Instant::now(), true),
                }
            }
            (total, Instant::now(), false)
        })
    };

    // Wait until the server stops reading the hog: bytes_in stops moving.
    let w = &handle.workers()[0];
    let mut last = u64::MAX;
    let stalled_at = loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = w.bytes_in();
        if now == last {
            break Instant::now();
        }
        last = now;
    };
    let read_when_stalled = w.bytes_in();
    eprintln!(
        "hog: server read {} KiB, client sent {} KiB, buffers in use {} (bound {max_blocks})",
        read_when_stalled / 1024,
        sent.load(Ordering::Relaxed) / 1024,
        w.buffers_in_use()
    );
    assert!(
        read_when_stalled < 32 * 1024 * 1024,
        "server kept reading: {read_when_stalled}"
    );
    assert!(
        w.buffers_in_use() <= max_blocks,
        "{} blocks",
        w.buffers_in_use()
    );
    assert!(w.buffers_in_use() >= (cfg.max_pending_output / cfg.buffer_size) as u64 - 1);

    // Another client keeps its latency while the hog is paused.
    let mut other = connect(addr);
    let mut scratch = Vec::new();
    let mut worst = Duration::ZERO;
    for i in 0..200u32 {
        let t = Instant::now();
        roundtrip(&mut other, &i.to_be_bytes(), &mut scratch);
        worst = worst.max(t.elapsed());
    }
    eprintln!("other client: worst echo round trip {worst:?} over 200 while the hog is paused");
    assert!(worst < Duration::from_millis(100), "latency {worst:?}");
    // Still paused: nothing more was read from the hog.
    assert_eq!(w.bytes_in() - read_when_stalled, 200 * 4);

    // The write-stall timeout closes it: the hog's writes fail.
    let (total, failed_at, failed) = hog.join().unwrap();
    assert!(failed, "hog sent all {total} bytes");
    let after = failed_at - stalled_at;
    eprintln!("hog closed {after:?} after the stall was seen (write timeout {WRITE_TIMEOUT:?})");
    assert!(after < WRITE_TIMEOUT + Duration::from_secs(1), "{after:?}");
    assert!(total < 100 * 1024 * 1024);
    assert_eq!(w.closed_by_timeout(), 1);
    drop(other);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(w.buffers_in_use(), 0);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}
