//! Request heads: the resumable [`RequestParser`] and the parsed [`Request`].

use crate::error::Error;
use crate::facts::{request_facts, RequestFacts};
use crate::head::{fast_fields, field_line, refill, Fast, Header, Line, LineState, Status};
use crate::limits::Config;
use crate::method::{parse_version, version_prefix_ok, Method, Version};
use crate::scan::{skip_token, skip_uri};
use crate::target::{Target, TargetForm};

/// A parsed request head. Everything borrows from the input buffer and the caller's slots.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Body, Header, Method, RequestParser, Version};
///
/// let buf = b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
/// let mut headers = [Header::EMPTY; 16];
/// let req = RequestParser::new().parse(buf, &mut headers)?.complete().unwrap();
/// assert_eq!(req.method, Method::Post);
/// assert_eq!(req.version, Version::Http11);
/// assert_eq!(req.header(b"content-length"), Some(&b"5"[..]));
/// let facts = req.facts()?;
/// assert_eq!(facts.body, Body::Length(5));
/// assert_eq!(&buf[req.head_len..], b"hello");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request<'b, 'h> {
    /// The method token.
    pub method: Method<'b>,
    /// The request-target.
    pub target: Target<'b>,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields in order, a prefix of the caller's slots.
    pub headers: &'h [Header<'b>],
    /// Length of the head in bytes, including empty lines before the request-line and the final
    /// CRLF: the body (or the next message) starts at this offset.
    pub head_len: usize,
}

impl<'b> Request<'b, '_> {
    /// The value of the first field named `name` (ASCII case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 4];
    /// let req = RequestParser::new().parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.header(b"HOST"), Some(&b"a"[..]));
    /// assert_eq!(req.header(b"accept"), None);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn header(&self, name: &[u8]) -> Option<&'b [u8]> {
        self.headers.iter().find(|h| h.is(name)).map(|h| h.value)
    }

    /// Computes the message facts: body framing (RFC 9112 §6.3), keep-alive, `Expect:
    /// 100-continue`, `Upgrade`, and the host. This is where request-smuggling defenses live.
    ///
    /// # Errors
    ///
    /// [`Error::ConflictingFraming`], [`Error::InvalidContentLength`],
    /// [`Error::DifferingContentLength`], [`Error::InvalidTransferEncoding`],
    /// [`Error::ChunkedNotFinal`], [`Error::ChunkedTwice`], [`Error::MissingHost`],
    /// [`Error::DuplicateHost`], [`Error::InvalidHost`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Header, RequestParser};
    ///
    /// let mut h = [Header::EMPTY; 8];
    /// let req = RequestParser::new()
    ///     .parse(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", &mut h)?
    ///     .complete()
    ///     .unwrap();
    /// assert_eq!(req.facts(), Err(Error::ConflictingFraming));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn facts(&self) -> Result<RequestFacts<'b>, Error> {
        request_facts(self.version, &self.target, self.headers)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Method,
    Target,
    Version,
    LineEnd,
    Fields,
}

