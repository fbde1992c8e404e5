//! What a head says about its message: body framing (RFC 9112 §6), persistence (§9.3),
//! `Expect: 100-continue`, `Upgrade`, and the host.

use crate::error::Error;
use crate::head::Header;
use crate::method::{Method, Version};
use crate::scan::{is_token, trim};
use crate::target::{host_port, Target, TargetForm};

/// How the message body is delimited (RFC 9112 §6.3).
///
/// # Examples
///
/// ```
/// use brisk_http1::{Body, Header, RequestParser};
///
/// let mut h = [Header::EMPTY; 4];
/// let req = RequestParser::new()
///     .parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut h)?
///     .complete()
///     .unwrap();
/// assert_eq!(req.facts()?.body, Body::None);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// No body: the next message starts right after the head.
    None,
    /// Exactly this many bytes follow the head (`Content-Length`).
    Length(u64),
    /// A chunked body follows; decode it with [`ChunkedDecoder`](crate::ChunkedDecoder).
    Chunked,
    /// The body runs until the connection closes (responses only).
    CloseDelimited,
}

/// A protocol the client asks to switch to with `Upgrade` plus `Connection: upgrade`
/// (RFC 9110 §7.8).
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, RequestParser, Upgrade};
///
/// let mut h = [Header::EMPTY; 8];
/// let req = RequestParser::new()
///     .parse(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", &mut h)?
///     .complete()
///     .unwrap();
/// assert_eq!(req.facts()?.upgrade, Some(Upgrade::H2c));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Upgrade<'b> {
    /// `h2c`: HTTP/2 over cleartext (RFC 7540 §3.2).
    H2c,
    /// `websocket` (RFC 6455 §4.1), case-insensitive.
    WebSocket,
    /// Anything else: the whole `Upgrade` value.
    Other(&'b [u8]),
}

/// The facts a server needs from a request head, computed by
/// [`Request::facts`](crate::Request::facts).
///
/// # Examples
///
/// ```
/// use brisk_http1::{Body, Header, RequestParser};
///
/// let mut h = [Header::EMPTY; 8];
/// let req = RequestParser::new()
///     .parse(b"PUT /f HTTP/1.1\r\nHost: files\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", &mut h)?
///     .complete()
///     .unwrap();
/// let facts = req.facts()?;
/// assert_eq!(facts.body, Body::Chunked);
/// assert!(facts.keep_alive && facts.expect_continue);
/// assert_eq!(facts.host, b"files");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestFacts<'b> {
    /// How the body is framed: `None`, `Length` or `Chunked` (never `CloseDelimited`).
    pub body: Body,
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`; never
    /// for an HTTP/1.0 request with `Transfer-Encoding` (RFC 9112 §6.1).
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1; ignored for 1.0).
    pub expect_continue: bool,
    /// The protocol asked for by `Upgrade`, when `Connection` lists `upgrade` and the request is
    /// HTTP/1.1 (RFC 9110 §7.8). The first protocol this crate knows wins, else `Other`.
    pub upgrade: Option<Upgrade<'b>>,
    /// The target host: the authority of an absolute-form or authority-form target, which wins
    /// over `Host` (RFC 9112 §3.2.2); else the `Host` value (may be empty for HTTP/1.0 without
    /// `Host`).
    pub host: &'b [u8],
}

/// The facts a client needs from a response head, computed by
/// [`Response::facts`](crate::Response::facts).
///
/// # Examples
///
/// ```
/// use brisk_http1::{Body, Header, Method, ResponseParser};
///
/// let mut h = [Header::EMPTY; 8];
/// let res = ResponseParser::new()
///     .parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", &mut h)?
///     .complete()
///     .unwrap();
/// assert_eq!(res.facts(Method::Get)?.body, Body::Length(2));
/// assert_eq!(res.facts(Method::Head)?.body, Body::None);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseFacts {
    /// How the body is framed (RFC 9112 §6.3).
    pub body: Body,
    /// Whether the connection stays open after this response.
    pub keep_alive: bool,
}

/// What the framing and connection fields of a head add up to.
#[derive(Default)]
struct Scan<'b> {
    content_length: Option<u64>,
    te_seen: bool,
    chunked_final: bool,
    close: bool,
    keep_alive: bool,
    conn_upgrade: bool,
    expect_continue: bool,
    upgrade: Option<&'b [u8]>,
    hosts: usize,
    host: &'b [u8],
}

