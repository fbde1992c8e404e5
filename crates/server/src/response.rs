//! The response a handler fills. One `Response` value is reused for every request a worker
//! serves, so setting headers and writing into [`Response::body_mut`] allocate nothing once the
//! buffers have grown to their working size.

use std::fmt;

mod field_block;
pub(crate) use field_block::FieldBlock;

/// A response body.
///
/// Built from `&'static str`, `&'static [u8]`, `String` or `Vec<u8>` (moved, never copied), or as
/// a stream of chunks ([`Body::stream`]): chunked transfer coding on HTTP/1.1, DATA frames that
/// honour flow control on HTTP/2.
///
/// # Examples
///
/// ```
/// use brisk_server::Body;
///
/// let a: Body = "static".into();
/// let b: Body = String::from("owned").into();
/// let c = Body::stream(vec![b"one ".to_vec(), b"two".to_vec()].into_iter());
/// assert_eq!(a.len(), Some(6));
/// assert_eq!(b.len(), Some(5));
/// assert_eq!(c.len(), None);
/// ```
pub struct Body(pub(crate) BodyKind);

pub(crate) enum BodyKind {
    Empty,
    Static(&'static [u8]),
    Owned(Vec<u8>),
    /// The response's reusable buffer ([`Response::body_mut`]).
    Buffer,
    /// Chunks, and the total length when it was declared up front ([`Body::sized_stream`]).
    Stream(Box<dyn Source>, Option<u64>),
}

/// Where a stream body's bytes come from. The protocol asks for no more than it may send now
/// (the connection's output room, HTTP/2's windows: [`Source::read_into`]'s `max`), which a
/// file and a pushed body honour, so a stalled stream holds no read-ahead.
pub(crate) trait Source: Send {
    /// Appends the next bytes to `buf`: at most `max` (at least 1) if the source can size
    /// its reads, else its next chunk whole. Says whether bytes came, the body ended, or
    /// nothing is there yet (a pushed body whose producer has not written: the source wakes
    /// the connection when it has).
    fn read_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Pull;

    /// What is left of the body as a range of an open file, for `sendfile(2)`, if exactly
    /// `len` bytes are left: the source gives it up (reads nothing more). `None` (the
    /// default) for a source that is not a file.
    fn take_file(&mut self, len: u64) -> Option<brisk_reactor::FileRange> {
        let _ = len;
        None
    }

    /// After [`Pull::End`]: the trailer fields to send, if any (a pushed body's).
    fn trailers(&mut self) -> Option<Vec<(String, String)>> {
        None
    }
}

/// What [`Source::read_into`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pull {
    /// Bytes were appended (perhaps none, for an empty piece).
    Data,
    /// The body ended where it should.
    End,
    /// Nothing yet: the source wakes the connection when there is (no spinning).
    Wait,
    /// The body was abandoned: the peer must not take what it got for the whole body.
    Abort,
}

/// A user's chunk iterator as a [`Source`]: chunks are handed on whole.
struct Chunks<I>(I);

impl<I: Iterator<Item = Vec<u8>> + Send> Source for Chunks<I> {
    fn read_into(&mut self, buf: &mut Vec<u8>, _max: usize) -> Pull {
        match self.0.next() {
            Some(chunk) if buf.is_empty() => *buf = chunk,
            Some(chunk) => buf.extend_from_slice(&chunk),
            None => return Pull::End,
        }
        Pull::Data
    }
}

/// A stream body taken out of a [`Response`] for sending.
pub(crate) struct Stream {
    pub(crate) chunks: Box<dyn Source>,
    /// The declared length: sent as `Content-Length`, never chunked.
    pub(crate) len: Option<u64>,
}

impl Body {
    /// An empty body.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Body::empty().len(), Some(0));
    /// ```
    pub fn empty() -> Self {
        Body(BodyKind::Empty)
    }

    /// A body produced chunk by chunk as the connection can take it. Empty chunks are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = brisk_server::Body::stream((0..3).map(|i| format!("{i}\n").into_bytes()));
    /// assert!(b.len().is_none());
    /// ```
    pub fn stream<I>(chunks: I) -> Self
    where
        I: Iterator<Item = Vec<u8>> + Send + 'static,
    {
        Body(BodyKind::Stream(Box::new(Chunks(chunks)), None))
    }

