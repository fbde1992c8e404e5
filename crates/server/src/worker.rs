//! Per-worker-thread scratch state: the reused `Response`, the serialization buffer, the
//! `Date` cache and the worker's counters. It lives in a thread-local, so connection objects
//! stay small and nothing here is allocated per request.

use std::cell::RefCell;
use std::sync::Arc;

use crate::counters::WorkerCounters;
use crate::date::DateCache;
use crate::response::Response;

/// Most spare body buffers a worker keeps for reuse.
const SPARE_COLLECTS: usize = 4;
/// A spare body buffer larger than this is dropped instead of kept.
const SPARE_MAX_CAPACITY: usize = 256 * 1024;

#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) res: Response,
    pub(crate) head: Vec<u8>,
    pub(crate) date: DateCache,
    pub(crate) heads: crate::h1::HeadCache,
    pub(crate) stats: Arc<WorkerCounters>,
    // Boxed: they move between a connection and this list without reallocating.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<crate::h1::Collect>>,
}

impl Worker {
    /// Buffers for a body that arrives over several reads, reused when possible.
    pub(crate) fn collect_buffers(&mut self) -> Box<crate::h1::Collect> {
        self.spare.pop().unwrap_or_default()
    }

    /// Returns body buffers for reuse.
    pub(crate) fn recycle(&mut self, mut c: Box<crate::h1::Collect>) {
        if self.spare.len() < SPARE_COLLECTS
            && c.head.capacity() <= SPARE_MAX_CAPACITY
            && c.body.capacity() <= SPARE_MAX_CAPACITY
        {
            c.clear();
            self.spare.push(c);
        }
    }
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Installs this thread's worker state (first connection on the thread), if not there yet.
pub(crate) fn init(stats: &Arc<WorkerCounters>) {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        if w.is_none() {
            *w = Some(Worker {
                res: Response::new(),
                head: Vec::with_capacity(512),
                date: DateCache::new(),
                heads: crate::h1::HeadCache::new(),
                stats: Arc::clone(stats),
                spare: Vec::new(),
            });
        }
    });
}

/// Runs `f` with this thread's worker state.
///
/// # Panics
///
/// If [`init`] was not called on this thread, or on re-entry (handlers cannot reach it).
pub(crate) fn with_worker<R>(f: impl FnOnce(&mut Worker) -> R) -> R {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        f(w.as_mut().expect("worker state initialised on accept"))
    })
}
