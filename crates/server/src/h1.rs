//! HTTP/1.1 on one connection: keep-alive, pipelining, bodies (Content-Length and chunked),
//! 100-continue, HEAD, error answers, and the hand-off to h2c on `Upgrade: h2c`.
//!
//! Every response produced while handling one readable event is appended to the reactor's
//! output for the connection, which writes it all with one `writev`: a batch of pipelined
//! requests costs one write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk_http1::{
    Body as ReqBody, Chunk, ChunkedDecoder, Header, Method as H1Method, RequestParser, Status,
    TargetForm, Upgrade, Version as H1Version,
};
use brisk_reactor::{Action, Context, Output, TimeoutKind};

use crate::app::App;
use crate::body::{Framing, Outgoing, Read, READ_AHEAD};
use crate::body_limit::chunked_over_limit;
use crate::counters::WorkerCounters;
use crate::exchange::{self, Start};
use crate::request::{split_target, Version};
use crate::response::Stream;
use crate::status::decimal;
use crate::upload::ActiveSink;
use crate::worker::{with_worker, Worker};

/// Header slots per request (the parser fails with 431 beyond them).
pub(crate) const MAX_HEADER_SLOTS: usize = 128;

/// Header slots tried first: most requests fit, and a small array is cheap to initialise on
/// every read. A head with more fields is parsed again with [`MAX_HEADER_SLOTS`].
const SMALL_HEADER_SLOTS: usize = 24;

/// A body arriving over several reads: the head is kept as bytes and re-parsed when the
/// body is complete.
#[derive(Debug, Default)]
pub(crate) struct Collect {
    pub(crate) head: Vec<u8>,
    pub(crate) body: Vec<u8>,
    remaining: u64,
    chunked: Option<ChunkedDecoder>,
    /// For an upload route: where the body goes instead of `body`.
    sink: Option<ActiveSink>,
    /// Body bytes received so far.
    received: u64,
}

impl Collect {
    pub(crate) fn clear(&mut self) {
        self.head.clear();
        self.body.clear();
        self.remaining = 0;
        self.chunked = None;
        self.sink = None;
        self.received = 0;
    }
}

/// What the connection wrapper must do after `on_read`.
#[derive(Debug)]
pub(crate) enum Next {
    /// Stay on HTTP/1.1.
    Stay(usize, Action),
    /// `Upgrade: h2c` was accepted: 101 has been written; the request is stream 1 of the
    /// HTTP/2 connection, which gets the input from `consumed` on.
    UpgradeH2c {
        consumed: usize,
        h2: Box<crate::h2::H2>,
    },
}

/// HTTP/1.1 connection state.
pub(crate) struct H1 {
    /// Taken out while `on_read` runs (moving the pointer costs no atomic operation, unlike a
    /// clone), so the connection's own fields stay free to borrow.
    app: Option<Arc<App>>,
    /// Time of the last input: the idle timer is armed once and, when it fires early because
    /// requests kept coming, re-armed for the rest (no timer work per request).
    last_input: Option<Instant>,
    peer: SocketAddr,
    parser: RequestParser,
    collect: Option<Box<Collect>>,
    /// Output that did not fit in the reactor's buffer (a head, a large or streamed body),
    /// written as the socket drains.
    spill: Outgoing,
    served: u64,
    /// A partial head is buffered (a header-read timeout then answers 408).
    partial: bool,
    /// No more requests: everything after the current response is discarded.
    closing: bool,
    /// The current head has more fields than the small slot array: parse with the large one.
    big_head: bool,
}

impl std::fmt::Debug for H1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H1")
            .field("peer", &self.peer)
            .field("served", &self.served)
            .field("spill", &self.spill)
            .finish()
    }
}

/// A parsed request whose body has not all arrived ([`H1::start_body`]).
struct Pending<'b> {
    head: exchange::Head<'b>,
    head_len: usize,
    /// `None` for a chunked body.
    body_len: Option<u64>,
    expect_continue: bool,
    plan: Plan,
}

