//! An embedded worker: one reactor worker driven, turn by turn, by a foreign event loop that
//! owns the thread ([`Reactor::embed`](crate::Reactor::embed)).

use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use mio::Events;

use crate::handle::Handle;
use crate::notify::ConnId;
use crate::protocol::{ConnInfo, Protocol};
use crate::worker::Worker;

/// What [`Embedded::turn`] reports.
///
/// # Examples
///
/// ```
/// # #[allow(dead_code)]
/// # fn f(worker: &mut brisk_reactor::Embedded) {
/// let turn = worker.turn(Some(std::time::Duration::ZERO));
/// if let Some(at) = turn.deadline {
///     // Call `turn` again by `at`, or earlier when the fd is readable.
///     # let _ = at;
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// When the worker wants its next turn even if its fd stays quiet: a timer, the
    /// shutdown deadline, or (an instant already past) work left over that needs no event.
    /// `None`: only when the fd becomes readable.
    pub deadline: Option<Instant>,
    /// Graceful shutdown finished and every connection is closed: the worker is done, and
    /// further turns do nothing.
    pub finished: bool,
}

/// The worker behind [`Embedded`], with its protocol and factory types erased.
pub(crate) trait Step {
    fn turn(&mut self, events: &mut Events, limit: Option<Duration>) -> bool;
    fn finish(&mut self);
    fn wanted_at(&self) -> Option<Instant>;
    fn poll_fd(&self) -> RawFd;
    fn notify_local(&mut self, id: ConnId);
}

impl<A, P> Step for Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    fn turn(&mut self, events: &mut Events, limit: Option<Duration>) -> bool {
        Worker::turn(self, events, limit)
    }
    fn finish(&mut self) {
        Worker::finish(self)
    }
    fn wanted_at(&self) -> Option<Instant> {
        Worker::wanted_at(self)
    }
    fn poll_fd(&self) -> RawFd {
        Worker::poll_fd(self)
    }
    fn notify_local(&mut self, id: ConnId) {
        Worker::notify_local(self, id)
    }
}

/// One reactor worker run by the caller, turn by turn, on the caller's thread: made by
/// [`Reactor::embed`](crate::Reactor::embed). The same code as a worker thread's loop (which
/// is a loop over the same turn), so it serves exactly like one.
///
/// Drive it from any event loop: wait until [`as_raw_fd`](Embedded::as_raw_fd) (the worker's
/// epoll descriptor) is readable or the [`Turn::deadline`] of the last turn has come, then call
/// [`turn`](Embedded::turn) with a zero timeout. The descriptor is readable whenever a socket
/// of the worker has news, a [`Notifier`](crate::Notifier) woke it or
/// [`Handle::shutdown`](crate::Handle::shutdown) was called. Work that needs no event (a
/// connection that used up its read budget, accepts left over) shows as a deadline already
/// past: call `turn` again soon.
///
/// The value is not `Send` (the protocol need not be); dropping it before it finished closes
/// every connection at once (as at a shutdown deadline).
///
/// # Examples
///
/// A loop that waits on the descriptor with `poll(2)`, as asyncio's `add_reader` would:
///
/// ```no_run
/// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
/// # use std::os::fd::AsRawFd;
/// # use std::time::{Duration, Instant};
/// # struct Sink;
/// # impl Protocol for Sink {
/// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
/// # }
/// # fn wait_readable(fd: std::os::fd::RawFd, timeout: Option<Duration>) { let _ = (fd, timeout); }
/// # fn main() -> Result<(), brisk_reactor::Error> {
/// let mut worker = Reactor::new().bind("127.0.0.1:0".parse().unwrap()).embed(|_| Sink)?;
/// let fd = worker.as_raw_fd();
/// let mut deadline = None;
/// loop {
///     let wait = deadline.map(|d: Instant| d.saturating_duration_since(Instant::now()));
///     wait_readable(fd, wait); // poll(2), epoll, asyncio...
///     let turn = worker.turn(Some(Duration::ZERO));
///     if turn.finished {
///         break;
///     }
///     deadline = turn.deadline;
/// }
/// # Ok(()) }
/// ```
pub struct Embedded {
    worker: Box<dyn Step>,
    events: Events,
    handle: Handle,
    finished: bool,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("handle", &self.handle)
            .field("finished", &self.finished)
            .finish()
    }
}

impl Embedded {
    pub(crate) fn new(
        worker: Box<dyn Step + 'static>,
        events_capacity: usize,
        handle: Handle,
    ) -> Embedded {
        Embedded {
            worker,
            events: Events::with_capacity(events_capacity),
            handle,
            finished: false,
        }
    }

    /// Runs one turn: waits for events at most `timeout` (`None`: until an event or the
    /// worker's own next deadline; `Some(Duration::ZERO)` never blocks), handles them, and
    /// says when the next turn is wanted. After graceful shutdown finished (every connection
    /// closed) it reports `finished` and does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::time::{Duration, Instant};
    /// # struct Sink;
    /// # impl Protocol for Sink {
    /// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
    /// # }
    /// # fn main() -> Result<(), brisk_reactor::Error> {
    /// let mut worker = Reactor::new().bind("127.0.0.1:0".parse().unwrap()).embed(|_| Sink)?;
    /// let started = Instant::now();
    /// let turn = worker.turn(Some(Duration::ZERO));
    /// assert!(started.elapsed() < Duration::from_secs(1));
    /// assert_eq!(turn.deadline, None); // no connection, no timer
    /// # Ok(()) }
    /// ```
    pub fn turn(&mut self, timeout: Option<Duration>) -> Turn {
        if !self.finished && self.worker.turn(&mut self.events, timeout) {
            self.worker.finish();
            self.finished = true;
        }
        Turn {
            deadline: if self.finished {
                None
            } else {
                self.worker.wanted_at()
            },
            finished: self.finished,
        }
    }

    /// The worker's [`Handle`]: its address, counters, shutdown, notifiers (worker 0).
    /// [`Handle::join`] returns at once (there is no thread to join).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(worker: &brisk_reactor::Embedded) {
    /// let port = worker.handle().local_addr().port();
    /// let notifier = worker.handle().notifier(0);
    /// # let _ = (port, notifier);
    /// # }
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Queues `id` for [`Protocol::on_notify`](crate::Protocol::on_notify) in the next turn,
    /// as [`Context::notify_local`](crate::Context::notify_local) does inside a callback: for
    /// code on the worker's thread that runs between turns (a task of the foreign loop). No
    /// atomic, no wake: the caller runs a turn soon (the next [`Turn::deadline`] is then
    /// already past). A stale id is dropped by that turn.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(worker: &mut brisk_reactor::Embedded, id: brisk_reactor::ConnId) {
    /// worker.notify_local(id); // answer ready: on_notify runs in the next turn
    /// let _ = worker.turn(Some(std::time::Duration::ZERO));
    /// # }
    /// ```
    pub fn notify_local(&mut self, id: ConnId) {
        if !self.finished {
            self.worker.notify_local(id);
        }
    }

    /// Whether graceful shutdown finished (a [`Turn`] said `finished`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(worker: &brisk_reactor::Embedded) {
    /// if !worker.is_finished() { /* keep turning */ }
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl AsRawFd for Embedded {
    /// The worker's epoll descriptor: readable when a turn has events to handle. Owned by the
    /// worker; do not close it or read from it.
    fn as_raw_fd(&self) -> RawFd {
        self.worker.poll_fd()
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if !self.finished {
            self.worker.finish();
        }
    }
}
