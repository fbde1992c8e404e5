//! Pushed bodies: a response whose head leaves first ([`Responder::start`]) and whose body a
//! producer writes afterwards, from any thread, through a [`BodyWriter`].
//!
//! ```text
//!  producer ──BodyWriter::write──> Pipe (Mutex: bytes, end, callbacks) <──read_into(max)── worker
//!      ^                               │ the worker found it empty: wake (defer::wake)       │
//!      └── on_writable / Condvar ──────┘ <── the worker drained it to half ──────────────────┘
//! ```
//!
//! The pipe is one more body [`Source`]: the connection reads it only as fast as its output
//! room and HTTP/2's windows allow, exactly like a file, so a fast producer and a slow client
//! hold at most [`Limits::push_buffer`](crate::Limits::push_buffer) bytes (plus one oversized
//! write) per body. When the worker finds the pipe empty it says so in the pipe and waits (no
//! polling, no buffer held); the next write wakes the connection once, through the same path
//! as a deferred answer (a thread-local note on the worker thread, the worker's mailbox and one
//! reactor wake from another thread).
//!
//! When the exchange ends before the body is complete (the client closed the connection, reset
//! the stream, the connection failed), the worker drops its end of the pipe: the pipe is
//! closed, its bytes freed, the close callbacks run on the worker thread, blocked writers wake,
//! and every later write fails with [`WriteError::Closed`] after one atomic load.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::defer::{self, Callback, Responder, SendError, Ticket};
use crate::response::{BodyKind, Pull, Response, Source};

/// Why a [`BodyWriter`] write (or finish) did not go through.
///
/// # Examples
///
/// ```
/// use brisk_server::WriteError;
///
/// assert_eq!(WriteError::WouldBlock.to_string(), "the body's buffer is full");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The pipe is full: wait for [`BodyWriter::on_writable`] and write again. Nothing was
    /// taken.
    WouldBlock,
    /// The client has gone (or the exchange ended without wanting the body: a `HEAD` request,
    /// a 204 or 304 status): nothing was taken, and nothing more will be.
    Closed,
    /// A trailer field's name or value is not valid (or names a field that cannot be a
    /// trailer, such as `content-length`): the body was finished without trailers.
    InvalidTrailer,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteError::WouldBlock => "the body's buffer is full",
            WriteError::Closed => "the client has gone",
            WriteError::InvalidTrailer => "invalid trailer field",
        })
    }
}

impl std::error::Error for WriteError {}

/// How the producer ended the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    Finished,
    /// The writer was dropped without finishing: the client must not take the body for whole.
    Aborted,
}

/// What the producer and the worker share (under the pipe's lock).
struct State {
    buf: VecDeque<u8>,
    end: End,
    trailers: Option<Vec<(String, String)>>,
    /// The worker's end is gone: no more bytes are taken.
    closed: bool,
    /// The worker found the pipe empty and waits for a wake.
    reader_waiting: bool,
    /// Writers blocked in [`BodyWriter::write`].
    blocked: usize,
    on_writable: Option<Callback>,
    on_close: Vec<Callback>,
}

/// The pipe between a [`BodyWriter`] and its connection.
pub(crate) struct Pipe {
    st: Mutex<State>,
    /// Blocked writers wait here for room.
    room: Condvar,
    /// `State::closed`, readable without the lock.
    closed: AtomicBool,
    limit: usize,
    server: u32,
    ticket: Ticket,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// At most half full: any write is taken ([`crate::Limits::push_buffer`]).
    fn writable(&self, st: &State) -> bool {
        st.buf.len() <= self.limit / 2
    }

    /// Whether a write of `n` bytes is taken now.
    fn fits(&self, st: &State, n: usize) -> bool {
        self.writable(st) || st.buf.len() + n <= self.limit
    }

    /// Wakes the connection if the worker waits for this pipe (call after unlocking).
    fn wake_reader(st: &mut State) -> bool {
        std::mem::take(&mut st.reader_waiting)
    }

    fn wake(&self) {
        defer::wake(self.server, self.ticket.conn, self.ticket.xid);
    }

