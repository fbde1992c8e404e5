//! [`EventStream`]: a pushed response body ([`Responder::start`]) that carries server-sent
//! events, with optional keep-alive comments sent by one shared timer thread.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use super::{keep_alive, write_comment, Event, SseError, CONTENT_TYPE};
use crate::{BodyWriter, Responder, Response, SendError, WriteError};

/// The comment line a keep-alive sends.
pub(super) const KEEP_ALIVE: &[u8] = b": keep-alive\n";

/// Shortest keep-alive interval: shorter ones given to [`EventStream::keep_alive`] are raised
/// to it (so the shared timer thread never spins).
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_server::sse::MIN_KEEP_ALIVE.as_millis(), 10);
/// ```
pub const MIN_KEEP_ALIVE: Duration = Duration::from_millis(10);

/// Why an event (or comment) was not sent.
///
/// # Examples
///
/// ```
/// use brisk_server::sse::{SseError, StreamError};
///
/// assert_eq!(StreamError::Closed.to_string(), "the client has gone");
/// let e = StreamError::Invalid(SseError::LineBreakInId);
/// assert_eq!(e.to_string(), "invalid event: event id contains a line break");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// The event's name or id would break the framing: nothing was sent, the stream goes on.
    Invalid(SseError),
    /// The body's buffer is full (or another thread is sending on this stream right now):
    /// nothing was taken. Wait for [`EventStream::on_writable`] and send again.
    WouldBlock,
    /// The client has gone: nothing was taken, and nothing more will be.
    Closed,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Invalid(e) => write!(f, "invalid event: {e}"),
            StreamError::WouldBlock => f.write_str("the stream's buffer is full"),
            StreamError::Closed => f.write_str("the client has gone"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<WriteError> for StreamError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::WouldBlock => StreamError::WouldBlock,
            // Writes and a finish without trailers fail only these two ways.
            _ => StreamError::Closed,
        }
    }
}

impl From<SseError> for StreamError {
    fn from(e: SseError) -> Self {
        StreamError::Invalid(e)
    }
}

/// What the producer and the keep-alive timer share, under one lock: the lock also keeps a
/// keep-alive comment from landing between the pieces of a large blocking send.
pub(super) struct Writing {
    /// The formatting buffer, reused for every event.
    buf: Vec<u8>,
    /// When bytes last went into the body.
    last: Instant,
    keep_alive: Option<Duration>,
    /// Registered with the keep-alive timer.
    timed: bool,
    /// [`EventStream::finish`] ran: the last holder of [`Shared`] finishes the body.
    finishing: bool,
}

/// One stream's state: held by the [`EventStream`], and for a moment at a time by the
/// keep-alive timer (which otherwise keeps only a `Weak`).
pub(super) struct Shared {
    /// Some until `Shared` drops (the writer's `finish` needs it by value).
    body: Option<BodyWriter>,
    st: Mutex<Writing>,
}

impl Shared {
    fn body(&self) -> &BodyWriter {
        self.body
            .as_ref()
            .expect("the body lives as long as Shared")
    }

