//! Status codes: reason phrases and the short bodies of the error answers.

/// The reason phrase for `code` (RFC 9110 §15), or `""` for a code without a registered phrase.
/// The table lives in brisk-http1, whose head writer uses it too.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_server::reason_phrase(404), "Not Found");
/// assert_eq!(brisk_server::reason_phrase(299), "");
/// ```
#[inline]
pub fn reason_phrase(code: u16) -> &'static str {
    brisk_http1::reason_phrase(code)
}

/// The short plain-text body the server sends with an error status it generates itself.
pub(crate) fn error_body(code: u16) -> &'static [u8] {
    match code {
        400 => b"400 bad request\n",
        404 => b"404 not found\n",
        405 => b"405 method not allowed\n",
        408 => b"408 request timeout\n",
        411 => b"411 length required\n",
        413 => b"413 content too large\n",
        414 => b"414 uri too long\n",
        417 => b"417 expectation failed\n",
        431 => b"431 request header fields too large\n",
        500 => b"500 internal server error\n",
        501 => b"501 not implemented\n",
        503 => b"503 service unavailable\n",
        505 => b"505 http version not supported\n",
        _ => b"error\n",
    }
}

/// Three ASCII digits of a status code (clamped to 100..=999).
pub(crate) fn status_digits(code: u16) -> [u8; 3] {
    brisk_http1::status_digits(code.clamp(100, 999)).unwrap_or(*b"500")
}

/// `n` in decimal at the end of a 20-byte buffer (brisk-http1's, which its head writer uses).
pub(crate) use brisk_http1::decimal;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_error_has_a_phrase_and_a_body() {
        for code in [400, 404, 405, 408, 413, 414, 431, 500, 501, 505] {
            assert!(!reason_phrase(code).is_empty(), "{code}");
            assert!(error_body(code).starts_with(&status_digits(code)), "{code}");
        }
    }
}
