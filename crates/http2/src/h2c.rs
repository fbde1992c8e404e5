//! The HTTP/1.1 `Upgrade: h2c` path (RFC 7540 §3.2): decode `HTTP2-Settings`, apply it, and
//! turn the upgraded request into stream 1.

use crate::config::Config;
use crate::conn::Connection;
use crate::error::{Error, StreamId};
use crate::event::Ev;
use crate::frame::{Frame, FrameHeader, FrameType};
use crate::headers::{BlockKind, Checker};
use crate::stream::{Recv, Stream};

/// The HTTP/1.1 request that carried `Upgrade: h2c`, as the HTTP/1.1 parser saw it.
///
/// # Examples
///
/// ```
/// let req = brisk_http2::H2cRequest {
///     method: b"GET",
///     path: b"/index.html",
///     authority: b"example.com",
///     fields: &[(&b"Accept"[..], &b"*/*"[..])],
/// };
/// assert_eq!(req.fields.len(), 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct H2cRequest<'a> {
    /// The method token.
    pub method: &'a [u8],
    /// The request target (origin form).
    pub path: &'a [u8],
    /// The Host header's value (becomes `:authority`).
    pub authority: &'a [u8],
    /// The other header fields, names in any case. Connection-specific ones (`Connection`,
    /// `Upgrade`, `HTTP2-Settings`, `Host`, `Keep-Alive`, `Transfer-Encoding`, ...) are dropped.
    pub fields: &'a [(&'a [u8], &'a [u8])],
}

