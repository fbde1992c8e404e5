//! Percent-decoding of a parameter value, applied by the caller after matching (the router
//! never decodes, so `%2F` cannot create a path segment).

use std::borrow::Cow;
use std::fmt;

/// Why [`percent_decode`] failed.
///
/// # Examples
///
/// ```
/// use brisk_router::{percent_decode, DecodeError};
///
/// assert_eq!(percent_decode("a%2"), Err(DecodeError::InvalidEscape { at: 1 }));
/// assert_eq!(percent_decode("%FF"), Err(DecodeError::InvalidUtf8));
/// assert_eq!(DecodeError::InvalidUtf8.to_string(), "decoded bytes are not utf-8");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A `%` not followed by two hex digits, at this byte offset.
    InvalidEscape {
        /// Byte offset of the `%`.
        at: usize,
    },
    /// The decoded bytes are not UTF-8.
    InvalidUtf8,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidEscape { at } => {
                write!(f, "invalid percent escape at byte {at}")
            }
            DecodeError::InvalidUtf8 => f.write_str("decoded bytes are not utf-8"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (RFC 3986 §2.1) in a parameter value. `+` is left alone (it means a
/// space only in form data). Borrows the input when it has no `%`.
///
/// # Errors
///
/// [`DecodeError::InvalidEscape`] for a `%` without two hex digits, [`DecodeError::InvalidUtf8`]
/// when the result is not UTF-8.
///
/// # Examples
///
/// ```
/// use brisk_router::{percent_decode, Method, Router};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut router = Router::new();
/// router.insert(Method::Get, "/files/{name}", ())?;
/// // `%2F` stays inside the one segment: routing never decodes.
/// let m = router.at(Method::Get, "/files/a%2Fb%20c").map_err(|e| e.to_string())?;
/// let name = m.params().get("name").unwrap_or_default();
/// assert_eq!(name, "a%2Fb%20c");
/// assert_eq!(percent_decode(name)?, "a/b c");
/// # Ok(())
/// # }
/// ```
pub fn percent_decode(input: &str) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = input.as_bytes();
    let Some(first) = memchr::memchr(b'%', bytes) else {
        return Ok(Cow::Borrowed(input));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(DecodeError::InvalidEscape { at: i }),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::InvalidUtf8)
}
