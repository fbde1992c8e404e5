//! Request methods.

use std::fmt;

/// A request method: a token (RFC 9110 §9.1). The registered methods get a variant of their
/// own; any other token is [`Method::Other`], which is valid syntax (a server may answer 501).
///
/// Methods are case-sensitive: `get` is `Other(b"get")`, not [`Method::Get`].
///
/// # Examples
///
/// ```
/// use brisk_http1::Method;
///
/// assert_eq!(Method::from_bytes(b"GET"), Method::Get);
/// assert_eq!(Method::from_bytes(b"PURGE"), Method::Other(b"PURGE"));
/// assert_eq!(Method::Patch.as_str(), "PATCH");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'b> {
    /// `GET` (RFC 9110 §9.3.1).
    Get,
    /// `HEAD` (RFC 9110 §9.3.2).
    Head,
    /// `POST` (RFC 9110 §9.3.3).
    Post,
    /// `PUT` (RFC 9110 §9.3.4).
    Put,
    /// `DELETE` (RFC 9110 §9.3.5).
    Delete,
    /// `CONNECT` (RFC 9110 §9.3.6): its target is in authority-form.
    Connect,
    /// `OPTIONS` (RFC 9110 §9.3.7): the only method allowed the asterisk-form.
    Options,
    /// `TRACE` (RFC 9110 §9.3.8).
    Trace,
    /// `PATCH` (RFC 5789).
    Patch,
    /// Any other token, borrowed from the input.
    Other(&'b [u8]),
}

impl<'b> Method<'b> {
    /// Maps a method token to its variant. The bytes are not validated here; the parsers only
    /// pass tokens.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Method::from_bytes(b"HEAD"), brisk_http1::Method::Head);
    /// ```
    pub fn from_bytes(b: &'b [u8]) -> Self {
        match b {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            other => Method::Other(other),
        }
    }

    /// Maps a method token to its variant after checking it is a token (RFC 9110 §9.1: one or
    /// more `tchar`), for methods that did not come through this crate's parsers (an HTTP/2
    /// `:method`, a configuration file).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod) for an empty token or a byte
    /// outside `tchar`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Method};
    ///
    /// assert_eq!(Method::from_token(b"PURGE"), Ok(Method::Other(b"PURGE")));
    /// assert_eq!(Method::from_token(b"GE T"), Err(Error::InvalidMethod));
    /// assert_eq!(Method::from_token(b""), Err(Error::InvalidMethod));
    /// ```
    pub fn from_token(b: &'b [u8]) -> Result<Self, crate::Error> {
        if b.is_empty() || !b.iter().all(|&c| crate::scan::is_token(c)) {
            return Err(crate::Error::InvalidMethod);
        }
        Ok(Method::from_bytes(b))
    }

    /// The method token as bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Method::Get.as_bytes(), b"GET");
    /// ```
    pub fn as_bytes(&self) -> &'b [u8] {
        match self {
            Method::Other(b) => b,
            standard => standard.as_str().as_bytes(),
        }
    }

    /// The method token as `&str` (tokens are ASCII; non-UTF-8 bytes in a hand-built
    /// `Other` give `""`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Method::Other(b"M-SEARCH").as_str(), "M-SEARCH");
    /// ```
    pub fn as_str(&self) -> &'b str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other(b) => std::str::from_utf8(b).unwrap_or(""),
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP/1.x version. Only 1.0 and 1.1 exist here: a higher 1.x (`HTTP/1.2`) is read as
/// 1.1 (RFC 9110 §6.2, RFC 9112 §2.3: a message of a higher minor version is processed as the
/// highest one the recipient implements); other major versions are
/// [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion).
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_http1::Version::Http11.as_str(), "HTTP/1.1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// HTTP/1.0: connections close after each message unless `keep-alive` is sent.
    Http10,
    /// HTTP/1.1: persistent connections by default (RFC 9112 §9.3).
    Http11,
}

impl Version {
    /// The version as written on the wire.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Version::Http10.as_str(), "HTTP/1.0");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses exactly 8 bytes of `HTTP-version` (RFC 9112 §2.3); 1.2 to 1.9 are 1.1.
pub(crate) fn parse_version(v: &[u8]) -> Result<Version, crate::Error> {
    match v {
        b"HTTP/1.1" => Ok(Version::Http11),
        b"HTTP/1.0" => Ok(Version::Http10),
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9'] => Ok(Version::Http11),
        [b'H', b'T', b'T', b'P', b'/', a, b'.', b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Err(crate::Error::UnsupportedVersion)
        }
        _ => Err(crate::Error::InvalidVersion),
    }
}

/// True when `v` (fewer than 8 bytes) can still grow into a well-formed version.
pub(crate) fn version_prefix_ok(v: &[u8]) -> bool {
    v.iter().enumerate().all(|(i, &b)| match i {
        0..=4 => b == b"HTTP/"[i],
        5 | 7 => b.is_ascii_digit(),
        _ => b == b'.',
    })
}