/// Decodes base64url (RFC 4648 §5), padding optional.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_http2::decode_base64url(b"AAMAAABkAAQAAP__"),
///     Some(vec![0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 255, 255]));
/// assert_eq!(brisk_http2::decode_base64url(b"a+b/"), None);
/// ```
pub fn decode_base64url(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = match input.iter().position(|&b| b == b'=') {
        Some(p) if input[p..].iter().all(|&b| b == b'=') && input.len().is_multiple_of(4) => {
            &input[..p]
        }
        Some(_) => return None,
        None => input,
    };
    if trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in trimmed {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Header fields an upgraded request loses (RFC 9113 §8.2.2, RFC 7540 §3.2.1).
fn dropped(lower: &[u8], value: &[u8]) -> bool {
    matches!(
        lower,
        b"host"
            | b"connection"
            | b"upgrade"
            | b"http2-settings"
            | b"keep-alive"
            | b"proxy-connection"
            | b"transfer-encoding"
    ) || (lower == b"te" && !value.eq_ignore_ascii_case(b"trailers"))
}

impl Connection {
    /// Server side of an HTTP/1.1 `Upgrade: h2c` request: after the caller has written
    /// `101 Switching Protocols`, this builds the server connection, applies the client's
    /// `HTTP2-Settings` (base64url SETTINGS payload, acknowledged implicitly), and queues the
    /// upgraded request as an [`Event::Headers`](crate::Event::Headers) on stream 1, which is
    /// half-closed (remote): answer it with `send_headers(StreamId::new(1), ..)`. The client
    /// then sends the usual preface, which `recv` expects as for prior knowledge. Until that
    /// preface arrives, [`poll_output`](Connection::poll_output) yields only the server's
    /// SETTINGS frame: a client still reading HTTP/1.1 cannot be asked to buffer a response
    /// (curl 7.88 fails when more than 32 KiB follows the 101).
    ///
    /// The request must have had no body (or the caller read it under HTTP/1.1 already).
    ///
    /// # Errors
    ///
    /// [`Error::BadUpgradeSettings`] if `http2_settings` is not base64url of a valid SETTINGS
    /// payload; [`Error::BadUpgradeRequest`] if the request cannot be expressed in HTTP/2.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Config, Connection, Event, H2cRequest, StreamId};
    /// let req = H2cRequest { method: b"GET", path: b"/", authority: b"example.com",
    ///     fields: &[(&b"Connection"[..], &b"Upgrade, HTTP2-Settings"[..]), (&b"Accept"[..], &b"*/*"[..])] };
    /// let mut server = Connection::from_h2c_upgrade(Config::default(), b"AAMAAABkAAQAAP__", &req)?;
    /// assert_eq!(server.peer_settings().max_concurrent_streams, 100);
    /// match server.poll_event() {
    ///     Some(Event::Headers { stream, headers, end_stream }) => {
    ///         assert_eq!(stream, StreamId::new(1));
    ///         assert!(end_stream);
    ///         assert_eq!(headers.authority(), Some(&b"example.com"[..]));
    ///         assert_eq!(headers.get(b"accept"), Some(&b"*/*"[..]));
    ///         assert_eq!(headers.len(), 1);
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// server.send_headers(StreamId::new(1), &[(":status", "200")], true)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_h2c_upgrade(
        config: Config,
        http2_settings: &[u8],
        request: &H2cRequest<'_>,
    ) -> Result<Connection, Error> {
        let bytes = decode_base64url(http2_settings).ok_or(Error::BadUpgradeSettings)?;
        let header = FrameHeader {
            length: bytes.len() as u32,
            kind: FrameType::SETTINGS,
            flags: 0,
            stream: StreamId::CONNECTION,
        };
        let Ok(Frame::Settings { payload, .. }) = Frame::decode(header, &bytes) else {
            return Err(Error::BadUpgradeSettings);
        };
        let mut c = Connection::server(config);
        c.h2c_hold = crate::conn::H2cHold::Settings;
        c.apply_peer_settings(payload)
            .map_err(|_| Error::BadUpgradeSettings)?;
        let connect_protocol = c.config.enable_connect_protocol;
        let mut checker = Checker::new(BlockKind::Request, connect_protocol, &c.arena);
        let arena = &mut c.arena;
        checker.field(arena, b":method", request.method);
        checker.field(arena, b":scheme", b"http");
        checker.field(arena, b":path", request.path);
        checker.field(arena, b":authority", request.authority);
        let mut lower = Vec::new();
        for (n, v) in request.fields {
            lower.clear();
            lower.extend(n.iter().map(u8::to_ascii_lowercase));
            if dropped(&lower, v) {
                continue;
            }
            checker.field(arena, &lower, v);
        }
        let content_length = checker.content_length;
        let block = checker
            .finish(&c.arena, true)
            .ok_or(Error::BadUpgradeRequest)?;
        if content_length.is_some_and(|n| n != 0) {
            return Err(Error::BadUpgradeRequest);
        }
        let mut s = Stream::new(true, c.peer.initial_window_size, c.recv_initial_window);
        s.recv = Recv::Closed;
        c.streams.insert(1, s);
        c.peer_open = 1;
        c.max_peer_stream = 1;
        c.events.push_back(Ev::Headers {
            stream: StreamId::new(1),
            block,
            end_stream: true,
        });
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::PREFACE;

    #[test]
    fn upgraded_output_waits_for_the_client_preface() {
        let req = H2cRequest {
            method: b"GET",
            path: b"/",
            authority: b"example.com",
            fields: &[],
        };
        let mut server = Connection::from_h2c_upgrade(Config::default(), b"", &req).unwrap();
        while server.poll_event().is_some() {}
        server
            .send_headers(StreamId::new(1), &[(":status", "200")], false)
            .unwrap();
        let sent = server
            .send_data(StreamId::new(1), &[7u8; 1000], true)
            .unwrap();
        assert_eq!(sent, 1000);
        let mut out = Vec::new();
        let n = server.poll_output(&mut out);
        // Only our SETTINGS frame: type 0x4 on stream 0, and exactly one frame.
        assert_eq!(out[3], 0x4);
        assert_eq!(n, 9 + (usize::from(out[1]) << 8 | usize::from(out[2])));
        assert_eq!(server.poll_output(&mut out), 0, "held until the preface");
        // The client preface and its (empty) SETTINGS release the response.
        let mut wire = PREFACE.to_vec();
        wire.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
        assert_eq!(server.recv(&wire).unwrap(), wire.len());
        out.clear();
        let n = server.poll_output(&mut out);
        assert!(n > 1000, "HEADERS and DATA follow the preface: {n} bytes");
        assert!(out.windows(1000).any(|w| w == [7u8; 1000]));
    }

    #[test]
    fn base64url_round_numbers() {
        assert_eq!(decode_base64url(b""), Some(vec![]));
        assert_eq!(decode_base64url(b"AA"), Some(vec![0]));
        assert_eq!(decode_base64url(b"AA=="), Some(vec![0]));
        assert_eq!(decode_base64url(b"AAA"), Some(vec![0, 0]));
        assert_eq!(decode_base64url(b"A"), None);
        assert_eq!(decode_base64url(b"A=A="), None);
        assert_eq!(decode_base64url(b"-_-_"), Some(vec![0xfb, 0xff, 0xbf]));
    }
}
