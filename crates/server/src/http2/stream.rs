//! One HTTP/2 stream's exchange: its slot (the request's fields and body copied out of the
//! connection's buffers, the response body still to send), the O(1) map from stream id to
//! slot, and the stream-level steps: building the request, routing a request with a body at
//! its head (and starting its upload), sending the response head and as much of the body as
//! flow control allows.

use std::net::SocketAddr;

use brisk_http1::Header;
use brisk_http2::{Connection, ErrorCode, StreamId};

use crate::app::App;
use crate::body::{Framing, Outgoing, Read, READ_AHEAD};
use crate::exchange::{self, BodyTo, MAX_HEADER_SLOTS};
use crate::request::{split_target, Request, Version};
use crate::status::decimal;
use crate::worker::{with_worker, Worker};

/// Response header fields sent without allocating (more fall back to a heap list).
const INLINE_FIELDS: usize = 12;

/// Request fields that fit the small array handed to handlers (more use the large one).
const SMALL_FIELDS: usize = 24;

type Span = (u32, u32);

/// One request/response exchange. Slots are reused, so their buffers keep their capacity.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) id: u32,
    pub(super) buf: Vec<u8>,
    pub(super) method: Span,
    pub(super) path: Span,
    pub(super) authority: Option<Span>,
    pub(super) fields: Vec<(Span, Span)>,
    pub(super) body: Vec<u8>,
    pub(super) too_large: bool,
    /// The request is complete and was answered (response may still be sending).
    pub(super) answered: bool,
    /// Response body still to send.
    pub(super) out: Outgoing,
    /// The rest of a file body, sent by `file::send_file` (read straight into the output).
    pub(super) file: Option<brisk_reactor::FileRange>,
    /// Decided on the head (when the app has upload routes and a body follows): where the
    /// request body goes (an upload's sink, or `body`) and what answers it, so the complete
    /// request is not routed again.
    pub(super) to: Option<BodyTo>,
    /// Request body bytes received so far for the sink.
    pub(super) received: u64,
    /// The status an upload was refused with (its body is then dropped).
    pub(super) reject: Option<u16>,
    /// The sink paused the body ([`Flow::Pause`](crate::Flow::Pause)): the credit of what
    /// arrives is withheld until it reads again.
    pub(super) paused: bool,
    /// Flow-control credit withheld while paused.
    pub(super) withheld: usize,
    /// The handler deferred the answer: a `Responder` completes it later.
    pub(super) waiting: bool,
    /// When the handler timeout answers 503 instead (while `waiting`).
    pub(super) deadline: Option<std::time::Instant>,
    /// The route whose handler deferred (named when the timeout answers).
    pub(super) route: crate::app_error::RouteId,
    /// When the request's HEADERS were read (for the access log).
    pub(super) started: Option<std::time::Instant>,
}

