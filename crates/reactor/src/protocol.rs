//! The seam between the reactor and a byte-stream protocol: [`Protocol`], [`Context`],
//! [`Action`], [`TimeoutKind`], [`CloseReason`] and [`ConnInfo`].

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use std::sync::Arc;

use crate::notify::{ConnId, Mailbox, Notifier};
use crate::pool::Output;
use crate::timer::TimerWheel;

/// What to do with the connection after a callback.
///
/// # Examples
///
/// ```
/// use brisk_reactor::Action;
/// assert_ne!(Action::Keep, Action::CloseNow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep the connection.
    Keep,
    /// Stop reading, write the pending output, then close (bounded by the write timeout).
    CloseAfterFlush,
    /// Close now; pending output is dropped.
    CloseNow,
}

/// Which timer fired. The protocol arms one *read timer* at a time, with any of the first three
/// kinds ([`Context::set_timeout`]); the reactor runs [`WriteStall`](TimeoutKind::WriteStall)
/// itself while output is pending and the socket takes nothing.
///
/// The kinds say what the reactor does with the timer, not what the protocol reads:
///
/// | kind | the read timer guards | armed by | fired early by eviction |
/// |---|---|---|---|
/// | [`Start`](TimeoutKind::Start) | the first part of an exchange (HTTP: a request head) | the reactor on accept, the protocol when a new exchange begins or resumes | yes, while the connection holds input buffers |
/// | [`Idle`](TimeoutKind::Idle) | the quiet between exchanges | the protocol | no |
/// | [`Input`](TimeoutKind::Input) | more input in the middle of an exchange (HTTP: a body) | the protocol | no |
///
/// # Examples
///
/// ```
/// use brisk_reactor::TimeoutKind;
/// assert_eq!(TimeoutKind::Start.to_string(), "start");
/// assert_eq!(TimeoutKind::Input.to_string(), "input");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Waiting for the first part of an exchange to arrive complete (HTTP: a request head,
    /// answered 408). Armed by the reactor on accept. The one kind eviction fires early: when
    /// partial input starves the pool, the oldest connections holding input buffers under this
    /// timer get their timeout at once (see the crate docs, *Buffers*).
    Start,
    /// Idle: waiting between exchanges (HTTP: keep-alive, waiting for the next request).
    Idle,
    /// Waiting for more input in the middle of an exchange (HTTP: more of a request body).
    /// Never fired early by eviction.
    Input,
    /// Output pending and the peer has not taken a byte for the write timeout.
    WriteStall,
}

impl TimeoutKind {
    pub(crate) fn index(self) -> usize {
        match self {
            TimeoutKind::Start => 0,
            TimeoutKind::Idle => 1,
            TimeoutKind::Input => 2,
            TimeoutKind::WriteStall => 3,
        }
    }
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Start => "start",
            TimeoutKind::Idle => "idle",
            TimeoutKind::Input => "input",
            TimeoutKind::WriteStall => "write stall",
        })
    }
}

/// Why a connection closed, passed to [`Protocol::on_close`].
///
/// # Examples
///
/// ```
/// use brisk_reactor::{CloseReason, TimeoutKind};
/// let r = CloseReason::Timeout(TimeoutKind::Idle);
/// assert!(r.is_timeout());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The protocol returned [`Action::CloseNow`] or [`Action::CloseAfterFlush`].
    Protocol,
    /// The peer closed its side (read returned 0) and our output was flushed.
    PeerClosed,
    /// A timer fired (after [`Protocol::on_timeout`]).
    Timeout(TimeoutKind),
    /// The input reached `max_input` bytes and the protocol consumed none of it.
    InputLimit,
    /// A socket error (reset by peer, broken pipe, ...).
    Io(std::io::ErrorKind),
    /// Force-closed at the graceful-shutdown deadline.
    Shutdown,
    /// A TLS handshake failed: the client sent something that is not TLS, offered nothing
    /// the server accepts (no common version or cipher), or closed mid-handshake. The alert
    /// rustls had for it was sent. The protocol never existed (no `on_close`).
    TlsHandshake,
    /// A TLS handshake did not finish within
    /// [`Config::tls_handshake_timeout`](crate::Config::tls_handshake_timeout).
    TlsHandshakeTimeout,
}

