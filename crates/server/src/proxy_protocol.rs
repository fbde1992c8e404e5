//! The PROXY protocol header (HAProxy's `proxy-protocol.txt`, versions 1 and 2), parsed
//! sans-IO and strictly: a load balancer that forwards TCP sends it first on the connection,
//! before any HTTP byte, to say whose connection it is.
//!
//! ```text
//! v1: "PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\r\n"      (text, at most 107 bytes)
//!     "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n"
//!     "PROXY UNKNOWN ...\r\n"                                 (the socket's addresses stand)
//! v2: \r\n\r\n\0\r\nQUIT\n | ver<<4|cmd | family<<4|transport | length (u16, big endian)
//!     | addresses (12 B for TCP4, 36 B for TCP6, 216 B for Unix) | TLVs (skipped, checked)
//! ```
//!
//! [`parse`] is given everything received so far and says [`Status::Partial`] (wait for more)
//! or [`Status::Complete`] with the header's length and addresses; anything else is an
//! [`Error`], and the connection is closed. A v2 header's declared length is checked against
//! the caller's limit before its bytes are waited for. Each call looks at no more than the
//! header's bytes, so feeding a header one byte at a time costs O(n²) in the worst case only
//! within the 107 bytes of a v1 line (a v2 header is checked in O(1) until it is whole).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The 12 bytes every version 2 header starts with.
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// Longest version 1 header, `\r\n` included (the specification's limit).
pub const V1_MAX_LEN: usize = 107;

/// The default limit on a version 2 header's size (16 fixed bytes, the addresses and the
/// TLVs): 4096 bytes, well above what HAProxy, AWS or Google load balancers send (a few hundred
/// bytes with TLS details).
pub const DEFAULT_MAX_LEN: usize = 4096;

/// What a complete header says.
///
/// # Examples
///
/// ```
/// use brisk_server::proxy_protocol::{parse, Status};
///
/// let Ok(Status::Complete(h)) = parse(b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\r\nGET", 4096)
/// else { panic!() };
/// assert_eq!(h.len, 44);
/// assert_eq!(h.source, Some("192.0.2.1:51234".parse().unwrap()));
/// assert_eq!(h.destination, Some("198.51.100.2:80".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// Bytes the header takes at the start of the input (what follows is the application's).
    pub len: usize,
    /// 1 or 2.
    pub version: u8,
    /// The client's address, or `None` when the header carries none to use (v1 `UNKNOWN`,
    /// v2 `LOCAL`, or a family other than TCP over IPv4/IPv6): the connection's own peer
    /// address stands then.
    pub source: Option<SocketAddr>,
    /// The address the client connected to (on the proxy), when `source` is given.
    pub destination: Option<SocketAddr>,
}

/// How far [`parse`] got.
///
/// # Examples
///
/// ```
/// use brisk_server::proxy_protocol::{parse, Status};
///
/// assert_eq!(parse(b"PROXY TCP4 192.0", 4096), Ok(Status::Partial));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All of the input is a valid beginning of a header: wait for more.
    Partial,
    /// A whole header.
    Complete(Header),
}

/// Why the input is not a valid PROXY header.
///
/// # Examples
///
/// ```
/// use brisk_server::proxy_protocol::{parse, Error};
///
/// assert_eq!(parse(b"GET / HTTP/1.1\r\n", 4096), Err(Error::Missing));
/// assert_eq!(Error::Missing.to_string(), "no PROXY protocol header");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input starts with neither `PROXY ` nor the version 2 signature.
    Missing,
    /// A version 1 line longer than 107 bytes (or without its `\r\n` within them).
    V1TooLong,
    /// A version 1 line that does not follow the grammar (protocol, addresses, ports,
    /// single spaces, `\r\n`).
    V1Syntax,
    /// A version 2 header whose version nibble is not 2.
    V2Version,
    /// A version 2 command other than `LOCAL` (0) and `PROXY` (1).
    V2Command,
    /// A version 2 address family and transport byte outside the specification's list.
    V2Family,
    /// A version 2 length shorter than the addresses of its family, or TLVs that do not
    /// fill it exactly.
    V2Length,
    /// A version 2 header longer than the limit given to [`parse`].
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Missing => "no PROXY protocol header",
            Error::V1TooLong => "PROXY v1 line longer than 107 bytes",
            Error::V1Syntax => "malformed PROXY v1 line",
            Error::V2Version => "PROXY v2 header with a version other than 2",
            Error::V2Command => "PROXY v2 header with an unknown command",
            Error::V2Family => "PROXY v2 header with an unknown address family or transport",
            Error::V2Length => "PROXY v2 header whose length does not match its contents",
            Error::TooLarge => "PROXY v2 header larger than the limit",
        })
    }
}