/// The access log reads the request from its slot (kept until the answer is sent).
impl crate::access_log::ReqView for Slot {
    fn method(&self) -> Option<&[u8]> {
        Some(self.get(self.method))
    }
    fn target(&self) -> Option<&[u8]> {
        Some(self.get(self.path)).filter(|p| !p.is_empty())
    }
    fn protocol(&self) -> Option<&[u8]> {
        Some(b"HTTP/2.0")
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        let found = self
            .fields
            .iter()
            .find(|&&(n, _)| self.get(n).eq_ignore_ascii_case(name.as_bytes()))
            .map(|&(_, v)| self.get(v));
        match (found, self.authority) {
            (None, Some(a)) if name == "host" => Some(self.get(a)),
            (f, _) => f,
        }
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

impl Slot {
    pub(super) fn clear(&mut self) {
        self.id = 0;
        self.buf.clear();
        self.fields.clear();
        self.authority = None;
        self.body.clear();
        self.too_large = false;
        self.answered = false;
        self.out.clear();
        self.out.shrink_idle();
        self.file = None;
        self.to = None;
        self.received = 0;
        self.reject = None;
        self.paused = false;
        self.withheld = 0;
        self.waiting = false;
        self.deadline = None;
        self.route = crate::app_error::RouteId::UNKNOWN;
        self.started = None;
    }

    pub(super) fn push(&mut self, bytes: &[u8]) -> Span {
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(bytes);
        (start, bytes.len() as u32)
    }

    pub(super) fn get(&self, s: Span) -> &[u8] {
        &self.buf[s.0 as usize..(s.0 + s.1) as usize]
    }

    pub(super) fn sending(&self) -> bool {
        !self.out.is_empty() || self.file.is_some()
    }
}

/// The open streams' slots, found by stream id in O(1): a [`StreamMap`] from id to slot index
/// and a list of free slots. Slots are reused, so their buffers keep their capacity.
#[derive(Debug, Default)]
pub(super) struct Streams {
    slots: Vec<Slot>,
    map: StreamMap,
    /// Indices of the slots no stream uses.
    free: Vec<u32>,
}

impl Streams {
    /// No stream has a slot.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.map.len == 0
    }

    /// Whether this holds slots (free or not).
    #[inline]
    pub(super) fn has_slots(&self) -> bool {
        !self.slots.is_empty()
    }

    /// Whether any slot was ever made (the buffers are worth pooling).
    #[inline]
    pub(super) fn has_capacity(&self) -> bool {
        self.slots.capacity() > 0
    }

    /// Octets of capacity held: the slots and their buffers, the map and the free list (the
    /// worker's pool drops sets that grew large).
    pub(super) fn capacity(&self) -> usize {
        let buffers: usize = self
            .slots
            .iter()
            .map(|s| {
                s.buf.capacity()
                    + s.fields.capacity() * std::mem::size_of::<(Span, Span)>()
                    + s.body.capacity()
            })
            .sum();
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + buffers
            + self.map.table.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }

    /// A slot for a new stream `id` (reused if one is free), empty but for its id.
    pub(super) fn open(&mut self, id: u32) -> usize {
        let at = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        self.slots[at].id = id;
        self.map.insert(id, at as u32);
        at
    }

    /// The slot of stream `id`, if it has one.
    #[inline]
    pub(super) fn find(&self, id: u32) -> Option<usize> {
        self.map.get(id).map(|i| i as usize)
    }

    /// Frees the slot at `at` (its buffers keep their capacity).
    pub(super) fn close(&mut self, at: usize) {
        let slot = &mut self.slots[at];
        self.map.remove(slot.id);
        slot.clear();
        self.free.push(at as u32);
    }

    /// Slot positions whose deferred answer is past its deadline at `now`.
    pub(super) fn overdue(&self, now: std::time::Instant) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&i| {
                let s = &self.slots[i];
                s.waiting && s.id != 0 && s.deadline.is_some_and(|d| d <= now)
            })
            .collect()
    }

    /// The earliest handler deadline of a waiting slot.
    pub(super) fn next_deadline(&self) -> Option<std::time::Instant> {
        self.slots
            .iter()
            .filter(|s| s.waiting && s.id != 0)
            .filter_map(|s| s.deadline)
            .min()
    }

    /// True while a stream waits for its answer's producer: a deferred answer, or a pushed
    /// body with nothing to send yet. The peer is not stalled then.
    pub(super) fn outstanding(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.id != 0 && (s.waiting || s.paused || s.out.is_waiting()))
    }

    /// The slots whose body goes to a sink, not answered yet (by position).
    pub(super) fn sinks(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            (s.id != 0 && !s.answered && matches!(s.to, Some(BodyTo::Sink(_)))).then_some(i)
        })
    }

    /// The connection is gone: every stream's body goes (pushed bodies' pipes close, their
    /// close callbacks run).
    pub(super) fn drop_bodies(&mut self) {
        for s in &mut self.slots {
            s.out.clear();
        }
    }

    /// Stream ids of the slots whose answer was deferred and has not come.
    pub(super) fn waiting_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots
            .iter()
            .filter(|s| s.waiting && s.id != 0)
            .map(|s| u64::from(s.id))
    }

    #[inline]
    pub(super) fn slot(&mut self, at: usize) -> &mut Slot {
        &mut self.slots[at]
    }
}

/// Stream id -> slot index: open addressing with linear probing over a power-of-two table
/// indexed by `id >> 1`. Client stream ids are odd and increase, so the open streams of a
/// connection fall on consecutive entries and a lookup is one probe in the common case. The
/// table is at most half full; a removal shifts the entries after it back (no tombstones).
#[derive(Debug, Default)]
pub(super) struct StreamMap {
    /// `(id, slot)`; id 0 (never a stream's) marks an empty entry.
    table: Vec<(u32, u32)>,
    len: usize,
}

impl StreamMap {
    #[inline]
    fn home(id: u32, mask: usize) -> usize {
        (id >> 1) as usize & mask
    }