/// A resumable, zero-copy, strict request head parser (RFC 9112 §2-§5).
///
/// # Driving it
///
/// Call [`parse`](Self::parse) with everything received so far for the current message (the
/// same bytes as last time, followed by new ones). It returns [`Status::Partial`] until the
/// head is complete, remembering how far it validated, so a head fed in N pieces costs
/// O(total bytes), not O(N x bytes). [`Status::Complete`] gives the [`Request`], whose
/// `head_len` says where the body starts; the parser is then reset, ready for the next head
/// starting at the first byte after the body. Errors are sticky until [`reset`](Self::reset).
///
/// The caller provides the header slots; a head with more fields than slots fails with
/// [`Error::TooManyHeaders`].
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, RequestParser, Status};
///
/// let input = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
/// let mut parser = RequestParser::new();
/// let mut headers = [Header::EMPTY; 32];
/// // The head arrives in two reads.
/// assert!(matches!(parser.parse(&input[..20], &mut headers)?, Status::Partial));
/// let Status::Complete(req) = parser.parse(input, &mut headers)? else { panic!() };
/// assert_eq!(req.target.as_bytes(), b"/index.html");
/// assert_eq!(req.headers[0].value, b"example.com");
/// assert_eq!(req.head_len, input.len());
/// # Ok::<(), brisk_http1::Error>(())
/// ```
///
/// # Errors
///
/// Each broken rule has its own [`Error`] variant; [`Error::status`] gives the answer.
///
/// # Contract
///
/// Between calls that return `Partial`, the bytes already passed must not change (only more
/// may be appended; the buffer itself may move). Breaking this gives wrong results, never
/// undefined behaviour or a panic.
///
/// # Implementation notes
///
/// A fresh parser first tries a straight-line fast path over the whole head (locals only,
/// 16-byte SSE2 scans of the target and field values, 32-byte AVX2 value scans on CPUs that
/// have it, detected at run time). Anything it does not take whole and ordinary goes to a
/// resumable state machine over the start line and one field line at a time, which reports
/// the precise error; after each such line the fast path resumes. When the input ends inside
/// a well-formed line, the fast path hands over that line's state, so a resumed call continues
/// inside the line instead of scanning it again. No byte is scanned more than twice. The fast
/// path for a fresh parser is inlined into the caller; the state machine is not. When a head completes after several calls, the fields found by earlier calls are
/// rebuilt from remembered offsets (a 1 KiB table allocated on the parser's first `Partial`
/// and kept until it is dropped, so a parser that only ever sees whole heads stays small: a
/// server's idle connection carries the table only if one of its heads arrived in pieces; a
/// head with more than 128 fields or longer than 64 KiB falls back to one linear re-split).
#[derive(Debug, Clone)]
pub struct RequestParser {
    config: Config,
    phase: Phase,
    /// INVARIANT: bytes before `pos` have been validated for the current phase.
    pos: usize,
    method_start: usize,
    method_end: usize,
    target_end: usize,
    brackets: bool,
    version: Version,
    target: (TargetForm, usize, usize),
    headers_start: usize,
    line: LineState,
    count: usize,
    resumed: bool,
    /// Offsets (name start, name end, value start, value end) of the fields completed in
    /// earlier calls, so a resumed head needs no second pass. Allocated on the first `Partial`
    /// only and kept across heads and [`reset`](Self::reset) (one allocation per parser);
    /// `None` keeps parsers small and cheap to create.
    saved: Option<Box<[[u16; 4]; SAVED]>>,
    /// False once a field could not be saved (beyond `SAVED` fields or past 64 KiB): the
    /// slots are then rebuilt by one linear pass instead.
    saved_ok: bool,
    error: Option<Error>,
}

/// What the fast path found.
struct FastHead<'b> {
    method: Method<'b>,
    target_end: usize,
    target: (TargetForm, usize, usize),
    version: Version,
    /// Fields stored in the slots.
    count: usize,
    /// The head length when `complete`, else the start of the line the fast path stopped at.
    end: usize,
    complete: bool,
}