impl std::error::Error for Error {}

/// Parses the PROXY header at the start of `input` (everything the connection received so
/// far). `max_len` bounds a version 2 header (at least the 232 bytes of a Unix-address header
/// are always allowed; see [`DEFAULT_MAX_LEN`]); a version 1 line is bounded by
/// [`V1_MAX_LEN`].
///
/// # Errors
///
/// Any [`Error`]: the connection should be closed without an answer.
///
/// # Examples
///
/// ```
/// use brisk_server::proxy_protocol::{parse, Status, V2_SIGNATURE};
///
/// // Version 2, PROXY, TCP over IPv4: 192.0.2.1:51234 -> 198.51.100.2:80.
/// let mut h = V2_SIGNATURE.to_vec();
/// h.extend_from_slice(&[0x21, 0x11, 0, 12, 192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0, 80]);
/// let Ok(Status::Complete(p)) = parse(&h, 4096) else { panic!() };
/// assert_eq!((p.len, p.version), (28, 2));
/// assert_eq!(p.source, Some("192.0.2.1:51234".parse().unwrap()));
/// ```
pub fn parse(input: &[u8], max_len: usize) -> Result<Status, Error> {
    const V1: &[u8] = b"PROXY ";
    let n = input.len().min(V1.len());
    if input[..n] == V1[..n] {
        return if n < V1.len() {
            Ok(Status::Partial)
        } else {
            v1(input)
        };
    }
    let n = input.len().min(V2_SIGNATURE.len());
    if input[..n] == V2_SIGNATURE[..n] {
        return v2(input, max_len.max(16 + 216));
    }
    Err(Error::Missing)
}

/// Version 1: `PROXY <TCP4|TCP6|UNKNOWN> [<src> <dst> <sport> <dport>]\r\n`.
fn v1(input: &[u8]) -> Result<Status, Error> {
    let window = &input[..input.len().min(V1_MAX_LEN)];
    let Some(end) = window.iter().position(|&b| b == b'\r' || b == b'\n') else {
        return if input.len() >= V1_MAX_LEN {
            Err(Error::V1TooLong)
        } else {
            Ok(Status::Partial)
        };
    };
    if window[end] != b'\r' {
        return Err(Error::V1Syntax); // a bare LF
    }
    match window.get(end + 1) {
        Some(b'\n') => {}
        Some(_) => return Err(Error::V1Syntax),
        None if end + 1 < V1_MAX_LEN => return Ok(Status::Partial),
        None => return Err(Error::V1TooLong),
    }
    let line = &window[b"PROXY ".len()..end];
    let len = end + 2;
    let mut fields = line.split(|&b| b == b' ');
    let proto = fields.next().unwrap_or_default();
    let complete = |source, destination| {
        Ok(Status::Complete(Header {
            len,
            version: 1,
            source,
            destination,
        }))
    };
    if proto == b"UNKNOWN" {
        // "the receiver must ignore anything presented before the CRLF is found".
        return complete(None, None);
    }
    let v6 = match proto {
        b"TCP4" => false,
        b"TCP6" => true,
        _ => return Err(Error::V1Syntax),
    };
    let mut next = || fields.next().ok_or(Error::V1Syntax);
    let (src, dst) = (ip(next()?, v6)?, ip(next()?, v6)?);
    let (sport, dport) = (port(next()?)?, port(next()?)?);
    if fields.next().is_some() {
        return Err(Error::V1Syntax);
    }
    complete(
        Some(SocketAddr::new(src, sport)),
        Some(SocketAddr::new(dst, dport)),
    )
}

