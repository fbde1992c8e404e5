//! The [`Handle`] to a running reactor and its lock-free per-worker [`WorkerStats`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::listen::ListenAddr;
use crate::notify::{Mailbox, Notifier};
use crate::protocol::{CloseReason, TimeoutKind};
use crate::report::Reporter;

/// How many [`Closes`] labels there are.
const CLOSE_KINDS: usize = 11;

/// Connections closed, by [`CloseReason`] (one counter per label; [`CloseReason::Io`] errors
/// of every kind count as `io_error`). Read with [`WorkerStats::closes`] or summed in
/// [`Totals::closes`].
///
/// # Examples
///
/// ```
/// let c = brisk_reactor::Closes::default();
/// assert_eq!(c.total(), 0);
/// assert_eq!(c.pairs().next(), Some(("protocol", 0)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Closes {
    /// The protocol asked for the close ([`CloseReason::Protocol`]).
    pub protocol: u64,
    /// The peer closed its side ([`CloseReason::PeerClosed`]).
    pub peer_closed: u64,
    /// The [`Start`](TimeoutKind::Start) timer fired (HTTP: a request head too slow).
    pub timeout_start: u64,
    /// The [`Idle`](TimeoutKind::Idle) timer fired (HTTP: keep-alive timeout).
    pub timeout_idle: u64,
    /// The [`Input`](TimeoutKind::Input) timer fired (HTTP: a request body too slow).
    pub timeout_input: u64,
    /// The [`WriteStall`](TimeoutKind::WriteStall) timer fired (the peer stopped reading).
    pub timeout_write_stall: u64,
    /// The input reached `max_input` unconsumed ([`CloseReason::InputLimit`]).
    pub input_limit: u64,
    /// A socket error ([`CloseReason::Io`], any kind).
    pub io_error: u64,
    /// Force-closed at the shutdown deadline ([`CloseReason::Shutdown`]).
    pub shutdown: u64,
    /// A TLS handshake failed ([`CloseReason::TlsHandshake`]).
    pub tls_handshake: u64,
    /// A TLS handshake timed out ([`CloseReason::TlsHandshakeTimeout`]).
    pub tls_handshake_timeout: u64,
}

impl Closes {
    /// The labels, in the order of [`pairs`](Closes::pairs) (snake_case, fit for a metric
    /// label value).
    pub const LABELS: [&'static str; CLOSE_KINDS] = [
        "protocol",
        "peer_closed",
        "timeout_start",
        "timeout_idle",
        "timeout_input",
        "timeout_write_stall",
        "input_limit",
        "io_error",
        "shutdown",
        "tls_handshake",
        "tls_handshake_timeout",
    ];

    /// Each label with its count, in [`LABELS`](Closes::LABELS) order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, u64)> {
        Self::LABELS.into_iter().zip(self.array())
    }

    /// Closes of every reason.
    pub fn total(&self) -> u64 {
        self.array().iter().sum()
    }

    fn array(&self) -> [u64; CLOSE_KINDS] {
        [
            self.protocol,
            self.peer_closed,
            self.timeout_start,
            self.timeout_idle,
            self.timeout_input,
            self.timeout_write_stall,
            self.input_limit,
            self.io_error,
            self.shutdown,
            self.tls_handshake,
            self.tls_handshake_timeout,
        ]
    }

    fn from_array(a: [u64; CLOSE_KINDS]) -> Closes {
        let [protocol, peer_closed, timeout_start, timeout_idle, timeout_input, timeout_write_stall, input_limit, io_error, shutdown, tls_handshake, tls_handshake_timeout] =
            a;
        Closes {
            protocol,
            peer_closed,
            timeout_start,
            timeout_idle,
            timeout_input,
            timeout_write_stall,
            input_limit,
            io_error,
            shutdown,
            tls_handshake,
            tls_handshake_timeout,
        }
    }

    fn add(&mut self, o: &Closes) {
        let mut a = self.array();
        for (x, y) in a.iter_mut().zip(o.array()) {
            *x += y;
        }
        *self = Closes::from_array(a);
    }

    /// The index of `reason` in [`LABELS`](Closes::LABELS).
    fn index(reason: CloseReason) -> usize {
        match reason {
            CloseReason::Protocol => 0,
            CloseReason::PeerClosed => 1,
            CloseReason::Timeout(TimeoutKind::Start) => 2,
            CloseReason::Timeout(TimeoutKind::Idle) => 3,
            CloseReason::Timeout(TimeoutKind::Input) => 4,
            CloseReason::Timeout(TimeoutKind::WriteStall) => 5,
            CloseReason::InputLimit => 6,
            CloseReason::Io(_) => 7,
            CloseReason::Shutdown => 8,
            CloseReason::TlsHandshake => 9,
            CloseReason::TlsHandshakeTimeout => 10,
        }
    }
}

