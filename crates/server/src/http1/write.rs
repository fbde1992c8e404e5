//! Writing answers: the head (from the worker's head cache or serialized), the body straight
//! into the reactor's output when it fits, else held in the connection's [`Outgoing`] and
//! written as the socket drains.

use std::cell::RefCell;

use brisk_http1::{Field, HeadWriter, Region, Sink, Version as H1Version};
use brisk_reactor::Output;

use super::conn::{Plan, Reading, H1};
use crate::access_log::{self, LogAs};
use crate::body::{Framing, Read, READ_AHEAD};
use crate::exchange;
use crate::response::{Response, Stream};
use crate::worker::Worker;

impl H1 {
    /// Serializes `w.res` into `out`, or queues it behind an earlier deferred answer.
    #[inline(always)]
    pub(super) fn write_response(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        plan: &Plan,
        log: LogAs<'_>,
    ) {
        if self.waiting.is_empty() {
            self.write_now(w, out, plan, log);
        } else {
            self.queue_ready(w, plan, log);
        }
    }

    /// Serializes `w.res` (status line, server headers, fields, framing, body) into `out`,
    /// spilling what does not fit; logs the answer (`log`).
    pub(super) fn write_now(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        plan: &Plan,
        log: LogAs<'_>,
    ) {
        let res = &mut w.res;
        let status = exchange::status(res, &w.stats, plan.version.into());
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
                Some(Connection::Close)
            } else if plan.version == H1Version::Http10 {
                Some(Connection::KeepAlive)
            } else {
                None
            },
        };
        let send_body = !(plan.head_only || no_body);
        if !keep_alive {
            self.reading = Reading::Closed;
        }
        let direct = self.spill.is_empty() && stream.is_none();
        let body = if direct && send_body { bytes } else { &[] };
        let body_sent = body.len() as u64;
        // What the log says of a body not written here: its declared length if streamed.
        let body_logged = match (&stream, send_body) {
            (_, false) => 0,
            (Some(_), true) => sized.unwrap_or(0),
            (None, true) => bytes.len() as u64,
        };
        if direct {
            // Fast path: head and body written straight into one free region of the output.
            // A head like the last one comes from the worker's copy of it.
            let written = HEADS.with_borrow_mut(|heads| {
                let cached = heads.get(&head, res);
                out.append_with(out.remaining(), |buf| {
                    let mut r = Region::new(buf);
                    let head_ok = match cached {
                        Some(bytes) => r.put(bytes).is_ok(),
                        None => head
                            .write(&mut r, res)
                            .is_ok_and(|mut w| w.finish().is_ok()),
                    };
                    if head_ok && r.put(body).is_ok() {
                        r.len()
                    } else {
                        0
                    }
                })
            });
            if written > 0 {
                let head_len = written as u64 - body_sent;
                access_log::sent(w, log, self.peer, status, body_sent, head_len);
                return;
            }
        }
        let head_len = self.write_slow(w, out, plan, &head, stream, send_body);
        access_log::sent(w, log, self.peer, status, body_logged, head_len as u64);
    }

    /// [`H1::write_response`] when the answer is not in one free region of the output: across
    /// its blocks if it fits, else into the spill (a large or streamed body). Returns the
    /// head's length.
    #[cold]
    #[inline(never)]
    pub(super) fn write_slow(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        plan: &Plan,
        head: &Head,
        stream: Option<Stream>,
        send_body: bool,
    ) -> usize {
        let res = &mut w.res;
        let chunked = head.chunked;
        let direct = self.spill.is_empty() && stream.is_none();
        let body = match res.body_bytes() {
            Some(b) if direct && send_body => b,
            _ => &[],
        };
        let bytes = &mut w.head;
        bytes.clear();
        match head.write(bytes, res) {
            Ok(mut hw) => {
                hw.finish();
            }
            Err(_) => {
                // Not reached: the response's fields passed the same checks when set.
                bytes.clear();
                self.reading = Reading::Closed;
                return 0;
            }
        }
        let head_len = bytes.len();
        if direct {
            // Not in one region, perhaps across several blocks of the output.
            if out.remaining() >= bytes.len() + body.len() {
                let _ = out.extend_from_slice(bytes);
                let _ = out.extend_from_slice(body);
                return head_len;
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
        head_len
    }

    /// Writes what fits of the spill. A sized stream that ended short cannot be finished on
    /// this connection: it closes once the bytes already produced are out, so the client sees
    /// a body shorter than its `Content-Length`.
    pub(super) fn flush_spill(&mut self, out: &mut Output<'_>) -> bool {
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
            if self.sendfile {
                if let Some(range) = self.spill.take_file() {
                    // The kernel sends it after what is pending; nothing is appended
                    // until it is out.
                    let _ = out.push_file(range);
                    return true;
                }
            }
            match self.spill.read(READ_AHEAD.min(out.remaining().max(4096))) {
                Read::Short => {
                    // Nothing after this answer may be sent: answers waiting behind it go.
                    self.reading = Reading::Closed;
                    self.waiting.forget();
                }
                // A pushed body's producer has not written yet: it wakes the connection.
                Read::Wait => return false,
                // (Trailers come only without chunked framing: HTTP/1.0, which drops them.)
                Read::Data | Read::Done | Read::Trailers(_) => {}
            }
        }
    }
}

