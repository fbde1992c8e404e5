//! Reading requests: heads (a small slot array first, the large one when needed), bodies that
//! arrive with the head or over several reads (Content-Length, chunked, an upload's sink),
//! `100 Continue`, and the hand-off of `Upgrade: h2c`.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

use brisk_http1::{
    Body as ReqBody, Chunk, ChunkedDecoder, Header, Method as H1Method, RequestParser, Status,
    TargetForm, Upgrade, Version as H1Version,
};
use brisk_reactor::{Context, Output, TimeoutKind};

use super::conn::{Collect, H2cUpgrade, Next, Plan, Reading, H1};
use crate::access_log::{self, LogAs, RawHead};
use crate::app::App;
use crate::body_limit::chunked_over_limit;
use crate::counters::WorkerCounters;
use crate::exchange::MAX_HEADER_SLOTS;
use crate::exchange::{self, BodyTo, Routed, Start};
use crate::request::{split_target, Version};
use crate::upload::{BodyWaker, Flow};
use crate::worker::{with_worker, Worker};

/// Header slots tried first: most requests fit, and a small array is cheap to initialise on
/// every read. A head with more fields is parsed again with [`MAX_HEADER_SLOTS`].
const SMALL_HEADER_SLOTS: usize = 24;

/// Most spare body buffers a worker thread keeps for reuse.
const SPARE_COLLECTS: usize = 4;
/// A spare body buffer larger than this is dropped instead of kept.
const SPARE_MAX_CAPACITY: usize = 256 * 1024;

thread_local! {
    /// This worker thread's spare body buffers (boxed: they move between a connection and
    /// this list without reallocating).
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<Collect>>> = const { RefCell::new(Vec::new()) };
}

/// Buffers for a body that arrives over several reads, reused when possible.
fn collect_buffers() -> Box<Collect> {
    SPARE.with_borrow_mut(Vec::pop).unwrap_or_default()
}

/// Returns body buffers for reuse.
fn recycle(mut c: Box<Collect>) {
    if c.head.capacity() <= SPARE_MAX_CAPACITY && c.body.capacity() <= SPARE_MAX_CAPACITY {
        SPARE.with_borrow_mut(|spare| {
            if spare.len() < SPARE_COLLECTS {
                c.clear();
                spare.push(c);
            }
        });
    }
}

impl Collect {
    fn clear(&mut self) {
        self.head.clear();
        self.body.clear();
        self.remaining = 0;
        self.chunked = None;
        self.to = None;
        self.received = 0;
        self.paused = false;
        self.continue_pending = false;
        self.started = None;
    }
}

/// A parsed request whose body has not all arrived ([`H1::start_body`]).
pub(super) struct Pending<'b> {
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
    client: &'b crate::client_addr::ClientRules,
    tls: Option<&'b brisk_reactor::TlsInfo>,
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
        client,
        tls,
    }
}

/// Offers `Upgrade: h2c` to the connection's owner (which builds the HTTP/2 side, with the
/// request as stream 1, if the request carries valid `HTTP2-Settings`) and, if it took it,
/// answers `101 Switching Protocols`.
#[cold]
#[inline(never)]
fn upgrade_h2c(
    app: &Arc<App>,
    peer: SocketAddr,
    req: &brisk_http1::Request<'_, '_>,
    out: &mut Output<'_>,
    upgrade: &mut H2cUpgrade<'_>,
) -> bool {
    let Some(settings) = req.header(b"http2-settings") else {
        return false;
    };
    if !upgrade(app, peer, settings, req) {
        return false;
    }
    super::write::write_upgrade_h2c(out);
    true
}

