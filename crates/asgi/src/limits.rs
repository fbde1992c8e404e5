//! uvicorn's per-worker limits: `--limit-max-requests` and `--limit-concurrency`.
//!
//! ```text
//!  Core::handle ──> Limits::count: the request that reaches max_requests asks for an exit
//!        │          (Worker.turn then starts a graceful shutdown: in-flight requests finish)
//!        └────────> Limits::overloaded: max_concurrency app tasks already running
//!                   (tasks that did not finish eagerly) ──> 503 at once, the app not called
//! ```
//! Both are counted in the worker (one process), as uvicorn counts them. (Tested from Python:
//! this crate runs no Rust tests, see Cargo.toml.)

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How often, at most, an overload warning is logged (a burst of 503s logs one line).
const WARN_EVERY: Duration = Duration::from_secs(1);

/// The limits of one worker and what it counted against them.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    /// Requests after which the worker exits gracefully (`None`: never).
    max_requests: Option<u64>,
    /// Most app tasks running at once; more requests get 503 (`None`: no limit).
    concurrency: Option<usize>,
    handled: Cell<u64>,
    exit: Cell<bool>,
    /// 503s since the last warning, and when that was.
    refused: Cell<u64>,
    warned: Cell<Option<Instant>>,
}

impl Limits {
    /// Limits as given (`None`: none).
    pub(crate) fn new(max_requests: Option<u64>, concurrency: Option<usize>) -> Limits {
        Limits {
            max_requests,
            concurrency,
            ..Limits::default()
        }
    }

    /// Counts one request.
    pub(crate) fn count(&self) {
        let n = self.handled.get() + 1;
        self.handled.set(n);
        if self.max_requests == Some(n) {
            self.exit.set(true);
        }
    }

    /// The request limit, once it was reached (reported once).
    pub(crate) fn take_exit(&self) -> Option<u64> {
        if self.exit.replace(false) {
            self.max_requests
        } else {
            None
        }
    }

    /// Whether a new request must be refused with 503, `running()` app tasks being in flight
    /// (only asked when there is a limit). When it must, also whether to log a warning now
    /// (with the 503s it covers).
    pub(crate) fn overloaded(&self, running: impl FnOnce() -> usize) -> Option<Option<u64>> {
        let limit = self.concurrency?;
        if running() < limit {
            return None;
        }
        let refused = self.refused.get() + 1;
        let now = Instant::now();
        if self
            .warned
            .get()
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            self.refused.set(refused);
            return Some(None);
        }
        self.warned.set(Some(now));
        self.refused.set(0);
        Some(Some(refused))
    }
}