    /// The worker's end goes before the body is complete: close, free, run callbacks.
    fn close(&self) {
        let (writable, cbs) = {
            let mut st = self.lock();
            if st.closed {
                return;
            }
            st.closed = true;
            self.closed.store(true, Ordering::Release);
            st.buf = VecDeque::new();
            st.trailers = None;
            if st.blocked > 0 {
                self.room.notify_all();
            }
            (st.on_writable.take(), std::mem::take(&mut st.on_close))
        };
        for f in cbs {
            defer::run_callback(f);
        }
        if let Some(f) = writable {
            defer::run_callback(f);
        }
    }

    fn try_write(&self, data: &[u8]) -> Result<(), WriteError> {
        if data.is_empty() {
            return if self.closed.load(Ordering::Acquire) {
                Err(WriteError::Closed)
            } else {
                Ok(())
            };
        }
        self.append(data, false)
    }

    fn write_blocking(&self, data: &[u8]) -> Result<(), WriteError> {
        let piece = (self.limit / 2).max(1);
        for part in data.chunks(piece) {
            self.append(part, true)?;
        }
        Ok(())
    }

    /// Appends `data` whole: when it does not fit, waits for room if `block`, else refuses
    /// with `WouldBlock`.
    fn append(&self, data: &[u8], block: bool) -> Result<(), WriteError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(WriteError::Closed);
        }
        let wake = {
            let mut st = self.lock();
            while block && !st.closed && !self.fits(&st, data.len()) {
                st.blocked += 1;
                st = self.room.wait(st).unwrap_or_else(|e| e.into_inner());
                st.blocked -= 1;
            }
            if st.closed {
                return Err(WriteError::Closed);
            }
            if !self.fits(&st, data.len()) {
                return Err(WriteError::WouldBlock);
            }
            st.buf.extend(data);
            Self::wake_reader(&mut st)
        };
        if wake {
            self.wake();
        }
        Ok(())
    }

    fn end(&self, end: End, trailers: Option<Vec<(String, String)>>) -> Result<(), WriteError> {
        let wake = {
            let mut st = self.lock();
            if st.closed {
                return Err(WriteError::Closed);
            }
            st.end = end;
            st.trailers = trailers;
            Self::wake_reader(&mut st)
        };
        if wake {
            self.wake();
        }
        Ok(())
    }
}

/// The worker's end of a pipe: a body [`Source`].
pub(crate) struct PipeSource {
    pipe: Arc<Pipe>,
    /// The body was read to its end (or abort): dropping this closes nothing.
    done: bool,
    trailers: Option<Vec<(String, String)>>,
}

impl Source for PipeSource {
    fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Pull {
        let pipe = &*self.pipe;
        let mut st = pipe.lock();
        if st.buf.is_empty() {
            return match st.end {
                End::Open => {
                    st.reader_waiting = true;
                    Pull::Wait
                }
                End::Finished => {
                    self.done = true;
                    self.trailers = st.trailers.take();
                    Pull::End
                }
                End::Aborted => {
                    self.done = true;
                    Pull::Abort
                }
            };
        }
        let n = st.buf.len().min(max.max(1));
        let (a, b) = st.buf.as_slices();
        let from_a = n.min(a.len());
        out.extend_from_slice(&a[..from_a]);
        out.extend_from_slice(&b[..n - from_a]);
        st.buf.drain(..n);
        if st.buf.is_empty() && st.buf.capacity() > 2 * pipe.limit {
            // An oversized write grew it: give the memory back.
            st.buf = VecDeque::new();
        }
        if st.blocked > 0 {
            pipe.room.notify_all();
        }
        let cb = if pipe.writable(&st) {
            st.on_writable.take()
        } else {
            None
        };
        drop(st);
        if let Some(f) = cb {
            defer::run_callback(f);
        }
        Pull::Data
    }

    fn trailers(&mut self) -> Option<Vec<(String, String)>> {
        self.trailers.take()
    }
}

