//! The turn-end hook: each worker calls it on its own thread after the turn that handled an
//! event (so work batched in the turn, such as log lines, is handed on before the worker
//! sleeps again), and once more when it stops.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_reactor::{Action, Context, Output, Protocol};
use util::{connect, reactor};

thread_local! {
    /// Bytes echoed on this thread and not yet "flushed" by the turn-end hook.
    static PENDING: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Echoes, counting what it echoed in a thread-local the hook empties.
struct Counted;

impl Protocol for Counted {
    fn on_read(
        &mut self,
        _: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let n = input.len().min(out.remaining());
        out.extend_from_slice(&input[..n]).unwrap();
        PENDING.with(|p| p.set(p.get() + n as u64));
        (n, Action::Keep)
    }
}

#[test]
fn the_hook_runs_on_the_worker_after_each_busy_turn_and_at_the_end() {
    let flushed = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (f, c) = (Arc::clone(&flushed), Arc::clone(&calls));
    let handle = reactor()
        .workers(2)
        .on_turn_end(move |worker| {
            let n = PENDING.with(|p| p.replace(0));
            f.fetch_add(n, Ordering::SeqCst);
            c.lock()
                .unwrap()
                .push((worker, std::thread::current().name().map(String::from)));
        })
        .start(|_| Counted)
        .unwrap();
    let mut s = connect(handle.local_addr());
    for i in 1..=3u64 {
        s.write_all(b"hello").unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        // The echo is out: the turn that wrote it has ended (or is ending) and handed it on.
        let t0 = Instant::now();
        while flushed.load(Ordering::SeqCst) < 5 * i {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "not handed on after echo {i}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let before_stop = calls.lock().unwrap().len();
    handle.shutdown(Duration::from_millis(100));
    handle.join().unwrap();
    let calls = calls.lock().unwrap();
    assert!(
        calls.len() > before_stop,
        "no call when the workers stopped"
    );
    for (worker, thread) in calls.iter() {
        assert!(*worker < 2);
        assert_eq!(
            thread.as_deref(),
            Some(format!("brisk-worker-{worker}").as_str())
        );
    }
    // Both workers said goodbye.
    assert!(calls.iter().any(|c| c.0 == 0) && calls.iter().any(|c| c.0 == 1));
    assert_eq!(flushed.load(Ordering::SeqCst), 15);
}
