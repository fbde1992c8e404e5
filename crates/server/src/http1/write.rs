//! Writing answers: the head (from the worker's head cache or serialized), the body straight
//! into the reactor's output when it fits, else held in the connection's [`Outgoing`] and
//! written as the socket drains.

use brisk_http1::Version as H1Version;
use brisk_reactor::Output;

use super::conn::{Plan, Reading, H1};
use crate::body::{Framing, Read, READ_AHEAD};
use crate::exchange;
use crate::response::Stream;
use crate::status::decimal;
use crate::worker::Worker;

impl H1 {
    /// Serializes `w.res` (status line, server headers, fields, framing, body) into `out`,
    /// spilling what does not fit.
    pub(super) fn write_response(&mut self, w: &mut Worker, out: &mut Output<'_>, plan: &Plan) {
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
            self.reading = Reading::Closed;
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
    pub(super) fn write_slow(
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
            if self.spill.read(READ_AHEAD) == Read::Short {
                self.reading = Reading::Closed;
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
pub(super) struct Head {
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