/// Counters of one worker. Each is written only by its worker thread (a plain load and store,
/// no read-modify-write, no lock) and can be read from any thread at any time; values read
/// together are not a consistent snapshot.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> Result<(), brisk_reactor::Error> {
/// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
/// # struct Sink;
/// # impl Protocol for Sink {
/// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
/// # }
/// let handle = Reactor::new().bind("127.0.0.1:0".parse().unwrap()).start(|_| Sink)?;
/// for (i, w) in handle.workers().iter().enumerate() {
///     println!("worker {i}: {} active, {} bytes in", w.active(), w.bytes_in());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct WorkerStats {
    accepted: AtomicU64,
    active: AtomicU64,
    closed: AtomicU64,
    closed_by_timeout: AtomicU64,
    closes: [AtomicU64; CLOSE_KINDS],
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    buffers_in_use: AtomicU64,
    buffers_peak: AtomicU64,
    pool_waits: AtomicU64,
    evicted: AtomicU64,
    notifications: AtomicU64,
    notify_stale: AtomicU64,
    notify_wakes: AtomicU64,
    accept_errors: AtomicU64,
    tls_handshakes: AtomicU64,
    tls_failures: AtomicU64,
}

/// Single-writer add: the owning worker is the only writer.
fn bump(a: &AtomicU64, n: u64) {
    a.store(a.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

impl WorkerStats {
    /// Connections accepted since start.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
    /// Connections open now.
    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }
    /// Connections closed since start, for any reason.
    pub fn closed(&self) -> u64 {
        self.closed.load(Ordering::Relaxed)
    }
    /// Connections closed because a timer fired (any [`TimeoutKind`](crate::TimeoutKind)).
    pub fn closed_by_timeout(&self) -> u64 {
        self.closed_by_timeout.load(Ordering::Relaxed)
    }
    /// Connections closed since start, by reason.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = brisk_reactor::WorkerStats::default();
    /// assert_eq!(w.closes().total(), w.closed());
    /// ```
    pub fn closes(&self) -> Closes {
        Closes::from_array(self.closes.each_ref().map(|a| a.load(Ordering::Relaxed)))
    }
    /// Bytes read from connections (of a TLS connection: the plaintext handed to the
    /// protocol; handshakes are not counted).
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::Relaxed)
    }
    /// Bytes written to connections (of a TLS connection: the records written after the
    /// handshake).
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }
    /// Pool buffers held by connections at the end of the worker's last loop turn.
    pub fn buffers_in_use(&self) -> u64 {
        self.buffers_in_use.load(Ordering::Relaxed)
    }

    /// Most pool buffers ever in use at once (never more than the pool size).
    pub fn buffers_peak(&self) -> u64 {
        self.buffers_peak.load(Ordering::Relaxed)
    }
    /// Times a connection had to wait for pool buffers (pool exhausted: backpressure).
    pub fn pool_waits(&self) -> u64 {
        self.pool_waits.load(Ordering::Relaxed)
    }

    /// Connections whose [`Start`](crate::TimeoutKind::Start) timer was fired early because
    /// partial input starved the pool of buffers (see
    /// [`Config::evict_partial`](crate::Config::evict_partial)).
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Notifications the worker took from its queues ([`Notifier::notify`] and
    /// [`Context::notify_local`](crate::Context::notify_local)), stale ones included.
    pub fn notifications(&self) -> u64 {
        self.notifications.load(Ordering::Relaxed)
    }

    /// Notifications dropped because their connection was gone (closed, closing, its slot
    /// reused: the [`ConnId`](crate::ConnId) generation no longer matched) or belonged to
    /// another worker.
    pub fn notify_stale(&self) -> u64 {
        self.notify_stale.load(Ordering::Relaxed)
    }

    /// Wakes sent to the worker's poll by [`Notifier`]s (as of the worker's last wake-up): at
    /// most one per batch of notifications between two of its turns, however many the batch
    /// holds.
    pub fn notify_wakes(&self) -> u64 {
        self.notify_wakes.load(Ordering::Relaxed)
    }

    /// Accepts that failed for lack of descriptors or kernel memory (`EMFILE`, `ENFILE`,
    /// `ENOBUFS`, `ENOMEM`); after each the worker pauses accepting (see
    /// [`Config::accept_backoff`](crate::Config::accept_backoff)).
    pub fn accept_errors(&self) -> u64 {
        self.accept_errors.load(Ordering::Relaxed)
    }

    /// TLS handshakes completed (the protocol was created).
    pub fn tls_handshakes(&self) -> u64 {
        self.tls_handshakes.load(Ordering::Relaxed)
    }

    /// TLS handshakes that failed or timed out (the connection was closed before a protocol
    /// existed: [`Closes::tls_handshake`] plus [`Closes::tls_handshake_timeout`]).
    pub fn tls_failures(&self) -> u64 {
        self.tls_failures.load(Ordering::Relaxed)
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn on_tls_handshake(&self, ok: bool) {
        bump(
            if ok {
                &self.tls_handshakes
            } else {
                &self.tls_failures
            },
            1,
        );
    }

    pub(crate) fn on_accept_error(&self) {
        bump(&self.accept_errors, 1);
    }
    pub(crate) fn on_notes(&self, taken: u64, stale: u64) {
        bump(&self.notifications, taken);
        if stale > 0 {
            bump(&self.notify_stale, stale);
        }
    }
    pub(crate) fn set_notify_wakes(&self, n: u64) {
        self.notify_wakes.store(n, Ordering::Relaxed);
    }
    pub(crate) fn on_evict(&self, n: u64) {
        bump(&self.evicted, n);
    }
    pub(crate) fn on_pool_wait(&self) {
        bump(&self.pool_waits, 1);
    }
    pub(crate) fn on_accept(&self) {
        bump(&self.accepted, 1);
        bump(&self.active, 1);
    }
    pub(crate) fn on_close(&self, reason: CloseReason) {
        self.active.store(
            self.active.load(Ordering::Relaxed).saturating_sub(1),
            Ordering::Relaxed,
        );
        bump(&self.closed, 1);
        if reason.is_timeout() {
            bump(&self.closed_by_timeout, 1);
        }
        bump(&self.closes[Closes::index(reason)], 1);
    }
    pub(crate) fn add_in(&self, n: usize) {
        bump(&self.bytes_in, n as u64);
    }
    pub(crate) fn add_out(&self, n: usize) {
        bump(&self.bytes_out, n as u64);
    }
    pub(crate) fn set_buffers(&self, n: usize, peak: usize) {
        self.buffers_in_use.store(n as u64, Ordering::Relaxed);
        self.buffers_peak.store(peak as u64, Ordering::Relaxed);
    }
}

/// Sums of every worker's counters, read once each (see [`Handle::totals`]). Each is the sum
/// of the [`WorkerStats`] counter of the same name.
///
/// # Examples
///
/// ```
/// let t = brisk_reactor::Totals::default();
/// assert_eq!((t.accepted, t.evicted, t.notifications), (0, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Connections accepted since start.
    pub accepted: u64,
    /// Connections open now.
    pub active: u64,
    /// Connections closed since start.
    pub closed: u64,
    /// Connections closed by a timer.
    pub closed_by_timeout: u64,
    /// Connections closed, by reason ([`WorkerStats::closes`]).
    pub closes: Closes,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Pool buffers in use.
    pub buffers_in_use: u64,
    /// Connections whose [`Start`](crate::TimeoutKind::Start) timer was fired early by
    /// eviction ([`WorkerStats::evicted`]).
    pub evicted: u64,
    /// Notifications taken from the workers' queues, local and cross-thread, stale ones
    /// included ([`WorkerStats::notifications`]).
    pub notifications: u64,
    /// Accepts that failed for lack of descriptors or memory ([`WorkerStats::accept_errors`]).
    pub accept_errors: u64,
    /// TLS handshakes completed ([`WorkerStats::tls_handshakes`]).
    pub tls_handshakes: u64,
    /// TLS handshakes failed or timed out ([`WorkerStats::tls_failures`]).
    pub tls_failures: u64,
}