/// `Server: brisk`, checked once.
const SERVER: Field<'static> = match Field::new(b"Server", b"brisk") {
    Ok(f) => f,
    Err(_) => panic!("a valid field"),
};

/// `Connection: Upgrade` and `Upgrade: h2c`, for the `101` of an h2c upgrade.
const UPGRADE_H2C: [Field<'static>; 2] = match (
    Field::new(b"Connection", b"Upgrade"),
    Field::new(b"Upgrade", b"h2c"),
) {
    (Ok(a), Ok(b)) => [a, b],
    _ => panic!("valid fields"),
};

/// Writes an interim (1xx) head with `fields` into `out`: `100 Continue`, or with
/// [`UPGRADE_H2C`] the `101 Switching Protocols` of an h2c upgrade.
#[cold]
#[inline(never)]
pub(super) fn write_interim(out: &mut Output<'_>, status: u16, fields: &[Field<'_>]) {
    let mut buf = [0u8; 128];
    let mut r = Region::new(&mut buf);
    if let Ok(mut w) = HeadWriter::response_status(&mut r, H1Version::Http11, status) {
        for f in fields {
            w.field(f);
        }
        let _ = w.finish();
    }
    let _ = out.extend_from_slice(r.filled());
}

/// The `101` that accepts `Upgrade: h2c`.
pub(super) fn write_upgrade_h2c(out: &mut Output<'_>) {
    write_interim(out, 101, &UPGRADE_H2C);
}

/// The worker's copy of the last response head it serialized without handler fields, keyed
/// by everything that head says. Repeated answers (the same status, type, length and
/// connection handling within one second of `Date`) are then one copy instead of a field by
/// field serialization. One entry: a miss costs one serialization into it, as before.
#[derive(Debug)]
struct HeadCache<const N: usize = HEAD_CACHE_LEN> {
    key: Option<HeadKey>,
    len: usize,
    bytes: [u8; N],
}

/// Longest head kept in the [`HeadCache`].
const HEAD_CACHE_LEN: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadKey {
    status: u16,
    date: [u8; crate::date::DATE_LEN],
    length: u64,
    connection: Option<Connection>,
    content_type: Option<&'static str>,
}

thread_local! {
    /// This worker thread's head cache.
    static HEADS: RefCell<HeadCache> = const { RefCell::new(HeadCache::new()) };
}

impl<const N: usize> HeadCache<N> {
    const fn new() -> Self {
        HeadCache {
            key: None,
            len: 0,
            bytes: [0; N],
        }
    }

