//! Serializing heads and chunks into a caller-owned [`Sink`]: a `Vec<u8>` or a fixed
//! [`Region`](crate::Region).
//!
//! Nothing here allocates except through the growth of the caller's vector, and every piece is
//! validated before it is written, so a handler cannot inject CR/LF into a head (response
//! splitting).

use crate::error::Error;
use crate::field::Field;
use crate::head::Header;
use crate::method::{Method, Version};
use crate::scan::{is, is_token, value_is_clean, URI};
use crate::sink::Sink;
use crate::status::{known_line, status_digits};

/// Writes one message head (start line, fields, framing, final CRLF) into a `Vec<u8>` or, with
/// `S` = [`Region`](crate::Region), into a fixed slice.
///
/// Into a region, a piece that does not fit fails the region (see [`Region`](crate::Region));
/// the writer's methods still report only invalid input, and [`finish`](Self::finish) returns
/// `Err(Error::BufferFull)`.
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
/// A typical server answer, into a region of an output buffer:
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use brisk_http1::{DateCache, HeadWriter, Region, Version};
///
/// let mut dates = DateCache::new();
/// let date = dates.bytes(UNIX_EPOCH + Duration::from_secs(784_111_777));
/// let mut buf = [0u8; 256];
/// let mut r = Region::new(&mut buf);
/// let mut w = HeadWriter::response_status(&mut r, Version::Http11, 200)?;
/// w.header(b"Server", b"brisk")?.date(date)?.content_length(2);
/// w.header(b"Content-Type", b"text/plain")?;
/// w.finish()?;
/// r.put(b"hi")?;
/// assert_eq!(r.filled(), &b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
///     Content-Length: 2\r\nContent-Type: text/plain\r\n\r\nhi"[..]);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
///
/// # Errors
///
/// Each method validates its input first and writes nothing when it fails.
#[derive(Debug)]
pub struct HeadWriter<'a, S: Sink = Vec<u8>> {
    out: &'a mut S,
}

impl<'a, S: Sink> HeadWriter<'a, S> {
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
    #[inline]
    pub fn response(
        out: &'a mut S,
        version: Version,
        status: u16,
        reason: &[u8],
    ) -> Result<Self, Error> {
        let Some([a, b, c]) = status_digits(status) else {
            return Err(Error::InvalidStatus);
        };
        if !value_is_clean(reason) {
            return Err(Error::InvalidReason);
        }
        out.push(version.as_str().as_bytes());
        out.push(&[b' ', a, b, c, b' ']);
        out.push(reason);
        out.push(b"\r\n");
        Ok(HeadWriter { out })
    }

    /// Writes a status line with the registered reason phrase of `status`
    /// ([`reason_phrase`](crate::reason_phrase); empty for an unregistered code). A registered
    /// code's HTTP/1.1 line is one constant piece.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStatus`] outside 100..=999.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{HeadWriter, Version};
    ///
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http10, 404)?;
    /// HeadWriter::response_status(&mut out, Version::Http11, 299)?;
    /// assert_eq!(out, b"HTTP/1.0 404 Not Found\r\nHTTP/1.1 299 \r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn response_status(out: &'a mut S, version: Version, status: u16) -> Result<Self, Error> {
        match known_line(version, status) {
            Some((v, rest)) => {
                if let Some(v) = v {
                    out.push(v);
                }
                out.push(rest);
                Ok(HeadWriter { out })
            }
            None => Self::response(out, version, status, b""),
        }
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
        out: &'a mut S,
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
        out.push(m);
        out.push(b" ");
        out.push(target);
        out.push(b" ");
        out.push(version.as_str().as_bytes());
        out.push(b"\r\n");
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
    #[inline]
    pub fn header(&mut self, name: &[u8], value: &[u8]) -> Result<&mut Self, Error> {
        check_field(name, value)?;
        self.line(name, value);
        Ok(self)
    }

    /// Writes a [`Field`] checked when it was made, with no per-byte work (see
    /// [`header`](Self::header) for a field checked now).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Field, HeadWriter, Version};
    ///
    /// let text = Field::new(b"Content-Type", b"text/plain")?;
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http11, 200)?.field(&text).content_length(0);
    /// assert_eq!(out, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn field(&mut self, field: &Field<'_>) -> &mut Self {
        self.line(field.name(), field.value());
        self
    }

    /// Writes a checked field line.
    #[inline(always)]
    fn line(&mut self, name: &[u8], value: &[u8]) {
        self.out.push_line(name, value);
    }

    /// Writes `Date: date`, checked as any field value. Pass the IMF-fixdate of
    /// [`DateCache::bytes`](crate::DateCache::bytes), formatted once a second.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeaderValue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use brisk_http1::{DateCache, HeadWriter, Version};
    ///
    /// let mut dates = DateCache::new();
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http11, 200)?
    ///     .date(dates.bytes(UNIX_EPOCH + Duration::from_secs(784_111_777)))?;
    /// assert!(out.ends_with(b"\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn date(&mut self, date: &[u8]) -> Result<&mut Self, Error> {
        check_value(date)?;
        self.line(b"Date", date);
        Ok(self)
    }

    /// Writes `Connection: close`: the connection ends after this message.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{HeadWriter, Version};
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http11, 200)?.connection_close();
    /// assert!(out.ends_with(b"OK\r\nConnection: close\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn connection_close(&mut self) -> &mut Self {
        self.out.push(b"Connection: close\r\n");
        self
    }

    /// Writes `Connection: keep-alive` (what an HTTP/1.0 peer needs to keep the connection).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_http1::{HeadWriter, Version};
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http10, 200)?.connection_keep_alive();
    /// assert_eq!(out, b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn connection_keep_alive(&mut self) -> &mut Self {
        self.out.push(b"Connection: keep-alive\r\n");
        self
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
    #[inline]
    pub fn content_length(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        self.out.push(b"Content-Length: ");
        self.out.push(decimal(n, &mut digits));
        self.out.push(b"\r\n");
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
    #[inline]
    pub fn chunked(&mut self) -> &mut Self {
        self.out.push(b"Transfer-Encoding: chunked\r\n");
        self
    }

    /// Ends the head with the empty line. Returns the vector's new length (for a region, its
    /// filled length, or `Err(Error::BufferFull)` if any piece did not fit). Call it once, last.
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
    #[inline]
    pub fn finish(&mut self) -> S::Done<usize> {
        self.out.push(b"\r\n");
        let len = self.out.written();
        self.out.done(len)
    }
}