/// State shared between the handle and the workers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) stats: Box<[WorkerStats]>,
    pub(crate) base: Instant,
    shutdown: AtomicBool,
    /// Nanoseconds after `base` of the shutdown deadline.
    deadline: AtomicU64,
    /// Where failed accepts are reported.
    pub(crate) reporter: Reporter,
    /// Called by each worker at the end of every turn ([`Reactor::on_turn_end`]).
    ///
    /// [`Reactor::on_turn_end`]: crate::Reactor::on_turn_end
    pub(crate) turn_end: Option<TurnEnd>,
}

/// The turn-end hook, shown by `Debug` as whether it is set.
#[derive(Clone)]
pub(crate) struct TurnEnd(pub(crate) Arc<crate::reactor::TurnHook>);

impl std::fmt::Debug for TurnEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnEnd")
    }
}

impl Shared {
    pub(crate) fn new(workers: usize, reporter: Reporter) -> Shared {
        Shared {
            stats: (0..workers).map(|_| WorkerStats::default()).collect(),
            base: Instant::now(),
            shutdown: AtomicBool::new(false),
            deadline: AtomicU64::new(0),
            reporter,
            turn_end: None,
        }
    }

    /// Failed accepts of every worker so far.
    pub(crate) fn accept_errors(&self) -> u64 {
        self.stats.iter().map(WorkerStats::accept_errors).sum()
    }

