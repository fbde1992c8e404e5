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
/// Most sets of busy-time buffers the pool of idle HTTP/2 connections keeps; more are dropped.
/// Each set was some connection's before it went idle (and, before the pool existed, stayed
/// with it for the connection's life), so the pool never holds more than the connections
/// would.
const SPARE_H2: usize = 256;

#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) res: Response,
    pub(crate) head: Vec<u8>,
    pub(crate) date: DateCache,
    pub(crate) heads: crate::http1::HeadCache,
    pub(crate) stats: Arc<WorkerCounters>,
    // Boxed: they move between a connection and this list without reallocating.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<crate::http1::Collect>>,
    /// Busy-time buffers handed over by idle HTTP/2 connections.
    #[allow(clippy::vec_box)]
    h2_spare: Vec<Box<crate::h2::H2Spare>>,
}

impl Worker {
    /// Buffers for a body that arrives over several reads, reused when possible.
    pub(crate) fn collect_buffers(&mut self) -> Box<crate::http1::Collect> {
        self.spare.pop().unwrap_or_default()
    }

    /// Returns body buffers for reuse.
    pub(crate) fn recycle(&mut self, mut c: Box<crate::http1::Collect>) {
        if self.spare.len() < SPARE_COLLECTS
            && c.head.capacity() <= SPARE_MAX_CAPACITY
            && c.body.capacity() <= SPARE_MAX_CAPACITY
        {
            c.clear();
            self.spare.push(c);
        }
    }

    /// A set of HTTP/2 busy-time buffers for a connection that turns busy, if one is pooled.
    pub(crate) fn h2_spare(&mut self) -> Option<Box<crate::h2::H2Spare>> {
        self.h2_spare.pop()
    }

    /// Pools the busy-time buffers of an HTTP/2 connection that turned idle (emptied by it),
    /// up to [`SPARE_H2`] sets; more are dropped.
    pub(crate) fn recycle_h2(&mut self, s: Box<crate::h2::H2Spare>) {
        if self.h2_spare.len() < SPARE_H2 {
            self.h2_spare.push(s);
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
                heads: crate::http1::HeadCache::new(),
                stats: Arc::clone(stats),
                spare: Vec::new(),
                h2_spare: Vec::new(),
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