/// Checks a field line: the name a token, the value free of controls other than HTAB and of
/// leading or trailing whitespace.
#[inline]
fn check_field(name: &[u8], value: &[u8]) -> Result<(), Error> {
    if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
        return Err(Error::InvalidHeaderName);
    }
    check_value(value)
}

#[inline]
fn check_value(value: &[u8]) -> Result<(), Error> {
    let edge_ws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if !value_is_clean(value) || edge_ws(value.first()) || edge_ws(value.last()) {
        return Err(Error::InvalidHeaderValue);
    }
    Ok(())
}

/// Writes `n` in decimal into the end of `buf` and returns the digits: a `Content-Length`
/// value (or any other count) without going through `fmt`. 20 bytes hold every `u64`.
///
/// # Examples
///
/// ```
/// let mut buf = [0u8; 20];
/// assert_eq!(brisk_http1::decimal(0, &mut buf), b"0");
/// assert_eq!(brisk_http1::decimal(1234, &mut buf), b"1234");
/// assert_eq!(brisk_http1::decimal(u64::MAX, &mut buf), b"18446744073709551615");
/// ```
#[inline(always)]
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
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
/// size would end the body. Into a region, returns `Err(Error::BufferFull)` if it (or an
/// earlier piece) did not fit.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_http1::write_chunk(&mut out, b"0123456789abcdef!");
/// brisk_http1::write_chunk(&mut out, b"");
/// assert_eq!(out, b"11\r\n0123456789abcdef!\r\n");
///
/// let mut buf = [0u8; 8];
/// let mut r = brisk_http1::Region::new(&mut buf);
/// assert_eq!(brisk_http1::write_chunk(&mut r, b"abc"), Ok(()));
/// assert_eq!(brisk_http1::write_chunk(&mut r, b"abc"), Err(brisk_http1::Error::BufferFull));
/// ```
#[inline]
pub fn write_chunk<S: Sink>(out: &mut S, data: &[u8]) -> S::Done<()> {
    if !data.is_empty() {
        chunk_size(out, data.len() as u64);
        out.push(data);
        out.push(b"\r\n");
    }
    out.done(())
}

/// Appends a chunk-size line (`size-in-hex CRLF`) for `n` bytes of data the caller writes
/// itself, to be followed by [`write_chunk_end`]. A zero `n` writes nothing (it would end the
/// body): write no data and no chunk end then.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_http1::write_chunk_size(&mut out, 300);
/// out.extend_from_slice(&[b'x'; 300]);
/// brisk_http1::write_chunk_end(&mut out);
/// assert!(out.starts_with(b"12c\r\nxxx"));
/// assert!(out.ends_with(b"xxx\r\n"));
/// ```
#[inline]
pub fn write_chunk_size<S: Sink>(out: &mut S, n: u64) -> S::Done<()> {
    if n != 0 {
        chunk_size(out, n);
    }
    out.done(())
}

/// Appends the CRLF that ends a chunk's data (after [`write_chunk_size`] and the data).
///
/// # Examples
///
/// ```
/// let mut buf = [0u8; 16];
/// let mut r = brisk_http1::Region::new(&mut buf);
/// brisk_http1::write_chunk_size(&mut r, 2)?;
/// r.put(b"hi")?;
/// brisk_http1::write_chunk_end(&mut r)?;
/// assert_eq!(r.filled(), b"2\r\nhi\r\n");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[inline]
pub fn write_chunk_end<S: Sink>(out: &mut S) -> S::Done<()> {
    out.push(b"\r\n");
    out.done(())
}

/// Writes `n` (not 0) in hex and CRLF as one piece.
#[inline(always)]
fn chunk_size<S: Sink>(out: &mut S, mut n: u64) {
    let mut hex = [0u8; 18];
    hex[16] = b'\r';
    hex[17] = b'\n';
    let mut i = 16;
    while n != 0 {
        i -= 1;
        hex[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
    }
    out.push(&hex[i..]);
}

/// Appends the last chunk, the trailer fields, and the final CRLF.
///
/// # Errors
///
/// [`Error::InvalidHeaderName`], [`Error::InvalidHeaderValue`] for a bad trailer; nothing is
/// written then. [`Error::BufferFull`] when writing into a [`Region`](crate::Region) that is
/// too small (or failed before).
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
pub fn write_last_chunk<S: Sink>(out: &mut S, trailers: &[Header<'_>]) -> Result<(), Error> {
    for t in trailers {
        check_field(t.name, t.value)?;
    }
    out.push(b"0\r\n");
    let mut w = HeadWriter { out };
    for t in trailers {
        w.line(t.name, t.value);
    }
    w.out.push(b"\r\n");
    w.out.check()
}
