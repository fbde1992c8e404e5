//! The request-target and its four forms (RFC 9112 §3.2).

use crate::error::Error;
use crate::method::Method;
use crate::scan::{is, HOST};

/// Which of the four request-target forms a request uses (RFC 9112 §3.2).
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, RequestParser, TargetForm};
///
/// let mut headers = [Header::EMPTY; 4];
/// let req = RequestParser::new()
///     .parse(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &mut headers)?
///     .complete()
///     .unwrap();
/// assert_eq!(req.target.form(), TargetForm::Asterisk);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetForm {
    /// `/path?query` (RFC 9112 §3.2.1), the usual form.
    Origin,
    /// `scheme://authority/path?query` (RFC 9112 §3.2.2), sent to proxies; its authority wins
    /// over `Host`.
    Absolute,
    /// `host:port` (RFC 9112 §3.2.3), only with CONNECT.
    Authority,
    /// `*` (RFC 9112 §3.2.4), only with OPTIONS.
    Asterisk,
}

/// A validated request-target, borrowed from the input.
///
/// Validation: every byte is an RFC 3986 URI character (unreserved, sub-delims, `:`, `@`, `/`,
/// `?`, `%`, and brackets inside an authority); no fragment (`#`), no userinfo (RFC 9110
/// §4.2.4), the form matches the method. Percent-encodings are neither checked nor decoded.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, RequestParser, TargetForm};
///
/// let mut headers = [Header::EMPTY; 4];
/// let req = RequestParser::new()
///     .parse(b"GET http://example.com:8080/a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", &mut headers)?
///     .complete()
///     .unwrap();
/// assert_eq!(req.target.form(), TargetForm::Absolute);
/// assert_eq!(req.target.authority(), Some(&b"example.com:8080"[..]));
/// assert_eq!(req.target.path(), b"/a/b");
/// assert_eq!(req.target.query(), Some(&b"x=1"[..]));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target<'b> {
    /// INVARIANT: ASCII; [`Target::as_str`] relies on it.
    raw: &'b [u8],
    form: TargetForm,
    /// INVARIANT: `auth.0 <= auth.1 <= raw.len()`; empty unless absolute or authority form.
    auth: (usize, usize),
}

impl<'b> Target<'b> {
    /// The target exactly as received.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.as_bytes(), b"/a?b");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn as_bytes(&self) -> &'b [u8] {
        self.raw
    }

    /// The target as `&str` (validated targets are ASCII).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.as_str(), "/a");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn as_str(&self) -> &'b str {
        debug_assert!(self.raw.is_ascii());
        // `str::from_utf8` costs about a hundred instructions on a ten-byte path, once per
        // request (callgrind, keep-alive /plaintext through the server); the bytes are known
        // to be ASCII, so the check is skipped.
        #[allow(unsafe_code)]
        // SAFETY: `raw` is ASCII (the struct's invariant: both constructors are crate-private
        // and are given only bytes the parser's scan accepted as URI characters or brackets,
        // all below 0x80), and ASCII is valid UTF-8.
        unsafe {
            std::str::from_utf8_unchecked(self.raw)
        }
    }

    /// The form of the target.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser, TargetForm};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.form(), TargetForm::Authority);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn form(&self) -> TargetForm {
        self.form
    }

    /// The authority (`host[:port]`) of an absolute-form or authority-form target, else `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.authority(), None);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn authority(&self) -> Option<&'b [u8]> {
        match self.form {
            TargetForm::Absolute | TargetForm::Authority => {
                Some(&self.raw[self.auth.0..self.auth.1])
            }
            TargetForm::Origin | TargetForm::Asterisk => None,
        }
    }

    /// The path: up to `?`, after the authority for absolute-form (possibly empty there);
    /// empty for authority-form; `*` for asterisk-form.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"GET /a/b?c HTTP/1.1\r\nHost: x\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.path(), b"/a/b");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn path(&self) -> &'b [u8] {
        let rest = match self.form {
            TargetForm::Authority => return &[],
            _ => &self.raw[self.auth.1..],
        };
        match memchr::memchr(b'?', rest) {
            Some(q) => &rest[..q],
            None => rest,
        }
    }

    /// The query: what follows the first `?`, if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{Header, RequestParser};
    /// # let mut h = [Header::EMPTY; 2];
    /// let req = RequestParser::new().parse(b"GET /a?x=1&y HTTP/1.1\r\nHost: x\r\n\r\n", &mut h)?.complete().unwrap();
    /// assert_eq!(req.target.query(), Some(&b"x=1&y"[..]));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn query(&self) -> Option<&'b [u8]> {
        if self.form == TargetForm::Authority {
            return None;
        }
        let rest = &self.raw[self.auth.1..];
        memchr::memchr(b'?', rest).map(|q| &rest[q + 1..])
    }

    pub(crate) fn parts(&self) -> (TargetForm, usize, usize) {
        (self.form, self.auth.0, self.auth.1)
    }

    /// Rebuilds a target from [`Target::parts`]; `raw` must be the bytes `classify` accepted.
    pub(crate) fn from_parts(raw: &'b [u8], (form, a, e): (TargetForm, usize, usize)) -> Self {
        debug_assert!(raw.is_ascii());
        Target {
            raw,
            form,
            auth: (a, e),
        }
    }

    /// Classifies and validates a target whose bytes are already known to be URI characters or
    /// brackets (`brackets` says whether any bracket was seen).
    pub(crate) fn classify(
        method: Method<'_>,
        raw: &'b [u8],
        brackets: bool,
    ) -> Result<Self, Error> {
        debug_assert!(raw.is_ascii());
        let t = |form, auth| Target { raw, form, auth };
        if method == Method::Connect {
            // RFC 9112 §3.2.3: authority-form = uri-host ":" port, and only that.
            check_authority(raw, true)?;
            return Ok(t(TargetForm::Authority, (0, raw.len())));
        }
        match raw.first() {
            Some(b'/') if !brackets => Ok(t(TargetForm::Origin, (0, 0))),
            Some(b'*') if raw.len() == 1 && method == Method::Options => {
                Ok(t(TargetForm::Asterisk, (0, 0)))
            }
            Some(b) if b.is_ascii_alphabetic() => {
                // absolute-URI with an authority: scheme "://" authority path-abempty [ "?" query ]
                let mut i = 1;
                while i < raw.len()
                    && (raw[i].is_ascii_alphanumeric() || matches!(raw[i], b'+' | b'-' | b'.'))
                {
                    i += 1;
                }
                if !raw[i..].starts_with(b"://") {
                    return Err(Error::InvalidTarget);
                }
                let a = i + 3;
                let e = raw[a..]
                    .iter()
                    .position(|&b| b == b'/' || b == b'?')
                    .map_or(raw.len(), |p| a + p);
                check_authority(&raw[a..e], false)?;
                if brackets && raw[e..].iter().any(|&b| b == b'[' || b == b']') {
                    return Err(Error::InvalidTarget);
                }
                Ok(t(TargetForm::Absolute, (a, e)))
            }
            _ => Err(Error::InvalidTarget),
        }
    }
}

