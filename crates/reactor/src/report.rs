//! Reporting failed accepts ([`AcceptError`], [`Reactor::on_accept_error`]): at most one
//! report a second for the whole reactor, so a worker out of descriptors cannot flood a log.
//!
//! [`Reactor::on_accept_error`]: crate::Reactor::on_accept_error

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A failed accept, as given to the hook of
/// [`Reactor::on_accept_error`](crate::Reactor::on_accept_error). Displayed as one line, e.g.
/// `cannot accept connections: Too many open files (os error 24); worker 0 holds 60
/// connections and stops accepting for 250ms or until one closes (1234 failed accepts so
/// far; raise the descriptor limit or lower max_connections)`.
///
/// # Examples
///
/// ```
/// use brisk_reactor::AcceptError;
///
/// let e = std::io::Error::from_raw_os_error(24);
/// let r = AcceptError::new(&e, 0, 60, 7, std::time::Duration::from_millis(250));
/// assert!(r.to_string().starts_with("cannot accept connections: "));
/// assert_eq!(r.failures, 7);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AcceptError<'a> {
    /// What `accept` returned (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`).
    pub error: &'a io::Error,
    /// The worker that failed.
    pub worker: usize,
    /// Connections that worker holds.
    pub open: usize,
    /// Failed accepts since start, all workers.
    pub failures: u64,
    /// How long the worker stops accepting unless one of its connections closes first
    /// ([`Config::accept_backoff`](crate::Config::accept_backoff)).
    pub backoff: Duration,
}

impl<'a> AcceptError<'a> {
    /// A report (for hooks under test).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = std::io::Error::from_raw_os_error(23);
    /// let r = brisk_reactor::AcceptError::new(&e, 1, 0, 1, std::time::Duration::from_secs(1));
    /// assert_eq!(r.worker, 1);
    /// ```
    pub fn new(
        error: &'a io::Error,
        worker: usize,
        open: usize,
        failures: u64,
        backoff: Duration,
    ) -> AcceptError<'a> {
        AcceptError {
            error,
            worker,
            open,
            failures,
            backoff,
        }
    }
}

impl fmt::Display for AcceptError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot accept connections: {}; worker {} holds {} connections and stops \
             accepting for {:?} or until one closes ({} failed accepts so far; raise the \
             descriptor limit or lower max_connections)",
            self.error, self.worker, self.open, self.backoff, self.failures
        )
    }
}

/// The hook's type.
pub(crate) type AcceptHook = dyn Fn(&AcceptError<'_>) + Send + Sync + 'static;

/// The hook and the time of its last call, shared by the workers.
pub(crate) struct Reporter {
    hook: Option<Arc<AcceptHook>>,
    base: Instant,
    /// Milliseconds after `base` before which no report is made.
    next_ms: AtomicU64,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl Reporter {
    pub(crate) fn new(hook: Option<Arc<AcceptHook>>) -> Reporter {
        Reporter {
            hook,
            base: Instant::now(),
            next_ms: AtomicU64::new(0),
        }
    }

    /// Calls the hook with what `report` builds, unless a report was made less than a second
    /// ago (by any worker).
    #[cold]
    pub(crate) fn report(&self, now: Instant, make: impl FnOnce(&AcceptHook)) {
        let Some(hook) = &self.hook else {
            return;
        };
        let ms = now.saturating_duration_since(self.base).as_millis() as u64;
        let next = self.next_ms.load(Ordering::Relaxed);
        if ms < next
            || self
                .next_ms
                .compare_exchange(next, ms + 1000, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        make(&**hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn at_most_one_report_a_second() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let r = Reporter::new(Some(Arc::new(move |e: &AcceptError<'_>| {
            s.lock().unwrap().push(e.failures)
        })));
        let e = io::Error::from_raw_os_error(24);
        let t0 = r.base;
        for (i, ms) in [0u64, 10, 999, 1000, 1500, 2001].into_iter().enumerate() {
            let at = t0 + Duration::from_millis(ms);
            r.report(at, |h| {
                h(&AcceptError::new(&e, 0, 0, i as u64, Duration::ZERO))
            });
        }
        assert_eq!(*seen.lock().unwrap(), [0, 3, 5]);
    }
}
