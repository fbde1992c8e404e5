//! Request counters: one cache-line-aligned block per worker, written only by that worker with
//! relaxed atomics, summed on demand by [`crate::Handle::counters`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One worker's counters.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    connections: AtomicU64,
    h2_connections: AtomicU64,
    requests: AtomicU64,
    status: [AtomicU64; 5],
    panics: AtomicU64,
    timeouts: AtomicU64,
    proxy_errors: AtomicU64,
    /// Route lookups (debug builds only: the tests check that a request is routed once).
    #[cfg(debug_assertions)]
    routings: AtomicU64,
}

impl WorkerCounters {
    // Only the owning worker writes, so a load + store is enough (no locked read-modify-write).
    fn bump(c: &AtomicU64) {
        c.store(c.load(Relaxed) + 1, Relaxed);
    }
    pub(crate) fn connection(&self) {
        Self::bump(&self.connections);
    }
    pub(crate) fn h2_connection(&self) {
        Self::bump(&self.h2_connections);
    }
    pub(crate) fn response(&self, status: u16) {
        Self::bump(&self.requests);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        Self::bump(&self.status[class]);
    }
    pub(crate) fn panic(&self) {
        Self::bump(&self.panics);
    }
    pub(crate) fn timeout(&self) {
        Self::bump(&self.timeouts);
    }
    pub(crate) fn proxy_error(&self) {
        Self::bump(&self.proxy_errors);
    }
    /// A route lookup: counted in debug builds, nothing in release builds.
    #[inline(always)]
    pub(crate) fn routing(&self) {
        #[cfg(debug_assertions)]
        Self::bump(&self.routings);
    }
}

/// A snapshot of the server's counters, summed over all workers.
///
/// # Examples
///
/// ```
/// let c = brisk_server::Counters::default();
/// assert_eq!(c.requests, 0);
/// assert_eq!(c.errors(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Connections accepted.
    pub connections: u64,
    /// Connections that spoke HTTP/2 (prior knowledge or upgrade).
    pub h2_connections: u64,
    /// Responses sent (every request answered, errors included).
    pub requests: u64,
    /// Responses by status class: `[1xx, 2xx, 3xx, 4xx, 5xx]`.
    pub by_class: [u64; 5],
    /// Handler panics (each answered with 500).
    pub panics: u64,
    /// Connections closed by a timeout (408 on a header-read timeout).
    pub timeouts: u64,
    /// Connections closed, unanswered, on a listener that requires a PROXY protocol header
    /// because their first bytes were not a valid one
    /// ([`Builder::bind_proxy`](crate::Builder::bind_proxy)).
    pub proxy_errors: u64,
    /// Connections open now.
    pub active: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
    /// Route lookups made, counted in debug builds only (`None` in release builds): for the
    /// tests that check each request is routed once.
    #[doc(hidden)]
    pub routings: Option<u64>,
}

impl Counters {
    /// Responses with a 4xx or 5xx status.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut c = brisk_server::Counters::default();
    /// c.by_class[3] = 2;
    /// c.by_class[4] = 1;
    /// assert_eq!(c.errors(), 3);
    /// ```
    pub fn errors(&self) -> u64 {
        self.by_class[3] + self.by_class[4]
    }

    pub(crate) fn sum(workers: &[&WorkerCounters]) -> Counters {
        let mut c = Counters::default();
        if cfg!(debug_assertions) {
            c.routings = Some(0);
        }
        for w in workers {
            c.connections += w.connections.load(Relaxed);
            c.h2_connections += w.h2_connections.load(Relaxed);
            c.requests += w.requests.load(Relaxed);
            for (i, s) in w.status.iter().enumerate() {
                c.by_class[i] += s.load(Relaxed);
            }
            c.panics += w.panics.load(Relaxed);
            c.timeouts += w.timeouts.load(Relaxed);
            c.proxy_errors += w.proxy_errors.load(Relaxed);
            #[cfg(debug_assertions)]
            {
                c.routings = c.routings.map(|n| n + w.routings.load(Relaxed));
            }
        }
        c
    }
}