    /// The serialized `head` for `res`, from the cache or written into it; `None` when the
    /// head is not cacheable (handler fields, chunked framing, too long).
    #[inline]
    fn get(&mut self, head: &Head, res: &Response) -> Option<&[u8]> {
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
            let mut r = Region::new(&mut self.bytes);
            self.len = head.write(&mut r, res).ok()?.finish().ok()?;
            self.key = Some(key);
        }
        Some(&self.bytes[..self.len])
    }
}

/// The `Connection` field a response head carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Connection {
    /// `Connection: close`: the connection ends after this response.
    Close,
    /// `Connection: keep-alive`, for an HTTP/1.0 client that keeps the connection.
    KeepAlive,
}

/// What a response head says besides the handler's fields.
pub(super) struct Head {
    status: u16,
    date: [u8; crate::date::DATE_LEN],
    /// `Content-Length`, if the response has one.
    length: Option<u64>,
    chunked: bool,
    /// The `Connection` field, if any.
    connection: Option<Connection>,
}

impl Head {
    /// Writes the head (status line, `Server`, `Date`, framing, `Connection`, the response's
    /// fields) with brisk-http1's [`HeadWriter`] into `out`, a `Vec` or a [`Region`] of the
    /// output; the caller ends it with [`HeadWriter::finish`]. An error only for a field the
    /// writer refuses (none: [`Response::header`] applies the same checks).
    #[inline]
    fn write<'o, S: Sink>(
        &self,
        out: &'o mut S,
        res: &Response,
    ) -> Result<HeadWriter<'o, S>, brisk_http1::Error> {
        let mut w = HeadWriter::response_status(out, H1Version::Http11, self.status)?;
        w.field(&SERVER).date(&self.date)?;
        if self.chunked {
            w.chunked();
        } else if let Some(n) = self.length {
            w.content_length(n);
        }
        match self.connection {
            Some(Connection::Close) => {
                w.connection_close();
            }
            Some(Connection::KeepAlive) => {
                w.connection_keep_alive();
            }
            None => {}
        }
        if let Some(t) = res.helper_type() {
            w.header(b"content-type", t.as_bytes())?;
        }
        for (name, value) in res.set_fields() {
            w.header(name, value)?;
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, date: &[u8; 29], length: u64, connection: Option<Connection>) -> Head {
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
        h.write(&mut v, res).expect("valid").finish();
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
        let mut cache: HeadCache = HeadCache::new();
        let close = Some(Connection::Close);
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
        // The same bytes as the hand-written heads before brisk-http1's writer took over.
        let expected = b"HTTP/1.1 404 Not Found\r\nServer: brisk\r\nDate: Tue, 24 Nov 2026 \
            03:21:09 GMT\r\nContent-Length: 14\r\nConnection: close\r\ncontent-type: \
            application/json\r\n\r\n";
        assert_eq!(fresh(&head(404, d2, 14, close), &json), &expected[..]);
        let mut fields = Response::new();
        fields.header("X-A", "1");
        let keep = Some(Connection::KeepAlive);
        let expected = b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: Tue, 24 Nov 2026 03:21:09 \
            GMT\r\nContent-Length: 0\r\nConnection: keep-alive\r\nx-a: 1\r\n\r\n";
        assert_eq!(fresh(&head(200, d2, 0, keep), &fields), &expected[..]);
    }

    #[test]
    fn head_cache_leaves_out_heads_with_handler_fields_or_chunked_framing() {
        let d = b"Tue, 24 Nov 2026 03:21:08 GMT";
        let mut cache: HeadCache = HeadCache::new();
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
        let mut small = HeadCache::<64>::new();
        let mut long = Response::new();
        long.text("yyyyyyyyyy");
        assert_eq!(small.get(&head(200, d, 10, None), &long), None);
    }
}