    /// The slot of `id`.
    #[inline]
    pub(super) fn get(&self, id: u32) -> Option<u32> {
        if self.len == 0 || id == 0 {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut i = Self::home(id, mask);
        loop {
            let (k, v) = self.table[i];
            if k == id {
                return Some(v);
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Maps `id` (not 0) to `slot`, replacing an earlier mapping of `id`.
    pub(super) fn insert(&mut self, id: u32, slot: u32) {
        debug_assert!(id != 0);
        if (self.len + 1) * 2 > self.table.len() {
            self.grow();
        }
        let mask = self.table.len() - 1;
        let mut i = Self::home(id, mask);
        loop {
            let k = self.table[i].0;
            if k == id {
                self.table[i].1 = slot;
                return;
            }
            if k == 0 {
                self.table[i] = (id, slot);
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes `id`'s mapping, if any.
    pub(super) fn remove(&mut self, id: u32) {
        if self.len == 0 || id == 0 {
            return;
        }
        let mask = self.table.len() - 1;
        let mut hole = Self::home(id, mask);
        loop {
            let k = self.table[hole].0;
            if k == id {
                break;
            }
            if k == 0 {
                return;
            }
            hole = (hole + 1) & mask;
        }
        // Backward shift: an entry after the hole moves into it unless its home lies after
        // the hole (cyclically), so every entry stays reachable from its home.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let k = self.table[j].0;
            if k == 0 {
                break;
            }
            let home = Self::home(k, mask);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.table[hole] = self.table[j];
                hole = j;
            }
        }
        self.table[hole] = (0, 0);
        self.len -= 1;
    }

    /// Doubles the table (16 entries at first) and places the entries again.
    #[cold]
    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        let old = std::mem::replace(&mut self.table, vec![(0, 0); size]);
        self.len = 0;
        for (k, v) in old {
            if k != 0 {
                self.insert(k, v);
            }
        }
    }
}

/// Sends as much of the slot's pending body as flow control allows.
pub(super) fn send_body(conn: &mut Connection, slot: &mut Slot) {
    let id = StreamId::new(slot.id);
    let body = &mut slot.out;
    loop {
        let p = body.pending();
        if !p.is_empty() {
            let last = !body.more_after_pending();
            match conn.send_data(id, p, last) {
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
        if let Some(range) = body.take_file() {
            // Sent by `file::send_file`, read straight into the output.
            slot.file = Some(range);
            return;
        }
        // Read only what may be sent now (windows and send buffer limits): a stream
        // stalled at a zero window reads nothing and keeps no large buffer.
        let Some(cap) = conn.send_capacity_of(id) else {
            // The stream is gone (reset): nothing more is read or sent.
            body.clear();
            return;
        };
        if cap == 0 {
            body.shrink_idle();
            // Offer one byte, which the zero capacity turns down: the connection then
            // reports SendReady for this stream when it can send again.
            let _ = conn.send_data(id, &[0], false);
            return;
        }
        match body.read(cap.min(READ_AHEAD)) {
            // A sized stream's last bytes go out as the last DATA frame.
            Read::Data => {}
            Read::Done if !body.pending().is_empty() => {}
            Read::Done => {
                let _ = conn.send_data(id, &[], true);
                return;
            }
            // A pushed body's trailers: a HEADERS frame ending the stream.
            Read::Trailers(t) => {
                send_trailers(conn, id, &t);
                return;
            }
            // A pushed body's producer has not written yet: it wakes the connection.
            Read::Wait => return,
            Read::Short => {
                // Ended short of its declared length (or a pushed body was abandoned): the
                // client must not take what it got for the whole body.
                let _ = conn.reset_stream(id, ErrorCode::INTERNAL_ERROR);
                return;
            }
        }
    }
}

/// Ends `id` with trailer fields (checked when they were set; a refusal resets the stream, so
/// the client does not take the body for whole without them).
#[cold]
#[inline(never)]
fn send_trailers(conn: &mut Connection, id: StreamId, fields: &[(String, String)]) {
    // As byte slices, the field type `send_headers` is used with: one instantiation of the
    // generic header-block writer (a second one changes what the hot path gets inlined).
    let list: Vec<(&[u8], &[u8])> = fields
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    if conn.send_trailers(id, &list).is_err() {
        let _ = conn.reset_stream(id, ErrorCode::INTERNAL_ERROR);
    }
}

/// Runs `f` with the request held in `slot` (`None` when its target is neither a path nor
/// `*`), its fields in a small array or, past [`SMALL_FIELDS`], a large one. A request
/// without `host` gets the `:authority` as its `host` field.
///
/// `f` gets the application borrowed for as long as the request (route params borrow both).
pub(super) fn with_request<R>(
    app: &App,
    slot: &Slot,
    peer: SocketAddr,
    tls: Option<&brisk_reactor::TlsInfo>,
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
        client: &app.config.client.rules,
        tls,
    };
    let mut req = head.request(&slot.body);
    f(app, Some(&mut req))
}

/// For a request with a body when the app has upload routes: routes it as soon as the head is
/// in and keeps the decision; for an upload route, starts its sink (the body then streams to
/// it), or records the status the route refused it with.
pub(super) fn route_at_head(
    app: &App,
    peer: SocketAddr,
    tls: Option<&brisk_reactor::TlsInfo>,
    slot: &mut Slot,
) {
    if slot.fields.len() + 1 > MAX_HEADER_SLOTS || !app.has_uploads() {
        return;
    }
    let started = with_worker(|w| {
        with_request(app, slot, peer, tls, |app, req| {
            req.map(|r| {
                let routed = exchange::route(app, r, &w.stats);
                exchange::body_to(app, routed, r, &w.stats)
            })
        })
    });
    match started {
        Some(Ok(to)) => slot.to = Some(to),
        Some(Err(code)) => slot.reject = Some(code),
        None => {}
    }
}

/// HEADERS for the response in `w.res`, then the body (or what flow control lets through;
/// the rest is kept in the slot).
pub(super) fn send_response(
    w: &mut Worker,
    conn: &mut Connection,
    id: StreamId,
    slot: &mut Slot,
    head_only: bool,
    peer: SocketAddr,
) {
    let res = &mut w.res;
    let status = exchange::status(res, &w.stats, crate::counters::Proto::H2);
    if w.log.is_some() {
        log_answer(w, slot, peer, status, head_only);
    }
    let res = &mut w.res;
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

/// The access log's line for the answer in `w.res` to the request in `slot`.
#[cold]
#[inline(never)]
fn log_answer(w: &mut Worker, slot: &Slot, peer: SocketAddr, status: u16, head_only: bool) {
    let res = &w.res;
    let body = if head_only || status == 204 || status == 304 {
        0
    } else {
        res.stream_len()
            .or_else(|| res.body_bytes().map(|b| b.len() as u64))
            .unwrap_or(0)
    };
    let log = crate::access_log::LogAs {
        req: slot,
        start: slot.started,
    };
    crate::access_log::sent(w, log, peer, status, body, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_map_finds_what_it_holds_through_growth_collisions_and_removals() {
        // Against a plain list, with ids that collide in a 16-entry table (1, 33, 65, ...),
        // consecutive client ids, and removals in the middle of probe runs.
        let mut map = StreamMap::default();
        let mut model: Vec<(u32, u32)> = Vec::new();
        let mut x = 7u32;
        for step in 0..5000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let id = if step % 3 == 0 {
                1 + 32 * (x % 40)
            } else {
                1 + 2 * (x % 300)
            };
            if x % 5 < 3 {
                map.insert(id, step);
                model.retain(|&(k, _)| k != id);
                model.push((id, step));
            } else {
                map.remove(id);
                model.retain(|&(k, _)| k != id);
            }
            assert_eq!(map.len, model.len());
            if step % 97 == 0 {
                for probe in (1..700).step_by(2) {
                    let want = model.iter().find(|&&(k, _)| k == probe).map(|&(_, v)| v);
                    assert_eq!(map.get(probe), want, "id {probe} at step {step}");
                }
            }
        }
        assert_eq!(map.get(0), None);
    }

    #[test]
    fn streams_reuse_free_slots_and_find_them_by_id() {
        let mut s = Streams::default();
        let a = s.open(1);
        let b = s.open(3);
        assert_eq!((s.find(1), s.find(3), s.find(5)), (Some(a), Some(b), None));
        s.close(a);
        assert_eq!(s.find(1), None);
        let c = s.open(5);
        assert_eq!(c, a, "the freed slot is reused");
        assert_eq!(s.slot(c).id, 5);
        s.close(b);
        s.close(c);
        assert!(s.is_empty() && s.has_slots());
    }
}