    /// A stream whose total length is known up front (a file): sent with `Content-Length`
    /// instead of chunked, on HTTP/1.0 as on HTTP/1.1, and `content-length` on HTTP/2. If the
    /// chunks end short of `len` the client is told, not left with a shorter body that looks
    /// whole: the HTTP/1.1 connection closes mid-body, the HTTP/2 stream is reset with
    /// `INTERNAL_ERROR`. Bytes past `len` are not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = brisk_server::Body::sized_stream(6, vec![b"abc".to_vec(), b"def".to_vec()].into_iter());
    /// assert_eq!(b.len(), Some(6));
    /// ```
    pub fn sized_stream<I>(len: u64, chunks: I) -> Self
    where
        I: Iterator<Item = Vec<u8>> + Send + 'static,
    {
        Body(BodyKind::Stream(Box::new(Chunks(chunks)), Some(len)))
    }

    /// [`Body::sized_stream`] from a [`Source`] that sizes its reads (a file).
    pub(crate) fn sized_source(len: u64, source: impl Source + 'static) -> Self {
        Body(BodyKind::Stream(Box::new(source), Some(len)))
    }

    /// The length when known up front (`None` for a stream without a declared length).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Body::from(&b"abc"[..]).len(), Some(3));
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Option<usize> {
        match &self.0 {
            BodyKind::Empty | BodyKind::Buffer => Some(0),
            BodyKind::Static(b) => Some(b.len()),
            BodyKind::Owned(v) => Some(v.len()),
            BodyKind::Stream(_, len) => len.and_then(|n| usize::try_from(n).ok()),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Static(b) => write!(f, "Body::Static({} bytes)", b.len()),
            BodyKind::Owned(b) => write!(f, "Body::Owned({} bytes)", b.len()),
            BodyKind::Buffer => f.write_str("Body::Buffer"),
            BodyKind::Stream(_, None) => f.write_str("Body::Stream"),
            BodyKind::Stream(_, Some(n)) => write!(f, "Body::Stream({n} bytes)"),
        }
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body(BodyKind::Static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body(BodyKind::Static(s))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(BodyKind::Owned(s.into_bytes()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(BodyKind::Owned(v))
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    start: u32,
    name_len: u32,
    value_len: u32,
}

/// A response under construction: status (default 200), header fields and body.
///
/// `Content-Length`/`Transfer-Encoding`, `Connection`, `Date` and `Server` are written by the
/// server; setting them here is ignored. A header whose name is not a token or whose value holds
/// CR, LF or NUL turns the response into a 500 (it would otherwise split the response).
///
/// # Examples
///
/// ```
/// use brisk_server::Response;
///
/// let mut res = Response::new();
/// res.status(201).header("x-id", "7").text("created");
/// assert_eq!(res.status_code(), 201);
/// assert_eq!(res.get_header("X-Id"), Some(&b"7"[..]));
/// assert_eq!(res.body_bytes(), Some(&b"created"[..]));
/// ```
pub struct Response {
    status: u16,
    /// A `Content-Type` set by [`text`](Self::text), [`html`](Self::html) or
    /// [`json`](Self::json): a constant, so those helpers copy nothing.
    static_type: Option<&'static str>,
    arena: Vec<u8>,
    spans: Vec<Span>,
    pub(crate) body: BodyKind,
    buf: Vec<u8>,
    invalid: bool,
    /// Where a deferred answer goes (set by the protocol before the handler runs).
    ticket: Option<crate::defer::Ticket>,
    /// The handler took a [`Responder`](crate::Responder): the answer comes later.
    deferred: bool,
    /// The route of the handler that runs (set by the exchange), for its responder's ticket.
    route: crate::app_error::RouteId,
    /// The server made this answer itself ([`Response::set_error`]), for the counters.
    by_server: bool,
    /// When the handler that deferred this answer ran (set by [`Responder::send`](crate::Responder::send)),
    /// for the request duration histogram; `None` for an answer made within its turn.
    started: Option<std::time::Instant>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.spans.len())
            .field(
                "body",
                &Body(match &self.body {
                    BodyKind::Empty => BodyKind::Empty,
                    BodyKind::Static(b) => BodyKind::Static(b),
                    BodyKind::Owned(_) | BodyKind::Buffer | BodyKind::Stream(..) => {
                        BodyKind::Buffer
                    }
                }),
            )
            .finish()
    }
}

impl Default for Response {
    fn default() -> Self {
        Response::new()
    }
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn managed(name: &[u8]) -> bool {
    const MANAGED: [&[u8]; 7] = [
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"date",
        b"server",
        b"keep-alive",
        b"upgrade",
    ];
    MANAGED.iter().any(|m| m.eq_ignore_ascii_case(name))
}

impl Response {
    /// An empty 200 response.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Response::new().status_code(), 200);
    /// ```
    pub fn new() -> Self {
        Response {
            status: 200,
            static_type: None,
            arena: Vec::new(),
            spans: Vec::new(),
            body: BodyKind::Empty,
            buf: Vec::new(),
            invalid: false,
            ticket: None,
            deferred: false,
            route: crate::app_error::RouteId::UNKNOWN,
            by_server: false,
            started: None,
        }
    }

    /// Clears everything for the next request, keeping the buffers' capacity.
    pub(crate) fn reset(&mut self) {
        self.status = 200;
        self.static_type = None;
        self.arena.clear();
        self.spans.clear();
        self.body = BodyKind::Empty;
        self.buf.clear();
        self.invalid = false;
        self.ticket = None;
        self.deferred = false;
        self.by_server = false;
    }

    /// Whether the server made this answer itself ([`Response::set_error`]).
    #[inline(always)]
    pub(crate) fn by_server(&self) -> bool {
        self.by_server
    }

    /// When the handler that deferred this answer ran (`None`: answered within its turn).
    #[inline(always)]
    pub(crate) fn started(&self) -> Option<std::time::Instant> {
        self.started
    }

    /// Records when the handler that deferred this answer ran.
    pub(crate) fn set_started(&mut self, at: std::time::Instant) {
        self.started = Some(at);
    }

    /// Installs where a deferred answer to this exchange goes.
    #[inline(always)]
    pub(crate) fn set_ticket(&mut self, conn: brisk_reactor::ConnId, xid: u64) {
        self.ticket = Some(crate::defer::Ticket {
            conn,
            xid,
            route: crate::app_error::RouteId::UNKNOWN,
        });
    }

    /// Records the route whose handler runs now (its responder will carry it, for a report).
    #[inline(always)]
    pub(crate) fn set_route(&mut self, route: crate::app_error::RouteId) {
        self.route = route;
    }

    /// The route recorded by [`Response::set_route`] (for a deferred exchange's timeout
    /// report).
    #[inline(always)]
    pub(crate) fn route(&self) -> crate::app_error::RouteId {
        self.route
    }

    /// True when the handler took the answer out with [`Response::defer`].
    #[inline(always)]
    pub(crate) fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// Takes the answer out of this exchange: the handler returns without answering, and the
    /// returned [`Responder`](crate::Responder) finishes the response later, from this thread
    /// or any other. What was set on this `Response` is not sent. Outside a server (or a
    /// second time for one exchange) the responder is detached: its `send` fails and this
    /// response is sent as it is.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut res = brisk_server::Response::new();
    /// let r = res.defer(); // made outside a server: detached
    /// assert!(r.send(brisk_server::Response::new()).is_err());
    /// ```
    pub fn defer(&mut self) -> crate::Responder {
        let route = self.route;
        let ticket = self
            .ticket
            .take()
            .map(|t| crate::defer::Ticket { route, ..t });
        self.deferred |= ticket.is_some();
        crate::Responder::new(ticket)
    }

    /// Sets the status code (100..=999; anything else makes the response a 500).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.status(404);
    /// assert_eq!(r.status_code(), 404);
    /// ```
    pub fn status(&mut self, code: u16) -> &mut Self {
        if (100..=999).contains(&code) {
            self.status = code;
        } else {
            self.invalid = true;
        }
        self
    }

    /// The status code set so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Response::new().status_code(), 200);
    /// ```
    pub fn status_code(&self) -> u16 {
        if self.invalid {
            500
        } else {
            self.status
        }
    }

    /// Appends a header field (names are stored lowercase, as HTTP/2 requires).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.header("Cache-Control", "no-store");
    /// assert_eq!(r.get_header("cache-control"), Some(&b"no-store"[..]));
    /// ```
    pub fn header(&mut self, name: &str, value: impl AsRef<[u8]>) -> &mut Self {
        let (name, value) = (name.as_bytes(), value.as_ref());
        // The checks of the HTTP/1.1 head writer (RFC 9110 §5.5: no control but HTAB in a
        // value), so a response that is accepted here can always be written.
        if !is_token(name) || brisk_http1::Field::new(name, trim(value)).is_err() {
            self.invalid = true;
            return self;
        }
        if managed(name) {
            return self;
        }
        let start = self.arena.len() as u32;
        self.arena.extend(name.iter().map(u8::to_ascii_lowercase));
        self.arena.extend_from_slice(trim(value));
        self.spans.push(Span {
            start,
            name_len: name.len() as u32,
            value_len: trim(value).len() as u32,
        });
        self
    }

    /// The first value set for `name` (case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Response::new().get_header("x"), None);
    /// ```
    pub fn get_header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Every header field set so far, `(lowercase name, value)`, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.header("a", "1").header("b", "2");
    /// assert_eq!(r.headers().count(), 2);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let fixed = self
            .static_type
            .map(|t| (&b"content-type"[..], t.as_bytes()));
        fixed.into_iter().chain(self.set_fields())
    }

    /// The `Content-Type` value set by a helper ([`text`](Self::text) and the like), which
    /// [`headers`](Self::headers) yields first; the HTTP/1.1 writer puts it out as one constant.
    pub(crate) fn helper_type(&self) -> Option<&'static str> {
        self.static_type
    }

    /// Whether the handler set fields of its own (besides a helper's `Content-Type`).
    pub(crate) fn has_fields(&self) -> bool {
        !self.spans.is_empty()
    }

    /// The fields [`headers`](Self::headers) yields after the helper's `Content-Type`.
    pub(crate) fn set_fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans.iter().map(move |s| {
            let (a, n, v) = (s.start as usize, s.name_len as usize, s.value_len as usize);
            (&self.arena[a..a + n], &self.arena[a + n..a + n + v])
        })
    }

