//! HTTP/2 over cleartext (h2c) on one connection: brisk-http2 does the protocol; this module
//! copies each request's headers and body into a reusable stream slot, runs the handler when
//! the request is complete, and sends the response with flow control (DATA as the windows
//! allow, the rest when the stream is ready again).

use std::net::SocketAddr;
use std::sync::Arc;

use brisk_http1::Header;
use brisk_http2::{Connection, ErrorCode, Event, H2cRequest, SpareBuffers, StreamId};
use brisk_reactor::{Action, Context, Output, TimeoutKind};

use crate::app::App;
use crate::body::{Framing, Outgoing, Read, READ_AHEAD};
use crate::exchange;
use crate::exchange::MAX_HEADER_SLOTS;
use crate::request::{split_target, Request, Version};
use crate::status::decimal;
use crate::upload::ActiveSink;
use crate::worker::{with_worker, Worker};

/// Response header fields sent without allocating (more fall back to a heap list).
const INLINE_FIELDS: usize = 12;

/// Request fields that fit the small array handed to handlers (more use the large one).
const SMALL_FIELDS: usize = 24;

type Span = (u32, u32);

/// One request/response exchange. Slots are reused, so their buffers keep their capacity.
#[derive(Default)]
struct Slot {
    id: u32,
    buf: Vec<u8>,
    method: Span,
    path: Span,
    authority: Option<Span>,
    fields: Vec<(Span, Span)>,
    body: Vec<u8>,
    too_large: bool,
    /// The request is complete and was answered (response may still be sending).
    answered: bool,
    /// Response body still to send.
    out: Outgoing,
    /// For an upload route: where the request body goes instead of `body`.
    sink: Option<ActiveSink>,
    /// Request body bytes received so far for the sink.
    received: u64,
    /// The status an upload was refused with (its body is then dropped).
    reject: Option<u16>,
}

/// What an HTTP/2 connection needs only while streams are open: the protocol's stream map,
/// event queue and header arena ([`SpareBuffers`]) and the stream slots. An idle connection
/// hands them to the worker's pool ([`Worker::recycle_h2`]) and takes a set back when input
/// arrives, so idle connections hold none and going idle and busy again allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct H2Spare {
    conn: SpareBuffers,
    slots: Vec<Slot>,
    ids: Vec<u32>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

impl Slot {
    fn clear(&mut self) {
        self.id = 0;
        self.buf.clear();
        self.fields.clear();
        self.authority = None;
        self.body.clear();
        self.too_large = false;
        self.answered = false;
        self.out.clear();
        self.out.shrink_idle();
        self.sink = None;
        self.received = 0;
        self.reject = None;
    }

    fn push(&mut self, bytes: &[u8]) -> Span {
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(bytes);
        (start, bytes.len() as u32)
    }

    fn get(&self, s: Span) -> &[u8] {
        &self.buf[s.0 as usize..(s.0 + s.1) as usize]
    }

    fn sending(&self) -> bool {
        !self.out.is_empty()
    }
}

/// HTTP/2 connection state.
pub(crate) struct H2 {
    app: Arc<App>,
    peer: SocketAddr,
    conn: Connection,
    slots: Vec<Slot>,
    /// `ids[i]` is the stream in `slots[i]`, 0 when the slot is free: a compact array to search.
    ids: Vec<u32>,
    /// Frames taken from the connection that did not fit in the reactor's output yet.
    wbuf: Vec<u8>,
    wpos: usize,
    ready: Vec<u32>,
    draining: bool,
    /// While busy: the (empty) set the busy-time buffers go into when the connection turns
    /// idle and hands them to the worker's pool. `None` while idle.
    spare: Option<Box<H2Spare>>,
}

impl std::fmt::Debug for H2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2")
            .field("peer", &self.peer)
            .field("streams", &self.conn.open_streams())
            .finish()
    }
}

pub(crate) fn h2_config(app: &App) -> brisk_http2::Config {
    app.config.h2.clone()
}

impl H2 {
    pub(crate) fn new(app: Arc<App>, peer: SocketAddr) -> Self {
        let conn = Connection::server(h2_config(&app));
        H2 {
            app,
            peer,
            conn,
            slots: Vec::new(),
            ids: Vec::new(),
            wbuf: Vec::new(),
            wpos: 0,
            ready: Vec::new(),
            draining: false,
            spare: None,
        }
    }

