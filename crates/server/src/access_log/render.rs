//! Rendering one access log line: what is known of the request ([`ReqView`]: a parsed
//! request, the raw head bytes of one the server refused or kept for later, or nothing), what
//! was sent ([`Facts`]), and the per-worker caches that keep a line cheap (the time, formatted
//! once a second; the last client address).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::format::{Format, Piece, Var};
use crate::request::{Request, Version};

/// What a line says of the request.
pub(crate) trait ReqView {
    /// The method, if known.
    fn method(&self) -> Option<&[u8]>;
    /// The target as sent, if known.
    fn target(&self) -> Option<&[u8]>;
    /// `HTTP/1.1` and the like, if known.
    fn protocol(&self) -> Option<&[u8]>;
    /// The request line as sent (`None`: method, target and protocol are joined).
    fn line(&self) -> Option<&[u8]> {
        None
    }
    /// A field's value by lowercase name.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

/// Nothing is known of the request (a 408 before its head was complete).
pub(crate) struct NoRequest;

impl ReqView for NoRequest {
    fn method(&self) -> Option<&[u8]> {
        None
    }
    fn target(&self) -> Option<&[u8]> {
        None
    }
    fn protocol(&self) -> Option<&[u8]> {
        None
    }
    fn header(&self, _: &str) -> Option<&[u8]> {
        None
    }
}

/// `HTTP/2.0` as nginx's `$server_protocol` says it.
pub(crate) fn protocol_of(v: Version) -> &'static [u8] {
    match v {
        Version::Http10 => b"HTTP/1.0",
        Version::Http11 => b"HTTP/1.1",
        Version::H2 => b"HTTP/2.0",
    }
}

impl ReqView for Request<'_> {
    fn method(&self) -> Option<&[u8]> {
        Some(self.method.as_bytes())
    }
    fn target(&self) -> Option<&[u8]> {
        Some(self.target.as_bytes())
    }
    fn protocol(&self) -> Option<&[u8]> {
        Some(protocol_of(self.version))
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }
}

/// A head as bytes: what a client sent (perhaps malformed: a line the parser refused), or a
/// head kept for an answer given later. Only the head's first line and fields are looked at.
pub(crate) struct RawHead<'a>(pub(crate) &'a [u8]);

impl<'a> RawHead<'a> {
    fn first_line(&self) -> &'a [u8] {
        let end = memchr::memchr(b'\n', self.0).unwrap_or(self.0.len());
        let line = &self.0[..end];
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    fn part(&self, i: usize) -> Option<&'a [u8]> {
        self.first_line()
            .split(|&b| b == b' ')
            .filter(|p| !p.is_empty())
            .nth(i)
    }
}

impl ReqView for RawHead<'_> {
    fn method(&self) -> Option<&[u8]> {
        self.part(0)
    }
    fn target(&self) -> Option<&[u8]> {
        self.part(1)
    }
    fn protocol(&self) -> Option<&[u8]> {
        self.part(2)
    }
    fn line(&self) -> Option<&[u8]> {
        Some(self.first_line()).filter(|l| !l.is_empty())
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        // The fields up to the blank line (what follows is a body or the next request).
        let mut lines = self
            .0
            .split(|&b| b == b'\n')
            .skip(1)
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .take_while(|l| !l.is_empty());
        lines.find_map(|l| {
            let colon = memchr::memchr(b':', l)?;
            if !l[..colon].eq_ignore_ascii_case(name.as_bytes()) {
                return None;
            }
            Some(l[colon + 1..].trim_ascii())
        })
    }
}

/// What was sent, and when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub(crate) peer: SocketAddr,
    pub(crate) status: u16,
    /// Body bytes.
    pub(crate) body: u64,
    /// Head bytes (0 on HTTP/2, whose heads are compressed with the connection's others).
    pub(crate) head: u64,
    /// When the request's head was read (the loop turn's time).
    pub(crate) start: Instant,
    /// When the answer was written (the loop turn's time).
    pub(crate) now: Instant,
    /// Wall-clock seconds since the Unix epoch when the answer was written.
    pub(crate) secs: u64,
}

/// A worker's caches for rendering lines.
#[derive(Debug)]
pub(crate) struct Caches {
    secs: Option<u64>,
    time_local: [u8; 26],
    time_iso: [u8; 25],
    ip: Option<IpAddr>,
    ip_text: Vec<u8>,
}

impl Caches {
    pub(crate) fn new() -> Caches {
        Caches {
            secs: None,
            time_local: [b' '; 26],
            time_iso: [b' '; 25],
            ip: None,
            ip_text: Vec::with_capacity(48),
        }
    }

