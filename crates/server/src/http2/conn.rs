//! The HTTP/2 connection: brisk-http2 does the protocol; this drains its events into stream
//! slots, answers complete requests through the exchange, continues blocked bodies as windows
//! open, and hands its busy-time buffers to the worker thread's pool while idle.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

use brisk_http2::{Connection, ErrorCode, Event, H2cRequest, SpareBuffers, StreamId};
use brisk_reactor::{Action, Context, Output, TimeoutKind};

use super::file::{flush, send_file, FileSent};
use super::stream::{route_at_head, send_body, send_response, with_request, Slot, Streams};
use crate::app::App;
use crate::exchange::{self, BodyTo, MAX_HEADER_SLOTS};
use crate::upload::{BodyWaker, Flow};
use crate::worker::{with_worker, Worker};

/// What an HTTP/2 connection needs only while streams are open: the protocol's stream map,
/// event queue and header arena ([`SpareBuffers`]) and the stream slots. An idle connection
/// hands them to the worker thread's pool ([`recycle`]) and takes a set back when input
/// arrives, so idle connections hold none and going idle and busy again allocates nothing.
#[derive(Debug, Default)]
struct H2Spare {
    conn: SpareBuffers,
    streams: Streams,
}

/// Most sets of busy-time buffers the pool of idle HTTP/2 connections keeps; more are dropped.
/// Each set was some connection's before it went idle (and, before the pool existed, stayed
/// with it for the connection's life), so the pool never holds more than the connections
/// would.
const SPARE_H2: usize = 256;
/// A set holding more than this (a connection that got large header blocks or bodies, or
/// had many streams at once) is dropped rather than pooled: its buffers would outlive the
/// connection, the largest a worker ever saw kept for good (issue 20, defect 8).
const SPARE_H2_SET_BYTES: usize = 64 * 1024;
/// Most octets of capacity the pool holds in all; a set that would go over it is dropped.
const SPARE_H2_BYTES: usize = 2 * 1024 * 1024;

impl H2Spare {
    /// Octets of capacity held.
    fn capacity(&self) -> usize {
        self.conn.capacity() + self.streams.capacity()
    }
}

/// The pooled sets with their capacity when pooled, and the sum of those.
struct SparePool {
    #[allow(clippy::vec_box)]
    sets: Vec<(Box<H2Spare>, usize)>,
    bytes: usize,
}

thread_local! {
    /// This worker thread's pool of busy-time buffers handed over by idle connections
    /// (boxed: they move between a connection and this list without reallocating).
    static SPARE: RefCell<SparePool> =
        const { RefCell::new(SparePool { sets: Vec::new(), bytes: 0 }) };
}

/// A set of busy-time buffers for a connection that turns busy, if one is pooled.
fn pooled() -> Option<Box<H2Spare>> {
    SPARE.with_borrow_mut(|pool| {
        let (s, bytes) = pool.sets.pop()?;
        pool.bytes -= bytes;
        Some(s)
    })
}

/// Pools the busy-time buffers of a connection that turned idle (emptied by it), up to
/// [`SPARE_H2`] sets and [`SPARE_H2_BYTES`] in all; more, and a set over
/// [`SPARE_H2_SET_BYTES`], are dropped.
fn recycle(s: Box<H2Spare>) {
    let bytes = s.capacity();
    if bytes > SPARE_H2_SET_BYTES {
        return;
    }
    SPARE.with_borrow_mut(|pool| {
        if pool.sets.len() < SPARE_H2 && pool.bytes + bytes <= SPARE_H2_BYTES {
            pool.bytes += bytes;
            pool.sets.push((s, bytes));
        }
    });
}

