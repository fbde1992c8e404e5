//! Response heads: the resumable [`ResponseParser`] and the parsed [`Response`].

use crate::error::Error;
use crate::facts::{response_facts, ResponseFacts};
use crate::head::{fast_fields, field_line, refill, Fast, Header, Line, LineState, Status};
use crate::limits::Config;
use crate::method::{parse_version, version_prefix_ok, Method, Version};
use crate::scan::skip_value;

/// A parsed response head, borrowing from the input and the caller's slots.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, ResponseParser, Version};
///
/// let mut h = [Header::EMPTY; 8];
/// let res = ResponseParser::new()
///     .parse(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", &mut h)?
///     .complete()
///     .unwrap();
/// assert_eq!((res.version, res.status, res.reason), (Version::Http11, 404, &b"Not Found"[..]));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response<'b, 'h> {
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The status code, 100..=999.
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: &'b [u8],
    /// The header fields in order.
    pub headers: &'h [Header<'b>],
    /// Length of the head in bytes, including empty lines before the status line; the body
    /// starts at this offset.
    pub head_len: usize,
}

impl<'b> Response<'b, '_> {
    /// The value of the first field named `name` (ASCII case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, ResponseParser};
    /// # let mut h = [Header::EMPTY; 4];
    /// let res = ResponseParser::new().parse(b"HTTP/1.1 200 OK\r\nServer: b\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(res.header(b"server"), Some(&b"b"[..]));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn header(&self, name: &[u8]) -> Option<&'b [u8]> {
        self.headers.iter().find(|h| h.is(name)).map(|h| h.value)
    }

    /// Body framing and persistence (RFC 9112 §6.3), given the method of the request this
    /// response answers (HEAD and CONNECT change the answer).
    ///
    /// # Errors
    ///
    /// [`Error::ConflictingFraming`], [`Error::InvalidContentLength`],
    /// [`Error::DifferingContentLength`], [`Error::InvalidTransferEncoding`],
    /// [`Error::ChunkedTwice`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Body, Header, Method, ResponseParser};
    ///
    /// let mut h = [Header::EMPTY; 4];
    /// let res = ResponseParser::new().parse(b"HTTP/1.0 200 OK\r\n\r\n", &mut h)?.complete().unwrap();
    /// let facts = res.facts(Method::Get)?;
    /// assert_eq!(facts.body, Body::CloseDelimited);
    /// assert!(!facts.keep_alive);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn facts(&self, request_method: Method<'_>) -> Result<ResponseFacts, Error> {
        response_facts(self.version, self.status, request_method, self.headers)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the status line: empty lines are skipped.
    Start,
    Version,
    Code,
    Reason,
    LineEnd,
    Fields,
}

/// A resumable, zero-copy, strict response head parser (RFC 9112 §4), for clients and tests.
///
/// Driven exactly like [`RequestParser`](crate::RequestParser): feed the bytes so far, get
/// `Partial` until the head is complete; errors are sticky until [`reset`](Self::reset).
/// The status line is `HTTP-version SP 3DIGIT SP reason CRLF`; a missing `SP reason` is accepted
/// as an empty reason phrase. Empty lines before it (CRLF, or LF with
/// [`Config::allow_bare_lf`]) are skipped, as for requests (RFC 9112 §2.2): some servers send
/// a stray CRLF after a body.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, ResponseParser, Status};
///
/// let mut p = ResponseParser::new();
/// let mut h = [Header::EMPTY; 8];
/// let input = b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n";
/// assert_eq!(p.parse(&input[..10], &mut h)?.complete(), None);
/// let Status::Complete(res) = p.parse(input, &mut h)? else { panic!() };
/// assert_eq!(res.status, 204);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
///
/// # Errors
///
/// Any head-syntax or limit [`Error`], plus [`Error::InvalidStatus`] and
/// [`Error::InvalidReason`].
///
/// # Contract
///
/// As for `RequestParser`: bytes already passed must not change between calls.
#[derive(Debug, Clone)]
pub struct ResponseParser {
    config: Config,
    phase: Phase,
    pos: usize,
    version: Version,
    status: u16,
    reason: (usize, usize),
    headers_start: usize,
    line: LineState,
    count: usize,
    resumed: bool,
    error: Option<Error>,
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A strict parser with default limits.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = brisk_http1::ResponseParser::new();
    /// # let _ = p;
    /// ```
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A parser with the given limits and leniencies.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = brisk_http1::ResponseParser::with_config(brisk_http1::Config::default());
    /// # let _ = p;
    /// ```
    pub fn with_config(config: Config) -> Self {
        ResponseParser {
            config,
            phase: Phase::Start,
            pos: 0,
            version: Version::Http11,
            status: 0,
            reason: (0, 0),
            headers_start: 0,
            line: LineState::at(0),
            count: 0,
            resumed: false,
            error: None,
        }
    }

    /// Forgets any progress and any error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut p = brisk_http1::ResponseParser::new();
    /// p.reset();
    /// ```
    pub fn reset(&mut self) {
        *self = Self::with_config(self.config);
    }