impl Drop for PipeSource {
    fn drop(&mut self) {
        if !self.done {
            self.pipe.close();
        }
    }
}

/// The producer's end of a pushed response body, from [`Responder::start`]: `Send + 'static`,
/// it holds the exchange's ids and an `Arc` to a small pipe the connection drains.
///
/// # Backpressure
///
/// The pipe holds at most [`Limits::push_buffer`](crate::Limits::push_buffer) bytes (64 KiB by
/// default). [`try_write`](BodyWriter::try_write) takes a write whole when it fits under that
/// limit, or whenever the pipe is at most half full (so a write larger than the limit still
/// goes through, alone: one body then holds at most half the limit plus that write), and
/// otherwise refuses it with [`WriteError::WouldBlock`], taking nothing.
/// [`on_writable`](BodyWriter::on_writable) runs once the pipe is back to half full.
/// [`write`](BodyWriter::write) blocks instead, writing in pieces of half the limit, so a
/// blocking producer never holds more than the limit. The connection drains the pipe only as
/// fast as its output limit and HTTP/2's stream and connection windows allow, so a fast
/// producer and a slow client never grow memory beyond these bounds.
///
/// # Ending
///
/// [`finish`](BodyWriter::finish) ends the body (HTTP/1.1: the last chunk; HTTP/2: an empty
/// DATA frame with END_STREAM); [`finish_with_trailers`](BodyWriter::finish_with_trailers)
/// adds trailer fields (HTTP/2: a HEADERS frame with END_STREAM; chunked HTTP/1.1: in the last
/// chunk; HTTP/1.0, which has no chunks, drops them). A writer dropped without finishing
/// aborts: HTTP/1.1 closes the connection without the last chunk, HTTP/2 resets the stream
/// (INTERNAL_ERROR), so the client never takes a cut body for a whole one (an HTTP/1.0 body
/// ends with the connection and cannot tell).
///
/// # Timeouts
///
/// Waiting for the producer is not idleness: neither the idle timer (HTTP/1.1) nor the
/// body-read timer (HTTP/2) closes a connection whose pushed body has nothing to send yet, so a
/// producer that neither writes nor finishes holds its connection until the client goes or
/// the server shuts down. A client that stops reading is closed by the write-stall timeout.
///
/// # Examples
///
/// ```
/// use brisk_server::{Method, Response, Server};
///
/// let mut b = Server::builder();
/// b.route(Method::Get, "/count", |_req, res| {
///     let r = res.defer();
///     std::thread::spawn(move || {
///         let mut head = Response::new();
///         head.content_type("text/plain");
///         let Ok(body) = r.start(head) else { return };
///         for i in 0..3 {
///             if body.write(format!("{i}\n").as_bytes()).is_err() {
///                 return; // the client went
///             }
///         }
///         let _ = body.finish();
///     });
/// });
/// ```
pub struct BodyWriter {
    pipe: Arc<Pipe>,
}

