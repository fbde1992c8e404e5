//! The keep-alive timer: one thread for every [`EventStream`](super::EventStream) of the
//! process that asked for keep-alive comments, started on first use.
//!
//! It keeps a [`Deadlines`] of (next due time, weak reference) and sleeps until the earliest;
//! a visit ([`Shared::keep_alive_visit`]) never blocks, so a stream whose producer holds its
//! lock, or whose client reads slowly, never delays the others. A stream that ended (finished,
//! dropped, client gone) leaves the heap at its next visit. Cost per stream: one heap entry (a
//! `Weak`, an interval, two instants and a sequence number) and one channel message on
//! registration; no thread, no allocation per comment once the heap has grown.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};

use super::stream::Shared;
use crate::Deadlines;

/// A stream to visit from `due` on, every `interval` while it is idle.
struct Entry {
    due: Instant,
    interval: Duration,
    stream: Weak<Shared>,
}

static TIMER: OnceLock<Sender<Entry>> = OnceLock::new();

/// Has the timer visit `stream` from `due` on, every `interval` while it is idle.
pub(super) fn register(stream: Weak<Shared>, due: Instant, interval: Duration) {
    let tx = TIMER.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("brisk-sse-keepalive".into())
            .spawn(move || run(rx))
            .expect("spawn the keep-alive thread");
        tx
    });
    // The thread ends only if it panicked: the stream then goes without keep-alives.
    let _ = tx.send(Entry {
        due,
        interval,
        stream,
    });
}

fn run(rx: Receiver<Entry>) {
    let mut heap: Deadlines<Entry> = Deadlines::new();
    loop {
        let now = Instant::now();
        while let Some(mut e) = heap.pop_due(now) {
            // The strong reference lives only for the visit.
            let next = e
                .stream
                .upgrade()
                .and_then(|s| s.keep_alive_visit(now, e.interval));
            if let Some(due) = next {
                e.due = due;
                heap.push(due, e);
            }
        }
        match heap.wait(&rx, now) {
            Ok(e) => heap.push(e.due, e),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
