//! [`Field`]: a field line checked once, when it is made, and written many times without being
//! checked again (a server's constant `Server` line, a content type chosen from a table).

use crate::error::Error;
use crate::scan::{CLASS, TOKEN};

/// A field name and value that passed [`HeadWriter::header`](crate::HeadWriter::header)'s
/// checks, so [`HeadWriter::field`](crate::HeadWriter::field) writes it with no per-byte work.
///
/// [`Field::new`] is a `const fn`: a constant field is checked at compile time.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Field, HeadWriter, Version};
///
/// const SERVER: Field<'static> = match Field::new(b"Server", b"brisk") {
///     Ok(f) => f,
///     Err(_) => panic!("not a valid field"),
/// };
/// let mut out = Vec::new();
/// HeadWriter::response_status(&mut out, Version::Http11, 204)?.field(&SERVER).finish();
/// assert_eq!(out, b"HTTP/1.1 204 No Content\r\nServer: brisk\r\n\r\n");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

impl<'a> Field<'a> {
    /// Checks `name` (a non-empty token) and `value` (no control other than HTAB, no DEL, no
    /// leading or trailing whitespace), exactly as [`HeadWriter::header`] does.
    ///
    /// [`HeadWriter::header`]: crate::HeadWriter::header
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeaderName`], [`Error::InvalidHeaderValue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Field};
    ///
    /// assert!(Field::new(b"Content-Type", b"text/plain").is_ok());
    /// assert_eq!(Field::new(b"X", b"a\r\nSet-Cookie: evil"), Err(Error::InvalidHeaderValue));
    /// assert_eq!(Field::new(b"Bad Name", b"a"), Err(Error::InvalidHeaderName));
    /// ```
    pub const fn new(name: &'a [u8], value: &'a [u8]) -> Result<Self, Error> {
        if name.is_empty() {
            return Err(Error::InvalidHeaderName);
        }
        let mut i = 0;
        while i < name.len() {
            if CLASS[name[i] as usize] & TOKEN == 0 {
                return Err(Error::InvalidHeaderName);
            }
            i += 1;
        }
        let mut i = 0;
        while i < value.len() {
            let b = value[i];
            if (b < 0x20 && b != b'\t') || b == 0x7f {
                return Err(Error::InvalidHeaderValue);
            }
            i += 1;
        }
        if let [b' ' | b'\t', ..] | [.., b' ' | b'\t'] = value {
            return Err(Error::InvalidHeaderValue);
        }
        Ok(Field { name, value })
    }

    /// A field this crate built itself and knows to be valid (checked again in debug builds).
    pub(crate) fn trusted(name: &'a [u8], value: &'a [u8]) -> Self {
        debug_assert!(Field::new(name, value).is_ok());
        Field { name, value }
    }

    /// The field name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Field::new(b"Server", b"brisk")?.name(), b"Server");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub const fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The field value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Field::new(b"Server", b"brisk")?.value(), b"brisk");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::DateCache;

    #[test]
    fn the_date_cache_field_is_always_valid() {
        let mut dates = DateCache::new();
        for secs in [
            0,
            1,
            784_111_777,
            1_700_000_000,
            253_402_300_799,
            253_402_300_800,
            u64::MAX / 4,
        ] {
            let f = dates.field(UNIX_EPOCH + Duration::from_secs(secs));
            assert_eq!(Field::new(f.name(), f.value()), Ok(f), "{secs}");
            assert_eq!(f.value().len(), 29);
        }
    }

    #[test]
    fn const_and_run_time_checks_agree_on_edges() {
        const OK: Result<Field<'static>, Error> = Field::new(b"A", b"x\ty");
        assert!(OK.is_ok());
        assert_eq!(
            Field::new(b"A", b""),
            Ok(Field {
                name: b"A",
                value: b""
            })
        );
        assert_eq!(Field::new(b"", b"x"), Err(Error::InvalidHeaderName));
        assert_eq!(Field::new(b"A", b" x"), Err(Error::InvalidHeaderValue));
        assert_eq!(Field::new(b"A", b"x\t"), Err(Error::InvalidHeaderValue));
        assert_eq!(Field::new(b"A", b"x\x7fy"), Err(Error::InvalidHeaderValue));
        assert_eq!(
            Field::new(b"A", b"caf\xc3\xa9"),
            Ok(Field {
                name: b"A",
                value: b"caf\xc3\xa9"
            })
        );
    }
}