impl fmt::Debug for BodyWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyWriter")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl BodyWriter {
    /// Appends `data` to the body if the pipe has room now (see the type's docs), never
    /// blocking. An empty write does nothing.
    ///
    /// # Errors
    ///
    /// [`WriteError::WouldBlock`] when the pipe is full (nothing taken: wait for
    /// [`BodyWriter::on_writable`]); [`WriteError::Closed`] when the client has gone (one
    /// atomic load, no allocation).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) {
    /// use brisk_server::WriteError;
    /// match body.try_write(b"data: tick\n\n") {
    ///     Ok(()) => {}
    ///     Err(WriteError::WouldBlock) => body.on_writable(|| { /* resume the producer */ }),
    ///     Err(_) => return, // the client went
    /// }
    /// # }
    /// ```
    pub fn try_write(&self, data: &[u8]) -> Result<(), WriteError> {
        self.pipe.try_write(data)
    }

    /// Appends `data`, blocking this thread while the pipe is full (in pieces of half the
    /// limit). On a worker thread of the server (a handler, a close or writable callback)
    /// it must not block the connections: there it takes the write only if it fits now, like
    /// [`BodyWriter::try_write`], and returns [`WriteError::WouldBlock`] otherwise.
    ///
    /// # Errors
    ///
    /// [`WriteError::Closed`] when the client has gone (some pieces may have been sent);
    /// [`WriteError::WouldBlock`] on a worker thread only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) -> Result<(), brisk_server::WriteError> {
    /// body.write(&vec![b'x'; 1 << 20])?; // from a thread of the application's own
    /// body.finish()
    /// # }
    /// ```
    pub fn write(&self, data: &[u8]) -> Result<(), WriteError> {
        if defer::on_worker(self.pipe.server) {
            return self.pipe.try_write(data);
        }
        self.pipe.write_blocking(data)
    }

    /// Runs `f` once when the pipe has room again (it is at most half full) or the client has
    /// gone, or at once (on this thread) if that is so already. Otherwise `f` runs on the
    /// worker thread while it drains the pipe: it must be quick (wake a task, signal a
    /// channel). One callback at a time: a second one replaces the first, which is dropped
    /// without running.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) {
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// body.on_writable(move || {
    ///     let _ = tx.send(());
    /// });
    /// let _ = rx.recv(); // room again (or the client went)
    /// # }
    /// ```
    pub fn on_writable(&self, f: impl FnOnce() + Send + 'static) {
        let mut st = self.pipe.lock();
        if st.closed || self.pipe.writable(&st) {
            drop(st);
            f();
            return;
        }
        st.on_writable = Some(Box::new(f));
    }

    /// Runs `f` once when the client goes before the body is complete (closed connection,
    /// reset stream, failed connection; also when the exchange does not want the body: a
    /// `HEAD` request, a 204 or 304 status), or at once if it has gone already. It runs on the
    /// worker thread, which serves other connections meanwhile: it must be quick. A client's
    /// HTTP/2 GOAWAY with NO_ERROR leaves its open streams alive: it does not count as gone.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) {
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let s = Arc::clone(&stop);
    /// body.on_close(move || s.store(true, Ordering::Relaxed));
    /// # }
    /// ```
    pub fn on_close(&self, f: impl FnOnce() + Send + 'static) {
        let mut st = self.pipe.lock();
        if st.closed {
            drop(st);
            f();
            return;
        }
        st.on_close.push(Box::new(f));
    }

    /// True once the client has gone: writes fail with [`WriteError::Closed`]. One atomic
    /// load.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) {
    /// while !body.is_closed() {
    ///     // produce
    /// #   break;
    /// }
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.pipe.closed.load(Ordering::Acquire)
    }

    /// Ends the body: what was written is sent, then the end (see the type's docs).
    ///
    /// # Errors
    ///
    /// [`WriteError::Closed`] when the client has gone.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) -> Result<(), brisk_server::WriteError> {
    /// body.write(b"last words")?;
    /// body.finish()
    /// # }
    /// ```
    pub fn finish(self) -> Result<(), WriteError> {
        self.pipe.end(End::Finished, None)
    }

    /// Ends the body with trailer fields: on HTTP/2 a HEADERS frame with END_STREAM, on
    /// chunked HTTP/1.1 in the last chunk; dropped elsewhere (HTTP/1.0). Names are sent in
    /// lower case.
    ///
    /// # Errors
    ///
    /// [`WriteError::InvalidTrailer`] when a name is not a token, a value holds a control
    /// character, or the name is one that cannot be a trailer (`content-length`,
    /// `transfer-encoding`, `connection`, ...): the body is finished without trailers.
    /// [`WriteError::Closed`] when the client has gone.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(body: brisk_server::BodyWriter) -> Result<(), brisk_server::WriteError> {
    /// body.write(b"payload")?;
    /// body.finish_with_trailers(&[("x-checksum", "abc123")])
    /// # }
    /// ```
    pub fn finish_with_trailers(self, trailers: &[(&str, &str)]) -> Result<(), WriteError> {
        let mut fields = Vec::with_capacity(trailers.len());
        for &(name, value) in trailers {
            if !crate::response::trailer_ok(name.as_bytes(), value.as_bytes()) {
                self.pipe.end(End::Finished, None)?;
                return Err(WriteError::InvalidTrailer);
            }
            fields.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
        let fields = (!fields.is_empty()).then_some(fields);
        self.pipe.end(End::Finished, fields)
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        let aborted = {
            let st = self.pipe.lock();
            st.end == End::Open && !st.closed
        };
        if aborted {
            let _ = self.pipe.end(End::Aborted, None);
        }
    }
}