impl CloseReason {
    /// Is this a timeout (of any kind)?
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!brisk_reactor::CloseReason::PeerClosed.is_timeout());
    /// ```
    pub fn is_timeout(self) -> bool {
        matches!(self, CloseReason::Timeout(_))
    }
}

/// What the reactor knows about a connection when it is accepted (for a TLS listener: when
/// its handshake is done, with [`tls`](ConnInfo::tls) filled in).
///
/// # Examples
///
/// ```
/// let info = brisk_reactor::ConnInfo {
///     peer: "127.0.0.1:50000".parse().unwrap(),
///     local: "127.0.0.1:8080".parse().unwrap(),
///     worker: 0,
///     listener: 0,
///     kind: brisk_reactor::ListenerKind::Tcp,
///     tls: None,
/// };
/// assert_eq!(info.local.port(), 8080);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    /// The peer's address; [`UNIX_ADDR`](crate::UNIX_ADDR) (`0.0.0.0:0`) for a connection
    /// through a Unix-domain socket, whose peer has no IP address (see `kind`).
    pub peer: SocketAddr,
    /// The local address the connection arrived on (the listener's address; asked from the
    /// socket only when the listener is bound to an unspecified IP such as `0.0.0.0`);
    /// [`UNIX_ADDR`](crate::UNIX_ADDR) for a Unix-domain socket.
    pub local: SocketAddr,
    /// Index of the worker thread that owns the connection (`0..workers`).
    pub worker: usize,
    /// Index of the bound address (in `bind` order) the connection came through
    /// ([`Handle::listen_addrs`](crate::Handle::listen_addrs)).
    pub listener: usize,
    /// TCP or Unix-domain socket.
    pub kind: crate::ListenerKind,
    /// What the TLS handshake settled (version, ALPN, cipher, SNI, resumption), for a
    /// connection through a TLS listener ([`Reactor::listen_tls`](crate::Reactor)); `None`
    /// on a cleartext one.
    pub tls: Option<crate::tls::TlsInfo>,
}

/// Clock and timeout settings a worker shares with every [`Context`].
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub(crate) base: Instant,
    pub(crate) tick: Duration,
    /// Durations by [`TimeoutKind::index`].
    pub(crate) timeouts: [Duration; 4],
}

impl Clock {
    /// The first tick at or after `at`.
    pub(crate) fn tick_at(&self, at: Instant) -> u64 {
        let n = at.saturating_duration_since(self.base).as_nanos();
        let t = self.tick.as_nanos().max(1);
        n.div_ceil(t) as u64
    }

    /// The tick `at` falls in (rounding down).
    pub(crate) fn tick_of(&self, at: Instant) -> u64 {
        let n = at.saturating_duration_since(self.base).as_nanos();
        (n / self.tick.as_nanos().max(1)) as u64
    }

    pub(crate) fn instant_of(&self, tick: u64) -> Instant {
        let nanos = (self.tick.as_nanos() as u64).saturating_mul(tick);
        self.base + Duration::from_nanos(nanos)
    }
}

/// The per-loop-turn view a callback gets: cached time, the connection's read timer, and a
/// few facts about the worker.
///
/// Time is read once per event-loop turn: [`now`](Context::now) and
/// [`system_time`](Context::system_time) are the same for every callback of the turn and
/// cost no clock call (the server formats `Date` from `system_time`).
///
/// # Examples
///
/// ```
/// use brisk_reactor::{Action, Context, Output, Protocol, TimeoutKind};
///
/// /// Arms the start timer while a message is incomplete, idle between messages.
/// struct Lines;
/// impl Protocol for Lines {
///     fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
///         match input.iter().position(|&b| b == b'\n') {
///             Some(i) if out.extend_from_slice(&input[..=i]).is_ok() => {
///                 cx.set_timeout(TimeoutKind::Idle);
///                 (i + 1, Action::Keep)
///             }
///             _ => {
///                 if cx.timeout() != Some(TimeoutKind::Start) {
///                     cx.set_timeout(TimeoutKind::Start);
///                 }
///                 (0, Action::Keep)
///             }
///         }
///     }
/// }
/// # let _: &dyn Protocol = &Lines;
/// ```
#[derive(Debug)]
pub struct Context<'a> {
    pub(crate) now: Instant,
    pub(crate) wall: &'a mut Option<SystemTime>,
    pub(crate) clock: &'a Clock,
    pub(crate) timers: &'a mut TimerWheel,
    pub(crate) timer_id: usize,
    pub(crate) kind: &'a mut Option<TimeoutKind>,
    /// The connection's read pause ([`pause_reading`](Context::pause_reading)).
    pub(crate) paused: &'a mut bool,
    pub(crate) worker: usize,
    pub(crate) draining: bool,
    pub(crate) input_full: bool,
    /// The connection's generation (see [`ConnId`]).
    pub(crate) gen: u32,
    /// The worker's local notification queue.
    pub(crate) notes: &'a mut Vec<ConnId>,
    pub(crate) mailbox: &'a Arc<Mailbox>,
}