/// The exchange's view of a parsed head.
#[inline(always)]
fn exchange_head<'b>(
    req: &brisk_http1::Request<'b, 'b>,
    (path, query, target): (&'b str, Option<&'b str>, &'b str),
    peer: SocketAddr,
) -> exchange::Head<'b> {
    exchange::Head {
        method: req.method.as_str(),
        target,
        path,
        query,
        version: if req.version == H1Version::Http10 {
            Version::Http10
        } else {
            Version::Http11
        },
        headers: req.headers,
        peer,
    }
}

/// Answers `Upgrade: h2c` with `101 Switching Protocols` and builds the HTTP/2 connection
/// with the request as stream 1, if the request carries valid `HTTP2-Settings`.
#[cold]
#[inline(never)]
fn upgrade_h2c(
    app: &Arc<App>,
    peer: SocketAddr,
    req: &brisk_http1::Request<'_, '_>,
    out: &mut Output<'_>,
) -> Option<Box<crate::h2::H2>> {
    let settings = req.header(b"http2-settings")?;
    let h2 = crate::h2::H2::from_upgrade(app, peer, settings, req)?;
    let _ = out.extend_from_slice(
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    );
    Some(Box::new(h2))
}

/// The answer to one request, decided after the handler ran.
struct Plan {
    version: H1Version,
    keep_alive: bool,
    head_only: bool,
}

impl H1 {
    pub(crate) fn new(app: Arc<App>, peer: SocketAddr) -> Self {
        let mut cfg = brisk_http1::Config::default();
        let l = &app.config.limits;
        cfg.limits.max_head_size = l.max_head_size;
        cfg.limits.max_headers = l.max_headers.min(MAX_HEADER_SLOTS);
        cfg.limits.max_target_len = l.max_uri_len;
        H1 {
            parser: RequestParser::with_config(cfg),
            app: Some(app),
            last_input: None,
            peer,
            collect: None,
            spill: Outgoing::default(),
            served: 0,
            partial: false,
            closing: false,
            big_head: false,
        }
    }

    fn after_output(&self) -> Action {
        if self.closing && self.spill.is_empty() {
            Action::CloseAfterFlush
        } else {
            Action::Keep
        }
    }

    /// Whether [`H1::on_write_ready`] has work outside shutdown: a spill to flush (a large or
    /// streamed answer), or a close to report.
    pub(crate) fn wants_write_ready(&self) -> bool {
        self.closing || !self.spill.is_empty()
    }

