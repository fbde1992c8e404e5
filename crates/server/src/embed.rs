//! The server as ONE worker driven by a foreign event loop that owns the thread (asyncio in
//! brisk-asgi): [`Builder::embed`] makes an [`EmbeddedServer`], the caller waits until its
//! descriptor is readable or the last [`Turn::deadline`] has come and then calls
//! [`EmbeddedServer::turn`].
//!
//! ```text
//!  foreign loop ── fd readable / deadline ──> EmbeddedServer::turn
//!                                               ├─ answers sent between turns (Responder::send
//!                                               │  from a task of the loop) -> reactor notes
//!                                               └─ brisk_reactor::Embedded::turn (reads, handlers,
//!                                                  completions, writes, timers)
//! ```

use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

pub use brisk_reactor::Turn;

use crate::error::Error;
use crate::handle::Handle;
use crate::server::{per_worker, Builder};

impl Builder {
    /// Builds the server as ONE worker that the caller drives on its own thread, turn by turn,
    /// from another event loop (see [`EmbeddedServer`]). Routes, fallback, limits and timeouts
    /// apply as with [`start`](Self::start); the worker count is set to 1. The addresses are
    /// bound now (with `SO_REUSEPORT`, so several processes may each embed one worker on the
    /// same port).
    ///
    /// One embedded server per thread at a time: its deferred answers are routed through
    /// thread-local state.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut server = brisk_server::Server::builder()
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .fallback(|_, res| { res.text("hi"); })
    ///     .embed()?;
    /// let turn = server.turn(Some(Duration::ZERO)); // nothing to do yet
    /// assert!(!turn.finished);
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn embed(&mut self) -> Result<EmbeddedServer, Error> {
        self.workers(1);
        let (reactor, app, counters) = self.prepare()?;
        let shutdown = app.config.timeouts.shutdown;
        let logs = app.logs.clone();
        let shared = crate::defer::register(1, app.config.limits.push_buffer);
        crate::app_error::register(shared.id(), &app.errors);
        // Marks this thread as worker 0 of the new server (counters, deferred answers).
        let factory = per_worker(app, Arc::clone(&counters), shared)(0);
        let inner = reactor.embed(factory).map_err(Error::Reactor)?;
        let handle = Handle {
            reactor: inner.handle().clone(),
            counters,
            shutdown,
            metrics_at: self.ops.index,
            logs,
        };
        self.ops.ready(&handle);
        Ok(EmbeddedServer { inner, handle })
    }
}

/// A brisk server of one worker, run turn by turn by the caller's event loop on the caller's
/// thread ([`Builder::embed`]). Not `Send`: every call stays on the thread that built it.
///
/// Drive it like [`brisk_reactor::Embedded`]: register [`as_raw_fd`](Self::as_raw_fd) for
/// readability (asyncio: `loop.add_reader`), and call [`turn`](Self::turn) with a zero
/// timeout when it is readable or when the last [`Turn::deadline`] has come (asyncio:
/// `loop.call_at`). Handlers run inside the turn; a handler may [`defer`](crate::Response::defer)
/// its answer and [`send`](crate::Responder::send) it later from the same thread between
/// turns (a task of the foreign loop): such an answer leaves in the next turn, so after
/// sending, schedule one soon ([`pending`](Self::pending) says whether one is owed).
///
/// [`shutdown`](Self::shutdown) starts a graceful stop; keep turning until a turn reports
/// `finished`. Dropping the value earlier closes every connection at once.
///
/// # Examples
///
/// A hand loop with `poll(2)` standing in for the foreign loop:
///
/// ```no_run
/// use std::os::fd::AsRawFd;
/// use std::time::{Duration, Instant};
///
/// # fn wait_readable(fd: std::os::fd::RawFd, timeout: Option<Duration>) { let _ = (fd, timeout); }
/// # fn main() -> Result<(), brisk_server::Error> {
/// let mut server = brisk_server::Server::builder()
///     .bind("127.0.0.1:8000".parse().unwrap())
///     .fallback(|req, res| { res.text(format!("you asked for {}", req.path())); })
///     .embed()?;
/// let fd = server.as_raw_fd();
/// let mut deadline = None;
/// loop {
///     let wait = deadline.map(|d: Instant| d.saturating_duration_since(Instant::now()));
///     wait_readable(fd, wait); // poll(2), epoll, asyncio's add_reader + call_at
///     let turn = server.turn(Some(Duration::ZERO));
///     if turn.finished {
///         break;
///     }
///     deadline = turn.deadline;
/// }
/// # Ok(()) }
/// ```
pub struct EmbeddedServer {
    inner: brisk_reactor::Embedded,
    handle: Handle,
}

impl std::fmt::Debug for EmbeddedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedServer")
            .field("addrs", &self.handle.local_addrs())
            .field("finished", &self.inner.is_finished())
            .finish()
    }
}

impl EmbeddedServer {
    /// Runs one turn: first hands the reactor the answers sent on this thread since the last
    /// turn, then waits for events at most `limit` (`Some(Duration::ZERO)`: never blocks),
    /// serves them, and says when the next turn is wanted. `finished` once graceful shutdown
    /// is complete; later turns do nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut server = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).embed().unwrap();
    /// let turn = server.turn(Some(std::time::Duration::ZERO));
    /// assert_eq!(turn.deadline, None); // no connection, no timer
    /// ```
    pub fn turn(&mut self, limit: Option<Duration>) -> Turn {
        let inner = &mut self.inner;
        let limit = if crate::defer::drain_stranded(|id| inner.notify_local(id)) {
            // Answers wait: do not sleep before delivering them.
            Some(Duration::ZERO)
        } else {
            limit
        };
        self.inner.turn(limit)
    }

    /// Whether answers sent on this thread between turns are waiting for the next
    /// [`turn`](Self::turn).
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut server = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).embed().unwrap();
    /// if server.pending() {
    ///     server.turn(Some(std::time::Duration::ZERO));
    /// }
    /// ```
    pub fn pending(&self) -> bool {
        crate::defer::has_stranded()
    }

    /// The server's [`Handle`]: addresses and counters; its `shutdown` may be called from
    /// any thread (or a signal handler), and makes the descriptor readable.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).embed().unwrap();
    /// assert_ne!(server.handle().local_addr().port(), 0);
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Starts a graceful shutdown within the configured [`Timeouts::shutdown`](crate::Timeouts::shutdown):
    /// stop accepting, finish in-flight requests, close idle connections. Keep turning until a
    /// turn reports `finished`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut server = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).embed().unwrap();
    /// server.shutdown();
    /// while !server.turn(Some(std::time::Duration::from_millis(10))).finished {}
    /// ```
    pub fn shutdown(&self) {
        self.handle.shutdown();
    }

    /// Whether graceful shutdown finished.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).embed().unwrap();
    /// assert!(!server.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl AsRawFd for EmbeddedServer {
    /// The worker's epoll descriptor: readable when a turn has events to handle. Owned by the
    /// server; do not close it or read from it.
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}
