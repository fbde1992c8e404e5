//! Streaming request bodies: routes added with [`Builder::upload`] get the body piece by piece
//! through a [`BodySink`] as it arrives, instead of buffered whole, so they can take bodies
//! past [`Limits::max_body_size`](crate::Limits::max_body_size) (up to
//! [`Limits::max_upload_size`](crate::Limits::max_upload_size)) in bounded memory.
//!
//! [`Builder::upload`]: crate::Builder::upload

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
