//! The crate's single error type.

use std::fmt;

/// Everything that can be wrong with an HTTP/1.x message, one variant per rule.
///
/// Each variant maps to exactly one status code through [`Error::status`], which is what a
/// server answers before closing the connection. Errors are `Copy` so tests can compare them.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Error, Header, RequestParser};
///
/// let mut headers = [Header::EMPTY; 8];
/// let err = RequestParser::new()
///     .parse(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", &mut headers)
///     .unwrap_err();
/// assert_eq!(err, Error::WhitespaceBeforeColon);
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.to_string(), "whitespace between header name and colon");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// The method is empty or holds a byte that is not a `tchar` (RFC 9112 §3.1, RFC 9110 §5.6.2).
    InvalidMethod,
    /// The request-target holds a byte outside RFC 3986 URI characters, a fragment, userinfo,
    /// or does not fit the form its method needs (RFC 9112 §3.2).
    InvalidTarget,
    /// The HTTP-version is not `HTTP/` DIGIT `.` DIGIT, or the start line does not end after it
    /// (RFC 9112 §2.3).
    InvalidVersion,
    /// A well-formed HTTP-version whose major version is not 1, such as `HTTP/2.0` in an
    /// HTTP/1 start line (RFC 9110 §15.6.6: 505). A higher 1.x is read as 1.1.
    UnsupportedVersion,
    /// A status code that is not three digits in 100..=999 (RFC 9112 §4).
    InvalidStatus,
    /// A reason phrase holding a control character (RFC 9112 §4).
    InvalidReason,
    /// A line ended by LF without CR (RFC 9112 §2.2); [`Config::allow_bare_lf`] accepts it.
    ///
    /// [`Config::allow_bare_lf`]: crate::Config::allow_bare_lf
    BareLf,
    /// A CR not followed by LF (RFC 9112 §2.2).
    BareCr,
    /// A field name that is empty or holds a byte that is not a `tchar` (RFC 9110 §5.1).
    InvalidHeaderName,
    /// A field line with no colon (RFC 9112 §5).
    MissingColon,
    /// Whitespace between a field name and its colon (RFC 9112 §5.1).
    WhitespaceBeforeColon,
    /// A line starting with whitespace: obsolete line folding, or whitespace between the start
    /// line and the first field (RFC 9112 §5.2, §2.2).
    ObsFold,
    /// A field value holding NUL, DEL or another control character other than HTAB
    /// (RFC 9110 §5.5).
    InvalidHeaderValue,
    /// The head is longer than [`Limits::max_head_size`](crate::Limits::max_head_size).
    HeadTooLarge,
    /// More fields than [`Limits::max_headers`](crate::Limits::max_headers) or than the caller's
    /// slots.
    TooManyHeaders,
    /// The request-target is longer than [`Limits::max_target_len`](crate::Limits::max_target_len).
    TargetTooLong,
    /// One field line is longer than [`Limits::max_field_size`](crate::Limits::max_field_size).
    HeaderFieldTooLarge,
    /// Both `Transfer-Encoding` and `Content-Length` are present (RFC 9112 §6.3 rule 3).
    ConflictingFraming,
    /// A `Content-Length` that is not 1*DIGIT (sign, inner space, hex, empty) or overflows u64
    /// (RFC 9110 §8.6).
    InvalidContentLength,
    /// Several `Content-Length` values that differ (RFC 9112 §6.3 rule 5).
    DifferingContentLength,
    /// A `Transfer-Encoding` value that is empty or not a list of tokens (RFC 9112 §6.1).
    InvalidTransferEncoding,
    /// A request `Transfer-Encoding` whose final coding is not `chunked` (RFC 9112 §6.3 rule 4).
    ChunkedNotFinal,
    /// `chunked` applied more than once (RFC 9112 §6.1).
    ChunkedTwice,
    /// An HTTP/1.1 request without `Host` (RFC 9112 §3.2).
    MissingHost,
    /// A request with more than one `Host` field line (RFC 9112 §3.2).
    DuplicateHost,
    /// A `Host` value that is not `uri-host [ ":" port ]` (RFC 9110 §7.2).
    InvalidHost,
    /// A chunk-size that is empty or holds a non-hex digit, such as `0x5` (RFC 9112 §7.1).
    InvalidChunkSize,
    /// A chunk-size with more than 16 hex digits, which cannot fit in u64 (RFC 9112 §7.1).
    ChunkSizeOverflow,
    /// A chunk extension that breaks the `chunk-ext` grammar or holds a bare CR or LF
    /// (RFC 9112 §7.1.1).
    InvalidChunkExtension,
    /// Chunk extensions longer than
    /// [`Limits::max_chunk_ext_len`](crate::Limits::max_chunk_ext_len).
    ChunkExtensionTooLong,
    /// Chunk data not followed by CRLF (RFC 9112 §7.1).
    MissingChunkCrlf,
    /// The trailer section is larger than
    /// [`Limits::max_trailer_size`](crate::Limits::max_trailer_size) or has too many fields.
    TrailersTooLarge,
    /// The input ended before the chunked body did (reported by
    /// [`ChunkedDecoder::finish`](crate::ChunkedDecoder::finish)).
    IncompleteBody,
    /// Serializing only: what was written does not fit the fixed [`Region`](crate::Region) it
    /// was written into (the caller falls back to a larger buffer). Never a parse error.
    BufferFull,
}