    pub(crate) fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if !self.spill.is_empty() {
            self.flush_spill(out);
        }
        if cx.is_draining() && self.spill.is_empty() && self.collect.is_none() && !self.partial {
            // Shutting down and the response in flight is out: nothing more to do here.
            self.closing = true;
        }
        self.after_output()
    }

    pub(crate) fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        if kind == TimeoutKind::Idle {
            let idle = self
                .app
                .as_ref()
                .map_or(Duration::ZERO, |a| a.config.timeouts.idle);
            let quiet = self
                .last_input
                .map_or(idle, |t| cx.now().saturating_duration_since(t));
            if quiet < idle && self.spill.is_empty() {
                cx.set_timeout_in(TimeoutKind::Idle, idle - quiet);
                return Action::Keep;
            }
        }
        match kind {
            TimeoutKind::HeaderRead | TimeoutKind::BodyRead if self.spill.is_empty() => {
                with_worker(|w| {
                    w.stats.timeout();
                    w.date.update(cx.now(), || cx.system_time());
                    self.error(w, out, 408, H1Version::Http11);
                });
                Action::CloseAfterFlush
            }
            _ => Action::CloseNow,
        }
    }

    pub(crate) fn on_drain(&mut self, out: &mut Output<'_>) -> Action {
        let _ = out;
        // Idle between requests: close now. Mid-request: the next response carries
        // `Connection: close` (checked through `cx.is_draining()`).
        if self.spill.is_empty() && self.collect.is_none() && !self.partial {
            Action::CloseAfterFlush
        } else {
            Action::Keep
        }
    }

    /// Writes a server-generated error answer with `Connection: close` and stops reading.
    #[cold]
    #[inline(never)]
    fn error(&mut self, w: &mut Worker, out: &mut Output<'_>, code: u16, version: H1Version) {
        w.res.set_error(code);
        let plan = Plan {
            version,
            keep_alive: false,
            head_only: false,
        };
        self.write_response(w, out, &plan);
        self.closing = true;
        self.collect = None;
        self.partial = false;
    }

    pub(crate) fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> Next {
        if self.closing {
            return Next::Stay(input.len(), self.after_output());
        }
        if !self.spill.is_empty() && !self.flush_spill(out) {
            return Next::Stay(0, Action::Keep);
        }
        let Some(app) = self.app.take() else {
            return Next::Stay(input.len(), Action::CloseNow);
        };
        self.last_input = Some(cx.now());
        let next = self.read_requests(&app, cx, input, out);
        self.app = Some(app);
        next
    }

    /// The body of `on_read`, with the application borrowed from outside `self`.
    fn read_requests(
        &mut self,
        app: &Arc<App>,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> Next {
        let draining = cx.is_draining();
        with_worker(|w| {
            w.date.update(cx.now(), || cx.system_time());
            let mut small = [Header::EMPTY; SMALL_HEADER_SLOTS];
            let mut off = 0;
            loop {
                if self.closing || !self.spill.is_empty() {
                    break;
                }
                if self.collect.is_some() {
                    match self.continue_body(w, app, cx, out, &input[off..], draining) {
                        Some((n, true)) => {
                            off += n;
                            continue;
                        }
                        Some((n, false)) => {
                            off += n;
                            break;
                        }
                        None => {
                            off = input.len();
                            break;
                        }
                    }
                }
                let buf = &input[off..];
                if buf.is_empty() {
                    break;
                }
                if out.remaining() == 0 {
                    // The reactor hands the rest back once the output drains.
                    break;
                }
                let mut big;
                let slots: &mut [Header<'_>] = if self.big_head {
                    big = [Header::EMPTY; MAX_HEADER_SLOTS];
                    &mut big
                } else {
                    &mut small
                };
                let mut parsed = self.parser.parse(buf, slots);
                if parsed == Err(brisk_http1::Error::TooManyHeaders)
                    && !self.big_head
                    && self.parser.config().limits.max_headers > SMALL_HEADER_SLOTS
                {
                    // Start this head again with room for every allowed field.
                    self.parser.reset();
                    self.big_head = true;
                    big = [Header::EMPTY; MAX_HEADER_SLOTS];
                    parsed = parse_out_of_line(&mut self.parser, buf, &mut big);
                }
                let req = match parsed {
                    Ok(Status::Complete(r)) => {
                        self.big_head = false;
                        r
                    }
                    Ok(Status::Partial) => {
                        if !self.partial {
                            self.partial = true;
                            if cx.timeout() != Some(TimeoutKind::HeaderRead) {
                                cx.set_timeout(TimeoutKind::HeaderRead);
                            }
                        }
                        if cx.input_is_full() && off == 0 {
                            self.error(w, out, 431, H1Version::Http11);
                            off = input.len();
                        }
                        break;
                    }
                    Err(e) => {
                        self.parser.reset();
                        self.big_head = false;
                        self.error(w, out, e.status(), H1Version::Http11);
                        off = input.len();
                        break;
                    }
                };
                self.partial = false;
                let version = req.version;
                let facts = match req.facts() {
                    Ok(f) => f,
                    Err(e) => {
                        self.error(w, out, e.status(), version);
                        off = input.len();
                        break;
                    }
                };
                let Some(parts) = split(&req.target) else {
                    self.error(w, out, 400, version);
                    off = input.len();
                    break;
                };
                let head = exchange_head(&req, parts, self.peer);
                let head_len = req.head_len;
                let body_len = match facts.body {
                    ReqBody::None | ReqBody::CloseDelimited => Some(0),
                    ReqBody::Length(n) => Some(n),
                    ReqBody::Chunked => None,
                };
                if let Some(n) = body_len {
                    if n > app.config.limits.max_body_size as u64
                        && !exchange::upload_takes(app, head.method, head.path, n)
                    {
                        self.error(w, out, 413, version);
                        off = input.len();
                        break;
                    }
                }
                // h2c upgrade (RFC 7540 §3.2; RFC 9113 §3.1 dropped it, clients still use it):
                // only for requests without a body, as curl and nghttp send them. A bad
                // HTTP2-Settings header means the upgrade is ignored and HTTP/1.1 answers.
                if facts.upgrade == Some(Upgrade::H2c) && body_len == Some(0) && !draining {
                    if let Some(h2) = upgrade_h2c(app, self.peer, &req, out) {
                        return Next::UpgradeH2c {
                            consumed: off + head_len,
                            h2,
                        };
                    }
                }
                let complete_body = match body_len {
                    Some(n) if (buf.len() - head_len) as u64 >= n => Some(n as usize),
                    _ => None,
                };
                let keep_alive = facts.keep_alive && !draining && !self.limit_reached(app);
                let plan = Plan {
                    version,
                    keep_alive,
                    head_only: req.method == H1Method::Head,
                };
                if let Some(n) = complete_body {
                    let mut request = head.request(&buf[head_len..head_len + n]);
                    w.res.reset();
                    exchange::answer(app, &mut request, &mut w.res, &w.stats);
                    self.served += 1;
                    let plan = Plan {
                        keep_alive: plan.keep_alive && keeps(w.res.status_code()),
                        ..plan
                    };
                    self.write_response(w, out, &plan);
                    off += head_len + n;
                    if !plan.keep_alive {
                        self.closing = true;
                        off = input.len();
                        break;
                    }
                    continue;
                }
                // The body is not all here: decide now whether a handler will read it.
                let pending = Pending {
                    head,
                    head_len,
                    body_len,
                    expect_continue: facts.expect_continue,
                    plan,
                };
                if self.start_body(w, app, out, buf, pending) {
                    off += head_len;
                } else {
                    off = input.len();
                    break;
                }
            }
            if !self.closing
                && self.collect.is_none()
                && self.spill.is_empty()
                && off == input.len()
            {
                if draining {
                    self.closing = true;
                } else if cx.timeout() != Some(TimeoutKind::Idle) {
                    cx.set_timeout(TimeoutKind::Idle);
                }
            }
            Next::Stay(off.min(input.len()), self.after_output())
        })
    }

    /// A request whose body is not all in this read: answers it now if no handler will read
    /// the body (then the connection closes), else sends `100 Continue` if asked and starts
    /// collecting the body. Returns false if no more input is read.
    #[cold]
    #[inline(never)]
    fn start_body(
        &mut self,
        w: &mut Worker,
        app: &App,
        out: &mut Output<'_>,
        buf: &[u8],
        p: Pending<'_>,
    ) -> bool {
        // An upload route decides on the head alone whether it takes the body (before
        // `100 Continue`); a refusal, a 405 or a 308 is answered without reading the body.
        let mut request = p.head.request(&[]);
        let sink = match exchange::start(app, &mut request, &mut w.res, &w.stats) {
            Start::Read(sink) => sink,
            Start::Error(code) => {
                self.error(w, out, code, p.plan.version);
                return false;
            }
            Start::Answered => {
                self.answer_unread(w, out, &p.plan);
                return false;
            }
        };
        if p.expect_continue && buf.len() == p.head_len {
            let line: &[u8] = if p.plan.version == H1Version::Http10 {
                b""
            } else {
                b"HTTP/1.1 100 Continue\r\n\r\n"
            };
            let _ = out.extend_from_slice(line);
        }
        let mut c = w.collect_buffers();
        c.head.extend_from_slice(&buf[..p.head_len]);
        match p.body_len {
            Some(n) => c.remaining = n,
            None => c.chunked = Some(ChunkedDecoder::new()),
        }
        c.sink = sink;
        self.collect = Some(c);
        true
    }

    /// Writes `w.res` for a request whose body stays unread, and closes after it.
    fn answer_unread(&mut self, w: &mut Worker, out: &mut Output<'_>, plan: &Plan) {
        let plan = Plan {
            keep_alive: false,
            ..*plan
        };
        self.write_response(w, out, &plan);
        self.closing = true;
    }

    /// Feeds input to the body being collected; once it is complete, answers the request.
    /// Returns the bytes used and whether the body completed, or `None` after an error answer.
    #[cold]
    #[inline(never)]
    fn continue_body(
        &mut self,
        w: &mut Worker,
        app: &App,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
        input: &[u8],
        draining: bool,
    ) -> Option<(usize, bool)> {
        let c = self.collect.as_mut()?;
        let limits = &app.config.limits;
        let max = if c.sink.is_some() {
            limits.max_upload_size
        } else {
            limits.max_body_size as u64
        };
        match feed_body(c, input, max, &w.stats) {
            Ok((n, true)) => {
                let mut c = self.collect.take().expect("collect present");
                self.finish_collected(w, app, out, &mut c, draining);
                // The buffers go back to the worker for the next large body.
                w.recycle(c);
                Some((n, true))
            }
            Ok((n, false)) => {
                if cx.timeout() != Some(TimeoutKind::BodyRead) {
                    cx.set_timeout(TimeoutKind::BodyRead);
                }
                Some((n, false))
            }
            Err(code) => {
                self.error(w, out, code, H1Version::Http11);
                None
            }
        }
    }

    fn limit_reached(&self, app: &App) -> bool {
        let max = app.config.limits.max_requests_per_connection;
        max != 0 && self.served + 1 >= max
    }

    /// Re-parses a collected head and answers it with the collected body.
    #[inline(never)]
    fn finish_collected(
        &mut self,
        w: &mut Worker,
        app: &App,
        out: &mut Output<'_>,
        c: &mut Collect,
        draining: bool,
    ) {
        let sink = c.sink.take();
        let mut slots = [Header::EMPTY; MAX_HEADER_SLOTS];
        let mut parser = RequestParser::with_config(*self.parser.config());
        let Ok(Status::Complete(req)) = parser.parse(&c.head, &mut slots) else {
            self.error(w, out, 400, H1Version::Http11);
            return;
        };
        let keep_alive = req.facts().map(|f| f.keep_alive).unwrap_or(false)
            && !draining
            && !self.limit_reached(app);
        let Some(parts) = split(&req.target) else {
            self.error(w, out, 400, req.version);
            return;
        };
        let mut request = exchange_head(&req, parts, self.peer).request(&c.body);
        w.res.reset();
        match sink {
            Some(sink) => exchange::finish_upload(app, sink, &mut request, &mut w.res, &w.stats),
            None => exchange::answer(app, &mut request, &mut w.res, &w.stats),
        }
        self.served += 1;
        let plan = Plan {
            version: req.version,
            keep_alive: keep_alive && keeps(w.res.status_code()),
            head_only: req.method == H1Method::Head,
        };
        self.write_response(w, out, &plan);
        if !plan.keep_alive {
            self.closing = true;
        }
    }

    /// Serializes `w.res` (status line, server headers, fields, framing, body) into `out`,
    /// spilling what does not fit.
    fn write_response(&mut self, w: &mut Worker, out: &mut Output<'_>, plan: &Plan) {
        let res = &mut w.res;
        let status = exchange::status(res, &w.stats);
        let no_body = status == 204 || status == 304;
        let stream = if no_body { None } else { res.take_stream() };
        // A stream of declared length is delimited by `Content-Length`, others are chunked
        // (HTTP/1.1) or end with the connection (HTTP/1.0).
        let sized = stream.as_ref().and_then(|s| s.len);
        let chunked = stream.is_some() && sized.is_none() && plan.version == H1Version::Http11;
        let keep_alive = plan.keep_alive && (stream.is_none() || chunked || sized.is_some());
        // `None` only for a streamed body left in place (a 204 or 304 does not send it).
        let bytes = res.body_bytes().unwrap_or(&[]);
        let body_len = if stream.is_some() { 0 } else { bytes.len() };
        let head = Head {
            status,
            date: *w.date.get(),
            // 204 has no body and 304 describes a body it does not carry: no length for them.
            length: match sized {
                Some(n) => Some(n),
                None => (stream.is_none() && !no_body).then_some(body_len as u64),
            },
            chunked,
            connection: if !keep_alive {
                Some(&b"Connection: close\r\n"[..])
            } else if plan.version == H1Version::Http10 {
                Some(&b"Connection: keep-alive\r\n"[..])
            } else {
                None
            },
        };
        let send_body = !(plan.head_only || no_body);
        if !keep_alive {
            self.closing = true;
        }
        let direct = self.spill.is_empty() && stream.is_none();
        let body = if direct && send_body { bytes } else { &[] };
        if direct {
            // Fast path: head and body written straight into one free region of the output.
            // A head like the last one comes from the worker's copy of it.
            let cached = w.heads.get(&head, res);
            let written = out.append_with(out.remaining(), |buf| {
                let mut c = Cursor { buf, at: 0 };
                let head_ok = match cached {
                    Some(bytes) => c.put(bytes),
                    None => head.write(&mut c, res),
                };
                if head_ok && c.put(body) {
                    c.at
                } else {
                    0
                }
            });
            if written > 0 {
                return;
            }
        }
        self.write_slow(w, out, plan, &head, stream, send_body);
    }

    /// [`H1::write_response`] when the answer is not in one free region of the output: across
    /// its blocks if it fits, else into the spill (a large or streamed body).
    #[cold]
    #[inline(never)]
    fn write_slow(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        plan: &Plan,
        head: &Head,
        stream: Option<Stream>,
        send_body: bool,
    ) {
        let res = &mut w.res;
        let chunked = head.chunked;
        let direct = self.spill.is_empty() && stream.is_none();
        let body = match res.body_bytes() {
            Some(b) if direct && send_body => b,
            _ => &[],
        };
        let bytes = &mut w.head;
        bytes.clear();
        head.write(bytes, res);
        if direct {
            // Not in one region, perhaps across several blocks of the output.
            if out.remaining() >= bytes.len() + body.len() {
                let _ = out.extend_from_slice(bytes);
                let _ = out.extend_from_slice(body);
                return;
            }
        }
        // Slow path: what does not fit waits in the spill (a large or streamed body).
        self.spill.push_bytes(bytes);
        if send_body {
            self.spill.whole(&res.body, res.body_bytes().unwrap_or(&[]));
        }
        if !plan.head_only {
            if let Some(s) = stream {
                match s.len {
                    // Raw chunks up to the declared length (`Content-Length` delimits them).
                    Some(n) if n > 0 => self.spill.stream(s, Framing::Raw, Some(n)),
                    Some(_) => {}
                    None if chunked => self.spill.stream(s, Framing::Chunked, None),
                    // HTTP/1.0: unframed chunks, pulled as the socket drains, and the
                    // connection's close ends the body (`keep_alive` is off for this case).
                    None => self.spill.stream(s, Framing::Raw, Some(u64::MAX)),
                }
            }
        }
        // The connection answers nothing else until the spill is out.
        self.flush_spill(out);
    }

    /// Writes what fits of the spill. A sized stream that ended short cannot be finished on
    /// this connection: it closes once the bytes already produced are out, so the client sees
    /// a body shorter than its `Content-Length`.
    fn flush_spill(&mut self, out: &mut Output<'_>) -> bool {
        loop {
            let p = self.spill.pending();
            if !p.is_empty() {
                let n = p.len().min(out.remaining());
                if n == 0 {
                    return false;
                }
                let _ = out.extend_from_slice(&p[..n]);
                let all = n == p.len();
                self.spill.advance(n);
                if !all {
                    return false;
                }
                continue;
            }
            if !self.spill.has_source() {
                return true;
            }
            if out.remaining() == 0 {
                return false;
            }
            if self.spill.read(READ_AHEAD) == Read::Short {
                self.closing = true;
            }
        }
    }
}

