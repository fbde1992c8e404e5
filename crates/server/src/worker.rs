//! Per-worker-thread scratch state: the reused `Response`, the serialization buffer, the
//! `Date` cache and the worker's counters. It lives in a thread-local, so connection objects
//! stay small and nothing here is allocated per request.

use std::cell::RefCell;
use std::sync::Arc;

use crate::counters::WorkerCounters;
use crate::date::DateCache;
use crate::response::Response;

#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) res: Response,
    pub(crate) head: Vec<u8>,
    pub(crate) date: DateCache,
    pub(crate) stats: Arc<WorkerCounters>,
    /// The access log's buffer, when the log is on.
    pub(crate) log: Option<crate::access_log::Local>,
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Installs this thread's worker state (first connection on the thread), if not there yet; a
/// thread that served another server before (embedded servers, one after another) counts
/// into the new one's counters.
pub(crate) fn init(stats: &Arc<WorkerCounters>, log: Option<&Arc<crate::access_log::Sink>>) {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        if let Some(w) = w.as_mut() {
            w.stats = Arc::clone(stats);
            if let Some(l) = w.log.as_mut() {
                l.end_turn();
            }
            w.log = log.map(crate::access_log::Local::new);
        } else {
            *w = Some(Worker {
                res: Response::new(),
                head: Vec::with_capacity(512),
                date: DateCache::new(),
                stats: Arc::clone(stats),
                log: log.map(crate::access_log::Local::new),
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

/// Runs `f` with this thread's worker state, if it has one and it is not in use.
pub(crate) fn try_with_worker(f: impl FnOnce(&mut Worker)) {
    WORKER.with(|w| {
        if let Ok(mut w) = w.try_borrow_mut() {
            if let Some(w) = w.as_mut() {
                f(w);
            }
        }
    });
}