fn ip(field: &[u8], v6: bool) -> Result<IpAddr, Error> {
    let s = std::str::from_utf8(field).map_err(|_| Error::V1Syntax)?;
    let ip = if v6 {
        s.parse::<Ipv6Addr>().map(IpAddr::V6)
    } else {
        s.parse::<Ipv4Addr>().map(IpAddr::V4)
    };
    ip.map_err(|_| Error::V1Syntax)
}

/// A port: 1 to 5 decimal digits without a leading zero (but `0`), at most 65535.
fn port(field: &[u8]) -> Result<u16, Error> {
    if field.is_empty()
        || field.len() > 5
        || !field.iter().all(u8::is_ascii_digit)
        || (field[0] == b'0' && field.len() > 1)
    {
        return Err(Error::V1Syntax);
    }
    let n = field
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).map_err(|_| Error::V1Syntax)
}

/// Version 2: the signature, version and command, family and transport, length, then the
/// addresses and TLVs.
fn v2(input: &[u8], max_len: usize) -> Result<Status, Error> {
    if input.len() < 16 {
        // Check what has arrived of the fixed part already.
        if let Some(&b) = input.get(12) {
            let local = fixed_byte_12(b)?;
            if let (false, Some(&f)) = (local, input.get(13)) {
                fixed_byte_13(f)?;
            }
        }
        return Ok(Status::Partial);
    }
    let local = fixed_byte_12(input[12])?;
    let family = input[13];
    let len = 16 + usize::from(u16::from_be_bytes([input[14], input[15]]));
    if len > max_len {
        return Err(Error::TooLarge);
    }
    if !local {
        fixed_byte_13(family)?;
    }
    let Some(block) = input.get(16..len) else {
        return Ok(Status::Partial);
    };
    let complete = |source, destination| {
        Ok(Status::Complete(Header {
            len,
            version: 2,
            source,
            destination,
        }))
    };
    if local {
        // "the receiver must accept this connection as valid and must use the real connection
        // endpoints and discard the protocol block including the family which is ignored".
        return complete(None, None);
    }
    let addrs = match family >> 4 {
        1 => 12,
        2 => 36,
        3 => 216,
        _ => 0,
    };
    if block.len() < addrs {
        return Err(Error::V2Length);
    }
    // TLVs: type, length (u16), value; they must fill the rest exactly.
    let mut tlvs = &block[addrs..];
    while !tlvs.is_empty() {
        if tlvs.len() < 3 {
            return Err(Error::V2Length);
        }
        let n = 3 + usize::from(u16::from_be_bytes([tlvs[1], tlvs[2]]));
        tlvs = tlvs.get(n..).ok_or(Error::V2Length)?;
    }
    let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    match family {
        0x11 => {
            let a = |o: usize| Ipv4Addr::new(block[o], block[o + 1], block[o + 2], block[o + 3]);
            complete(
                Some(SocketAddr::new(a(0).into(), be16(&block[8..]))),
                Some(SocketAddr::new(a(4).into(), be16(&block[10..]))),
            )
        }
        0x21 => {
            let a = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&block[o..o + 16]);
                Ipv6Addr::from(b)
            };
            complete(
                Some(SocketAddr::new(a(0).into(), be16(&block[32..]))),
                Some(SocketAddr::new(a(16).into(), be16(&block[34..]))),
            )
        }
        // UNSPEC, UDP and Unix addresses: the connection's own addresses stand (the
        // specification's fallback for families a receiver does not use).
        _ => complete(None, None),
    }
}