    /// Input arrived: take a set of busy-time buffers from the worker's pool, if it has one
    /// (without, they grow as needed).
    #[inline]
    fn attach_spare(&mut self) {
        if self.spare.is_some() {
            return;
        }
        let Some(mut s) = with_worker(Worker::h2_spare) else {
            return;
        };
        self.conn.give_spare(&mut s.conn);
        if self.ids.is_empty() {
            std::mem::swap(&mut self.slots, &mut s.slots);
            std::mem::swap(&mut self.ids, &mut s.ids);
        }
        self.spare = Some(s);
    }

    /// No stream open: hand the busy-time buffers to the worker's pool.
    #[inline]
    fn detach_spare(&mut self) {
        if self.ids.iter().any(|&id| id != 0) {
            return;
        }
        let mut s = match self.spare.take() {
            Some(s) => s,
            None if self.slots.capacity() > 0 => Box::default(),
            None => return,
        };
        if !self.conn.take_spare(&mut s.conn) {
            self.spare = Some(s);
            return;
        }
        // `s` holds empty buffers (what `attach_spare` swapped out, or new ones).
        std::mem::swap(&mut self.slots, &mut s.slots);
        std::mem::swap(&mut self.ids, &mut s.ids);
        with_worker(|w| w.recycle_h2(s));
    }

    /// The HTTP/2 side of an accepted `Upgrade: h2c` (RFC 7540 §3.2): applies the client's
    /// HTTP2-Settings and queues the upgraded request as stream 1. `None` when the settings
    /// or the request cannot be carried over (the caller then stays on HTTP/1.1).
    #[inline(never)]
    pub(crate) fn from_upgrade(
        app: &Arc<App>,
        peer: SocketAddr,
        settings: &[u8],
        req: &brisk_http1::Request<'_, '_>,
    ) -> Option<H2> {
        let fields: Vec<(&[u8], &[u8])> = req.headers.iter().map(|h| (h.name, h.value)).collect();
        let h2c = H2cRequest {
            method: req.method.as_bytes(),
            path: req.target.as_bytes(),
            authority: req.header(b"host").unwrap_or(b""),
            fields: &fields,
        };
        let conn = Connection::from_h2c_upgrade(h2_config(app), settings, &h2c).ok()?;
        let mut h2 = H2::new(Arc::clone(app), peer);
        h2.conn = conn;
        Some(h2)
    }