    /// Sets the body.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.body(vec![1, 2, 3]);
    /// assert_eq!(r.body_bytes(), Some(&[1, 2, 3][..]));
    /// ```
    pub fn body(&mut self, body: impl Into<Body>) -> &mut Self {
        self.body = body.into().0;
        self
    }

    /// A reusable buffer to write the body into; it becomes the body. Its capacity survives from
    /// one request to the next, so steady-state handlers do not allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let mut r = brisk_server::Response::new();
    /// write!(r.body_mut(), "n={}", 5).unwrap();
    /// assert_eq!(r.body_bytes(), Some(&b"n=5"[..]));
    /// ```
    pub fn body_mut(&mut self) -> &mut Vec<u8> {
        if !matches!(self.body, BodyKind::Buffer) {
            self.buf.clear();
            self.body = BodyKind::Buffer;
        }
        &mut self.buf
    }

    /// The body bytes when the body is not a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Response::new().body_bytes(), Some(&b""[..]));
    /// ```
    pub fn body_bytes(&self) -> Option<&[u8]> {
        match &self.body {
            BodyKind::Empty => Some(&[]),
            BodyKind::Static(b) => Some(b),
            BodyKind::Owned(v) => Some(v),
            BodyKind::Buffer => Some(&self.buf),
            BodyKind::Stream(..) => None,
        }
    }