impl Error {
    /// The status code a server answers with when a request fails with this error.
    ///
    /// 400 for syntax and framing errors, 414 for a long target, 431 for oversized heads and
    /// fields, 505 for an unsupported version. An unknown but well-formed method is not an
    /// error here: answering 501 is left to the server. Errors that only a response head can
    /// raise ([`Error::InvalidStatus`], [`Error::InvalidReason`]) map to 502, what a gateway
    /// answers when its upstream sends garbage. [`Error::BufferFull`], the serializer's own, maps
    /// to 500.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::Error;
    ///
    /// assert_eq!(Error::TargetTooLong.status(), 414);
    /// assert_eq!(Error::UnsupportedVersion.status(), 505);
    /// assert_eq!(Error::TooManyHeaders.status(), 431);
    /// ```
    pub fn status(self) -> u16 {
        match self {
            Error::InvalidMethod
            | Error::InvalidTarget
            | Error::InvalidVersion
            | Error::BareLf
            | Error::BareCr
            | Error::InvalidHeaderName
            | Error::MissingColon
            | Error::WhitespaceBeforeColon
            | Error::ObsFold
            | Error::InvalidHeaderValue
            | Error::ConflictingFraming
            | Error::InvalidContentLength
            | Error::DifferingContentLength
            | Error::InvalidTransferEncoding
            | Error::ChunkedNotFinal
            | Error::ChunkedTwice
            | Error::MissingHost
            | Error::DuplicateHost
            | Error::InvalidHost
            | Error::InvalidChunkSize
            | Error::ChunkSizeOverflow
            | Error::InvalidChunkExtension
            | Error::ChunkExtensionTooLong
            | Error::MissingChunkCrlf
            | Error::IncompleteBody => 400,
            Error::TargetTooLong => 414,
            Error::HeadTooLarge
            | Error::TooManyHeaders
            | Error::HeaderFieldTooLarge
            | Error::TrailersTooLarge => 431,
            Error::UnsupportedVersion => 505,
            Error::InvalidStatus | Error::InvalidReason => 502,
            Error::BufferFull => 500,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::InvalidMethod => "invalid method",
            Error::InvalidTarget => "invalid request-target",
            Error::InvalidVersion => "invalid http version",
            Error::UnsupportedVersion => "unsupported http version",
            Error::InvalidStatus => "invalid status code",
            Error::InvalidReason => "invalid reason phrase",
            Error::BareLf => "line ended by lf without cr",
            Error::BareCr => "cr not followed by lf",
            Error::InvalidHeaderName => "invalid header name",
            Error::MissingColon => "header line without colon",
            Error::WhitespaceBeforeColon => "whitespace between header name and colon",
            Error::ObsFold => "line starts with whitespace (obsolete line folding)",
            Error::InvalidHeaderValue => "control character in header value",
            Error::HeadTooLarge => "message head too large",
            Error::TooManyHeaders => "too many header fields",
            Error::TargetTooLong => "request-target too long",
            Error::HeaderFieldTooLarge => "header field too large",
            Error::ConflictingFraming => "both transfer-encoding and content-length",
            Error::InvalidContentLength => "invalid content-length",
            Error::DifferingContentLength => "differing content-length values",
            Error::InvalidTransferEncoding => "invalid transfer-encoding",
            Error::ChunkedNotFinal => "chunked is not the final transfer coding",
            Error::ChunkedTwice => "chunked applied more than once",
            Error::MissingHost => "missing host header",
            Error::DuplicateHost => "more than one host header",
            Error::InvalidHost => "invalid host header",
            Error::InvalidChunkSize => "invalid chunk size",
            Error::ChunkSizeOverflow => "chunk size too large",
            Error::InvalidChunkExtension => "invalid chunk extension",
            Error::ChunkExtensionTooLong => "chunk extension too long",
            Error::MissingChunkCrlf => "chunk data not followed by crlf",
            Error::TrailersTooLarge => "trailer section too large",
            Error::IncompleteBody => "input ended inside a chunked body",
            Error::BufferFull => "output region too small",
        };
        f.write_str(s)
    }
}

impl std::error::Error for Error {}