    pub(crate) fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        self.attach_spare();
        // Output the connection already produced comes first.
        if !self.flush(out) {
            return (0, Action::Keep);
        }
        self.conn.handle_timeout(cx.now());
        let n = match self.conn.recv(input) {
            Ok(n) => n,
            Err(_) => {
                self.flush(out);
                return (input.len(), Action::CloseAfterFlush);
            }
        };
        let a = self.process(cx, out);
        (n, a)
    }

    pub(crate) fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        self.process(cx, out)
    }

    pub(crate) fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        if kind == TimeoutKind::WriteStall {
            return Action::CloseNow;
        }
        self.conn.handle_timeout(cx.now());
        let idle = self.conn.open_streams() == 0;
        if idle || kind != TimeoutKind::BodyRead || self.conn.poll_timeout().is_none() {
            if idle {
                // Idle h2 connection (or one that never finished its preface): say goodbye.
                self.conn.go_away();
                self.conn.go_away_final();
            } else {
                self.conn.abort(ErrorCode::NO_ERROR);
            }
            self.flush(out);
            return Action::CloseAfterFlush;
        }
        self.process(cx, out)
    }

    pub(crate) fn on_drain(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        self.draining = true;
        self.conn.go_away();
        self.process(cx, out)
    }

    /// Drains events, answers complete requests, pushes response bodies, flushes output.
    fn process(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let max_body = self.app.config.limits.max_body_size;
        loop {
            let mut progressed = false;
            while let Some(ev) = self.conn.poll_event() {
                progressed = true;
                match ev {
                    Event::Headers {
                        stream,
                        headers,
                        end_stream,
                    } => {
                        let id = stream.value();
                        let at = match self.ids.iter().position(|&s| s == 0) {
                            Some(i) => i,
                            None => {
                                self.slots.push(Slot::default());
                                self.ids.push(0);
                                self.slots.len() - 1
                            }
                        };
                        self.ids[at] = id;
                        let slot = &mut self.slots[at];
                        slot.id = id;
                        slot.method = slot.push(headers.method().unwrap_or(b""));
                        slot.path = slot.push(headers.path().unwrap_or(b""));
                        if let Some(a) = headers.authority() {
                            slot.authority = Some(slot.push(a));
                        }
                        for (n, v) in headers.iter() {
                            let n = slot.push(n);
                            let v = slot.push(v);
                            slot.fields.push((n, v));
                        }
                        if !end_stream {
                            start_upload(&self.app, self.peer, slot);
                        }
                        let limit = if slot.sink.is_some() {
                            self.app.config.limits.max_upload_size
                        } else {
                            max_body as u64
                        };
                        if let Some(cl) = headers.get(b"content-length") {
                            let too_big = std::str::from_utf8(cl)
                                .ok()
                                .and_then(|s| s.parse::<u64>().ok())
                                .is_some_and(|n| n > limit);
                            slot.too_large = too_big;
                            if too_big {
                                slot.sink = None;
                            }
                        }
                        let done = end_stream || slot.too_large || slot.reject.is_some();
                        if done {
                            self.ready.push(id);
                        }
                    }
                    Event::Data {
                        stream,
                        data,
                        end_stream,
                    } => {
                        let id = stream.value();
                        let len = data.len();
                        if let Some(i) = self.ids.iter().position(|&s| s == id) {
                            let slot = &mut self.slots[i];
                            if slot.answered || slot.reject.is_some() {
                                // Answered already, or refused: the rest is dropped.
                            } else if let Some(sink) = slot.sink.as_mut() {
                                slot.received += len as u64;
                                let fed = if slot.received > self.app.config.limits.max_upload_size
                                {
                                    Err(413)
                                } else {
                                    with_worker(|w| sink.data(data, &w.stats))
                                };
                                match fed {
                                    Ok(()) if end_stream => self.ready.push(id),
                                    Ok(()) => {}
                                    Err(code) => {
                                        slot.sink = None;
                                        slot.reject = Some(code);
                                        self.ready.push(id);
                                    }
                                }
                            } else {
                                if slot.body.len() + len > max_body {
                                    slot.too_large = true;
                                    self.ready.push(id);
                                } else {
                                    slot.body.extend_from_slice(data);
                                    if end_stream {
                                        self.ready.push(id);
                                    }
                                }
                            }
                        }
                        // The bytes are consumed (buffered or dropped): give the credit back.
                        self.conn.consume(stream, len);
                    }
                    Event::Trailers { stream, .. } => {
                        self.ready.push(stream.value());
                    }
                    Event::StreamReset { stream, .. } => {
                        let id = stream.value();
                        if let Some(i) = self.ids.iter().position(|&s| s == id) {
                            self.slots[i].clear();
                            self.ids[i] = 0;
                        }
                    }
                    Event::SendReady { stream } => {
                        self.ready.push(stream.value());
                    }
                    _ => {}
                }
            }
            // Answer complete requests and continue blocked bodies.
            let mut i = 0;
            while i < self.ready.len() {
                let id = self.ready[i];
                i += 1;
                let Some(pos) = self.ids.iter().position(|&s| s == id) else {
                    continue;
                };
                if !self.slots[pos].answered {
                    self.answer(cx, pos);
                    progressed = true;
                }
                if self.slots[pos].sending() {
                    self.send_body(pos);
                }
                if !self.slots[pos].sending() && self.slots[pos].answered {
                    self.slots[pos].clear();
                    self.ids[pos] = 0;
                }
            }
            self.ready.clear();
            if !self.flush(out) {
                break;
            }
            if !progressed {
                break;
            }
        }
        if self.conn.open_streams() == 0 {
            self.detach_spare();
        }
        if self.conn.is_closed() && self.wpos >= self.wbuf.len() {
            // After a graceful end the reactor's lingering close shuts our side down and reads
            // on: closing with the client's late frames (WINDOW_UPDATE, a PING ACK) unread would
            // make the kernel reset the connection and destroy response bytes the client has
            // received but not yet read.
            return Action::CloseAfterFlush;
        }
        self.arm_timer(cx);
        Action::Keep
    }

    fn arm_timer(&mut self, cx: &mut Context<'_>) {
        if self.conn.open_streams() == 0 {
            if cx.timeout() != Some(TimeoutKind::Idle) {
                cx.set_timeout(TimeoutKind::Idle);
            }
        } else if let Some(at) = self.conn.poll_timeout() {
            cx.set_timeout_in(
                TimeoutKind::BodyRead,
                at.saturating_duration_since(cx.now()),
            );
        } else {
            cx.set_timeout(TimeoutKind::BodyRead);
        }
    }

    /// Copies as much connection output as fits into the reactor's output. True when all of
    /// it is out.
    fn flush(&mut self, out: &mut Output<'_>) -> bool {
        loop {
            if self.wpos >= self.wbuf.len() {
                self.wbuf.clear();
                self.wpos = 0;
                if self.conn.poll_output(&mut self.wbuf) == 0 {
                    return true;
                }
            }
            let n = (self.wbuf.len() - self.wpos).min(out.remaining());
            if n == 0 {
                return false;
            }
            let _ = out.extend_from_slice(&self.wbuf[self.wpos..self.wpos + n]);
            self.wpos += n;
        }
    }

    /// Runs the handler (or the upload's sink) for the request in slot `pos` and starts the
    /// response.
    fn answer(&mut self, cx: &mut Context<'_>, pos: usize) {
        let app: &App = &self.app;
        let peer = self.peer;
        let slot = &mut self.slots[pos];
        slot.answered = true;
        let id = StreamId::new(slot.id);
        let conn = &mut self.conn;
        let sink = slot.sink.take();
        with_worker(|w| {
            w.date.update(cx.now(), || cx.system_time());
            w.res.reset();
            let slot_ref: &Slot = slot;
            let head_only = slot_ref.get(slot_ref.method) == b"HEAD";
            if let Some(code) = slot_ref.reject {
                w.res.set_error(code);
            } else if slot_ref.too_large {
                w.res.set_error(413);
            } else if slot_ref.fields.len() + 1 > MAX_HEADER_SLOTS {
                w.res.set_error(431);
            } else {
                let res = &mut w.res;
                let stats = &w.stats;
                with_request(app, slot_ref, peer, |app, req| match (req, sink) {
                    (Some(req), Some(sink)) => exchange::finish_upload(app, sink, req, res, stats),
                    (Some(req), None) => exchange::answer(app, req, res, stats),
                    (None, _) => res.set_error(400),
                });
            }
            send_response(w, conn, id, slot, head_only);
        });
    }

    /// Sends as much of the slot's pending body as flow control allows.
    fn send_body(&mut self, pos: usize) {
        let slot = &mut self.slots[pos];
        let id = StreamId::new(slot.id);
        let body = &mut slot.out;
        loop {
            let p = body.pending();
            if !p.is_empty() {
                let last = !body.more_after_pending();
                match self.conn.send_data(id, p, last) {
                    Ok(n) => {
                        let all = n == p.len();
                        body.advance(n);
                        if !all || last {
                            return;
                        }
                    }
                    Err(_) => {
                        body.clear();
                        return;
                    }
                }
                continue;
            }
            if !body.has_source() {
                return;
            }
            // Read only what may be sent now (windows and send buffer limits): a stream
            // stalled at a zero window reads nothing and keeps no large buffer.
            let Some(cap) = self.conn.send_capacity_of(id) else {
                // The stream is gone (reset): nothing more is read or sent.
                body.clear();
                return;
            };
            if cap == 0 {
                body.shrink_idle();
                // Offer one byte, which the zero capacity turns down: the connection then
                // reports SendReady for this stream when it can send again.
                let _ = self.conn.send_data(id, &[0], false);
                return;
            }
            match body.read(cap.min(READ_AHEAD)) {
                // A sized stream's last bytes go out as the last DATA frame.
                Read::Data => {}
                Read::Done if !body.pending().is_empty() => {}
                Read::Done => {
                    let _ = self.conn.send_data(id, &[], true);
                    return;
                }
                Read::Short => {
                    // Ended short of its declared length: the client must not take what it
                    // got for the whole body.
                    let _ = self.conn.reset_stream(id, ErrorCode::INTERNAL_ERROR);
                    return;
                }
            }
        }
    }
}