    fn time(&mut self, secs: u64) {
        if self.secs != Some(secs) {
            self.secs = Some(secs);
            let (y, mo, d, h, mi, s) = civil(secs);
            let mut a = &mut self.time_local[..];
            let _ = write!(
                a,
                "{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} +0000",
                MONTHS[(mo - 1) as usize]
            );
            a = &mut self.time_iso[..];
            let _ = write!(a, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00");
        }
    }

    fn ip(&mut self, ip: IpAddr) -> &[u8] {
        if self.ip != Some(ip) {
            self.ip = Some(ip);
            self.ip_text.clear();
            let _ = write!(self.ip_text, "{ip}");
        }
        &self.ip_text
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month, day, hour, minute, second) in UTC of `secs` after the Unix epoch (Howard
/// Hinnant's `civil_from_days`).
pub(crate) fn civil(secs: u64) -> (u64, u64, u64, u64, u64, u64) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y as u64,
        m as u64,
        d as u64,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
    )
}

/// Whether any of the 8 bytes in `x` needs escaping: below 0x20, 0x7f and above, `"`, `\`
/// (bit tricks on a word, as in "Bit Twiddling Hacks": a zero byte of `v` sets the high bit
/// of its byte in `(v - 0x01..) & !v & 0x80..`).
#[inline(always)]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    (below_space
        | (x & HIGH)
        | zero(x ^ (ONES * 0x7f))
        | zero(x ^ (ONES * u64::from(b'"')))
        | zero(x ^ (ONES * u64::from(b'\\'))))
        != 0
}

/// Appends `v` escaped as nginx escapes variables (`"`, `\`, control and non-ASCII bytes as
/// `\xHH`). Checked eight bytes at a time (the tail padded with a harmless byte) and copied
/// at once when none needs it, the usual case.
fn escaped(out: &mut Vec<u8>, v: &[u8]) {
    let mut chunks = v.chunks_exact(8);
    let dirty = chunks
        .by_ref()
        .any(|c| needs_escape(u64::from_ne_bytes(c.try_into().expect("8 bytes"))));
    if !dirty {
        let rest = chunks.remainder();
        let mut pad = [b'a'; 8];
        pad[..rest.len()].copy_from_slice(rest);
        if !needs_escape(u64::from_ne_bytes(pad)) {
            out.extend_from_slice(v);
            return;
        }
    }
    escaped_bytes(out, v);
}

/// [`escaped`] byte by byte.
fn escaped_bytes(out: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut start = 0;
    for (i, &b) in v.iter().enumerate() {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            out.extend_from_slice(&v[start..i]);
            out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&v[start..]);
}

/// `v` escaped, or `-` when absent.
fn value(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => escaped(out, v),
        None => out.push(b'-'),
    }
}

fn number(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(crate::status::decimal(n, &mut buf));
}

/// The user name of `Authorization: Basic` (decoded), if any.
fn basic_user(auth: &[u8], buf: &mut [u8; 192]) -> Option<usize> {
    let b64 = auth
        .strip_prefix(b"Basic ")
        .or_else(|| auth.strip_prefix(b"basic "))?
        .trim_ascii();
    let mut n = 0;
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in b64 {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            if byte == b':' {
                return Some(n);
            }
            *buf.get_mut(n)? = byte;
            n += 1;
        }
    }
    Some(n)
}

/// Appends the line for `req` and `f` (with its newline) to `out`.
pub(crate) fn line(
    out: &mut Vec<u8>,
    format: &Format,
    caches: &mut Caches,
    req: &dyn ReqView,
    f: &Facts,
) {
    for p in &format.pieces {
        match p {
            Piece::Literal(s) => out.extend_from_slice(s.as_bytes()),
            Piece::Var(v) => var(out, v, caches, req, f),
        }
    }
    out.push(b'\n');
}

