//! Streaming request bodies: routes added with [`Builder::upload`] get the body piece by piece
//! through a [`BodySink`] as it arrives, instead of buffered whole, so they can take bodies
//! past [`Limits::max_body_size`](crate::Limits::max_body_size) (up to
//! [`Limits::max_upload_size`](crate::Limits::max_upload_size)) in bounded memory.
//!
//! [`Builder::upload`]: crate::Builder::upload

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::app::Handler;
use crate::counters::WorkerCounters;
use crate::request::Request;
use crate::response::Response;

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
}

/// What an upload route runs when a request head arrives: a sink for its body, or the status
/// to answer with instead (the body is then not read).
pub(crate) type UploadStart =
    dyn Fn(&mut Request<'_>) -> Result<Box<dyn BodySink>, u16> + Send + Sync + 'static;

/// A sink held by a connection while the body arrives.
pub(crate) struct ActiveSink(pub(crate) Box<dyn BodySink>);

impl std::fmt::Debug for ActiveSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActiveSink")
    }
}

impl ActiveSink {
    /// Passes a piece on; a panic in the sink is a 500.
    pub(crate) fn data(&mut self, piece: &[u8], stats: &WorkerCounters) -> Result<(), u16> {
        if piece.is_empty() {
            return Ok(());
        }
        match catch_unwind(AssertUnwindSafe(|| self.0.data(piece))) {
            Ok(r) => r,
            Err(_) => {
                stats.panic();
                Err(500)
            }
        }
    }

    /// Lets the sink answer; a panic in it, or a response it set that cannot be sent, is a 500.
    pub(crate) fn finish(
        mut self,
        req: &mut Request<'_>,
        res: &mut Response,
        stats: &WorkerCounters,
    ) {
        let ran = catch_unwind(AssertUnwindSafe(|| self.0.finish(req, res)));
        if ran.is_err() {
            stats.panic();
            res.set_error(500);
        } else if res.is_invalid() {
            res.set_error(500);
        }
    }
}

/// Runs an upload route's start, catching a panic as a 500.
pub(crate) fn start(
    start: &UploadStart,
    req: &mut Request<'_>,
    stats: &WorkerCounters,
) -> Result<ActiveSink, u16> {
    match catch_unwind(AssertUnwindSafe(|| start(req))) {
        Ok(Ok(sink)) => Ok(ActiveSink(sink)),
        Ok(Err(code)) => Err(code),
        Err(_) => {
            stats.panic();
            Err(500)
        }
    }
}

/// The handler an upload route runs when its body is already whole (it arrived with the head,
/// or the protocol buffered it): start, one piece, finish.
pub(crate) fn buffered(start: Arc<UploadStart>) -> Arc<Handler> {
    Arc::new(move |req: &mut Request<'_>, res: &mut Response| {
        let mut sink = match start(req) {
            Ok(s) => s,
            Err(code) => return res.set_error(code),
        };
        let body = req.body();
        if !body.is_empty() {
            if let Err(code) = sink.data(body) {
                return res.set_error(code);
            }
        }
        // As when streamed: the pieces went to `data`.
        req.body = &[];
        sink.finish(req, res);
    })
}
