//! Streaming request bodies: routes added with [`Builder::upload`] get the body piece by piece
//! through a [`BodySink`] as it arrives, instead of buffered whole, so they can take bodies
//! past [`Limits::max_body_size`](crate::Limits::max_body_size) (up to
//! [`Limits::max_upload_size`](crate::Limits::max_upload_size)) in bounded memory.
//!
//! A sink that cannot take the body as fast as it arrives paces it ([`BodySink::flow`]):
//! while it says [`Flow::Pause`], HTTP/1.1 stops reading the socket and HTTP/2 withholds the
//! stream's flow-control credit, and its [`BodyWaker`] resumes it. `100 Continue` waits for
//! the first resume when the sink starts paused.
//!
//! [`Builder::upload`]: crate::Builder::upload

use brisk_reactor::{ConnId, Notifier};

use crate::request::Request;
use crate::response::Response;

/// What the connection does next with a request body going to a [`BodySink`] (asked after
/// the sink starts, after each piece, and when its [`BodyWaker`] wakes the connection).
///
/// # Examples
///
/// ```
/// use brisk_server::Flow;
/// assert_ne!(Flow::Read, Flow::Pause);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on reading the body (sending `100 Continue` first if the client waits for it).
    Read,
    /// Stop reading until the sink's [`BodyWaker`] wakes the connection and `flow` says
    /// otherwise. On HTTP/1.1 the socket is not read (TCP pushes back on the client); on
    /// HTTP/2 the stream's credit is withheld, so what the client may still send is bounded
    /// by the stream's flow-control window ([`Http2Config`](crate::Http2Config)): the sink
    /// keeps getting [`data`](BodySink::data) up to that much.
    Pause,
    /// Answer now, before the body is complete: [`finish`](BodySink::finish) runs at once.
    /// The rest of the body is not read: the HTTP/1.1 connection closes after the answer;
    /// on HTTP/2 what the client still sends on the stream is discarded as it arrives.
    Answer,
}

/// Wakes the connection a [`BodySink`] reads from, so it asks [`BodySink::flow`] again
/// (from any thread; cheap, and harmless when nothing changed).
///
/// # Examples
///
/// ```
/// use brisk_server::{BodySink, BodyWaker, Flow, Request, Response};
///
/// /// Takes at most 64 KiB before a consumer elsewhere catches up.
/// struct Paced { queued: usize, waker: Option<BodyWaker> }
///
/// impl BodySink for Paced {
///     fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
///         self.queued += piece.len();
///         Ok(())
///     }
///     fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
///         res.text("done\n");
///     }
///     fn flow(&mut self) -> Flow {
///         if self.queued >= 64 * 1024 { Flow::Pause } else { Flow::Read }
///     }
///     fn set_waker(&mut self, waker: BodyWaker) {
///         // A consumer that drains `queued` calls `waker.wake()`.
///         self.waker = Some(waker);
///     }
/// }
/// let mut b = brisk_server::Server::builder();
/// b.upload(brisk_server::Method::Put, "/in", |_| Ok(Box::new(Paced { queued: 0, waker: None })));
/// ```
#[derive(Clone)]
pub struct BodyWaker {
    notifier: Notifier,
    conn: ConnId,
}

impl BodyWaker {
    pub(crate) fn new(notifier: Notifier, conn: ConnId) -> BodyWaker {
        BodyWaker { notifier, conn }
    }

    /// Wakes the connection: it asks the sink's [`flow`](BodySink::flow) again.
    ///
    /// # Examples
    ///
    /// ```
    /// fn consumer_caught_up(w: &brisk_server::BodyWaker) {
    ///     w.wake();
    /// }
    /// # let _ = consumer_caught_up;
    /// ```
    pub fn wake(&self) {
        self.notifier.notify(self.conn);
    }
}

impl std::fmt::Debug for BodyWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyWaker")
            .field("conn", &self.conn)
            .finish()
    }
}

/// Receives a request body piece by piece, in order, as it arrives ([`Builder::upload`]).
/// It runs on the worker thread like a handler: keep each call short. If the body never
/// completes (the client goes away or stalls past the body timeout, the HTTP/2 stream is
/// reset), the sink is dropped without [`finish`](Self::finish): clean up in `Drop`.
///
/// # Examples
///
/// ```
/// use brisk_server::{BodySink, Request, Response};
///
/// /// Counts the bytes of an upload and answers with the count.
/// struct Count(u64);
///
/// impl BodySink for Count {
///     fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
///         self.0 += piece.len() as u64;
///         Ok(())
///     }
///     fn finish(&mut self, _req: &mut Request<'_>, res: &mut Response) {
///         res.text(format!("{} bytes\n", self.0));
///     }
/// }
///
/// let mut c = Count(0);
/// c.data(b"abc").unwrap();
/// let mut res = Response::new();
/// c.finish(&mut Request::for_test("PUT", "/up", &[], b""), &mut res);
/// assert_eq!(res.body_bytes(), Some(&b"3 bytes\n"[..]));
/// ```
///
/// [`Builder::upload`]: crate::Builder::upload
pub trait BodySink: Send {
    /// The next piece of the body (never empty). `Err(status)` stops the upload: the client
    /// is answered with that status, and on HTTP/1.1 the connection closes (the rest of the
    /// body is not read).
    fn data(&mut self, piece: &[u8]) -> Result<(), u16>;

    /// The whole body has arrived: answer the request. Its [`Request::body`] is empty (the
    /// pieces went to [`data`](Self::data)); everything else is there.
    fn finish(&mut self, req: &mut Request<'_>, res: &mut Response);

    /// Whether the connection goes on reading the body ([`Flow`]). Asked when the sink
    /// starts (a sink that starts paused delays `100 Continue` until it reads), after each
    /// piece, and when its [`BodyWaker`] wakes the connection. Default: always
    /// [`Flow::Read`].
    fn flow(&mut self) -> Flow {
        Flow::Read
    }

    /// Gives the sink the waker of its connection, once, right after it starts and before
    /// anything else. A sink that ever pauses keeps it to resume. Default: dropped.
    fn set_waker(&mut self, waker: BodyWaker) {
        let _ = waker;
    }
}

/// What an upload route runs when a request head arrives: a sink for its body, or the status
/// to answer with instead (the body is then not read).
pub(crate) type UploadStart =
    dyn Fn(&mut Request<'_>) -> Result<Box<dyn BodySink>, u16> + Send + Sync + 'static;