/// Runs `f` with the request held in `slot` (`None` when its target is neither a path nor
/// `*`), its fields in a small array or, past [`SMALL_FIELDS`], a large one. A request
/// without `host` gets the `:authority` as its `host` field.
///
/// `f` gets the application borrowed for as long as the request (route params borrow both).
fn with_request<R>(
    app: &App,
    slot: &Slot,
    peer: SocketAddr,
    f: impl for<'r> FnOnce(&'r App, Option<&mut Request<'r>>) -> R,
) -> R {
    let method = std::str::from_utf8(slot.get(slot.method)).unwrap_or("");
    let Some(target) = std::str::from_utf8(slot.get(slot.path))
        .ok()
        .filter(|t| t.starts_with('/') || *t == "*")
    else {
        return f(app, None);
    };
    let mut small = [Header::EMPTY; SMALL_FIELDS];
    let mut big;
    let hs: &mut [Header<'_>] = if slot.fields.len() < SMALL_FIELDS {
        &mut small
    } else {
        big = [Header::EMPTY; MAX_HEADER_SLOTS];
        &mut big
    };
    let mut n = 0;
    let mut has_host = false;
    for &(name, value) in slot.fields.iter().take(hs.len() - 1) {
        let name = slot.get(name);
        has_host |= name == b"host";
        hs[n] = Header {
            name,
            value: slot.get(value),
        };
        n += 1;
    }
    if let (false, Some(a)) = (has_host, slot.authority) {
        hs[n] = Header {
            name: b"host",
            value: slot.get(a),
        };
        n += 1;
    }
    let (path, query) = split_target(target);
    let head = exchange::Head {
        method,
        target,
        path,
        query,
        version: Version::H2,
        headers: &hs[..n],
        peer,
    };
    let mut req = head.request(&slot.body);
    f(app, Some(&mut req))
}