    /// The shutdown deadline, once shutdown was requested.
    pub(crate) fn shutdown_deadline(&self) -> Option<Instant> {
        if self.shutdown.load(Ordering::Acquire) {
            Some(self.base + Duration::from_nanos(self.deadline.load(Ordering::Relaxed)))
        } else {
            None
        }
    }
}

struct Inner {
    shared: Arc<Shared>,
    mailboxes: Vec<Arc<Mailbox>>,
    /// Spawned workers with their index (worker 0 is missing when the caller runs it).
    threads: Mutex<Vec<(usize, JoinHandle<()>)>>,
    /// Every bound address, in `bind` order.
    listen: Vec<ListenAddr>,
    /// The TCP ones among them.
    addrs: Vec<SocketAddr>,
}

/// A running reactor: its bound addresses, counters, shutdown and join. Cheap to clone; every
/// method takes `&self` and works from any thread.
///
/// Dropping handles does not stop the workers; call [`shutdown`](Handle::shutdown).
///
/// # Examples
///
/// ```no_run
/// # fn main() -> Result<(), brisk_reactor::Error> {
/// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
/// # use std::time::Duration;
/// # struct Sink;
/// # impl Protocol for Sink {
/// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
/// # }
/// let handle = Reactor::new().bind("127.0.0.1:0".parse().unwrap()).workers(2).start(|_| Sink)?;
/// let port = handle.local_addr().port();
/// # let _ = port;
/// let h = handle.clone();
/// std::thread::spawn(move || h.shutdown(Duration::from_secs(5)));
/// handle.join()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("addrs", &self.inner.listen)
            .field("workers", &self.inner.shared.stats.len())
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}

impl Handle {
    pub(crate) fn new(
        shared: Arc<Shared>,
        mailboxes: Vec<Arc<Mailbox>>,
        threads: Vec<(usize, JoinHandle<()>)>,
        listen: Vec<ListenAddr>,
    ) -> Handle {
        let addrs = listen.iter().filter_map(ListenAddr::tcp).collect();
        Handle {
            inner: Arc::new(Inner {
                shared,
                mailboxes,
                threads: Mutex::new(threads),
                listen,
                addrs,
            }),
        }
    }