fn scan<'b>(headers: &[Header<'b>]) -> Result<Scan<'b>, Error> {
    let mut s = Scan::default();
    let mut chunked_seen = false;
    for h in headers {
        let n = h.name;
        match n.len() {
            4 if n.eq_ignore_ascii_case(b"host") => {
                s.hosts += 1;
                s.host = h.value;
            }
            6 if n.eq_ignore_ascii_case(b"expect") => {
                s.expect_continue |= list(h.value).any(|e| e.eq_ignore_ascii_case(b"100-continue"));
            }
            7 if n.eq_ignore_ascii_case(b"upgrade") => {
                s.upgrade.get_or_insert(h.value);
            }
            10 if n.eq_ignore_ascii_case(b"connection") => {
                for t in list(h.value) {
                    if t.eq_ignore_ascii_case(b"close") {
                        s.close = true;
                    } else if t.eq_ignore_ascii_case(b"keep-alive") {
                        s.keep_alive = true;
                    } else if t.eq_ignore_ascii_case(b"upgrade") {
                        s.conn_upgrade = true;
                    }
                }
            }
            14 if n.eq_ignore_ascii_case(b"content-length") => {
                // RFC 9110 §8.6: Content-Length = 1*DIGIT. A list of identical values (in one
                // line or several) is folded into one, as §8.6 allows; differing values fail.
                for v in h.value.split(|&b| b == b',') {
                    let n = parse_length(trim(v))?;
                    match s.content_length {
                        Some(m) if m != n => return Err(Error::DifferingContentLength),
                        _ => s.content_length = Some(n),
                    }
                }
            }
            17 if n.eq_ignore_ascii_case(b"transfer-encoding") => {
                // RFC 9112 §6.1: the codings of all lines form one list, applied in order.
                s.te_seen = true;
                let mut codings = 0;
                for coding in h.value.split(|&b| b == b',') {
                    let coding = trim(coding);
                    if coding.is_empty() {
                        continue; // empty list elements are allowed (RFC 9110 §5.6.1)
                    }
                    codings += 1;
                    let name = trim(coding.split(|&b| b == b';').next().unwrap_or(&[]));
                    if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
                        return Err(Error::InvalidTransferEncoding);
                    }
                    if name.eq_ignore_ascii_case(b"chunked") {
                        if chunked_seen {
                            return Err(Error::ChunkedTwice);
                        }
                        if name.len() != coding.len() {
                            // `chunked` has no parameters (RFC 9112 §7).
                            return Err(Error::InvalidTransferEncoding);
                        }
                        chunked_seen = true;
                        s.chunked_final = true;
                    } else {
                        s.chunked_final = false;
                    }
                }
                if codings == 0 {
                    return Err(Error::InvalidTransferEncoding);
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

fn list(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|t| !t.is_empty())
}

fn parse_length(v: &[u8]) -> Result<u64, Error> {
    if v.is_empty() {
        return Err(Error::InvalidContentLength);
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return Err(Error::InvalidContentLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(Error::InvalidContentLength)?;
    }
    Ok(n)
}

pub(crate) fn request_facts<'b>(
    version: Version,
    target: &Target<'b>,
    headers: &[Header<'b>],
) -> Result<RequestFacts<'b>, Error> {
    let s = scan(headers)?;
    // RFC 9112 §3.2: exactly one Host for HTTP/1.1, never more than one, and a valid value.
    match (s.hosts, version) {
        (0, Version::Http11) => return Err(Error::MissingHost),
        (2.., _) => return Err(Error::DuplicateHost),
        _ => {}
    }
    if host_port(s.host).is_none() && !(s.hosts == 0 || s.host.is_empty()) {
        return Err(Error::InvalidHost);
    }
    let body = if s.te_seen {
        // RFC 9112 §6.3 rule 3: both present is a smuggling attempt; treat it as an error.
        if s.content_length.is_some() {
            return Err(Error::ConflictingFraming);
        }
        // Rule 4: a request whose final coding is not chunked cannot be framed.
        if !s.chunked_final {
            return Err(Error::ChunkedNotFinal);
        }
        Body::Chunked
    } else {
        match s.content_length {
            Some(0) | None => Body::None,
            Some(n) => Body::Length(n),
        }
    };
    let keep_alive = match version {
        Version::Http11 => !s.close,
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing; the
        // connection closes after it.
        Version::Http10 => s.keep_alive && !s.close && !s.te_seen,
    };
    let http11 = version == Version::Http11;
    let upgrade = match s.upgrade {
        Some(v) if http11 && s.conn_upgrade => Some(
            list(v)
                .find_map(|p| {
                    if p.eq_ignore_ascii_case(b"h2c") {
                        Some(Upgrade::H2c)
                    } else if p.eq_ignore_ascii_case(b"websocket") {
                        Some(Upgrade::WebSocket)
                    } else {
                        None
                    }
                })
                .unwrap_or(Upgrade::Other(v)),
        ),
        _ => None,
    };
    let host = match target.form() {
        TargetForm::Absolute | TargetForm::Authority => target.authority().unwrap_or(s.host),
        TargetForm::Origin | TargetForm::Asterisk => s.host,
    };
    Ok(RequestFacts {
        body,
        keep_alive,
        expect_continue: s.expect_continue && http11,
        upgrade,
        host,
    })
}

pub(crate) fn response_facts(
    version: Version,
    status: u16,
    request_method: Method<'_>,
    headers: &[Header<'_>],
) -> Result<ResponseFacts, Error> {
    let s = scan(headers)?;
    let keep = match version {
        Version::Http11 => !s.close,
        Version::Http10 => s.keep_alive && !s.close,
    };
    // RFC 9112 §6.3 rules 1 and 2.
    let no_body = request_method == Method::Head
        || (100..200).contains(&status)
        || status == 204
        || status == 304
        || (request_method == Method::Connect && (200..300).contains(&status));
    if no_body {
        return Ok(ResponseFacts {
            body: Body::None,
            keep_alive: keep,
        });
    }
    let body = if s.te_seen {
        if s.content_length.is_some() {
            return Err(Error::ConflictingFraming);
        }
        if s.chunked_final {
            Body::Chunked
        } else {
            Body::CloseDelimited
        }
    } else {
        match s.content_length {
            Some(0) => Body::None,
            Some(n) => Body::Length(n),
            None => Body::CloseDelimited,
        }
    };
    let keep_alive =
        keep && body != Body::CloseDelimited && !(version == Version::Http10 && s.te_seen);
    Ok(ResponseFacts { body, keep_alive })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(parse_length(b"0"), Ok(0));
        assert_eq!(parse_length(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_length(b"18446744073709551616"),
            Err(Error::InvalidContentLength)
        );
        for bad in [&b"+5"[..], b"-1", b"5 6", b"0x5", b""] {
            assert_eq!(parse_length(bad), Err(Error::InvalidContentLength));
        }
    }
}