    fn lock(&self) -> MutexGuard<'_, Writing> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn try_lock(&self) -> Option<MutexGuard<'_, Writing>> {
        match self.st.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The keep-alive timer's visit at `now`: sends a comment if nothing was written for an
    /// interval; returns when to look again, or None when the stream needs no more visits.
    /// Never blocks: a stream being written to right now is looked at again an interval later.
    pub(super) fn keep_alive_visit(&self, now: Instant, interval: Duration) -> Option<Instant> {
        let body = self.body();
        if body.is_closed() {
            return None;
        }
        let Some(mut st) = self.try_lock() else {
            return Some(now + interval);
        };
        let interval = st.keep_alive?;
        if st.finishing {
            return None;
        }
        let due = st.last + interval;
        if due > now {
            return Some(due);
        }
        match body.try_write(KEEP_ALIVE) {
            Ok(()) => st.last = now,
            // Bytes are waiting for the client: the stream is not idle.
            Err(WriteError::WouldBlock) => {}
            Err(_) => return None,
        }
        Some(now + interval)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let finishing = self.st.get_mut().map_or(true, |st| st.finishing);
        if let Some(body) = self.body.take() {
            if finishing {
                let _ = body.finish();
            }
            // Otherwise the writer drops unfinished: the body is aborted (see BodyWriter).
        }
    }
}

/// A `text/event-stream` response: events pushed from any thread through a deferred
/// [`Responder`], on HTTP/1.1 (chunked) and HTTP/2 (DATA frames).
///
/// Each event is formatted into one buffer the stream keeps (so sending allocates nothing once
/// that buffer has grown to the largest event) and goes into the body whole or not at all:
/// [`try_send`](Self::try_send) never blocks and says [`StreamError::WouldBlock`] when the
/// body's buffer is full (resume from [`on_writable`](Self::on_writable));
/// [`send`](Self::send) blocks a thread of the application's own until there is room.
/// Memory per stream is bounded as for any [`BodyWriter`]
/// ([`Limits::push_buffer`](crate::Limits::push_buffer)).
///
/// # Keep-alive
///
/// [`keep_alive`](Self::keep_alive) makes the stream send a comment line (`: keep-alive`)
/// whenever nothing was written for an interval, so proxies and clients do not time out an
/// idle stream. One timer thread serves every stream of the process (started on first use; it
/// keeps only a weak reference and the next due time per stream, in a heap): an idle producer
/// needs no timer of its own, and there is no thread per stream. The timer never blocks: it
/// skips a stream that is being written to or whose buffer is full (neither is idle).
///
/// Why not a `tick(now)` the producer calls: keep-alives matter exactly when the producer has
/// nothing to say, and a producer waiting for its next event (on a channel, a socket, a
/// database) would need a timer of its own to call it, one per stream. The shared thread
/// costs one thread per process, a heap entry per stream and one visit per idle interval.
/// HTTP/1.0 clients get the same bytes without chunks; the stream ends with the connection.
///
/// # Examples
///
/// ```
/// use brisk_server::sse::{Event, EventStream};
/// use brisk_server::{Method, Server};
///
/// let mut b = Server::builder();
/// b.route(Method::Get, "/ticks", |_req, res| {
///     let r = res.defer();
///     std::thread::spawn(move || {
///         let Ok(events) = EventStream::start(r) else { return };
///         events.keep_alive(std::time::Duration::from_secs(15));
///         for i in 0..3u32 {
///             let id = i.to_string();
///             if events.send(&Event::new("tick").id(&id)).is_err() {
///                 return; // the client went
///             }
///         }
///         let _ = events.finish();
///     });
/// });
/// ```
pub struct EventStream {
    shared: Arc<Shared>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl EventStream {
    /// Answers `responder` with `200`, `content-type: text/event-stream` and
    /// `cache-control: no-cache` now, and returns the stream its events go through.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] if the client has gone, [`SendError::Detached`] if the responder
    /// belongs to no exchange.
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// use brisk_server::sse::EventStream;
    /// match EventStream::start(r) {
    ///     Ok(events) => drop(events),
    ///     // This responder was made outside a server.
    ///     Err(e) => assert_eq!(e, brisk_server::SendError::Detached),
    /// }
    /// ```
    pub fn start(responder: Responder) -> Result<EventStream, SendError> {
        Self::start_with(responder, Response::new())
    }

    /// [`start`](Self::start) with a head of the caller's (status, more header fields): its
    /// content type becomes `text/event-stream`, `cache-control: no-cache` is added unless it
    /// sets one, and its body is ignored.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// let mut head = brisk_server::Response::new();
    /// head.header("access-control-allow-origin", "*");
    /// let started = brisk_server::sse::EventStream::start_with(r, head);
    /// # assert!(started.is_err());
    /// ```
    pub fn start_with(responder: Responder, mut head: Response) -> Result<EventStream, SendError> {
        head.content_type(CONTENT_TYPE);
        if head.get_header("cache-control").is_none() {
            head.header("cache-control", "no-cache");
        }
        let body = responder.start(head)?;
        Ok(EventStream {
            shared: Arc::new(Shared {
                body: Some(body),
                st: Mutex::new(Writing {
                    buf: Vec::new(),
                    last: Instant::now(),
                    keep_alive: None,
                    timed: false,
                    finishing: false,
                }),
            }),
        })
    }

    /// Sends `event`, blocking this thread while the body's buffer is full. On a worker thread
    /// of the server (a handler or callback) it never blocks: there it is
    /// [`try_send`](Self::try_send).
    ///
    /// # Errors
    ///
    /// [`StreamError::Invalid`] (nothing sent), [`StreamError::Closed`] when the client has
    /// gone, [`StreamError::WouldBlock`] on a worker thread only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) -> Result<(), brisk_server::sse::StreamError> {
    /// use brisk_server::sse::Event;
    /// events.send(&Event::new("{\"price\":42}").event("quote").id("1"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(&self, event: &Event<'_>) -> Result<(), StreamError> {
        let mut st = self.shared.lock();
        st.buf.clear();
        event.write_to(&mut st.buf)?;
        self.shared.body().write(&st.buf)?;
        st.last = Instant::now();
        Ok(())
    }

