//! Serializing heads and chunks into a caller-owned `Vec<u8>`.
//!
//! Nothing here allocates except through the growth of the caller's vector, and every piece is
//! validated before it is written, so a handler cannot inject CR/LF into a head (response
//! splitting).

use crate::error::Error;
use crate::head::Header;
use crate::method::{Method, Version};
use crate::scan::{is, is_token, skip_value, URI};

/// Writes one message head (start line, fields, framing, final CRLF) into a `Vec<u8>`.
///
/// # Examples
///
/// ```
/// use brisk_http1::{HeadWriter, Version};
///
/// let mut out = Vec::with_capacity(256);
/// let mut w = HeadWriter::response(&mut out, Version::Http11, 200, b"OK")?;
/// w.header(b"Content-Type", b"text/plain")?.content_length(5);
/// w.finish();
/// out.extend_from_slice(b"hello");
/// assert_eq!(out, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
///
/// # Errors
///
/// Each method validates its input first and writes nothing when it fails.
#[derive(Debug)]
pub struct HeadWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> HeadWriter<'a> {
    /// Writes a status line. `status` must be in 100..=999 and `reason` free of controls other
    /// than HTAB.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStatus`], [`Error::InvalidReason`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, HeadWriter, Version};
    ///
    /// let mut out = Vec::new();
    /// assert_eq!(HeadWriter::response(&mut out, Version::Http11, 200, b"O\r\nK").unwrap_err(), Error::InvalidReason);
    /// assert!(out.is_empty());
    /// ```
    pub fn response(
        out: &'a mut Vec<u8>,
        version: Version,
        status: u16,
        reason: &[u8],
    ) -> Result<Self, Error> {
        if !(100..=999).contains(&status) {
            return Err(Error::InvalidStatus);
        }
        if skip_value(reason, 0) != reason.len() {
            return Err(Error::InvalidReason);
        }
        out.extend_from_slice(version.as_str().as_bytes());
        let digits = [
            b' ',
            b'0' + (status / 100) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
            b' ',
        ];
        out.extend_from_slice(&digits);
        out.extend_from_slice(reason);
        out.extend_from_slice(b"\r\n");
        Ok(HeadWriter { out })
    }

    /// Writes a request line. The target must be non-empty RFC 3986 characters (brackets
    /// allowed); it is not checked against the method's form.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`], [`Error::InvalidTarget`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{HeadWriter, Method, Version};
    ///
    /// let mut out = Vec::new();
    /// HeadWriter::request(&mut out, Method::Get, b"/", Version::Http11)?
    ///     .header(b"Host", b"example.com")?;
    /// assert_eq!(out, b"GET / HTTP/1.1\r\nHost: example.com\r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn request(
        out: &'a mut Vec<u8>,
        method: Method<'_>,
        target: &[u8],
        version: Version,
    ) -> Result<Self, Error> {
        let m = method.as_bytes();
        if m.is_empty() || !m.iter().all(|&b| is_token(b)) {
            return Err(Error::InvalidMethod);
        }
        if target.is_empty() || !target.iter().all(|&b| is(b, URI) || b == b'[' || b == b']') {
            return Err(Error::InvalidTarget);
        }
        out.extend_from_slice(m);
        out.push(b' ');
        out.extend_from_slice(target);
        out.push(b' ');
        out.extend_from_slice(version.as_str().as_bytes());
        out.extend_from_slice(b"\r\n");
        Ok(HeadWriter { out })
    }

    /// Writes one field line. The name must be a token; the value must hold no control other
    /// than HTAB and no leading or trailing whitespace (RFC 9110 §5.5).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeaderName`], [`Error::InvalidHeaderValue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, HeadWriter, Version};
    ///
    /// let mut out = Vec::new();
    /// let mut w = HeadWriter::response(&mut out, Version::Http11, 200, b"OK")?;
    /// assert_eq!(w.header(b"X", b"a\r\nSet-Cookie: evil").unwrap_err(), Error::InvalidHeaderValue);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn header(&mut self, name: &[u8], value: &[u8]) -> Result<&mut Self, Error> {
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Error::InvalidHeaderName);
        }
        let edge_ws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
        if skip_value(value, 0) != value.len() || edge_ws(value.first()) || edge_ws(value.last()) {
            return Err(Error::InvalidHeaderValue);
        }
        self.out.extend_from_slice(name);
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value);
        self.out.extend_from_slice(b"\r\n");
        Ok(self)
    }

    /// Writes every field of `headers` (see [`header`](Self::header)).
    ///
    /// # Errors
    ///
    /// As [`header`](Self::header); fields before the bad one stay written.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Header, HeadWriter, Version};
    ///
    /// let mut out = Vec::new();
    /// HeadWriter::response(&mut out, Version::Http11, 204, b"No Content")?
    ///     .headers(&[Header { name: b"Server", value: b"brisk" }])?;
    /// assert!(out.ends_with(b"Server: brisk\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn headers(&mut self, headers: &[Header<'_>]) -> Result<&mut Self, Error> {
        for h in headers {
            self.header(h.name, h.value)?;
        }
        Ok(self)
    }

    /// Writes `Content-Length: n`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{HeadWriter, Version};
    /// let mut out = Vec::new();
    /// HeadWriter::response(&mut out, Version::Http11, 200, b"OK")?.content_length(42);
    /// assert!(out.ends_with(b"Content-Length: 42\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn content_length(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        self.out.extend_from_slice(b"Content-Length: ");
        self.out.extend_from_slice(decimal(n, &mut digits));
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// Writes `Transfer-Encoding: chunked`; follow the head with [`write_chunk`] calls and one
    /// [`write_last_chunk`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{HeadWriter, Version};
    /// let mut out = Vec::new();
    /// HeadWriter::response(&mut out, Version::Http11, 200, b"OK")?.chunked();
    /// assert!(out.ends_with(b"Transfer-Encoding: chunked\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn chunked(&mut self) -> &mut Self {
        self.out
            .extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        self
    }

    /// Ends the head with the empty line. Returns the vector's new length. Call it once, last.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{HeadWriter, Version};
    /// let mut out = Vec::new();
    /// let len = HeadWriter::response(&mut out, Version::Http10, 200, b"")?.finish();
    /// assert_eq!(&out[..len], b"HTTP/1.0 200 \r\n\r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn finish(&mut self) -> usize {
        self.out.extend_from_slice(b"\r\n");
        self.out.len()
    }
}

fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Appends one chunk (`size-in-hex CRLF data CRLF`). Empty data writes nothing, since a zero
/// size would end the body.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_http1::write_chunk(&mut out, b"0123456789abcdef!");
/// brisk_http1::write_chunk(&mut out, b"");
/// assert_eq!(out, b"11\r\n0123456789abcdef!\r\n");
/// ```
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut hex = [0u8; 16];
    let mut i = hex.len();
    let mut n = data.len() as u64;
    while n != 0 {
        i -= 1;
        hex[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
    }
    out.extend_from_slice(&hex[i..]);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk, the trailer fields, and the final CRLF.
///
/// # Errors
///
/// [`Error::InvalidHeaderName`], [`Error::InvalidHeaderValue`] for a bad trailer; nothing is
/// written then.
///
/// # Examples
///
/// ```
/// use brisk_http1::Header;
///
/// let mut out = Vec::new();
/// brisk_http1::write_last_chunk(&mut out, &[Header { name: b"Digest", value: b"x" }])?;
/// assert_eq!(out, b"0\r\nDigest: x\r\n\r\n");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
pub fn write_last_chunk(out: &mut Vec<u8>, trailers: &[Header<'_>]) -> Result<(), Error> {
    let start = out.len();
    out.extend_from_slice(b"0\r\n");
    let mut w = HeadWriter { out };
    if let Err(e) = w.headers(trailers) {
        w.out.truncate(start);
        return Err(e);
    }
    w.finish();
    Ok(())
}