/// The worker's copy of the last response head it serialized without handler fields, keyed
/// by everything that head says. Repeated answers (the same status, type, length and
/// connection handling within one second of `Date`) are then one copy instead of a field by
/// field serialization. One entry: a miss costs one serialization into it, as before.
#[derive(Debug)]
pub(crate) struct HeadCache {
    key: Option<HeadKey>,
    len: usize,
    bytes: [u8; HEAD_CACHE_LEN],
}

/// Longest head kept in the [`HeadCache`].
const HEAD_CACHE_LEN: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadKey {
    status: u16,
    date: [u8; crate::date::DATE_LEN],
    length: u64,
    connection: Option<&'static [u8]>,
    content_type: Option<&'static str>,
}

impl HeadCache {
    pub(crate) fn new() -> Self {
        HeadCache {
            key: None,
            len: 0,
            bytes: [0; HEAD_CACHE_LEN],
        }
    }

    /// The serialized `head` for `res`, from the cache or written into it; `None` when the
    /// head is not cacheable (handler fields, chunked framing, too long).
    #[inline]
    fn get(&mut self, head: &Head, res: &crate::response::Response) -> Option<&[u8]> {
        let length = match head.length {
            Some(n) if !head.chunked && !res.has_fields() => n,
            _ => return None,
        };
        let key = HeadKey {
            status: head.status,
            date: head.date,
            length,
            connection: head.connection,
            content_type: res.helper_type(),
        };
        if self.key != Some(key) {
            self.key = None;
            let mut c = Cursor {
                buf: &mut self.bytes,
                at: 0,
            };
            if !head.write(&mut c, res) {
                return None;
            }
            self.len = c.at;
            self.key = Some(key);
        }
        Some(&self.bytes[..self.len])
    }
}