fn var(out: &mut Vec<u8>, v: &Var, caches: &mut Caches, req: &dyn ReqView, f: &Facts) {
    match v {
        Var::RemoteAddr => out.extend_from_slice(caches.ip(f.peer.ip())),
        Var::RemoteUser => {
            let mut buf = [0u8; 192];
            match req
                .header("authorization")
                .and_then(|a| basic_user(a, &mut buf))
            {
                Some(n) if n > 0 => escaped(out, &buf[..n]),
                _ => out.push(b'-'),
            }
        }
        Var::TimeLocal => {
            caches.time(f.secs);
            out.extend_from_slice(&caches.time_local);
        }
        Var::TimeIso8601 => {
            caches.time(f.secs);
            out.extend_from_slice(&caches.time_iso);
        }
        Var::Request => match (req.line(), req.method(), req.target(), req.protocol()) {
            (Some(l), _, _, _) => escaped(out, l),
            (None, Some(m), Some(t), Some(p)) => {
                escaped(out, m);
                out.push(b' ');
                escaped(out, t);
                out.push(b' ');
                out.extend_from_slice(p);
            }
            _ => out.push(b'-'),
        },
        Var::RequestMethod => value(out, req.method()),
        Var::RequestUri => value(out, req.target()),
        Var::ServerProtocol => value(out, req.protocol()),
        Var::Status => out.extend_from_slice(&crate::status::status_digits(f.status)),
        Var::BodyBytesSent => number(out, f.body),
        Var::BytesSent => number(out, f.body + f.head),
        Var::RequestTime => {
            let ms = f.now.saturating_duration_since(f.start).as_millis() as u64;
            number(out, ms / 1000);
            let frac = ms % 1000;
            out.extend_from_slice(&[
                b'.',
                b'0' + (frac / 100) as u8,
                b'0' + (frac / 10 % 10) as u8,
                b'0' + (frac % 10) as u8,
            ]);
        }
        Var::Header(name) => value(out, req.header(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::format::{parse, COMBINED};
    use super::*;
    use std::time::Duration;

    fn facts(status: u16) -> Facts {
        let now = Instant::now();
        Facts {
            peer: "10.1.2.3:5555".parse().unwrap(),
            status,
            body: 13,
            head: 100,
            start: now,
            now: now + Duration::from_millis(1234),
            // 2026-12-06T08:10:00Z
            secs: 1_796_544_600,
        }
    }

    fn render(fmt: &str, req: &dyn ReqView, f: &Facts) -> String {
        let mut out = Vec::new();
        line(&mut out, &parse(fmt).unwrap(), &mut Caches::new(), req, f);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn combined_from_a_parsed_request() {
        let h = [
            brisk_http1::Header {
                name: b"User-Agent",
                value: b"curl/8 \"x\"",
            },
            brisk_http1::Header {
                name: b"Authorization",
                value: b"Basic YWxpY2U6c2VjcmV0",
            },
        ];
        let req = Request::for_test("GET", "/a?b=1", &h, b"");
        assert_eq!(
            render(COMBINED, &req, &facts(200)),
            "10.1.2.3 - alice [06/Dec/2026:08:10:00 +0000] \"GET /a?b=1 HTTP/1.1\" 200 13 \
             \"-\" \"curl/8 \\x22x\\x22\"\n"
        );
    }

    #[test]
    fn raw_heads_and_nothing() {
        let raw =
            RawHead(b"GET /x\x01 HTTP/1.1\r\nReferer:  http://r/ \r\n\r\nUser-Agent: next\r\n");
        assert_eq!(raw.header("user-agent"), None);
        assert_eq!(
            render(
                "$request|$request_method|$request_uri|$server_protocol|$http_referer",
                &raw,
                &facts(400)
            ),
            "GET /x\\x01 HTTP/1.1|GET|/x\x01|HTTP/1.1|http://r/\n".replace('\x01', "\\x01")
        );
        assert_eq!(
            render(
                "$request $status $bytes_sent $request_time $time_iso8601",
                &NoRequest,
                &facts(408)
            ),
            "- 408 113 1.234 2026-12-06T08:10:00+00:00\n"
        );
    }

    #[test]
    fn word_at_a_time_escaping_agrees_with_byte_by_byte() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..200 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        // Mostly printable, sometimes a byte to escape.
                        match rng % 16 {
                            0 => (rng >> 8) as u8,
                            1 => b'"',
                            2 => b'\\',
                            _ => b' ' + (rng >> 8) as u8 % 95,
                        }
                    })
                    .collect();
                let (mut a, mut b) = (Vec::new(), Vec::new());
                escaped(&mut a, &v);
                escaped_bytes(&mut b, &v);
                assert_eq!(a, b, "{v:?}");
            }
        }
        for b in 0..=255u8 {
            let word = u64::from_ne_bytes([b'a', b'b', b, b'c', b'd', b'e', b'f', b'g']);
            let want = b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b);
            assert_eq!(needs_escape(word), want, "{b:#x}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_796_544_600), (2026, 12, 6, 8, 10, 0));
    }
}