impl Responder {
    /// Starts a pushed answer: sends `head`'s status and headers now, and returns the
    /// [`BodyWriter`] the body is written through (from any thread). `head`'s body is
    /// ignored (replaced by the pushed one), and so is a `content-length` (it cannot be set on a
    /// [`Response`]): the body has no declared length, so it is chunked on HTTP/1.1, DATA
    /// frames on HTTP/2 and ends with the connection on HTTP/1.0. Close callbacks registered
    /// with [`Responder::on_close`] carry over to the writer.
    ///
    /// On HTTP/1.1 a pushed answer keeps its place in the connection's order: answers to
    /// later pipelined requests wait until its body has ended. HTTP/2 streams push
    /// independently.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] if the client has gone (or the handler timeout answered 503),
    /// [`SendError::Detached`] if this responder belongs to no exchange.
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// let mut head = brisk_server::Response::new();
    /// head.content_type("text/event-stream");
    /// match r.start(head) {
    ///     Ok(body) => {
    ///         let _ = body.write(b"data: hello\n\n");
    ///     }
    ///     // This one was made outside a server.
    ///     Err(e) => assert_eq!(e, brisk_server::SendError::Detached),
    /// }
    /// ```
    pub fn start(mut self, mut head: Response) -> Result<BodyWriter, SendError> {
        let server = self.server;
        let t = self.ticket.take().ok_or(SendError::Detached)?;
        let watchers = defer::claim_for_push(server, &t)?;
        let pipe = Arc::new(Pipe {
            st: Mutex::new(State {
                buf: VecDeque::new(),
                end: End::Open,
                trailers: None,
                closed: false,
                reader_waiting: false,
                blocked: 0,
                on_writable: None,
                on_close: watchers,
            }),
            room: Condvar::new(),
            closed: AtomicBool::new(false),
            limit: defer::push_buffer(server),
            server,
            ticket: t,
        });
        head.body = BodyKind::Stream(
            Box::new(PipeSource {
                pipe: Arc::clone(&pipe),
                done: false,
                trailers: None,
            }),
            None,
        );
        defer::deliver_answer(server, &t, head);
        if defer::went_since(server, &t) {
            // The client went between the check above and the delivery: the head will be
            // dropped unread, perhaps much later; say so now.
            pipe.close();
        }
        Ok(BodyWriter { pipe })
    }

    /// Runs `f` once when the client goes while this answer is still to come (closed
    /// connection, reset stream, failed connection, or the handler timeout answered 503), or
    /// at once if it has gone already (or the responder is detached). It runs on the worker
    /// thread, which serves other connections meanwhile: it must be quick. A callback moves to
    /// the [`BodyWriter`] on [`Responder::start`]; one not run yet is dropped when the
    /// responder sends a whole answer or is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let gone = Arc::new(AtomicBool::new(false));
    /// let g = Arc::clone(&gone);
    /// r.on_close(move || g.store(true, Ordering::Relaxed));
    /// // This one was made outside a server: it counts as gone.
    /// assert!(gone.load(Ordering::Relaxed));
    /// ```
    pub fn on_close(&self, f: impl FnOnce() + Send + 'static) {
        match &self.ticket {
            Some(t) => defer::watch(self.server, t, Box::new(f)),
            None => f(),
        }
    }
}

/// A [`BodyWriter`] moves to any thread and lives as long as its producer wants.
#[allow(dead_code)]
fn assert_send_static() {
    fn send<T: Send + Sync + 'static>() {}
    send::<BodyWriter>();
    send::<WriteError>();
}