impl Context<'_> {
    /// The monotonic time of this loop turn.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let started = cx.now(); // e.g. to time a request
    ///     # let _ = (started, out);
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The wall-clock time of this loop turn (read at most once per turn, on first use).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let secs = cx.system_time().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    ///     // One clock read per turn however many responses format a Date header from it.
    ///     assert_eq!(cx.system_time().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), secs);
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn system_time(&mut self) -> SystemTime {
        *self.wall.get_or_insert_with(SystemTime::now)
    }

    /// Index of the worker thread running this connection.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// True once graceful shutdown has begun ([`Protocol::on_drain`] was called): finish what
    /// is in flight and close.
    pub fn is_draining(&self) -> bool {
        self.draining
    }

    /// True when the input handed to `on_read` is as large as the reactor will ever hold
    /// (`max_input`): consuming none of it now means the connection can never progress, and
    /// the reactor closes it after flushing (answer "too large" before returning).
    pub fn input_is_full(&self) -> bool {
        self.input_full
    }

    /// Arms (or re-arms) the connection's read timer with the configured duration for `kind`
    /// (start, idle, input; `WriteStall` uses the write timeout). O(1). Replaces
    /// whatever read timer was armed, and always counts from this turn's time, even when a
    /// timer of the same kind is armed: a protocol that skips the call when
    /// [`timeout`](Context::timeout) already says `kind` keeps the older deadline.
    pub fn set_timeout(&mut self, kind: TimeoutKind) {
        let after = self.clock.timeouts[kind.index()];
        self.set_timeout_in(kind, after);
    }

    /// Arms the read timer as `kind`, to fire `after` from this turn's time (rounded up to
    /// the next tick of the wheel).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, TimeoutKind};
    /// # use std::time::Duration;
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     // A body upload gets 5 s per piece, whatever the configured default.
    ///     cx.set_timeout_in(TimeoutKind::Input, Duration::from_secs(5));
    ///     assert_eq!(cx.timeout(), Some(TimeoutKind::Input));
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn set_timeout_in(&mut self, kind: TimeoutKind, after: Duration) {
        let tick = self.clock.tick_at(self.now + after);
        self.timers.arm(self.timer_id, tick);
        *self.kind = Some(kind);
    }

    /// The identity of this connection, to hand to whoever answers later (another thread, a
    /// timer of the protocol's own, another connection of this worker). Its notifications
    /// reach this connection as long as it is open, and never a later connection in its slot.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let id = cx.conn_id();
    ///     assert_eq!(id, cx.conn_id()); // stable for the connection's life
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn conn_id(&self) -> ConnId {
        ConnId {
            worker: self.worker as u32,
            key: (self.timer_id / 2) as u32,
            gen: self.gen,
        }
    }

    /// Queues a notification for a connection of *this* worker, from the worker thread: no
    /// atomic operation, no wake. [`Protocol::on_notify`] runs later in this turn (after the
    /// turn's reads), or in the next turn when queued from `on_notify` itself or a timer.
    /// An id of another worker is dropped (counted stale): use a [`Notifier`] for those.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     // Answer from on_notify once this turn's reads are done.
    ///     let me = cx.conn_id();
    ///     cx.notify_local(me);
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn notify_local(&mut self, id: ConnId) {
        self.notes.push(id);
    }

    /// A [`Notifier`] for this worker, to give to another thread (one `Arc` clone).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let (n, id) = (cx.notifier(), cx.conn_id());
    ///     std::thread::spawn(move || n.notify(id)); // a real protocol computes something first
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn notifier(&self) -> Notifier {
        Notifier::new(Arc::clone(self.mailbox))
    }

    /// Cancels the read timer. O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     if input.is_empty() {
    ///         return (0, Action::Keep);
    ///     }
    ///     // Streaming a long response: no read deadline while we talk.
    ///     cx.clear_timeout();
    ///     assert_eq!(cx.timeout(), None);
    ///     # let _ = out;
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn clear_timeout(&mut self) {
        self.timers.cancel(self.timer_id);
        *self.kind = None;
    }

    /// Stops reading the socket: what the peer sends next waits in the kernel's buffers (TCP
    /// then pushes back on the peer) until [`resume_reading`](Context::resume_reading).
    /// Input already read stays where it is: the part the protocol does not consume is handed
    /// back after the resume. For a consumer that cannot keep up (an application reading a
    /// request body slowly). The read timer keeps running: clear it if the wait is not the
    /// peer's fault. A paused connection still writes, gets notifications and timers.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     // The consumer is full: take nothing more until it asks (then `on_notify` resumes).
    ///     cx.pause_reading();
    ///     cx.clear_timeout();
    ///     assert!(cx.is_reading_paused());
    ///     # let _ = (input, out);
    ///     (0, Action::Keep)
    /// }
    /// fn on_notify(&mut self, cx: &mut Context<'_>, _: &mut Output<'_>) -> Action {
    ///     cx.resume_reading();
    ///     Action::Keep
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn pause_reading(&mut self) {
        *self.paused = true;
    }

    /// Reads again after [`pause_reading`](Context::pause_reading): input left unconsumed is
    /// handed back to `on_read` and the socket is read, right after this callback (when it is
    /// `on_notify`) or at the next readiness event.
    pub fn resume_reading(&mut self) {
        *self.paused = false;
    }

    /// Whether reading is paused ([`pause_reading`](Context::pause_reading)).
    pub fn is_reading_paused(&self) -> bool {
        *self.paused
    }

    /// The kind of the armed read timer, if any.
    pub fn timeout(&self) -> Option<TimeoutKind> {
        if self.timers.is_armed(self.timer_id) {
            *self.kind
        } else {
            None
        }
    }
}

