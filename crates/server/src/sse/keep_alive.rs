//! The keep-alive timer: one thread for every [`EventStream`](super::EventStream) of the
//! process that asked for keep-alive comments, started on first use.
//!
//! It keeps a heap of (next due time, weak reference) and sleeps until the earliest; a visit
//! ([`Shared::keep_alive_visit`]) never blocks, so a stream whose producer holds its lock, or
//! whose client reads slowly, never delays the others. A stream that ended (finished, dropped,
//! client gone) leaves the heap at its next visit. Cost per stream: one heap entry (a `Weak`
//! and two instants) and one channel message on registration; no thread, no allocation per
//! comment once the heap has grown.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};

use super::stream::Shared;

struct Entry {
    due: Instant,
    seq: u64,
    interval: Duration,
    stream: Weak<Shared>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
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
        seq: 0,
        interval,
        stream,
    });
}

fn run(rx: Receiver<Entry>) {
    let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let now = Instant::now();
        while heap.peek().is_some_and(|Reverse(e)| e.due <= now) {
            let Some(Reverse(mut e)) = heap.pop() else {
                break;
            };
            // The strong reference lives only for the visit.
            let next = e
                .stream
                .upgrade()
                .and_then(|s| s.keep_alive_visit(now, e.interval));
            if let Some(due) = next {
                seq += 1;
                e.due = due;
                e.seq = seq;
                heap.push(Reverse(e));
            }
        }
        let got = match heap.peek() {
            Some(Reverse(e)) => rx.recv_timeout(e.due.saturating_duration_since(now)),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(mut e) => {
                seq += 1;
                e.seq = seq;
                heap.push(Reverse(e));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