    /// A `text/plain; charset=utf-8` body.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.text("hi");
    /// assert_eq!(r.get_header("content-type"), Some(&b"text/plain; charset=utf-8"[..]));
    /// ```
    pub fn text(&mut self, body: impl Into<Body>) -> &mut Self {
        self.static_content_type("text/plain; charset=utf-8")
            .body(body)
    }

    /// A `text/html; charset=utf-8` body.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.html("<p>hi</p>");
    /// assert_eq!(r.get_header("content-type"), Some(&b"text/html; charset=utf-8"[..]));
    /// ```
    pub fn html(&mut self, body: impl Into<Body>) -> &mut Self {
        self.static_content_type("text/html; charset=utf-8")
            .body(body)
    }

    /// An `application/json` body from an already serialized JSON text.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.json(r#"{"ok":true}"#);
    /// assert_eq!(r.get_header("content-type"), Some(&b"application/json"[..]));
    /// ```
    pub fn json(&mut self, body: impl Into<Body>) -> &mut Self {
        self.static_content_type("application/json").body(body)
    }

    /// A redirect: `status` (301, 302, 303, 307 or 308; anything else becomes 302) and `Location`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.redirect(308, "/new");
    /// assert_eq!((r.status_code(), r.get_header("location")), (308, Some(&b"/new"[..])));
    /// ```
    pub fn redirect(&mut self, status: u16, location: &str) -> &mut Self {
        let status = match status {
            301 | 302 | 303 | 307 | 308 => status,
            _ => 302,
        };
        self.status(status).header("location", location)
    }