/// For a request to an upload route, starts its sink as soon as the head is in (the body
/// then streams to it), or records the status the route refused it with.
fn start_upload(app: &App, peer: SocketAddr, slot: &mut Slot) {
    if slot.fields.len() + 1 > MAX_HEADER_SLOTS || app.uploads.iter().all(Option::is_none) {
        return;
    }
    let started = with_worker(|w| {
        with_request(app, slot, peer, |app, req| {
            req.and_then(|r| exchange::start_upload(app, r, &w.stats))
        })
    });
    match started {
        Some(Ok(sink)) => slot.sink = Some(sink),
        Some(Err(code)) => slot.reject = Some(code),
        None => {}
    }
}

/// HEADERS for the response in `w.res`, then the body (or what flow control lets through;
/// the rest is kept in the slot).
fn send_response(
    w: &mut Worker,
    conn: &mut Connection,
    id: StreamId,
    slot: &mut Slot,
    head_only: bool,
) {
    let res = &mut w.res;
    let status = exchange::status(res, &w.stats);
    let digits = crate::status::status_digits(status);
    let no_body = head_only || status == 204 || status == 304;
    // The body's length when it is known (also for HEAD, which answers with GET's): a stream
    // without a declared length has none, and 204 and 304 carry no `content-length`.
    let known_len = if status == 204 || status == 304 {
        None
    } else {
        res.stream_len()
            .or_else(|| res.body_bytes().map(|b| b.len() as u64))
    };
    let stream = if no_body { None } else { res.take_stream() };
    let mut len_buf = [0u8; 20];
    let date = *w.date.get();
    let mut inline: [(&[u8], &[u8]); INLINE_FIELDS] = [(&[], &[]); INLINE_FIELDS];
    let mut heap: Vec<(&[u8], &[u8])> = Vec::new();
    let mut n = 0;
    let base: [(&[u8], &[u8]); 3] = [
        (b":status", &digits),
        (b"server", b"brisk"),
        (b"date", &date),
    ];
    for f in base {
        inline[n] = f;
        n += 1;
    }
    if let Some(len) = known_len {
        inline[n] = (b"content-length", decimal(len, &mut len_buf));
        n += 1;
    }
    let user = res.headers().count();
    if n + user <= INLINE_FIELDS {
        for f in res.headers() {
            inline[n] = f;
            n += 1;
        }
    } else {
        heap.extend_from_slice(&inline[..n]);
        heap.extend(res.headers());
    }
    let list: &[(&[u8], &[u8])] = if heap.is_empty() { &inline[..n] } else { &heap };
    let end = no_body || known_len == Some(0);
    if conn.send_headers(id, list, end).is_err() {
        return;
    }
    if end {
        return;
    }
    slot.out.clear();
    match stream {
        Some(s) => {
            let len = s.len;
            slot.out.stream(s, Framing::Raw, len);
        }
        None => slot.out.whole(&res.body, res.body_bytes().unwrap_or(&[])),
    }
}
