//! Request counters: one cache-line-aligned block per worker, written only by that worker with
//! relaxed atomics, summed on demand by [`crate::Handle::counters`] and rendered per worker by
//! [`crate::metrics`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The protocol a request came in on, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Http10 = 0,
    Http11 = 1,
    H2 = 2,
}

impl From<brisk_http1::Version> for Proto {
    #[inline(always)]
    fn from(v: brisk_http1::Version) -> Proto {
        match v {
            brisk_http1::Version::Http10 => Proto::Http10,
            brisk_http1::Version::Http11 => Proto::Http11,
        }
    }
}

/// Label values of the protocols, by `Proto as usize`.
pub(crate) const PROTOCOLS: [&str; 3] = ["http/1.0", "http/1.1", "h2"];

/// Upper bounds (seconds) of the request duration histogram's buckets; the last bucket is
/// `+Inf`.
pub(crate) const DURATION_BOUNDS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BUCKETS: usize = DURATION_BOUNDS.len() + 1;

/// Statuses the server answers by itself (not a handler's choice), counted one by one; any
/// other status it makes (none today) counts under the last slot.
pub(crate) const SERVER_STATUSES: [u16; 12] =
    [400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 503, 505];
const SERVER_SLOTS: usize = SERVER_STATUSES.len() + 1;

/// One worker's counters.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    connections: AtomicU64,
    h2_connections: AtomicU64,
    /// Responses by protocol (`Proto as usize`) and status class (1xx..5xx).
    answers: [[AtomicU64; 5]; 3],
    /// Durations of timed (deferred) answers: per bucket (not cumulative), and their sum in
    /// microseconds. Every other answer took 0 s and is counted in the first bucket when the
    /// counters are read (answers minus timed ones), so the fast path pays no store for it.
    durations: [AtomicU64; BUCKETS],
    duration_micros: AtomicU64,
    /// Answers the server made itself, by [`SERVER_STATUSES`] index (the last: any other).
    server_answers: [AtomicU64; SERVER_SLOTS],
    panics: AtomicU64,
    timeouts: AtomicU64,
    h2_streams: AtomicU64,
    h2_resets_sent: AtomicU64,
    h2_resets_received: AtomicU64,
    proxy_errors: AtomicU64,
    /// Route lookups (debug builds only: the tests check that a request is routed once).
    #[cfg(debug_assertions)]
    routings: AtomicU64,
}

impl WorkerCounters {
    // Only the owning worker writes, so a load + store is enough (no locked read-modify-write).
    #[inline(always)]
    fn bump(c: &AtomicU64) {
        c.store(c.load(Relaxed) + 1, Relaxed);
    }
    pub(crate) fn connection(&self) {
        Self::bump(&self.connections);
    }
    pub(crate) fn h2_connection(&self) {
        Self::bump(&self.h2_connections);
    }
    /// A response with `status` leaves on `proto`, made by a handler before it returned: one
    /// store (its duration, 0 s, is implied).
    #[inline(always)]
    pub(crate) fn response(&self, proto: Proto, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        Self::bump(&self.answers[proto as usize][class]);
    }
    /// [`response`](Self::response) for an answer the server made itself (`by_server`) or
    /// one deferred by its handler `took` ago.
    #[cold]
    #[inline(never)]
    pub(crate) fn response_special(
        &self,
        proto: Proto,
        status: u16,
        took: Option<Duration>,
        by_server: bool,
    ) {
        self.response(proto, status);
        if let Some(d) = took {
            self.took(d);
        }
        if by_server {
            self.server_answer(status);
        }
    }
    fn took(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = DURATION_BOUNDS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS - 1);
        Self::bump(&self.durations[i]);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let sum = &self.duration_micros;
        sum.store(sum.load(Relaxed).saturating_add(micros), Relaxed);
    }
    fn server_answer(&self, status: u16) {
        let i = SERVER_STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(SERVER_SLOTS - 1);
        Self::bump(&self.server_answers[i]);
    }
    pub(crate) fn panic(&self) {
        Self::bump(&self.panics);
    }
    pub(crate) fn timeout(&self) {
        Self::bump(&self.timeouts);
    }
    /// An HTTP/2 stream opened by the peer (its request headers arrived).
    pub(crate) fn h2_stream(&self) {
        Self::bump(&self.h2_streams);
    }
    /// An HTTP/2 stream was reset: by the peer (RST_STREAM received), or by the protocol
    /// layer for a stream error (RST_STREAM sent).
    pub(crate) fn h2_reset(&self, by_peer: bool) {
        Self::bump(if by_peer {
            &self.h2_resets_received
        } else {
            &self.h2_resets_sent
        });
    }

    /// A connection on a PROXY listener closed for a bad or missing header.
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

/// The request duration histogram of [`Counters`]: bucket counts (not cumulative) by upper
/// bound, plus `+Inf`, their sum and count.
///
/// Durations are measured from the time a handler runs to the time its answer's head is
/// written, with the loop turn as the unit for answers made before the handler returned: those
/// count as 0 s (the first bucket). A deferred answer ([`Response::defer`](crate::Response::defer))
/// counts the time until its head leaves.
///
/// # Examples
///
/// ```
/// let h = brisk_server::Durations::default();
/// assert_eq!(h.count(), 0);
/// assert_eq!(h.bounds().len() + 1, h.buckets.len());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Durations {
    /// Observations per bucket (not cumulative), in the order of [`bounds`](Self::bounds),
    /// the last one for `+Inf`.
    pub buckets: [u64; BUCKETS],
    /// Sum of the observed durations, in seconds.
    pub sum_seconds: f64,
}