/// A byte-stream protocol driven by the reactor, one value per connection.
///
/// The reactor creates the value on accept (through the factory given to
/// [`Reactor::start`](crate::Reactor::start), with the [`ConnInfo`]), arms the
/// [`Start`](TimeoutKind::Start) timer, then calls:
///
/// | callback | when | may append output |
/// |---|---|---|
/// | [`on_read`](Protocol::on_read) | new input arrived, or output drained / pool blocks came back while input was left unconsumed | yes |
/// | [`on_write_ready`](Protocol::on_write_ready) | pending output was fully written (outside shutdown, only while [`wants_write_ready`](Protocol::wants_write_ready)) | yes |
/// | [`on_timeout`](Protocol::on_timeout) | the read timer or the write-stall timer fired | yes (not useful for `WriteStall`) |
/// | [`on_notify`](Protocol::on_notify) | a [`Notifier`] or [`Context::notify_local`] named this connection | yes |
/// | [`on_drain`](Protocol::on_drain) | graceful shutdown began | yes |
/// | [`on_close`](Protocol::on_close) | the connection is gone | no |
///
/// All output appended during one readable event (several reads and `on_read` calls when the
/// socket had a lot to say) goes out with one `send`/`writev`.
///
/// # Contract
///
/// * `on_read` gets *all* unconsumed input as one slice, starting with what it left last time.
///   It returns how much it consumed (`<= input.len()`) and an [`Action`]. Unconsumed bytes are
///   kept and handed back with more input appended, up to `max_input` bytes; a protocol that
///   leaves a full `max_input` unconsumed ([`Context::input_is_full`]) is closed.
/// * `on_read` may be called again with the same input and nothing new (after output drained
///   or pool blocks came back): it must cope, and should do its work then.
/// * Output that does not fit ([`Output::remaining`]) must wait for `on_write_ready`.
/// * The read timer belongs to the protocol: the reactor only arms `Start` on accept and
///   disarms a timer when it fires. Re-arm it from any callback through the [`Context`].
/// * `on_notify` runs in a later turn than the notification (or later in the same turn, for
///   [`Context::notify_local`] from a read), at any point relative to reads and timers of that
///   turn. Several notifications of one connection may coalesce into one call, and a call may
///   be spurious: the protocol checks its own state. Notifications of a connection that closed
///   (or is closing) are dropped. After `on_notify`, a connection holding unconsumed input gets
///   `on_read` again (the notification may have unblocked it); its output is written with the
///   turn's other writes.
/// * After `on_timeout` for `WriteStall` the connection closes whatever is returned. After a
///   read-timer `on_timeout`, `Keep` keeps the connection (re-arm a timer, or it may live
///   forever).
///
/// # Examples
///
/// ```
/// use brisk_reactor::{Action, Context, Output, Protocol, TimeoutKind};
///
/// /// Echoes bytes back; closes idle connections; leaves on shutdown.
/// struct Echo;
/// impl Protocol for Echo {
///     fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
///         let n = input.len().min(out.remaining());
///         out.extend_from_slice(&input[..n]).expect("fits: checked remaining");
///         cx.set_timeout(TimeoutKind::Idle);
///         (n, Action::Keep)
///     }
/// }
/// # let _: &dyn Protocol = &Echo;
/// ```
pub trait Protocol {
    /// New input (see the contract above). Returns bytes consumed and what to do next.
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action);

    /// All pending output was written: stream more of a large response, resume flow-controlled
    /// sends. Default: [`Action::Keep`].
    fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let _ = (cx, out);
        Action::Keep
    }

    /// Whether [`on_write_ready`](Protocol::on_write_ready) has work when the output drains
    /// (more of a streamed answer, a flow-controlled send). When it returns false the reactor
    /// skips that call, except during graceful shutdown, when it always makes it. Default: true.
    fn wants_write_ready(&self) -> bool {
        true
    }

    /// A timer fired (the read timer is disarmed now). Default:
    /// [`Action::CloseAfterFlush`].
    fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        let _ = (cx, kind, out);
        Action::CloseAfterFlush
    }

    /// A notification for this connection arrived (see [`Notifier`] and
    /// [`Context::notify_local`]): append what became ready. May be spurious; several
    /// notifications may coalesce into one call. Default: [`Action::Keep`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # use std::sync::{Arc, Mutex};
    /// /// Its answer is computed elsewhere and left in `ready`.
    /// struct Deferred { ready: Arc<Mutex<Option<Vec<u8>>>> }
    /// impl Protocol for Deferred {
    ///     fn on_read(&mut self, _: &mut Context<'_>, input: &[u8], _: &mut Output<'_>) -> (usize, Action) {
    ///         (input.len(), Action::Keep)
    ///     }
    ///     fn on_notify(&mut self, _: &mut Context<'_>, out: &mut Output<'_>) -> Action {
    ///         match self.ready.lock().unwrap().take() {
    ///             Some(answer) if out.extend_from_slice(&answer).is_ok() => Action::Keep,
    ///             Some(_) => Action::CloseNow, // too large for this example
    ///             None => Action::Keep,        // spurious
    ///         }
    ///     }
    /// }
    /// # let _: &dyn Protocol = &Deferred { ready: Default::default() };
    /// ```
    fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let _ = (cx, out);
        Action::Keep
    }

    /// Graceful shutdown began: finish in-flight work (return `Keep` and close later, with
    /// `CloseAfterFlush` from a later callback) or close now. Connections left at the
    /// deadline are closed. Default: [`Action::CloseAfterFlush`].
    fn on_drain(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let _ = (cx, out);
        Action::CloseAfterFlush
    }

    /// The connection is closed (buffers returned; the socket is gone, or lingers for a while
    /// reading and discarding, see the crate docs). Called once. Default: nothing.
    fn on_close(&mut self, reason: CloseReason) {
        let _ = reason;
    }
}