/// What a response head says besides the handler's fields.
struct Head {
    status: u16,
    date: [u8; crate::date::DATE_LEN],
    /// `Content-Length`, if the response has one.
    length: Option<u64>,
    chunked: bool,
    /// The `Connection` line, if any.
    connection: Option<&'static [u8]>,
}

impl Head {
    /// Writes the head (status line, `Server`, `Date`, framing, `Connection`, the response's
    /// fields, the blank line) into `sink`; false if it did not fit.
    #[inline]
    fn write(&self, sink: &mut impl Sink, res: &crate::response::Response) -> bool {
        let mut ok = if self.status == 200 {
            // The common answer: status line and the fixed fields' start as one constant.
            sink.put(b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: ")
        } else {
            sink.put(b"HTTP/1.1 ")
                && sink.put(&crate::status::status_digits(self.status))
                && sink.put(b" ")
                && sink.put(crate::status::reason_phrase(self.status).as_bytes())
                && sink.put(b"\r\nServer: brisk\r\nDate: ")
        };
        ok = ok && sink.put(&self.date) && sink.put(b"\r\n");
        if self.chunked {
            ok = ok && sink.put(b"Transfer-Encoding: chunked\r\n");
        } else if let Some(n) = self.length {
            let mut digits = [0u8; 20];
            ok = ok
                && sink.put(b"Content-Length: ")
                && sink.put(decimal(n, &mut digits))
                && sink.put(b"\r\n");
        }
        if let Some(line) = self.connection {
            ok = ok && sink.put(line);
        }
        if let Some(t) = res.helper_type() {
            ok = ok && sink.put(b"content-type: ") && sink.put(t.as_bytes()) && sink.put(b"\r\n");
        }
        for (name, value) in res.set_fields() {
            ok = ok && sink.put(name) && sink.put(b": ") && sink.put(value) && sink.put(b"\r\n");
        }
        ok && sink.put(b"\r\n")
    }
}

/// Where a response head is written.
trait Sink {
    /// Appends `bytes`; false if they do not fit (the sink is then abandoned).
    fn put(&mut self, bytes: &[u8]) -> bool;
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> bool {
        self.extend_from_slice(bytes);
        true
    }
}

/// A fixed region of the output, filled from the front.
struct Cursor<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Sink for Cursor<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) -> bool {
        match self.buf.get_mut(self.at..self.at + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.at += bytes.len();
                true
            }
            None => false,
        }
    }
}