    /// Sends `event` if the body's buffer has room now, never blocking: the event goes whole
    /// or not at all.
    ///
    /// # Errors
    ///
    /// [`StreamError::WouldBlock`] when the buffer is full, or another thread is sending on
    /// this stream at this moment (nothing taken: send it again from
    /// [`on_writable`](Self::on_writable)); [`StreamError::Invalid`];
    /// [`StreamError::Closed`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// use brisk_server::sse::{Event, StreamError};
    /// match events.try_send(&Event::new("tick")) {
    ///     Ok(()) => {}
    ///     Err(StreamError::WouldBlock) => events.on_writable(|| { /* resume the producer */ }),
    ///     Err(_) => return, // the client went, or the event was invalid
    /// }
    /// # }
    /// ```
    pub fn try_send(&self, event: &Event<'_>) -> Result<(), StreamError> {
        let mut st = self.shared.try_lock().ok_or(StreamError::WouldBlock)?;
        st.buf.clear();
        event.write_to(&mut st.buf)?;
        self.shared.body().try_write(&st.buf)?;
        st.last = Instant::now();
        Ok(())
    }

    /// Sends `text` as comment lines (`: text`; clients ignore them), never blocking.
    ///
    /// # Errors
    ///
    /// As [`try_send`](Self::try_send) (a comment is never invalid: line breaks start new
    /// comment lines).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// let _ = events.comment("connected");
    /// # }
    /// ```
    pub fn comment(&self, text: &str) -> Result<(), StreamError> {
        let mut st = self.shared.try_lock().ok_or(StreamError::WouldBlock)?;
        st.buf.clear();
        write_comment(&mut st.buf, text);
        self.shared.body().try_write(&st.buf)?;
        st.last = Instant::now();
        Ok(())
    }

    /// Sends a `: keep-alive` comment whenever nothing was written for `interval` (at least
    /// [`MIN_KEEP_ALIVE`]), from the shared keep-alive timer thread (see the type's docs),
    /// until the stream ends. Calling it again changes the interval (from the next visit).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// events.keep_alive(std::time::Duration::from_secs(15));
    /// # }
    /// ```
    pub fn keep_alive(&self, interval: Duration) {
        let interval = interval.max(MIN_KEEP_ALIVE);
        let mut st = self.shared.lock();
        st.keep_alive = Some(interval);
        if !std::mem::replace(&mut st.timed, true) {
            let due = st.last + interval;
            drop(st);
            keep_alive::register(Arc::downgrade(&self.shared), due, interval);
        }
    }

    /// Runs `f` once when the body's buffer has room again or the client has gone, or at once
    /// if that is so already (see [`BodyWriter::on_writable`]: `f` may run on the worker
    /// thread and must be quick).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// events.on_writable(move || {
    ///     let _ = tx.send(());
    /// });
    /// let _ = rx.recv();
    /// # }
    /// ```
    pub fn on_writable(&self, f: impl FnOnce() + Send + 'static) {
        self.shared.body().on_writable(f);
    }