    /// Adds a `Set-Cookie` field; `cookie` is the whole value (`id=1; Path=/; HttpOnly`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.set_cookie("a=1; HttpOnly").set_cookie("b=2");
    /// assert_eq!(r.headers().filter(|(n, _)| *n == b"set-cookie").count(), 2);
    /// ```
    pub fn set_cookie(&mut self, cookie: &str) -> &mut Self {
        self.header("set-cookie", cookie)
    }

    /// Sets `Content-Type`, replacing an earlier one.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = brisk_server::Response::new();
    /// r.content_type("a/b").content_type("c/d");
    /// assert_eq!(r.get_header("content-type"), Some(&b"c/d"[..]));
    /// ```
    pub fn content_type(&mut self, value: &str) -> &mut Self {
        self.static_type = None;
        if let Some(i) = self.spans.iter().position(|s| {
            &self.arena[s.start as usize..(s.start + s.name_len) as usize] == b"content-type"
        }) {
            self.spans.remove(i);
        }
        self.header("content-type", value)
    }

    /// Sets `Content-Type` to a constant known to be valid, replacing an earlier one.
    fn static_content_type(&mut self, value: &'static str) -> &mut Self {
        if !self.spans.is_empty() {
            self.content_type(value);
            return self;
        }
        self.static_type = Some(value);
        self
    }

    /// The declared length of a sized stream body ([`Body::sized_stream`]), left in place.
    pub(crate) fn stream_len(&self) -> Option<u64> {
        match self.body {
            BodyKind::Stream(_, len) => len,
            _ => None,
        }
    }

    /// Takes a stream body out, leaving an empty one.
    pub(crate) fn take_stream(&mut self) -> Option<Stream> {
        match std::mem::replace(&mut self.body, BodyKind::Empty) {
            BodyKind::Stream(chunks, len) => Some(Stream { chunks, len }),
            other => {
                self.body = other;
                None
            }
        }
    }

    /// True when a handler set something that cannot be sent (the server answers 500 instead).
    pub(crate) fn is_invalid(&self) -> bool {
        self.invalid
    }

    /// Replaces the response with a server-generated error answer.
    pub(crate) fn set_error(&mut self, code: u16) {
        self.reset();
        self.status = code;
        self.static_type = Some("text/plain; charset=utf-8");
        self.body = BodyKind::Static(crate::status::error_body(code));
        self.by_server = true;
    }
}

/// `v` without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
/// Whether `name: value` may be sent as a trailer field: a token name that is not a field the
/// server manages (framing, connection) nor a pseudo-field, and a value the HTTP/1.1 writer
/// accepts (RFC 9110 §6.5.1).
pub(crate) fn trailer_ok(name: &[u8], value: &[u8]) -> bool {
    is_token(name)
        && !managed(name)
        && !name.eq_ignore_ascii_case(b"te")
        && !name.eq_ignore_ascii_case(b"trailer")
        && brisk_http1::Field::new(name, trim(value)).is_ok()
}

pub(crate) fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &v[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_headers_turn_the_response_into_a_500() {
        let mut r = Response::new();
        r.header("x", "a\r\nInjected: 1");
        assert_eq!(r.status_code(), 500);
        let mut r = Response::new();
        r.header("bad name", "v");
        assert_eq!(r.status_code(), 500);
        let mut r = Response::new();
        r.status(1000);
        assert_eq!(r.status_code(), 500);
        // Any control but HTAB, as the HTTP/1.1 head writer checks.
        let mut r = Response::new();
        r.header("x", "a\x01b");
        assert_eq!(r.status_code(), 500);
        let mut r = Response::new();
        r.header("x", "a\tb\u{80}");
        assert_eq!(r.status_code(), 200);
    }

    #[test]
    fn managed_headers_are_ignored_and_reset_clears() {
        let mut r = Response::new();
        r.header("Content-Length", "5")
            .header("Connection", "close")
            .header("x", " v ");
        assert_eq!(r.headers().collect::<Vec<_>>(), [(&b"x"[..], &b"v"[..])]);
        r.body_mut().extend_from_slice(b"abc");
        r.reset();
        assert_eq!(r.headers().count(), 0);
        assert_eq!(r.body_bytes(), Some(&b""[..]));
        assert_eq!(r.status_code(), 200);
    }
}