/// Version and command: true for `LOCAL`.
fn fixed_byte_12(b: u8) -> Result<bool, Error> {
    if b >> 4 != 2 {
        return Err(Error::V2Version);
    }
    match b & 0x0f {
        0 => Ok(true),
        1 => Ok(false),
        _ => Err(Error::V2Command),
    }
}

/// Family and transport: the specification's seven combinations.
fn fixed_byte_13(b: u8) -> Result<(), Error> {
    match b {
        0x00 | 0x11 | 0x12 | 0x21 | 0x22 | 0x31 | 0x32 => Ok(()),
        _ => Err(Error::V2Family),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn done(input: &[u8]) -> Header {
        match parse(input, DEFAULT_MAX_LEN) {
            Ok(Status::Complete(h)) => h,
            other => panic!("{other:?} for {input:?}"),
        }
    }

    fn sa(s: &str) -> Option<SocketAddr> {
        Some(s.parse().unwrap())
    }

    fn v2(cmd: u8, fam: u8, block: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.push(0x20 | cmd);
        h.push(fam);
        h.extend_from_slice(&(block.len() as u16).to_be_bytes());
        h.extend_from_slice(block);
        h
    }

    fn tcp6_block() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&4711u16.to_be_bytes());
        b.extend_from_slice(&443u16.to_be_bytes());
        b
    }

    #[test]
    fn v1_tcp4_tcp6_unknown() {
        let h = done(b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\r\nGET / HTTP/1.1");
        assert_eq!((h.len, h.version), (44, 1));
        assert_eq!(h.source, sa("192.0.2.1:51234"));
        assert_eq!(h.destination, sa("198.51.100.2:80"));
        let h = done(b"PROXY TCP6 2001:db8::1 ::1 4711 443\r\n");
        assert_eq!(h.source, sa("[2001:db8::1]:4711"));
        assert_eq!(h.destination, sa("[::1]:443"));
        let h = done(b"PROXY UNKNOWN\r\n");
        assert_eq!((h.len, h.source), (15, None));
        let h = done(b"PROXY UNKNOWN ffff::1 whatever 1 2\r\nrest");
        assert_eq!((h.len, h.source), (36, None));
        assert_eq!(
            done(b"PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n").source,
            sa("1.2.3.4:0")
        );
    }

    #[test]
    fn v1_longest_line_is_107_bytes() {
        let a = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        let line = format!("PROXY UNKNOWN {a} {a} 65535 65535\r\n");
        assert_eq!(line.len(), V1_MAX_LEN);
        assert_eq!(done(line.as_bytes()).len, 107);
        let line = format!("PROXY TCP6 {a} {a} 65535 65535\r\n");
        assert_eq!(
            done(line.as_bytes()).source,
            Some(SocketAddr::new(a.parse().unwrap(), 65535))
        );
        // One more byte of anything, and no CRLF within 107 bytes.
        let long = format!("PROXY UNKNOWN {}\r\n", "x".repeat(92));
        assert_eq!(long.len(), 108);
        assert_eq!(parse(long.as_bytes(), 4096), Err(Error::V1TooLong));
        assert_eq!(parse(&long.as_bytes()[..107], 4096), Err(Error::V1TooLong));
        // CR as the 107th byte: the LF would be the 108th.
        assert_eq!(parse(&long.as_bytes()[..106], 4096), Ok(Status::Partial));
        let cr_last = format!("PROXY UNKNOWN {}\r", "x".repeat(92));
        assert_eq!(parse(cr_last.as_bytes(), 4096), Err(Error::V1TooLong));
    }

    #[test]
    fn v1_malformed_lines_are_errors() {
        for bad in [
            &b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\n"[..], // bare LF
            b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\rX",
            b"PROXY TCP4  192.0.2.1 198.51.100.2 51234 80\r\n", // double space
            b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80 \r\n", // trailing space
            b"PROXY TCP4 192.0.2.1 198.51.100.2 51234\r\n",     // a port missing
            b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80 9\r\n", // one field too many
            b"PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",     // v6 in TCP4
            b"PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n",        // v4 in TCP6
            b"PROXY TCP4 192.0.2.01 198.51.100.2 1 2\r\n",      // leading zero in an octet
            b"PROXY TCP4 192.0.2.1 198.51.100.2 65536 80\r\n",  // port too large
            b"PROXY TCP4 192.0.2.1 198.51.100.2 080 80\r\n",    // leading zero in a port
            b"PROXY TCP4 192.0.2.1 198.51.100.2 -1 80\r\n",
            b"PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n",
            b"PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n",
            b"PROXY \r\n",
            b"PROXY UNKNOWN\n",
        ] {
            assert_eq!(parse(bad, 4096), Err(Error::V1Syntax), "{bad:?}");
        }
    }

    #[test]
    fn v2_tcp4_tcp6_local_unspec_unix_udp() {
        let tcp4 = [192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0, 80];
        let mut input = v2(1, 0x11, &tcp4);
        input.extend_from_slice(b"GET /");
        let h = done(&input);
        assert_eq!((h.len, h.version), (28, 2));
        assert_eq!(h.source, sa("192.0.2.1:51234"));
        assert_eq!(h.destination, sa("198.51.100.2:80"));
        let h = done(&v2(1, 0x21, &tcp6_block()));
        assert_eq!(h.len, 52);
        assert_eq!(h.source, sa("[2001:db8::1]:4711"));
        assert_eq!(h.destination, sa("[2001:db8::2]:443"));
        // LOCAL: addresses discarded, whatever the family says.
        assert_eq!(done(&v2(0, 0x00, &[])).source, None);
        assert_eq!(done(&v2(0, 0x11, &tcp4)).source, None);
        assert_eq!(done(&v2(0, 0xff, &[1, 2, 3])).len, 19);
        // PROXY with families whose addresses are not used.
        assert_eq!(done(&v2(1, 0x00, &[])).source, None);
        assert_eq!(done(&v2(1, 0x12, &tcp4)).source, None);
        assert_eq!(done(&v2(1, 0x31, &[0; 216])).source, None);
    }

    #[test]
    fn v2_tlvs_are_skipped_but_must_fill_the_length() {
        let mut block = vec![10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2];
        block.extend_from_slice(&[0x01, 0, 2, b'h', b'2']); // ALPN
        block.extend_from_slice(&[0x04, 0, 0]); // NOOP, empty
        let h = done(&v2(1, 0x11, &block));
        assert_eq!(h.source, sa("10.0.0.1:1"));
        assert_eq!(h.len, 16 + block.len());
        for bad_tail in [&[0x01, 0, 3, b'h', b'2'][..], &[0x01, 0], &[0x01]] {
            let mut b = block[..12].to_vec();
            b.extend_from_slice(bad_tail);
            assert_eq!(parse(&v2(1, 0x11, &b), 4096), Err(Error::V2Length));
        }
    }

    #[test]
    fn v2_malformed_headers_are_errors() {
        let tcp4 = [192, 0, 2, 1, 198, 51, 100, 2, 0xc8, 0x22, 0, 80];
        let mut h = v2(1, 0x11, &tcp4);
        h[12] = 0x11; // version 1 in a v2 header
        assert_eq!(parse(&h, 4096), Err(Error::V2Version));
        assert_eq!(parse(&h[..13], 4096), Err(Error::V2Version));
        h[12] = 0x22; // command 2
        assert_eq!(parse(&h, 4096), Err(Error::V2Command));
        h[12] = 0x21;
        for fam in [0x01, 0x10, 0x13, 0x23, 0x41, 0xff] {
            h[13] = fam;
            assert_eq!(parse(&h, 4096), Err(Error::V2Family), "{fam:#x}");
            assert_eq!(parse(&h[..14], 4096), Err(Error::V2Family), "{fam:#x}");
        }
        // Length shorter than the family's addresses.
        assert_eq!(parse(&v2(1, 0x11, &tcp4[..11]), 4096), Err(Error::V2Length));
        assert_eq!(parse(&v2(1, 0x21, &tcp4), 4096), Err(Error::V2Length));
        assert_eq!(parse(&v2(1, 0x31, &[0; 215]), 4096), Err(Error::V2Length));
        // A declared length above the limit fails at once, before its bytes arrive.
        let mut big = v2(1, 0x11, &tcp4);
        big[14..16].copy_from_slice(&5000u16.to_be_bytes());
        assert_eq!(parse(&big[..16], 4096), Err(Error::TooLarge));
        assert_eq!(parse(&big[..16], 65551), Ok(Status::Partial));
        // The Unix family's 232 bytes are always allowed.
        assert_eq!(done_with(&v2(1, 0x31, &[0; 216]), 0).len, 232);
        // A bad signature.
        let mut sig = v2(1, 0x11, &tcp4);
        sig[11] = b'X';
        assert_eq!(parse(&sig, 4096), Err(Error::Missing));
    }

    fn done_with(input: &[u8], max: usize) -> Header {
        match parse(input, max) {
            Ok(Status::Complete(h)) => h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn anything_else_is_missing() {
        for bad in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"proxy TCP4",
            b"PROXYTCP4",
            b"\r\n\r\n\0\r\nQUIX",
            b"\x16\x03\x01",
        ] {
            assert_eq!(parse(bad, 4096), Err(Error::Missing), "{bad:?}");
        }
        assert_eq!(parse(b"", 4096), Ok(Status::Partial));
    }

    /// Every prefix of a valid header is `Partial`, and the whole gives the same answer as
    /// the whole with more bytes after it.
    #[test]
    fn prefixes_are_partial() {
        let mut block = tcp6_block();
        block.extend_from_slice(&[0x05, 0, 3, 1, 2, 3]);
        let v1 = b"PROXY TCP4 192.0.2.1 198.51.100.2 51234 80\r\n".to_vec();
        for whole in [v1, v2(1, 0x21, &block), v2(0, 0, &[])] {
            for i in 0..whole.len() {
                assert_eq!(parse(&whole[..i], 4096), Ok(Status::Partial), "{i}");
            }
            let h = done(&whole);
            assert_eq!(h.len, whole.len());
            let mut more = whole.clone();
            more.extend_from_slice(b"\r\n\r\nGET / HTTP/1.1\r\n");
            assert_eq!(done(&more), h);
        }
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..70000) {
            if let Ok(Status::Complete(h)) = parse(&input, max) {
                prop_assert!(h.len <= input.len());
            }
        }

        #[test]
        fn random_bytes_after_a_signature_never_panic(
            v2_head in proptest::collection::vec(any::<u8>(), 0..300),
            v1_tail in "[ -~]{0,120}",
        ) {
            let mut input = V2_SIGNATURE.to_vec();
            input.extend_from_slice(&v2_head);
            if let Ok(Status::Complete(h)) = parse(&input, DEFAULT_MAX_LEN) {
                prop_assert!(h.len <= input.len() && h.version == 2);
            }
            let line = format!("PROXY {v1_tail}\r\n");
            if let Ok(Status::Complete(h)) = parse(line.as_bytes(), DEFAULT_MAX_LEN) {
                prop_assert_eq!(h.len, line.len());
            }
        }

        #[test]
        fn v1_tcp_lines_round_trip(src in any::<std::net::Ipv6Addr>(), dst in any::<std::net::Ipv4Addr>(), p in any::<u16>(), q in any::<u16>()) {
            let line = format!("PROXY TCP6 {src} {src} {p} {q}\r\n");
            let h = done(line.as_bytes());
            prop_assert_eq!(h.source, Some(SocketAddr::new(src.into(), p)));
            let line = format!("PROXY TCP4 {dst} {dst} {p} {q}\r\n");
            let h = done(line.as_bytes());
            prop_assert_eq!(h.destination, Some(SocketAddr::new(dst.into(), q)));
        }
    }
}