impl Durations {
    /// The buckets' upper bounds in seconds (the `+Inf` bucket is not listed).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Durations::default().bounds()[0], 0.001);
    /// ```
    pub fn bounds(&self) -> &'static [f64] {
        &DURATION_BOUNDS
    }

    /// Observations in all buckets.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = brisk_server::Durations::default();
    /// h.buckets[0] = 3;
    /// assert_eq!(h.count(), 3);
    /// ```
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// A snapshot of the server's counters, summed over all workers
/// ([`Handle::counters`](crate::Handle::counters)) or of one worker
/// ([`Handle::worker_counters`](crate::Handle::worker_counters)).
///
/// # Examples
///
/// ```
/// let c = brisk_server::Counters::default();
/// assert_eq!(c.requests, 0);
/// assert_eq!(c.errors(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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
    /// Responses by protocol (`[HTTP/1.0, HTTP/1.1, HTTP/2]`) and status class (as
    /// [`by_class`](Self::by_class)).
    pub by_protocol: [[u64; 5]; 3],
    /// Answers the server made itself (protocol errors, timeouts, 404/405/501 without a
    /// fallback, 500 for a panic), by status: pairs of status and count, the status `0`
    /// for any status not listed.
    pub server_answers: [(u16, u64); SERVER_SLOTS],
    /// Request durations.
    pub durations: Durations,
    /// Handler panics (each answered with 500).
    pub panics: u64,
    /// Requests answered 408 because their head or body did not arrive in time.
    pub timeouts: u64,
    /// HTTP/2 streams opened by clients.
    pub h2_streams: u64,
    /// HTTP/2 streams reset by the server for a stream error (RST_STREAM sent).
    pub h2_resets_sent: u64,
    /// HTTP/2 streams reset by clients (RST_STREAM received).
    pub h2_resets_received: u64,
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

    /// How many answers with `status` the server made itself (0 for a status it does not
    /// make).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Counters::default().server_answers(408), 0);
    /// ```
    pub fn server_answers(&self, status: u16) -> u64 {
        self.server_answers
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    pub(crate) fn sum(workers: &[&WorkerCounters]) -> Counters {
        let mut c = Counters::default();
        for (slot, s) in c.server_answers.iter_mut().zip(SERVER_STATUSES) {
            slot.0 = s;
        }
        if cfg!(debug_assertions) {
            c.routings = Some(0);
        }
        let mut micros = 0u64;
        for w in workers {
            c.connections += w.connections.load(Relaxed);
            c.h2_connections += w.h2_connections.load(Relaxed);
            let mut answers = 0;
            for (p, row) in w.answers.iter().enumerate() {
                for (class, n) in row.iter().enumerate() {
                    let n = n.load(Relaxed);
                    c.by_protocol[p][class] += n;
                    c.by_class[class] += n;
                    answers += n;
                }
            }
            c.requests += answers;
            let mut timed = 0;
            for (b, n) in c.durations.buckets.iter_mut().zip(&w.durations) {
                let n = n.load(Relaxed);
                *b += n;
                timed += n;
            }
            // The answers not timed took 0 s.
            c.durations.buckets[0] += answers.saturating_sub(timed);
            micros = micros.saturating_add(w.duration_micros.load(Relaxed));
            for (slot, n) in c.server_answers.iter_mut().zip(&w.server_answers) {
                slot.1 += n.load(Relaxed);
            }
            c.panics += w.panics.load(Relaxed);
            c.timeouts += w.timeouts.load(Relaxed);
            c.h2_streams += w.h2_streams.load(Relaxed);
            c.h2_resets_sent += w.h2_resets_sent.load(Relaxed);
            c.h2_resets_received += w.h2_resets_received.load(Relaxed);
            c.proxy_errors += w.proxy_errors.load(Relaxed);
            #[cfg(debug_assertions)]
            {
                c.routings = c.routings.map(|n| n + w.routings.load(Relaxed));
            }
        }
        c.durations.sum_seconds = micros as f64 / 1e6;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_count_by_protocol_class_bucket_and_server_status() {
        let w = WorkerCounters::default();
        w.response(Proto::Http11, 200);
        w.response_special(Proto::Http10, 404, None, true);
        w.response_special(Proto::H2, 503, Some(Duration::from_millis(30)), true);
        w.response_special(Proto::H2, 299, Some(Duration::from_secs(60)), false);
        w.response_special(Proto::Http11, 418, None, true);
        let c = Counters::sum(&[&w]);
        assert_eq!(c.requests, 5);
        assert_eq!(c.by_class, [0, 2, 0, 2, 1]);
        assert_eq!(c.by_protocol[Proto::Http11 as usize], [0, 1, 0, 1, 0]);
        assert_eq!(c.by_protocol[Proto::Http10 as usize], [0, 0, 0, 1, 0]);
        assert_eq!(c.by_protocol[Proto::H2 as usize], [0, 1, 0, 0, 1]);
        assert_eq!(c.server_answers(404), 1);
        assert_eq!(c.server_answers(503), 1);
        assert_eq!(c.server_answers(0), 1, "418 is counted as another status");
        assert_eq!(c.durations.count(), 5);
        // 0 s three times, 30 ms in the 0.05 bucket, 60 s in +Inf.
        assert_eq!(c.durations.buckets[0], 3);
        assert_eq!(c.durations.buckets[4], 1);
        assert_eq!(c.durations.buckets[BUCKETS - 1], 1);
        assert!((c.durations.sum_seconds - 60.03).abs() < 1e-9);
    }
}
