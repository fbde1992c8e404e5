//! The reason-phrase table (RFC 9110 §15) and the status lines built from it.

use crate::method::Version;

macro_rules! statuses {
    ($($code:literal $reason:literal,)*) => {
        /// The reason phrase for `code` (RFC 9110 §15), or `""` for a code without a
        /// registered phrase.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(brisk_http1::reason_phrase(404), "Not Found");
        /// assert_eq!(brisk_http1::reason_phrase(299), "");
        /// ```
        pub fn reason_phrase(code: u16) -> &'static str {
            match code {
                $($code => $reason,)*
                _ => "",
            }
        }

        /// The whole HTTP/1.1 status line of a code with a registered phrase, CRLF included.
        #[inline]
        fn status_line_11(code: u16) -> Option<&'static [u8]> {
            match code {
                $($code => Some(concat!("HTTP/1.1 ", $code, " ", $reason, "\r\n").as_bytes()),)*
                _ => None,
            }
        }
    };
}

statuses! {
    100 "Continue",
    101 "Switching Protocols",
    200 "OK",
    201 "Created",
    202 "Accepted",
    203 "Non-Authoritative Information",
    204 "No Content",
    205 "Reset Content",
    206 "Partial Content",
    300 "Multiple Choices",
    301 "Moved Permanently",
    302 "Found",
    303 "See Other",
    304 "Not Modified",
    307 "Temporary Redirect",
    308 "Permanent Redirect",
    400 "Bad Request",
    401 "Unauthorized",
    403 "Forbidden",
    404 "Not Found",
    405 "Method Not Allowed",
    406 "Not Acceptable",
    408 "Request Timeout",
    409 "Conflict",
    410 "Gone",
    411 "Length Required",
    412 "Precondition Failed",
    413 "Content Too Large",
    414 "URI Too Long",
    415 "Unsupported Media Type",
    416 "Range Not Satisfiable",
    417 "Expectation Failed",
    421 "Misdirected Request",
    422 "Unprocessable Content",
    426 "Upgrade Required",
    429 "Too Many Requests",
    431 "Request Header Fields Too Large",
    500 "Internal Server Error",
    501 "Not Implemented",
    502 "Bad Gateway",
    503 "Service Unavailable",
    504 "Gateway Timeout",
    505 "HTTP Version Not Supported",
}

/// The three ASCII digits of `code`, or `None` outside 100..=999.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_http1::status_digits(204), Some(*b"204"));
/// assert_eq!(brisk_http1::status_digits(1000), None);
/// ```
#[inline]
pub fn status_digits(code: u16) -> Option<[u8; 3]> {
    if !(100..=999).contains(&code) {
        return None;
    }
    Some([
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ])
}

/// The status line of `version` and a registered `code` as at most two constant pieces: the
/// version (`None` for HTTP/1.1, already in the line) and the rest of the line.
#[inline]
pub(crate) fn known_line(
    version: Version,
    code: u16,
) -> Option<(Option<&'static [u8]>, &'static [u8])> {
    let line = status_line_11(code)?;
    Some(match version {
        Version::Http11 => (None, line),
        // "HTTP/1.1" is 8 bytes, all ASCII.
        v => (Some(v.as_str().as_bytes()), &line[8..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_version_code_phrase_crlf() {
        let mut known = 0;
        for code in 0..=1100u16 {
            let phrase = reason_phrase(code);
            match status_line_11(code) {
                Some(line) => {
                    known += 1;
                    assert_eq!(line, format!("HTTP/1.1 {code} {phrase}\r\n").as_bytes());
                    assert!(!phrase.is_empty());
                }
                None => assert_eq!(phrase, "", "{code}"),
            }
        }
        assert_eq!(known, 43);
    }

    #[test]
    fn digits_cover_exactly_100_to_999() {
        for code in 0..=1100u16 {
            let want = (100..=999).contains(&code).then(|| format!("{code}"));
            assert_eq!(
                status_digits(code).map(|d| String::from_utf8(d.to_vec()).unwrap()),
                want
            );
        }
    }

    #[test]
    fn http10_line_swaps_the_version() {
        let (v, rest) = known_line(Version::Http10, 404).unwrap();
        assert_eq!(
            (v, rest),
            (Some(&b"HTTP/1.0"[..]), &b" 404 Not Found\r\n"[..])
        );
        assert_eq!(
            known_line(Version::Http11, 200),
            Some((None, &b"HTTP/1.1 200 OK\r\n"[..]))
        );
        assert_eq!(known_line(Version::Http11, 299), None);
    }
}