/// The parser's call, not inlined: for heads past the small slot array, so the common path's
/// code stays small.
#[inline(never)]
#[cold]
fn parse_out_of_line<'b, 'h>(
    parser: &mut RequestParser,
    buf: &'b [u8],
    slots: &'h mut [Header<'b>],
) -> Result<Status<brisk_http1::Request<'b, 'h>>, brisk_http1::Error> {
    parser.parse(buf, slots)
}

/// Whether a connection may continue after answering with `status`.
fn keeps(status: u16) -> bool {
    !matches!(status, 400 | 408 | 413 | 414 | 431 | 501 | 505)
}

/// Path, query and target as `&str` (the parser validated them as ASCII).
fn split<'b>(t: &brisk_http1::Target<'b>) -> Option<(&'b str, Option<&'b str>, &'b str)> {
    let target = t.as_str();
    if target.is_empty() {
        return None;
    }
    match t.form() {
        TargetForm::Origin => {
            let (path, query) = split_target(target);
            Some((path, query, target))
        }
        TargetForm::Absolute => {
            // The path is a suffix of the target: find where it starts.
            let start = (t.path().as_ptr() as usize).checked_sub(target.as_ptr() as usize)?;
            let (path, query) = split_target(target.get(start..)?);
            Some((if path.is_empty() { "/" } else { path }, query, target))
        }
        TargetForm::Asterisk => Some(("*", None, target)),
        TargetForm::Authority => Some((target, None, target)),
    }
}