    /// Parses (or continues parsing) a response head from `buf`, filling `headers`.
    ///
    /// # Errors
    ///
    /// See the type documentation.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Header, ResponseParser};
    ///
    /// let mut h = [Header::EMPTY; 4];
    /// assert_eq!(ResponseParser::new().parse(b"HTTP/1.1 20 OK\r\n\r\n", &mut h), Err(Error::InvalidStatus));
    /// ```
    pub fn parse<'b, 'h>(
        &mut self,
        buf: &'b [u8],
        headers: &'h mut [Header<'b>],
    ) -> Result<Status<Response<'b, 'h>>, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.run(buf, headers) {
            Ok(Some(head_len)) => {
                let res = (
                    self.version,
                    self.status,
                    &buf[self.reason.0..self.reason.1],
                    self.count,
                );
                self.reset();
                let headers: &'h [Header<'b>] = headers;
                Ok(Status::Complete(Response {
                    version: res.0,
                    status: res.1,
                    reason: res.2,
                    headers: &headers[..res.3],
                    head_len,
                }))
            }
            Ok(None) => {
                self.resumed = true;
                Ok(Status::Partial)
            }
            Err(e) => {
                self.error = Some(e);
                Err(e)
            }
        }
    }

    fn run<'b>(
        &mut self,
        full: &'b [u8],
        slots: &mut [Header<'b>],
    ) -> Result<Option<usize>, Error> {
        let limits = self.config.limits;
        let bare_lf = self.config.allow_bare_lf;
        let buf = &full[..full.len().min(limits.max_head_size)];
        let mut pos = self.pos;
        loop {
            match self.phase {
                Phase::Start => match buf.get(pos) {
                    // Empty lines before the status line (a server's stray CRLF after the
                    // previous message) are ignored, as for requests (RFC 9112 §2.2).
                    None => break,
                    Some(b'\r') => match buf.get(pos + 1) {
                        None => break,
                        Some(b'\n') => pos += 2,
                        Some(_) => return Err(Error::BareCr),
                    },
                    Some(b'\n') if bare_lf => pos += 1,
                    Some(b'\n') => return Err(Error::BareLf),
                    Some(_) => self.phase = Phase::Version,
                },
                Phase::Version => {
                    let v = &buf[pos..buf.len().min(pos + 8)];
                    if v.len() < 8 {
                        if !version_prefix_ok(v) {
                            return Err(Error::InvalidVersion);
                        }
                        break;
                    }
                    self.version = parse_version(v)?;
                    match buf.get(pos + 8) {
                        None => break,
                        Some(b' ') => {}
                        Some(_) => return Err(Error::InvalidVersion),
                    }
                    pos += 9;
                    self.phase = Phase::Code;
                }
                Phase::Code => {
                    let c = &buf[pos..buf.len().min(pos + 4)];
                    if !c.iter().take(3).all(u8::is_ascii_digit) {
                        return Err(Error::InvalidStatus);
                    }
                    if c.len() < 4 {
                        break;
                    }
                    let code = c[..3]
                        .iter()
                        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
                    if code < 100 {
                        return Err(Error::InvalidStatus);
                    }
                    self.status = code;
                    match c[3] {
                        b' ' => pos += 4,
                        b'\r' | b'\n' => pos += 3,
                        _ => return Err(Error::InvalidStatus),
                    }
                    self.reason = (pos, pos);
                    self.phase = Phase::Reason;
                }
                Phase::Reason => {
                    pos = skip_value(buf, pos);
                    match buf.get(pos) {
                        None => break,
                        Some(b'\r' | b'\n') => {
                            self.reason.1 = pos;
                            self.phase = Phase::LineEnd;
                        }
                        Some(_) => return Err(Error::InvalidReason),
                    }
                }
                Phase::LineEnd => {
                    match buf.get(pos) {
                        None => break,
                        Some(b'\r') => match buf.get(pos + 1) {
                            None => break,
                            Some(b'\n') => pos += 2,
                            Some(_) => return Err(Error::BareCr),
                        },
                        Some(b'\n') if bare_lf => pos += 1,
                        Some(_) => return Err(Error::BareLf),
                    }
                    self.headers_start = pos;
                    self.line = LineState::at(pos);
                    self.phase = Phase::Fields;
                }
                Phase::Fields => {
                    let max = slots.len().min(limits.max_headers);
                    loop {
                        // Whole, ordinary lines take the fast path; the state machine takes the
                        // one line it stops at, then the fast path resumes.
                        if self.line.at_line_start() {
                            let start = self.line.pos;
                            match fast_fields(
                                buf,
                                start,
                                slots,
                                &mut self.count,
                                max,
                                limits.max_field_size,
                            ) {
                                Fast::End(end) => {
                                    if self.resumed {
                                        refill(buf, self.headers_start, end, slots);
                                    }
                                    return Ok(Some(end));
                                }
                                Fast::Stop(p) => self.line = LineState::at(p),
                                Fast::Partial(line) => self.line = line,
                            }
                        }
                        match field_line(buf, &mut self.line, bare_lf, limits.max_field_size)? {
                            Line::Field(ns, ne, vs, ve) => {
                                if self.count >= max {
                                    return Err(Error::TooManyHeaders);
                                }
                                slots[self.count] = Header {
                                    name: &buf[ns..ne],
                                    value: &buf[vs..ve],
                                };
                                self.count += 1;
                            }
                            Line::End => {
                                let end = self.line.pos;
                                if self.resumed {
                                    refill(buf, self.headers_start, end, slots);
                                }
                                return Ok(Some(end));
                            }
                            Line::Partial => {
                                pos = self.line.pos;
                                break;
                            }
                        }
                    }
                    break;
                }
            }
        }
        self.pos = pos;
        if full.len() >= limits.max_head_size {
            return Err(Error::HeadTooLarge);
        }
        Ok(None)
    }
}