/// HTTP/2 connection state.
pub(crate) struct H2 {
    app: Arc<App>,
    peer: SocketAddr,
    /// The TLS facts of an HTTPS connection.
    pub(crate) tls: Option<Box<brisk_reactor::TlsInfo>>,
    conn: Connection,
    /// The open streams' slots, by stream id.
    streams: Streams,
    /// Frames taken from the connection that did not fit in the reactor's output yet.
    wbuf: Vec<u8>,
    wpos: usize,
    ready: Vec<u32>,
    /// Streams whose file body waits for room in the reactor's output.
    file_waiting: Vec<u32>,
    draining: bool,
    /// While busy: the (empty) set the busy-time buffers go into when the connection turns
    /// idle and hands them to the worker's pool. `None` while idle.
    spare: Option<Box<H2Spare>>,
    /// The connection's id, once a handler deferred an answer.
    me: Option<brisk_reactor::ConnId>,
    /// When the last request was answered: the idle timer is armed when the connection first
    /// goes idle and not moved on every request; when it fires, the connection is closed only
    /// if it has been quiet that long since this instant, else the timer is armed for the rest.
    last_answer: Option<std::time::Instant>,
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
            tls: None,
            conn,
            streams: Streams::default(),
            wbuf: Vec::new(),
            wpos: 0,
            ready: Vec::new(),
            file_waiting: Vec::new(),
            draining: false,
            spare: None,
            me: None,
            last_answer: None,
        }
    }

    /// Input arrived: take a set of busy-time buffers from the worker's pool, if it has one
    /// (without, they grow as needed).
    #[inline]
    fn attach_spare(&mut self) {
        if self.spare.is_some() {
            return;
        }
        let Some(mut s) = pooled() else {
            return;
        };
        self.conn.give_spare(&mut s.conn);
        if !self.streams.has_slots() {
            std::mem::swap(&mut self.streams, &mut s.streams);
        }
        self.spare = Some(s);
    }

    /// No stream open: hand the busy-time buffers to the worker's pool.
    #[inline]
    fn detach_spare(&mut self) {
        if !self.streams.is_empty() {
            return;
        }
        let mut s = match self.spare.take() {
            Some(s) => s,
            None if self.streams.has_capacity() => Box::default(),
            None => return,
        };
        if !self.conn.take_spare(&mut s.conn) {
            self.spare = Some(s);
            return;
        }
        // `s` holds empty buffers (what `attach_spare` swapped out, or new ones).
        std::mem::swap(&mut self.streams, &mut s.streams);
        recycle(s);
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
            Err(e) => {
                if crate::log::enabled(crate::log::Level::Debug) {
                    crate::log::debug(format_args!(
                        "{}: HTTP/2 connection error: {e} (GOAWAY sent, closing)",
                        self.peer
                    ));
                }
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
        if kind == TimeoutKind::Input && self.me.is_some() && self.expire_deferred(cx) {
            return self.process(cx, out);
        }
        if kind == TimeoutKind::Input && self.me.is_some() && self.streams.outstanding() {
            // A stream waits for a deferred answer or a pushed body's producer, not for the
            // client: not a stalled body read (the handler timeout, if set, bounds the wait
            // for an answer's head). The timer is re-armed.
            return self.process(cx, out);
        }
        let idle = self.conn.open_streams() == 0;
        if idle && kind == TimeoutKind::Idle && !self.draining {
            // Quiet since the last answer for less than the idle timeout: not idle yet.
            let limit = self.app.config.timeouts.idle;
            let quiet = self
                .last_answer
                .map_or(limit, |t| cx.now().saturating_duration_since(t));
            if quiet < limit {
                cx.set_timeout_in(TimeoutKind::Idle, limit - quiet);
                return Action::Keep;
            }
        }
        if idle || kind != TimeoutKind::Input || self.conn.poll_timeout().is_none() {
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
        let mut peer_failed = false;
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
                        with_worker(|w| w.stats.h2_stream());
                        let at = self.streams.open(id);
                        let slot = self.streams.slot(at);
                        slot.started = Some(cx.now());
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
                            route_at_head(&self.app, self.peer, self.tls.as_deref(), slot);
                            if let Some(sink) = slot.to.as_mut().and_then(BodyTo::sink) {
                                // A sink may pace its body: its waker, and whether to read.
                                let waker = BodyWaker::new(cx.notifier(), cx.conn_id());
                                match with_worker(|w| {
                                    sink.set_waker(waker, &w.stats);
                                    sink.flow(&w.stats)
                                }) {
                                    Flow::Read => {}
                                    Flow::Pause => slot.paused = true,
                                    Flow::Answer => self.ready.push(id),
                                }
                            }
                        }
                        let limit = if matches!(slot.to, Some(BodyTo::Sink(_))) {
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
                                slot.to = None;
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
                        if let Some(i) = self.streams.find(id) {
                            let slot = self.streams.slot(i);
                            if slot.answered || slot.reject.is_some() {
                                // Answered already, or refused: the rest is dropped.
                            } else if let Some(sink) = slot.to.as_mut().and_then(BodyTo::sink) {
                                slot.received += len as u64;
                                let fed = if slot.received > self.app.config.limits.max_upload_size
                                {
                                    Err(413)
                                } else {
                                    with_worker(|w| {
                                        sink.data(data, &w.stats).map(|()| sink.flow(&w.stats))
                                    })
                                };
                                match fed {
                                    Ok(_) if end_stream => self.ready.push(id),
                                    Ok(Flow::Pause) => {
                                        // Its credit waits for the sink to read again.
                                        slot.paused = true;
                                        slot.withheld += len;
                                        continue;
                                    }
                                    Ok(Flow::Read) => {}
                                    Ok(Flow::Answer) => self.ready.push(id),
                                    Err(code) => {
                                        slot.to = None;
                                        slot.reject = Some(code);
                                        self.ready.push(id);
                                    }
                                }
                                let back = std::mem::take(&mut slot.withheld);
                                slot.paused = false;
                                self.conn.consume(stream, back);
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
                    Event::StreamReset {
                        stream, by_peer, ..
                    } => {
                        with_worker(|w| w.stats.h2_reset(by_peer));
                        let id = stream.value();
                        if let Some(i) = self.streams.find(id) {
                            if let (true, Some(me)) = (self.streams.slot(i).waiting, self.me) {
                                crate::defer::forget(me, &mut std::iter::once(u64::from(id)));
                            }
                            self.streams.close(i);
                        }
                    }
                    Event::SendReady { stream } => {
                        self.ready.push(stream.value());
                    }
                    Event::GoAway { code, .. } if (0x1..=0xd).contains(&code.0) => {
                        // The client declared the connection failed (RFC 9113 §6.8: it
                        // closes it next): its streams are gone. A GOAWAY with NO_ERROR only
                        // stops new streams, the open ones go on; an unknown code triggers
                        // nothing special (RFC 9113 §7).
                        peer_failed = true;
                    }
                    _ => {}
                }
            }
            // Answer complete requests and continue blocked bodies.
            if !self.file_waiting.is_empty() && out.file_room() > 0 {
                self.ready.append(&mut self.file_waiting);
            }
            // Every answer's HEADERS first, then the file bodies: on cleartext these join one
            // mapped segment and leave with one `writev` (HEADERS of a later stream may go
            // before the DATA of an earlier one).
            let mut files = false;
            let mut i = 0;
            while i < self.ready.len() {
                let id = self.ready[i];
                i += 1;
                let Some(pos) = self.streams.find(id) else {
                    continue;
                };
                if !self.streams.slot(pos).answered {
                    self.answer(cx, pos);
                    progressed = true;
                }
                let slot = self.streams.slot(pos);
                if slot.sending() {
                    send_body(&mut self.conn, slot);
                }
                if slot.file.is_some() {
                    files = true;
                } else if !slot.sending() && slot.answered && !slot.waiting {
                    self.streams.close(pos);
                }
            }
            if files && self.send_files(out) {
                return Action::CloseNow;
            }
            self.ready.clear();
            if peer_failed {
                // Closing runs `on_close`: pushed bodies and deferred answers learn it.
                return Action::CloseNow;
            }
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

    /// The file bodies of the ready streams (after their HEADERS). True when a file turned
    /// out truncated: the connection must close.
    fn send_files(&mut self, out: &mut Output<'_>) -> bool {
        for &id in &self.ready {
            let Some(pos) = self.streams.find(id) else {
                continue;
            };
            let slot = self.streams.slot(pos);
            if slot.file.is_none() {
                continue;
            }
            let (c, b, p) = (&mut self.conn, &mut self.wbuf, &mut self.wpos);
            match send_file(c, b, p, slot, out, self.tls.is_none()) {
                FileSent::Done | FileSent::Window => {}
                FileSent::Output => {
                    if !self.file_waiting.contains(&id) {
                        self.file_waiting.push(id);
                    }
                }
                FileSent::Broken => return true,
            }
            if !slot.sending() && slot.answered && !slot.waiting {
                self.streams.close(pos);
            }
        }
        false
    }

    fn arm_timer(&mut self, cx: &mut Context<'_>) {
        if self.conn.open_streams() == 0 {
            if cx.timeout() != Some(TimeoutKind::Idle) {
                cx.set_timeout(TimeoutKind::Idle);
            }
        } else if let Some(at) = self.next_timer() {
            cx.set_timeout_in(TimeoutKind::Input, at.saturating_duration_since(cx.now()));
        } else {
            cx.set_timeout(TimeoutKind::Input);
        }
    }

    /// Copies as much connection output as fits into the reactor's output. True when all of
    /// it is out.
    fn flush(&mut self, out: &mut Output<'_>) -> bool {
        flush(&mut self.conn, &mut self.wbuf, &mut self.wpos, out)
    }

    /// Runs the handler (or the upload's sink) for the request in slot `pos` and starts the
    /// response.
    fn answer(&mut self, cx: &mut Context<'_>, pos: usize) {
        self.last_answer = Some(cx.now());
        let me = cx.conn_id();
        let app: &App = &self.app;
        let deferred = &mut self.me;
        let peer = self.peer;
        let tls = self.tls.as_deref();
        let slot = self.streams.slot(pos);
        slot.answered = true;
        let id = StreamId::new(slot.id);
        let conn = &mut self.conn;
        with_worker(|w| {
            w.date.update(cx.now(), || cx.system_time());
            w.res.reset();
            w.res.set_ticket(me, u64::from(id.value()));
            let slot_ref: &Slot = slot;
            let head_only = slot_ref.get(slot_ref.method) == b"HEAD";
            if let Some(code) = slot_ref.reject {
                w.res.set_error(code);
            } else if slot_ref.too_large {
                w.res.set_error(413);
            } else if slot_ref.fields.len() + 1 > MAX_HEADER_SLOTS {
                w.res.set_error(431);
            } else if slot_ref.to.is_none() {
                // Routed here (a request without a body kept for later): nothing is moved
                // into the closure, so nothing large is copied on this path.
                let res = &mut w.res;
                let stats = &w.stats;
                with_request(app, slot_ref, peer, tls, |app, req| match req {
                    Some(req) => exchange::answer(app, req, res, stats),
                    None => res.set_error(400),
                });
            } else {
                answer_kept(app, slot, peer, tls, w);
            }
            if w.res.is_deferred() {
                slot.waiting = true;
                slot.deadline = app.config.timeouts.handler.map(|d| cx.now() + d);
                slot.route = w.res.route();
                *deferred = Some(me);
                return;
            }
            send_response(w, conn, id, slot, head_only, peer);
        });
    }
}

/// Answers a request whose body was kept for its route since the HEADERS (an upload's sink, or
/// the decision routing made then): out of line, so the common path moves no decision around.
#[cold]
#[inline(never)]
fn answer_kept(
    app: &App,
    slot: &mut Slot,
    peer: SocketAddr,
    tls: Option<&brisk_reactor::TlsInfo>,
    w: &mut Worker,
) {
    let to = slot.to.take();
    let res = &mut w.res;
    let stats = &w.stats;
    with_request(app, slot, peer, tls, |app, req| match (req, to) {
        (Some(req), None) => exchange::answer(app, req, res, stats),
        (Some(req), Some(BodyTo::Sink(sink))) => {
            exchange::finish_upload(app, sink, req, res, stats)
        }
        (Some(req), Some(BodyTo::Buffer(routed))) => {
            exchange::answer_routed(app, routed, req, res, stats)
        }
        (None, _) => res.set_error(400),
    });
}

impl H2 {
    /// The protocol's next deadline, or a deferred answer's handler deadline if earlier.
    fn next_timer(&self) -> Option<std::time::Instant> {
        let p = self.conn.poll_timeout();
        if self.me.is_none() {
            return p;
        }
        match (p, self.streams.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Answers 503 for deferred streams past the handler timeout (their responders' sends
    /// then fail). True if any stream still waits or was answered (the connection goes on).
    fn expire_deferred(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(me) = self.me else {
            return false;
        };
        let overdue = self.streams.overdue(cx.now());
        for &pos in &overdue {
            let slot = self.streams.slot(pos);
            let id = slot.id;
            slot.waiting = false;
            let head_only = slot.get(slot.method) == b"HEAD";
            crate::defer::forget(me, &mut std::iter::once(u64::from(id)));
            self.app
                .errors
                .report_id(crate::AppErrorKind::Timeout, slot.route);
            let conn = &mut self.conn;
            let peer = self.peer;
            with_worker(|w| {
                w.date.update(cx.now(), || cx.system_time());
                w.res.reset();
                w.res.set_error(503);
                send_response(w, conn, StreamId::new(id), slot, head_only, peer);
            });
            self.ready.push(id);
        }
        !overdue.is_empty() || self.streams.next_deadline().is_some()
    }

    /// The connection closed: deferred answers still to come are for nobody.
    pub(crate) fn on_close(&mut self) {
        if let Some(me) = self.me {
            {
                let mut ids = self.streams.waiting_ids();
                crate::defer::forget(me, &mut ids);
            }
            self.streams.drop_bodies();
        }
    }

    /// Completions arrived (or a spurious call): sends each to its stream, if it is still
    /// open and waiting (a stream reset in the meantime drops it), in any order.
    pub(crate) fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let me = cx.conn_id();
        let mut any = false;
        while let Some(mut c) = crate::defer::take(me) {
            let Ok(id) = u32::try_from(c.xid) else {
                continue;
            };
            let Some(pos) = self.streams.find(id) else {
                continue;
            };
            let slot = self.streams.slot(pos);
            // (Borrowed, not moved: the response is swapped in place with the worker's.)
            let Some(res) = c.res.as_mut() else {
                // A pushed body's producer wrote: continue the stream.
                if slot.sending() {
                    self.ready.push(id);
                    any = true;
                }
                continue;
            };
            if !slot.waiting {
                continue;
            }
            slot.waiting = false;
            any = true;
            let head_only = slot.get(slot.method) == b"HEAD";
            let conn = &mut self.conn;
            let peer = self.peer;
            with_worker(|w| {
                w.date.update(cx.now(), || cx.system_time());
                std::mem::swap(&mut w.res, res);
                send_response(w, conn, StreamId::new(id), slot, head_only, peer);
                std::mem::swap(&mut w.res, res);
            });
            self.ready.push(id);
        }
        if self.app.has_uploads() && self.body_flows() {
            any = true;
        }
        if !any {
            return Action::Keep;
        }
        self.attach_spare();
        self.process(cx, out)
    }

    /// Asks each body's sink again what it wants (its waker may have woken the connection):
    /// a paused one that reads gets its withheld credit back, one that answers is answered.
    /// True if anything changed.
    #[cold]
    #[inline(never)]
    fn body_flows(&mut self) -> bool {
        let mut changed = false;
        let sinks: arrayvec::ArrayVec<usize, 128> = self.streams.sinks().take(128).collect();
        for pos in sinks {
            let slot = self.streams.slot(pos);
            let id = slot.id;
            let Some(sink) = slot.to.as_mut().and_then(BodyTo::sink) else {
                continue;
            };
            let flow = with_worker(|w| sink.flow(&w.stats));
            if flow == Flow::Pause {
                continue;
            }
            if slot.paused || slot.withheld > 0 {
                slot.paused = false;
                let back = std::mem::take(&mut slot.withheld);
                self.conn.consume(StreamId::new(id), back);
                changed = true;
            }
            if flow == Flow::Answer {
                self.ready.push(id);
                changed = true;
            }
        }
        changed
    }
}