impl H1 {
    /// The body of `on_read`, with the application borrowed from outside `self`.
    pub(super) fn read_requests(
        &mut self,
        app: &Arc<App>,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
        upgrade: &mut H2cUpgrade<'_>,
    ) -> Next {
        let draining = cx.is_draining();
        let me = cx.conn_id();
        with_worker(|w| {
            w.date.update(cx.now(), || cx.system_time());
            let mut small = [Header::EMPTY; SMALL_HEADER_SLOTS];
            let mut off = 0;
            loop {
                if self.closed()
                    || !self.spill.is_empty()
                    || self.waiting.len() >= super::later::MAX_WAITING
                {
                    break;
                }
                if matches!(self.reading, Reading::Body(_)) {
                    match self.continue_body(w, app, cx, out, &input[off..]) {
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
                let (partial, mut big_head) = match self.reading {
                    Reading::Head { big } => (true, big),
                    _ => (false, false),
                };
                let mut big;
                let slots: &mut [Header<'_>] = if big_head {
                    big = [Header::EMPTY; MAX_HEADER_SLOTS];
                    &mut big
                } else {
                    &mut small
                };
                let mut parsed = self.parser.parse(buf, slots);
                if parsed == Err(brisk_http1::Error::TooManyHeaders)
                    && !big_head
                    && self.parser.config().limits.max_headers > SMALL_HEADER_SLOTS
                {
                    // Start this head again with room for every allowed field.
                    self.parser.reset();
                    big_head = true;
                    big = [Header::EMPTY; MAX_HEADER_SLOTS];
                    parsed = parse_out_of_line(&mut self.parser, buf, &mut big);
                }
                let req = match parsed {
                    Ok(Status::Complete(r)) => {
                        self.reading = Reading::Ready;
                        r
                    }
                    Ok(Status::Partial) => {
                        self.reading = Reading::Head { big: big_head };
                        if !partial && cx.timeout() != Some(TimeoutKind::Start) {
                            cx.set_timeout(TimeoutKind::Start);
                        }
                        if cx.input_is_full() && off == 0 {
                            let raw = RawHead(buf);
                            self.error(w, out, 431, H1Version::Http11, LogAs::now(&raw));
                            off = input.len();
                        }
                        break;
                    }
                    Err(e) => {
                        self.parser.reset();
                        if crate::log::enabled(crate::log::Level::Debug) {
                            crate::log::debug(format_args!("{}: HTTP/1.1: {e}", self.peer));
                        }
                        let raw = RawHead(buf);
                        self.error(w, out, e.status(), H1Version::Http11, LogAs::now(&raw));
                        off = input.len();
                        break;
                    }
                };
                let version = req.version;
                let facts = match req.facts() {
                    Ok(f) => f,
                    Err(e) => {
                        let raw = RawHead(&buf[..req.head_len]);
                        self.error(w, out, e.status(), version, LogAs::now(&raw));
                        off = input.len();
                        break;
                    }
                };
                let Some(parts) = split(&req.target) else {
                    let raw = RawHead(&buf[..req.head_len]);
                    self.error(w, out, 400, version, LogAs::now(&raw));
                    off = input.len();
                    break;
                };
                let tls = self.tls.clone();
                let head = exchange_head(
                    &req,
                    parts,
                    self.peer,
                    &app.config.client.rules,
                    tls.as_deref(),
                );
                let head_len = req.head_len;
                let body_len = match facts.body {
                    ReqBody::None | ReqBody::CloseDelimited => Some(0),
                    ReqBody::Length(n) => Some(n),
                    ReqBody::Chunked => None,
                };
                let keep_alive = facts.keep_alive && !draining && !self.limit_reached(app);
                let plan = Plan {
                    version,
                    keep_alive,
                    head_only: req.method == H1Method::Head,
                };
                if let Some(n) = body_len {
                    if n > app.config.limits.max_body_size as u64 {
                        // Only an upload route takes it: routed once here, its sink is fed
                        // (also what of the body is in this read).
                        let pending = Pending {
                            head,
                            head_len,
                            body_len,
                            expect_continue: facts.expect_continue,
                            plan,
                        };
                        if self.start_large(w, app, cx, out, buf, pending, n) {
                            off += head_len;
                            continue;
                        }
                        off = input.len();
                        break;
                    }
                }
                // h2c upgrade (RFC 7540 §3.2; RFC 9113 §3.1 dropped it, clients still use it):
                // only for requests without a body, as curl and nghttp send them. A bad
                // HTTP2-Settings header means the upgrade is ignored and HTTP/1.1 answers.
                if facts.upgrade == Some(Upgrade::H2c)
                    && body_len == Some(0)
                    && !draining
                    && upgrade_h2c(app, self.peer, &req, out, upgrade)
                {
                    return Next::UpgradeH2c {
                        consumed: off + head_len,
                    };
                }
                let complete_body = match body_len {
                    Some(n) if (buf.len() - head_len) as u64 >= n => Some(n as usize),
                    _ => None,
                };
                if let Some(n) = complete_body {
                    let mut request = head.request(&buf[head_len..head_len + n]);
                    w.res.reset();
                    w.res.set_ticket(me, self.served);
                    let ends = exchange::answer_ends(app, &mut request, &mut w.res, &w.stats);
                    self.served += 1;
                    if w.res.is_deferred() {
                        let deadline = app.config.timeouts.handler.map(|d| cx.now() + d);
                        let kept = access_log::keep(w, LogAs::now(&request));
                        let route = w.res.route();
                        self.defer_answer(me, self.served - 1, &plan, deadline, route, kept);
                        off += head_len + n;
                        if !plan.keep_alive {
                            off = input.len();
                            break;
                        }
                        continue;
                    }
                    // A handler's status never closes the connection by itself.
                    let plan = Plan {
                        keep_alive: plan.keep_alive && !ends,
                        ..plan
                    };
                    self.write_response(w, out, &plan, LogAs::now(&request));
                    off += head_len + n;
                    if !plan.keep_alive {
                        self.reading = Reading::Closed;
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
                if self.start_body(w, app, cx, out, buf, pending) {
                    off += head_len;
                } else {
                    off = input.len();
                    break;
                }
            }
            if matches!(self.reading, Reading::Ready | Reading::Head { .. })
                && self.spill.is_empty()
                && off == input.len()
            {
                if draining {
                    self.reading = Reading::Closed;
                } else if cx.timeout() != Some(TimeoutKind::Idle) {
                    cx.set_timeout(TimeoutKind::Idle);
                }
            }
            if !self.waiting.is_empty() {
                self.arm_handler_timer(cx);
            }
            Next::Stay(off.min(input.len()), self.after_output())
        })
    }

    /// A request whose declared body is past the buffered limit: routed once, it goes on
    /// as [`start_body`](Self::start_body) if an upload route takes it, else it is answered
    /// 413. Returns false if no more input is read.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn start_large(
        &mut self,
        w: &mut Worker,
        app: &App,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
        buf: &[u8],
        p: Pending<'_>,
        n: u64,
    ) -> bool {
        let routed = exchange::route(app, &p.head.request(&[]), &w.stats);
        if !exchange::upload_takes(app, &routed, n) {
            let raw = RawHead(&buf[..p.head_len]);
            self.error(w, out, 413, p.plan.version, LogAs::now(&raw));
            return false;
        }
        self.start_routed(w, app, cx, out, buf, p, routed)
    }

    /// A request whose body is not all in this read: routes it (once) and goes on as
    /// [`start_routed`](Self::start_routed). Returns false if no more input is read.
    #[cold]
    #[inline(never)]
    pub(super) fn start_body(
        &mut self,
        w: &mut Worker,
        app: &App,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
        buf: &[u8],
        p: Pending<'_>,
    ) -> bool {
        let routed = exchange::route(app, &p.head.request(&[]), &w.stats);
        self.start_routed(w, app, cx, out, buf, p, routed)
    }

    /// A request routed `routed` whose body is still to read: answers it now if no handler
    /// will read the body (then the connection closes), else sends `100 Continue` if asked
    /// and starts collecting the body, keeping the decision for when it is complete. Returns
    /// false if no more input is read.
    #[allow(clippy::too_many_arguments)]
    fn start_routed(
        &mut self,
        w: &mut Worker,
        app: &App,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
        buf: &[u8],
        p: Pending<'_>,
        routed: Routed,
    ) -> bool {
        // An upload route decides on the head alone whether it takes the body (before
        // `100 Continue`); a refusal, a 405 or a 308 is answered without reading the body.
        let mut request = p.head.request(&[]);
        let mut to = match exchange::start(app, routed, &mut request, &mut w.res, &w.stats) {
            Start::Read(to) => to,
            Start::Error(code) => {
                let raw = RawHead(&buf[..p.head_len]);
                self.error(w, out, code, p.plan.version, LogAs::now(&raw));
                return false;
            }
            Start::Answered => {
                self.answer_unread(w, out, &p.plan, LogAs::now(&request));
                return false;
            }
        };
        // A sink may pace the body: it gets its waker and says whether to read now.
        let flow = match to.sink() {
            Some(s) => {
                s.set_waker(BodyWaker::new(cx.notifier(), cx.conn_id()), &w.stats);
                s.flow(&w.stats)
            }
            None => Flow::Read,
        };
        // An HTTP/1.0 client gets no interim answer.
        let owe_continue =
            p.expect_continue && buf.len() == p.head_len && p.plan.version != H1Version::Http10;
        if owe_continue && flow == Flow::Read {
            super::write::write_interim(out, 100, &[]);
        }
        let mut c = collect_buffers();
        c.started = Some(cx.now());
        c.head.extend_from_slice(&buf[..p.head_len]);
        match p.body_len {
            Some(n) => c.remaining = n,
            None => c.chunked = Some(ChunkedDecoder::new()),
        }
        c.to = Some(to);
        if flow == Flow::Pause {
            c.paused = true;
            c.continue_pending = owe_continue;
            cx.pause_reading();
            cx.clear_timeout();
        }
        self.reading = Reading::Body(c);
        if flow == Flow::Answer {
            self.answer_early(w, app, out, cx);
            return false;
        }
        true
    }

    /// The sink of the body being read wants to answer before the body is complete
    /// ([`Flow::Answer`]): it answers now, and the rest of the body is not read (the
    /// connection closes after the answer).
    #[cold]
    #[inline(never)]
    pub(super) fn answer_early(
        &mut self,
        w: &mut Worker,
        app: &App,
        out: &mut Output<'_>,
        cx: &mut Context<'_>,
    ) {
        let Reading::Body(mut c) = std::mem::replace(&mut self.reading, Reading::Closed) else {
            return;
        };
        cx.resume_reading();
        self.finish_collected(w, app, out, &mut c, cx, true);
        self.reading = Reading::Closed;
        recycle(c);
    }

    /// A notification while a body goes to a sink: asks it again whether to read (resuming
    /// a pause, with the `100 Continue` it held back), pause or answer now.
    #[cold]
    #[inline(never)]
    pub(super) fn body_flow(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) {
        let Some(app) = self.app.clone() else {
            return;
        };
        with_worker(|w| {
            let Reading::Body(c) = &mut self.reading else {
                return;
            };
            let Some(sink) = c.to.as_mut().and_then(BodyTo::sink) else {
                return;
            };
            match sink.flow(&w.stats) {
                Flow::Read if c.paused => {
                    c.paused = false;
                    if std::mem::take(&mut c.continue_pending) {
                        super::write::write_interim(out, 100, &[]);
                    }
                    cx.resume_reading();
                    cx.set_timeout(TimeoutKind::Input);
                }
                Flow::Read | Flow::Pause => {}
                Flow::Answer => {
                    w.date.update(cx.now(), || cx.system_time());
                    self.answer_early(w, &app, out, cx);
                }
            }
        })
    }

    /// Feeds input to the body being collected; once it is complete, answers the request.
    /// Returns the bytes used and whether the body completed, or `None` after an error answer.
    #[cold]
    #[inline(never)]
    pub(super) fn continue_body(
        &mut self,
        w: &mut Worker,
        app: &App,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
        input: &[u8],
    ) -> Option<(usize, bool)> {
        let Reading::Body(c) = &mut self.reading else {
            return None;
        };
        if c.paused {
            // Handed back while the sink holds the body back: nothing is taken.
            return Some((0, false));
        }
        let limits = &app.config.limits;
        let max = if matches!(c.to, Some(BodyTo::Sink(_))) {
            limits.max_upload_size
        } else {
            limits.max_body_size as u64
        };
        match feed_body(c, input, max, &w.stats) {
            Ok((n, true, _)) => {
                let Reading::Body(mut c) = std::mem::replace(&mut self.reading, Reading::Ready)
                else {
                    unreachable!("reading a body")
                };
                self.finish_collected(w, app, out, &mut c, cx, false);
                // The buffers go back to the worker for the next large body.
                recycle(c);
                Some((n, true))
            }
            Ok((_, false, Flow::Answer)) => {
                self.answer_early(w, app, out, cx);
                None
            }
            Ok((n, false, Flow::Pause)) => {
                c.paused = true;
                cx.pause_reading();
                cx.clear_timeout();
                Some((n, false))
            }
            Ok((n, false, Flow::Read)) => {
                if cx.timeout() != Some(TimeoutKind::Input) {
                    cx.set_timeout(TimeoutKind::Input);
                }
                Some((n, false))
            }
            Err(code) => {
                let Reading::Body(c) = std::mem::replace(&mut self.reading, Reading::Closed) else {
                    unreachable!("reading a body")
                };
                let log = LogAs {
                    req: &RawHead(&c.head),
                    start: c.started,
                };
                self.error(w, out, code, H1Version::Http11, log);
                recycle(c);
                None
            }
        }
    }

    /// Re-parses a collected head and answers it with the collected body.
    #[inline(never)]
    pub(super) fn finish_collected(
        &mut self,
        w: &mut Worker,
        app: &App,
        out: &mut Output<'_>,
        c: &mut Collect,
        cx: &Context<'_>,
        early: bool,
    ) {
        let draining = cx.is_draining();
        let me = cx.conn_id();
        let deadline = app.config.timeouts.handler.map(|d| cx.now() + d);
        let to = c.to.take();
        let mut slots = [Header::EMPTY; MAX_HEADER_SLOTS];
        let mut parser = RequestParser::with_config(*self.parser.config());
        let raw = LogAs {
            req: &RawHead(&c.head),
            start: c.started,
        };
        let Ok(Status::Complete(req)) = parser.parse(&c.head, &mut slots) else {
            self.error(w, out, 400, H1Version::Http11, raw);
            return;
        };
        let keep_alive = !early
            && req.facts().map(|f| f.keep_alive).unwrap_or(false)
            && !draining
            && !self.limit_reached(app);
        let Some(parts) = split(&req.target) else {
            self.error(w, out, 400, req.version, raw);
            return;
        };
        let tls = self.tls.clone();
        let rules = &app.config.client.rules;
        let mut request =
            exchange_head(&req, parts, self.peer, rules, tls.as_deref()).request(&c.body);
        w.res.reset();
        w.res.set_ticket(me, self.served);
        match to {
            Some(BodyTo::Sink(sink)) => {
                exchange::finish_upload(app, sink, &mut request, &mut w.res, &w.stats)
            }
            Some(BodyTo::Buffer(routed)) => {
                exchange::answer_routed(app, routed, &mut request, &mut w.res, &w.stats)
            }
            // Not reached: a collected body always has its decision.
            None => w.res.set_error(500),
        }
        self.served += 1;
        let plan = Plan {
            version: req.version,
            keep_alive,
            head_only: req.method == H1Method::Head,
        };
        let log = LogAs {
            req: &request,
            start: c.started,
        };
        if w.res.is_deferred() {
            let kept = access_log::keep(w, log);
            let route = w.res.route();
            self.defer_answer(me, self.served - 1, &plan, deadline, route, kept);
            return;
        }
        // The answer is a handler's, the fallback's or a sink's (the server's own errors were
        // answered on the head): its status never closes the connection by itself.
        self.write_response(w, out, &plan, log);
        if !plan.keep_alive {
            self.reading = Reading::Closed;
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

/// Feeds body bytes into a collect (or its sink). Returns (consumed, complete, what the sink
/// wants next) or the error status. A sink that pauses or answers stops the feeding after
/// the piece it took.
#[inline(never)]
fn feed_body(
    c: &mut Collect,
    input: &[u8],
    max: u64,
    stats: &WorkerCounters,
) -> Result<(usize, bool, Flow), u16> {
    match c.chunked.as_mut() {
        None => {
            // The declared length was checked against the limit with the head.
            let n = (c.remaining.min(input.len() as u64)) as usize;
            let mut flow = Flow::Read;
            match c.to.as_mut().and_then(BodyTo::sink) {
                Some(sink) => {
                    sink.data(&input[..n], stats)?;
                    flow = sink.flow(stats);
                }
                None => c.body.extend_from_slice(&input[..n]),
            }
            c.remaining -= n as u64;
            c.received += n as u64;
            Ok((n, c.remaining == 0, flow))
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
                        match c.to.as_mut().and_then(BodyTo::sink) {
                            Some(sink) => {
                                sink.data(d, stats)?;
                                match sink.flow(stats) {
                                    Flow::Read => {}
                                    flow => return Ok((used, false, flow)),
                                }
                            }
                            None => c.body.extend_from_slice(d),
                        }
                    }
                    // Trailer fields are validated by the decoder and dropped.
                    Some(Chunk::Trailer(_)) => {}
                    Some(Chunk::End) => return Ok((used, true, Flow::Read)),
                    None => return Ok((used, false, Flow::Read)),
                }
            }
        }
    }
}