/// Fields whose offsets a resumed parse remembers; beyond this, one extra pass rebuilds them.
const SAVED: usize = 128;

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A strict parser with default [`Limits`](crate::Limits).
    ///
    /// # Examples
    ///
    /// ```
    /// let parser = brisk_http1::RequestParser::new();
    /// # let _ = parser;
    /// ```
    #[inline]
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A parser with the given limits and leniencies.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Config, RequestParser};
    ///
    /// let mut config = Config::default();
    /// config.allow_bare_lf = true;
    /// let parser = RequestParser::with_config(config);
    /// # let _ = parser;
    /// ```
    #[inline]
    pub fn with_config(config: Config) -> Self {
        RequestParser {
            config,
            phase: Phase::Start,
            pos: 0,
            method_start: 0,
            method_end: 0,
            target_end: 0,
            brackets: false,
            version: Version::Http11,
            target: (TargetForm::Origin, 0, 0),
            headers_start: 0,
            line: LineState::at(0),
            count: 0,
            resumed: false,
            saved: None,
            saved_ok: true,
            error: None,
        }
    }

    /// Forgets any progress and any error, keeping the configuration (and the offset table of
    /// resumed heads, if one was allocated).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// let mut p = RequestParser::new();
    /// let mut h = [Header::EMPTY; 4];
    /// assert!(p.parse(b"GET / HTTP/9.9\r\n", &mut h).is_err());
    /// p.reset();
    /// assert!(p.parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut h)?.is_complete());
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn reset(&mut self) {
        let saved = self.saved.take();
        *self = Self::with_config(self.config);
        self.saved = saved;
    }

    /// The configuration this parser uses.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::RequestParser::new().config().limits.max_headers, 100);
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Parses (or continues parsing) a request head from `buf`, filling `headers`.
    ///
    /// # Errors
    ///
    /// Any head-syntax or limit [`Error`]; framing errors come later from
    /// [`Request::facts`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Header, RequestParser};
    ///
    /// let mut h = [Header::EMPTY; 4];
    /// let err = RequestParser::new().parse(b"GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", &mut h);
    /// assert_eq!(err.unwrap_err(), Error::BareLf);
    /// ```
    #[inline(always)]
    pub fn parse<'b, 'h>(
        &mut self,
        buf: &'b [u8],
        headers: &'h mut [Header<'b>],
    ) -> Result<Status<Request<'b, 'h>>, Error> {
        // A fresh parser first tries the one-shot fast path, inlined into the caller; the rest
        // (resumption, errors, unusual heads) is the out-of-line state machine, which returns
        // only the head length and leaves the head's description in `self`, so the request is
        // built from scalars on either path (no large value crosses the call).
        if self.phase == Phase::Start && self.pos == 0 && self.error.is_none() {
            if let Some(f) = self.fast(buf, headers) {
                if f.complete {
                    let raw = &buf[f.method.as_bytes().len() + 1..f.target_end];
                    let headers: &'h [Header<'b>] = headers;
                    return Ok(Status::Complete(Request {
                        method: f.method,
                        target: Target::from_parts(raw, f.target),
                        version: f.version,
                        headers: &headers[..f.count],
                        head_len: f.end,
                    }));
                }
                // Continue in the state machine at the line the fast path stopped at.
                self.begin();
                self.method_end = f.method.as_bytes().len();
                self.target_end = f.target_end;
                self.target = f.target;
                self.version = f.version;
                self.headers_start = f.target_end + 11;
                self.count = f.count;
                self.line = LineState::at(f.end);
                self.phase = Phase::Fields;
                self.pos = f.end;
            }
        }
        let Some(head_len) = self.parse_slow(buf, headers)? else {
            return Ok(Status::Partial);
        };
        let method = Method::from_bytes(&buf[self.method_start..self.method_end]);
        let raw = &buf[self.method_end + 1..self.target_end];
        let headers: &'h [Header<'b>] = headers;
        Ok(Status::Complete(Request {
            method,
            target: Target::from_parts(raw, self.target),
            version: self.version,
            headers: &headers[..self.count],
            head_len,
        }))
    }

    /// Clears the per-head state for a head starting at byte 0 (the configuration and the
    /// inline offset store stay).
    #[inline(always)]
    fn begin(&mut self) {
        self.method_start = 0;
        self.brackets = false;
        self.count = 0;
        self.resumed = false;
        self.saved_ok = true;
    }

    /// The state machine's entry: the head length when complete (the head's description then
    /// stays in `self` for [`parse`](Self::parse) to read, and the phase is back to the start
    /// for the next head), `None` when more input is needed. Errors are sticky.
    #[inline(never)]
    fn parse_slow<'b>(
        &mut self,
        buf: &'b [u8],
        headers: &mut [Header<'b>],
    ) -> Result<Option<usize>, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.phase == Phase::Start && self.pos == 0 {
            self.begin();
        }
        // Fields `0..first` were found by earlier calls; after a fast-path hand-over (not yet
        // `resumed`) all of them were found by this call.
        let first = if self.resumed { self.count } else { 0 };
        match self.run(buf, headers, first) {
            Ok(Some(head_len)) => {
                // Ready for the next head; `parse` reads the description fields first.
                self.phase = Phase::Start;
                self.pos = 0;
                Ok(Some(head_len))
            }
            Ok(None) => {
                self.resumed = true;
                Ok(None)
            }
            Err(e) => {
                self.error = Some(e);
                Err(e)
            }
        }
    }

    /// The one-shot fast path for an ordinary head in a fresh parser: locals only, no state
    /// written. An unusual request-line (leading empty lines, brackets, errors, limits, too
    /// little input) gives `None` and the state machine parses from byte 0, reporting
    /// precisely. When the request-line is fine but a field line is not whole or not ordinary,
    /// the state machine takes over at that line. Either way no byte is scanned more than twice.
    #[inline(always)]
    fn fast<'b>(&self, full: &'b [u8], slots: &mut [Header<'b>]) -> Option<FastHead<'b>> {
        let limits = &self.config.limits;
        let buf = &full[..full.len().min(limits.max_head_size)];
        let (method, me) = match buf.first_chunk::<8>()? {
            [b'G', b'E', b'T', b' ', ..] => (Method::Get, 3),
            [b'P', b'O', b'S', b'T', b' ', ..] => (Method::Post, 4),
            [b'P', b'U', b'T', b' ', ..] => (Method::Put, 3),
            [b'H', b'E', b'A', b'D', b' ', ..] => (Method::Head, 4),
            _ => {
                let me = skip_token(buf, 0);
                (Method::from_bytes(&buf[..me]), me)
            }
        };
        if me == 0 || buf.get(me) != Some(&b' ') {
            return None;
        }
        let ts = me + 1;
        let te = skip_uri(buf, ts);
        if te == ts || te - ts > limits.max_target_len || buf.get(te) != Some(&b' ') {
            return None;
        }
        let version = match buf.get(te + 1..te + 11)? {
            b"HTTP/1.1\r\n" => Version::Http11,
            b"HTTP/1.0\r\n" => Version::Http10,
            _ => return None,
        };
        let target = if buf[ts] == b'/' && method != Method::Connect {
            (TargetForm::Origin, 0, 0)
        } else {
            Target::classify(method, &buf[ts..te], false).ok()?.parts()
        };
        let max = slots.len().min(limits.max_headers);
        let mut count = 0;
        // A line cut off by the end of the input is scanned again by the state machine (once:
        // resumed calls continue inside the line).
        let (end, complete) =
            match fast_fields(buf, te + 11, slots, &mut count, max, limits.max_field_size) {
                Fast::End(end) => (end, true),
                Fast::Stop(at) => (at, false),
                Fast::Partial(line) => (line.start(), false),
            };
        Some(FastHead {
            method,
            target_end: te,
            target,
            version,
            count,
            end,
            complete,
        })
    }

    /// The state machine. Fields `0..first` were found by earlier calls (their slots are
    /// restored on completion); fields from `first` on were found by this call.
    fn run<'b>(
        &mut self,
        full: &'b [u8],
        slots: &mut [Header<'b>],
        first: usize,
    ) -> Result<Option<usize>, Error> {
        let limits = self.config.limits;
        let bare_lf = self.config.allow_bare_lf;
        let buf = &full[..full.len().min(limits.max_head_size)];
        let mut pos = self.pos;
        loop {
            match self.phase {
                Phase::Method => {
                    // Fast path for the common methods, all in one 8-byte window.
                    if pos == self.method_start {
                        if let Some(w) = buf.get(pos..).and_then(|s| s.first_chunk::<8>()) {
                            let n = match w {
                                [b'G', b'E', b'T', b' ', ..] => 3,
                                [b'P', b'O', b'S', b'T', b' ', ..] => 4,
                                [b'P', b'U', b'T', b' ', ..] => 3,
                                [b'H', b'E', b'A', b'D', b' ', ..] => 4,
                                [b'D', b'E', b'L', b'E', b'T', b'E', b' ', _] => 6,
                                _ => 0,
                            };
                            if n != 0 {
                                self.method_end = pos + n;
                                pos += n + 1;
                                self.phase = Phase::Target;
                                continue;
                            }
                        }
                    }
                    pos = skip_token(buf, pos);
                    match buf.get(pos) {
                        None => break,
                        Some(b' ') if pos > self.method_start => {
                            self.method_end = pos;
                            pos += 1;
                            self.phase = Phase::Target;
                        }
                        Some(_) => return Err(Error::InvalidMethod),
                    }
                }
                Phase::Target => {
                    let start = self.method_end + 1;
                    loop {
                        pos = skip_uri(buf, pos);
                        match buf.get(pos) {
                            Some(b'[' | b']') => {
                                self.brackets = true;
                                pos += 1;
                            }
                            _ => break,
                        }
                    }
                    if pos - start > limits.max_target_len {
                        return Err(Error::TargetTooLong);
                    }
                    match buf.get(pos) {
                        None => break,
                        Some(b' ') if pos > start => {
                            self.target_end = pos;
                            pos += 1;
                            self.phase = Phase::Version;
                        }
                        // `GET /\r\n`: an HTTP/0.9 request line, without a version.
                        Some(b'\r' | b'\n') if pos > start => return Err(Error::InvalidVersion),
                        Some(_) => return Err(Error::InvalidTarget),
                    }
                }
                Phase::Version => {
                    let v = &buf[pos..buf.len().min(pos + 8)];
                    if v.len() < 8 {
                        if !version_prefix_ok(v) {
                            return Err(Error::InvalidVersion);
                        }
                        break;
                    }
                    self.version = parse_version(v)?;
                    pos += 8;
                    self.phase = Phase::LineEnd;
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
                        Some(b'\n') => return Err(Error::BareLf),
                        Some(_) => return Err(Error::InvalidVersion),
                    }
                    let method = Method::from_bytes(&buf[self.method_start..self.method_end]);
                    let raw = &buf[self.method_end + 1..self.target_end];
                    self.target = Target::classify(method, raw, self.brackets)?.parts();
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
                                        self.restore(buf, slots, first);
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
                                    self.restore(buf, slots, first);
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
                Phase::Start => match buf.get(pos) {
                    // Empty lines before the request-line are ignored (RFC 9112 §2.2).
                    None => break,
                    Some(b'\r') => match buf.get(pos + 1) {
                        None => break,
                        Some(b'\n') => pos += 2,
                        Some(_) => return Err(Error::BareCr),
                    },
                    Some(b'\n') if bare_lf => pos += 1,
                    Some(b'\n') => return Err(Error::BareLf),
                    Some(_) => {
                        self.method_start = pos;
                        self.phase = Phase::Method;
                    }
                },
            }
        }
        self.pos = pos;
        if full.len() >= limits.max_head_size {
            return Err(Error::HeadTooLarge);
        }
        self.save(buf, slots, first);
        Ok(None)
    }

    /// Records the offsets of the fields completed in this call (`first..count`).
    fn save(&mut self, buf: &[u8], slots: &[Header<'_>], first: usize) {
        if !self.saved_ok || first == self.count {
            return;
        }
        let saved = self.saved.get_or_insert_with(|| Box::new([[0; 4]; SAVED]));
        let (Some(src), Some(dst)) = (
            slots.get(first..self.count),
            saved.get_mut(first..self.count),
        ) else {
            self.saved_ok = false;
            return;
        };
        let base = buf.as_ptr() as usize;
        for (h, o) in src.iter().zip(dst) {
            // These slots were filled from `buf` by this call: name before value, so the
            // value's end is the largest offset.
            let ns = h.name.as_ptr() as usize - base;
            let vs = h.value.as_ptr() as usize - base;
            let ve = vs + h.value.len();
            if ve > usize::from(u16::MAX) {
                self.saved_ok = false;
                return;
            }
            *o = [ns as u16, (ns + h.name.len()) as u16, vs as u16, ve as u16];
        }
    }

    /// Fills the slots of fields completed in earlier calls (`0..first`) from this buffer.
    fn restore<'b>(&self, buf: &'b [u8], slots: &mut [Header<'b>], first: usize) {
        match (&self.saved, self.saved_ok) {
            (Some(saved), true) => {
                for (slot, o) in slots.iter_mut().zip(saved.iter()).take(first) {
                    let [a, b, c, d] = o.map(usize::from);
                    *slot = Header {
                        name: &buf[a..b],
                        value: &buf[c..d],
                    };
                }
            }
            (None, _) => {}
            (Some(_), false) => {
                refill(buf, self.headers_start, buf.len(), slots);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::ResponseParser;

    fn whole(p: &mut RequestParser, head: &[u8]) -> String {
        let mut h = [Header::EMPTY; 8];
        format!("{:?}", p.parse(head, &mut h))
    }

    /// Feeds `head` cut at `cuts` (each prefix a separate call, as a read loop would).
    fn pieces(p: &mut RequestParser, head: &[u8], cuts: &[usize]) -> String {
        for &c in cuts {
            let mut h = [Header::EMPTY; 8];
            match p.parse(&head[..c], &mut h) {
                Ok(Status::Partial) => {}
                other => return format!("{other:?}"),
            }
        }
        whole(p, head)
    }

    const HEADS: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX:  \t v \t \r\nE:\r\nF: \r\nG:\t\r\n\r\n",
        b"POST /x HTTP/1.0\r\nA: 0123456789abcdef\r\nBb: 0123456789abcde\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nLong: 0123456789abcdefghijklmnop\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nV: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nV: ab\rc\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nV: ab\nC: d\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",
        b"\r\nGET http://[::1]:80/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n \r\n\r\n",
    ];

    fn configs() -> Vec<Config> {
        let mut small = Config::default();
        // Field lines of HEADS[2]/[3] sit on both sides of this limit, with and without CR.
        small.limits.max_field_size = 19;
        small.limits.max_headers = 4;
        let lenient = Config {
            allow_bare_lf: true,
            ..Config::default()
        };
        vec![Config::default(), small, lenient]
    }

    /// Resumed calls continue inside a line cut by the end of the input (in its OWS, value or
    /// after its CR) instead of scanning it again: every split, and every pair of splits, gives
    /// what one whole parse gives, under each limit set.
    #[test]
    fn splits_inside_lines_equal_whole() {
        for cfg in configs() {
            for head in HEADS {
                let want = whole(&mut RequestParser::with_config(cfg), head);
                for a in 0..head.len() {
                    let got = pieces(&mut RequestParser::with_config(cfg), head, &[a]);
                    assert_eq!(
                        got,
                        want,
                        "{:?} cut at {a}",
                        head.escape_ascii().to_string()
                    );
                    for b in a + 1..head.len() {
                        let got = pieces(&mut RequestParser::with_config(cfg), head, &[a, b]);
                        assert_eq!(got, want, "cut at {a}, {b}");
                    }
                }
            }
        }
    }

    /// After a head completes on the state machine, the same parser takes the next head (on the
    /// fast path or the state machine) exactly as a fresh parser would.
    #[test]
    fn parser_reused_after_resumed_head() {
        for cfg in configs() {
            for first in HEADS {
                for next in HEADS {
                    let mut p = RequestParser::with_config(cfg);
                    let done = pieces(&mut p, first, &[first.len() / 2]);
                    if !done.starts_with("Ok(Complete") {
                        continue;
                    }
                    let want = whole(&mut RequestParser::with_config(cfg), next);
                    let mut q = p.clone();
                    assert_eq!(whole(&mut p, next), want);
                    let got = pieces(&mut q, next, &[next.len() / 3]);
                    assert_eq!(got, want);
                }
            }
        }
    }

    /// The response parser shares the mid-line hand-over.
    #[test]
    fn response_splits_inside_lines_equal_whole() {
        let head: &[u8] = b"HTTP/1.1 200 OK\r\nA:  x y \r\nB:\r\nC: \t\r\nDd: 0123456789\r\n\r\n";
        let parse = |cuts: &[usize]| {
            let mut p = ResponseParser::new();
            for &c in cuts {
                let mut h = [Header::EMPTY; 8];
                assert!(matches!(p.parse(&head[..c], &mut h), Ok(Status::Partial)));
            }
            let mut h = [Header::EMPTY; 8];
            format!("{:?}", p.parse(head, &mut h))
        };
        let want = parse(&[]);
        assert!(want.starts_with("Ok(Complete"), "{want}");
        for a in 0..head.len() {
            assert_eq!(parse(&[a]), want, "cut at {a}");
        }
    }
}