/// Feeds body bytes into a collect (or its sink). Returns (consumed, complete) or the error
/// status.
#[inline(never)]
fn feed_body(
    c: &mut Collect,
    input: &[u8],
    max: u64,
    stats: &WorkerCounters,
) -> Result<(usize, bool), u16> {
    match c.chunked.as_mut() {
        None => {
            // The declared length was checked against the limit with the head.
            let n = (c.remaining.min(input.len() as u64)) as usize;
            match c.sink.as_mut() {
                Some(sink) => sink.data(&input[..n], stats)?,
                None => c.body.extend_from_slice(&input[..n]),
            }
            c.remaining -= n as u64;
            c.received += n as u64;
            Ok((n, c.remaining == 0))
        }
        Some(dec) => {
            let mut used = 0;
            loop {
                let (n, ev) = dec.decode(&input[used..]).map_err(|e| e.status())?;
                used += n;
                if chunked_over_limit(c.received, &ev, dec, max) {
                    return Err(413);
                }
                match ev {
                    Some(Chunk::Data(d)) => {
                        c.received += d.len() as u64;
                        match c.sink.as_mut() {
                            Some(sink) => sink.data(d, stats)?,
                            None => c.body.extend_from_slice(d),
                        }
                    }
                    // Trailer fields are validated by the decoder and dropped.
                    Some(Chunk::Trailer(_)) => {}
                    Some(Chunk::End) => return Ok((used, true)),
                    None => return Ok((used, false)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Response;

    fn head(status: u16, date: &[u8; 29], length: u64, connection: Option<&'static [u8]>) -> Head {
        Head {
            status,
            date: *date,
            length: Some(length),
            chunked: false,
            connection,
        }
    }

    fn fresh(h: &Head, res: &Response) -> Vec<u8> {
        let mut v = Vec::new();
        assert!(h.write(&mut v, res));
        v
    }

    #[test]
    fn head_cache_gives_what_a_fresh_serialization_gives_and_misses_on_any_change() {
        let d1 = b"Tue, 24 Nov 2026 03:21:08 GMT";
        let d2 = b"Tue, 24 Nov 2026 03:21:09 GMT";
        let mut text = Response::new();
        text.text("Hello, World!");
        let mut json = Response::new();
        json.json("{}");
        let mut cache = HeadCache::new();
        let close = Some(&b"Connection: close\r\n"[..]);
        // Each case differs from the one before in one key part; the cache must follow.
        let cases = [
            (head(200, d1, 13, None), &text),
            (head(200, d1, 13, None), &text),
            (head(200, d2, 13, None), &text),
            (head(200, d2, 14, None), &text),
            (head(200, d2, 14, close), &text),
            (head(404, d2, 14, close), &text),
            (head(404, d2, 14, close), &json),
            (head(200, d1, 13, None), &text),
        ];
        for (h, res) in cases {
            let want = fresh(&h, res);
            assert_eq!(cache.get(&h, res), Some(&want[..]));
        }
        let expected =
            b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: Tue, 24 Nov 2026 03:21:08 GMT\r\n\
            Content-Length: 13\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n";
        assert_eq!(
            cache.get(&head(200, d1, 13, None), &text),
            Some(&expected[..])
        );
    }

    #[test]
    fn head_cache_leaves_out_heads_with_handler_fields_or_chunked_framing() {
        let d = b"Tue, 24 Nov 2026 03:21:08 GMT";
        let mut cache = HeadCache::new();
        let mut res = Response::new();
        res.text("x");
        res.header("x-a", "1");
        assert_eq!(cache.get(&head(200, d, 1, None), &res), None);
        let plain = Response::new();
        let mut chunked = head(200, d, 0, None);
        chunked.length = None;
        chunked.chunked = true;
        assert_eq!(cache.get(&chunked, &plain), None);
        // A head too long for the cache is written the ordinary way.
        let mut long = Response::new();
        long.text("yyyyyyyyyy");
        let mut h = head(200, d, 10, None);
        h.connection = Some(&[b'z'; HEAD_CACHE_LEN][..]);
        assert_eq!(cache.get(&h, &long), None);
    }
}