/// Checks `uri-host [ ":" port ]` for a target authority: a non-empty host, no userinfo.
fn check_authority(a: &[u8], need_port: bool) -> Result<(), Error> {
    match host_port(a) {
        Some((host, port))
            if !host.is_empty() && (!need_port || port.is_some_and(|p| !p.is_empty())) =>
        {
            Ok(())
        }
        _ => Err(Error::InvalidTarget),
    }
}

/// Splits `uri-host [ ":" port ]` (RFC 3986 §3.2.2) and checks its characters: an IP-literal in
/// brackets or a reg-name / IPv4 address, and a port of digits. `None` when malformed.
pub(crate) fn host_port(a: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (host, rest) = if a.first() == Some(&b'[') {
        let close = a.iter().position(|&b| b == b']')?;
        let inner = &a[1..close];
        if inner.is_empty() || !inner.iter().all(|&b| is(b, HOST) || b == b':') {
            return None;
        }
        (&a[..close + 1], &a[close + 1..])
    } else {
        // One pass: host characters up to the first byte that is not one (`:` is not); the
        // match below rejects anything but `:` there.
        let end = a.iter().position(|&b| !is(b, HOST)).unwrap_or(a.len());
        a.split_at(end)
    };
    match rest {
        [] => Some((host, None)),
        [b':', port @ ..] if port.iter().all(u8::is_ascii_digit) => Some((host, Some(port))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let c = |m, s: &'static [u8]| Target::classify(m, s, s.contains(&b'['));
        assert_eq!(c(Method::Get, b"/").unwrap().form(), TargetForm::Origin);
        assert_eq!(c(Method::Get, b"*"), Err(Error::InvalidTarget));
        assert_eq!(
            c(Method::Options, b"*").unwrap().form(),
            TargetForm::Asterisk
        );
        assert_eq!(
            c(Method::Connect, b"a:1").unwrap().form(),
            TargetForm::Authority
        );
        assert_eq!(c(Method::Connect, b"a"), Err(Error::InvalidTarget));
        assert_eq!(c(Method::Connect, b"/a"), Err(Error::InvalidTarget));
        assert_eq!(
            c(Method::Get, b"http://[::1]:8/x").unwrap().authority(),
            Some(&b"[::1]:8"[..])
        );
        assert_eq!(c(Method::Get, b"http://u@h/"), Err(Error::InvalidTarget));
        assert_eq!(c(Method::Get, b"http:///x"), Err(Error::InvalidTarget));
        assert_eq!(c(Method::Get, b"mailto:x"), Err(Error::InvalidTarget));
        assert_eq!(c(Method::Get, b"/[x]"), Err(Error::InvalidTarget));
        assert_eq!(c(Method::Get, b"a.b:80"), Err(Error::InvalidTarget));
        let t = c(Method::Get, b"http://h?q").unwrap();
        assert_eq!((t.path(), t.query()), (&b""[..], Some(&b"q"[..])));
    }
}