    /// Runs `f` once when the client goes (closed connection, reset stream), or at once if it
    /// has gone already (see [`BodyWriter::on_close`]: `f` runs on the worker thread and must
    /// be quick).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let gone = Arc::new(AtomicBool::new(false));
    /// let g = Arc::clone(&gone);
    /// events.on_close(move || g.store(true, Ordering::Relaxed));
    /// # }
    /// ```
    pub fn on_close(&self, f: impl FnOnce() + Send + 'static) {
        self.shared.body().on_close(f);
    }

    /// True once the client has gone. One atomic load.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) {
    /// if events.is_closed() {
    ///     return; // stop producing
    /// }
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.body().is_closed()
    }

    /// Ends the stream (HTTP/1.1: the last chunk; HTTP/2: END_STREAM) after what was sent.
    /// A stream dropped without `finish` is aborted instead, as a dropped [`BodyWriter`] is
    /// (HTTP/1.1 closes the connection without the last chunk; HTTP/2 resets the stream).
    ///
    /// # Errors
    ///
    /// [`StreamError::Closed`] when the client has gone.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(events: brisk_server::sse::EventStream) -> Result<(), brisk_server::sse::StreamError> {
    /// events.send(&brisk_server::sse::Event::new("bye"))?;
    /// events.finish()
    /// # }
    /// ```
    pub fn finish(self) -> Result<(), StreamError> {
        self.shared.lock().finishing = true;
        match Arc::try_unwrap(self.shared) {
            Ok(mut shared) => match shared.body.take() {
                Some(body) => Ok(body.finish()?),
                None => Err(StreamError::Closed),
            },
            // The keep-alive timer holds it for a moment: the last holder finishes the body
            // (`Shared`'s drop), on that thread, after the timer has seen `finishing`.
            Err(shared) => {
                if shared.body().is_closed() {
                    Err(StreamError::Closed)
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, Server};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc;

    /// Reads what arrives within `quiet` of silence.
    fn read_quiet(s: &mut TcpStream, quiet: Duration) -> String {
        s.set_read_timeout(Some(quiet)).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_finish_while_the_timer_holds_the_stream_ends_it_when_the_timer_lets_go() {
        let (tx, rx) = mpsc::channel::<EventStream>();
        let tx = Mutex::new(tx);
        let server = Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .workers(1)
            .route(Method::Get, "/sse", move |_, res| {
                let s = EventStream::start(res.defer()).unwrap();
                tx.lock().unwrap().send(s).unwrap();
            })
            .start()
            .unwrap();
        let mut c = TcpStream::connect(server.local_addr()).unwrap();
        c.write_all(b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let s = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        // What the keep-alive timer holds during a visit.
        let held = Arc::clone(&s.shared);
        // Keep-alive on, without the timer thread: this test makes the visits.
        held.lock().keep_alive = Some(MIN_KEEP_ALIVE);
        let now = Instant::now();
        assert_eq!(
            held.keep_alive_visit(now, MIN_KEEP_ALIVE),
            Some(held.lock().last + MIN_KEEP_ALIVE),
            "not idle yet: no comment, a visit at the due time"
        );
        let later = now + Duration::from_secs(1);
        assert_eq!(
            held.keep_alive_visit(later, MIN_KEEP_ALIVE),
            Some(later + MIN_KEEP_ALIVE)
        );
        s.send(&Event::new("x")).unwrap();
        assert_eq!(s.finish(), Ok(()));
        let got = read_quiet(&mut c, Duration::from_millis(200));
        // The comment, then the event (in one chunk or two), and not the last chunk.
        let comment = got.find(": keep-alive\n").expect("the comment");
        assert!(comment < got.find("data: x").unwrap(), "{got:?}");
        assert!(got.ends_with("data: x\n\n\r\n"), "{got:?}");
        // The timer sees the stream finishing: no keep-alive after the finish.
        assert_eq!(held.keep_alive_visit(Instant::now(), MIN_KEEP_ALIVE), None);
        drop(held);
        let got = read_quiet(&mut c, Duration::from_millis(200));
        assert_eq!(got, "0\r\n\r\n", "the last chunk once the timer let go");
        server.shutdown();
        server.join();
    }
}