    /// The bound TCP addresses, in `bind` order, with the actual port when port 0 was asked
    /// (Unix-domain sockets are in [`listen_addrs`](Handle::listen_addrs)).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.inner.addrs
    }

    /// The first bound TCP address; [`UNIX_ADDR`](crate::UNIX_ADDR) (`0.0.0.0:0`) when only
    /// Unix-domain sockets are bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner
            .addrs
            .first()
            .copied()
            .unwrap_or(crate::UNIX_ADDR)
    }

    /// Every bound address, TCP and Unix-domain, in `bind` order: the index of one is
    /// [`ConnInfo::listener`](crate::ConnInfo::listener) of the connections it accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(handle: &brisk_reactor::Handle) {
    /// for a in handle.listen_addrs() {
    ///     println!("listening on {a}"); // 127.0.0.1:8080, unix:/run/app.sock
    /// }
    /// # }
    /// ```
    pub fn listen_addrs(&self) -> &[ListenAddr] {
        &self.inner.listen
    }

    /// Per-worker counters, indexed by worker.
    pub fn workers(&self) -> &[WorkerStats] {
        &self.inner.shared.stats
    }

    /// Every worker's counters summed.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for w in self.workers() {
            t.accepted += w.accepted();
            t.active += w.active();
            t.closed += w.closed();
            t.closed_by_timeout += w.closed_by_timeout();
            t.closes.add(&w.closes());
            t.bytes_in += w.bytes_in();
            t.bytes_out += w.bytes_out();
            t.buffers_in_use += w.buffers_in_use();
            t.evicted += w.evicted();
            t.notifications += w.notifications();
            t.accept_errors += w.accept_errors();
            t.tls_handshakes += w.tls_handshakes();
            t.tls_failures += w.tls_failures();
        }
        t
    }

    /// Starts graceful shutdown and returns at once: every worker closes its listeners (new
    /// connections are refused) within one loop turn, calls
    /// [`Protocol::on_drain`](crate::Protocol::on_drain) on each connection, and force-closes
    /// what is left `grace` from now. A second call does not move the deadline.
    ///
    /// A signal handler may call this: it takes no lock and allocates nothing. It stores two
    /// atomics, reads the monotonic clock and writes once to each worker's wake-up eventfd
    /// (mio's `Waker` on Linux), all async-signal-safe.
    pub fn shutdown(&self, grace: Duration) {
        let s = &self.inner.shared;
        if !s.shutdown.load(Ordering::Acquire) {
            let at = Instant::now() + grace;
            let nanos = at.saturating_duration_since(s.base).as_nanos() as u64;
            s.deadline.store(nanos, Ordering::Relaxed);
            s.shutdown.store(true, Ordering::Release);
        }
        for m in &self.inner.mailboxes {
            // A failed wake (the worker is already gone) leaves nothing to do.
            let _ = m.waker.wake();
        }
    }

    /// A [`Notifier`] for worker `worker` (`0..workers`, see [`ConnId::worker`]): queues
    /// notifications for its connections from any thread.
    ///
    /// # Panics
    ///
    /// If `worker` is not a worker index of this reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(handle: &brisk_reactor::Handle, id: brisk_reactor::ConnId) {
    /// let n = handle.notifier(id.worker());
    /// std::thread::spawn(move || n.notify(id));
    /// # }
    /// ```
    ///
    /// [`ConnId::worker`]: crate::ConnId::worker
    pub fn notifier(&self, worker: usize) -> Notifier {
        Notifier::new(Arc::clone(&self.inner.mailboxes[worker]))
    }

    /// Has shutdown been requested?
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shared.shutdown.load(Ordering::Acquire)
    }

    /// Waits for every worker thread to finish (after [`shutdown`](Handle::shutdown)). Later
    /// calls, or calls racing the first, return at once. A worker run on the caller's thread by
    /// [`Reactor::run_per_worker`](crate::Reactor::run_per_worker) is not waited for here: that
    /// call returns when it is done.
    ///
    /// # Errors
    ///
    /// [`Error::WorkerPanicked`] if a worker thread panicked.
    pub fn join(&self) -> Result<(), Error> {
        let threads =
            std::mem::take(&mut *self.inner.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let mut result = Ok(());
        for (i, t) in threads {
            if t.join().is_err() && result.is_ok() {
                result = Err(Error::WorkerPanicked(i));
            }
        }
        result
    }
}
