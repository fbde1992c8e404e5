//! Limits and leniencies, with their documented defaults.

/// Size and count limits applied to every message, so hostile input is bounded.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Config, RequestParser};
///
/// let mut config = Config::default();
/// config.limits.max_headers = 32;
/// let parser = RequestParser::with_config(config);
/// assert_eq!(parser.config().limits.max_headers, 32);
/// # let _ = parser;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most bytes in a message head (start line, fields and the final empty line, plus any
    /// empty lines before the start line). Guards against slow-loris heads and memory
    /// exhaustion; larger heads fail with `HeadTooLarge` (431). Default: 16384.
    pub max_head_size: usize,
    /// Most field lines in one head. Guards against header floods; more fail with
    /// `TooManyHeaders` (431). Default: 100.
    pub max_headers: usize,
    /// Longest request-target in bytes; longer fails with `TargetTooLong` (414). A head limit
    /// smaller than this one is hit first. Default: 8192.
    pub max_target_len: usize,
    /// Longest single field line (name, colon, value, without the CRLF); longer fails with
    /// `HeaderFieldTooLarge` (431). Default: 8192.
    pub max_field_size: usize,
    /// Most bytes of chunk extensions after one chunk-size (RFC 9112 §7.1.1 lets a recipient
    /// limit them); longer fails with `ChunkExtensionTooLong`. Default: 256.
    pub max_chunk_ext_len: usize,
    /// Most bytes in a chunked trailer section, counted from the first trailer byte to the final
    /// CRLF; field lines beyond it or beyond `max_headers` fail with `TrailersTooLarge`.
    /// Default: 8192.
    pub max_trailer_size: usize,
}

impl Default for Limits {
    #[inline]
    fn default() -> Self {
        Limits {
            max_head_size: 16 * 1024,
            max_headers: 100,
            max_target_len: 8 * 1024,
            max_field_size: 8 * 1024,
            max_chunk_ext_len: 256,
            max_trailer_size: 8 * 1024,
        }
    }
}

/// Parser configuration: [`Limits`] plus leniencies, all strict by default.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Config, Header, RequestParser, Status};
///
/// let mut lenient = Config::default();
/// lenient.allow_bare_lf = true;
/// let mut headers = [Header::EMPTY; 4];
/// let status = RequestParser::with_config(lenient)
///     .parse(b"GET / HTTP/1.1\nHost: a\n\n", &mut headers)?;
/// assert!(matches!(status, Status::Complete(_)));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Config {
    /// Size and count limits. Default: [`Limits::default()`].
    pub limits: Limits,
    /// Accept a bare LF as a line terminator in heads, chunk lines and trailers (RFC 9112 §2.2
    /// allows a recipient to; a CR must still be followed by LF). Strict mode rejects it with
    /// `BareLf`, because parsers that disagree on line ends can be led into request smuggling.
    /// Default: false.
    pub allow_bare_lf: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_docs() {
        let l = Limits::default();
        assert_eq!(l.max_head_size, 16384);
        assert_eq!(l.max_headers, 100);
        assert_eq!(l.max_target_len, 8192);
        assert_eq!(l.max_field_size, 8192);
        assert_eq!(l.max_chunk_ext_len, 256);
        assert_eq!(l.max_trailer_size, 8192);
        let c = Config::default();
        assert_eq!(c.limits, l);
        assert!(!c.allow_bare_lf);
    }
}
