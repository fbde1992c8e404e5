//! Where the serializer writes: a growing `Vec<u8>` or a fixed [`Region`] of someone else's
//! buffer (a reactor's output block), behind the sealed [`Sink`] trait.
//!
//! The writers in `ser` are generic over the sink, so each target gets its own monomorphized,
//! inlined code: for a `Vec` a piece is an `extend_from_slice`, for a `Region` it is one bounds
//! check and a `copy_from_slice`. Running out of room in a region is *sticky*: the first piece
//! that does not fit marks the region failed, later pieces are not written, and the failure is
//! reported once, by the call that finishes a head or a chunk (its [`Sink::Done`] value).
//!
//! A trait rather than an enum of targets: the `Vec` path compiles to exactly what it was (its
//! calls keep their return types: `finish` a `usize`, `write_chunk` nothing), the region path
//! has no branch on the target kind per piece, and the region's finishing calls return a
//! `Result` the caller must look at. A field line is one bounds check in a region, and short
//! pieces are copied inline rather than through a `memcpy` call.

use std::fmt;

use crate::error::Error;

mod private {
    /// The sink's raw operations, private so only this crate writes through them (all bytes of
    /// a head go through the validating writers).
    pub trait Sealed {
        /// Appends `bytes`, or marks the sink failed if they do not fit (a region only).
        fn push(&mut self, bytes: &[u8]);
        /// `Err(Error::BufferFull)` once a piece did not fit.
        fn check(&self) -> Result<(), crate::Error>;
        /// Bytes in the sink (a region's filled length, 0 once failed).
        fn written(&self) -> usize;
        /// Appends the field line `name: value CRLF` (checked by the caller).
        #[inline(always)]
        fn push_line(&mut self, name: &[u8], value: &[u8]) {
            self.push(name);
            self.push(b": ");
            self.push(value);
            self.push(b"\r\n");
        }
    }
}

pub(crate) use private::Sealed;

/// A target the serializer writes into: `Vec<u8>` (grows, never fails) or [`Region`] (a fixed
/// slice filled from the front, fails with [`Error::BufferFull`]).
///
/// The trait is sealed; its only use is as the type parameter of
/// [`HeadWriter`](crate::HeadWriter) and the chunk writers. [`Sink::Done`] is what a finishing
/// call returns: the bare value for a `Vec`, a `Result` for a region, so a caller writing into
/// a region cannot forget that it may not have fitted.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Error, HeadWriter, Region, Version};
///
/// // The same head into a vector and into a region of a fixed buffer.
/// let mut v = Vec::new();
/// let n: usize = HeadWriter::response_status(&mut v, Version::Http11, 204)?.finish();
///
/// let mut buf = [0u8; 64];
/// let mut r = Region::new(&mut buf);
/// let m: Result<usize, Error> = HeadWriter::response_status(&mut r, Version::Http11, 204)?.finish();
/// assert_eq!(m, Ok(n));
/// assert_eq!(&buf[..n], &v[..]);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
pub trait Sink: Sealed {
    /// What a finishing call returns around its value `T`: `T` for `Vec<u8>`,
    /// `Result<T, Error>` (only ever [`Error::BufferFull`]) for a [`Region`].
    type Done<T>;

    /// Wraps the value of a finishing call: `value` itself, or `Err(Error::BufferFull)` if
    /// any piece did not fit since the region was made.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Region, Sink};
    ///
    /// let mut buf = [0u8; 2];
    /// let mut r = Region::new(&mut buf);
    /// assert_eq!(r.done(7), Ok(7));
    /// let _ = r.put(b"abc");
    /// assert_eq!(r.done(7), Err(Error::BufferFull));
    /// assert_eq!(Vec::<u8>::new().done(7), 7);
    /// ```
    fn done<T>(&self, value: T) -> Self::Done<T>;
}

impl Sealed for Vec<u8> {
    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline(always)]
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    #[inline(always)]
    fn written(&self) -> usize {
        self.len()
    }
}

impl Sink for Vec<u8> {
    type Done<T> = T;

    #[inline(always)]
    fn done<T>(&self, value: T) -> T {
        value
    }
}

/// A fixed `&mut [u8]` filled from the front: the serializer's target for writing straight
/// into a region of an output buffer, without allocating.
///
/// Each piece costs one bounds check. The first piece that does not fit fails the region for
/// good (later pieces are dropped), and every finishing call on it then returns
/// `Err(Error::BufferFull)`; the caller falls back to a slower path.
///
/// After a failure the region reports nothing written: [`len`](Region::len) is 0 and
/// [`filled`](Region::filled) is empty. The buffer itself holds whatever pieces were copied
/// before the failing one (a prefix of the output, never its end) followed by its old bytes:
/// treat all of it as unwritten.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Error, HeadWriter, Region, Version};
///
/// let mut buf = [0u8; 128];
/// let mut r = Region::new(&mut buf);
/// let mut w = HeadWriter::response_status(&mut r, Version::Http11, 200)?;
/// w.content_length(5);
/// w.finish()?;
/// r.put(b"hello")?;
/// assert_eq!(r.filled(), b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
///
/// // Too small: an error, and nothing counted as written.
/// let mut small = [0u8; 20];
/// let mut r = Region::new(&mut small);
/// let mut w = HeadWriter::response_status(&mut r, Version::Http11, 200)?;
/// w.content_length(5);
/// assert_eq!(w.finish(), Err(Error::BufferFull));
/// assert_eq!(r.len(), 0);
/// # Ok::<(), brisk_http1::Error>(())
/// ```
pub struct Region<'a> {
    buf: &'a mut [u8],
    /// Bytes filled from the front; `buf.len() + 1` once a piece did not fit, so every later
    /// range check fails with no separate flag to test.
    at: usize,
}

impl<'a> Region<'a> {
    /// A region over all of `buf`, empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 16];
    /// let r = brisk_http1::Region::new(&mut buf);
    /// assert_eq!((r.len(), r.capacity()), (0, 16));
    /// ```
    #[inline]
    pub fn new(buf: &'a mut [u8]) -> Self {
        Region { buf, at: 0 }
    }

    /// Copies raw `bytes` (a body, a head cached earlier) after what is already there.
    ///
    /// # Errors
    ///
    /// [`Error::BufferFull`] if they do not fit, or if an earlier piece did not; the region is
    /// failed from then on.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{Error, Region};
    ///
    /// let mut buf = [0u8; 4];
    /// let mut r = Region::new(&mut buf);
    /// r.put(b"ab")?;
    /// assert_eq!(r.put(b"cde"), Err(Error::BufferFull));
    /// assert_eq!(r.put(b"c"), Err(Error::BufferFull)); // sticky
    /// assert!(r.failed());
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.push(bytes);
        self.check()
    }

    /// Bytes written, or 0 once the region has failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 8];
    /// let mut r = brisk_http1::Region::new(&mut buf);
    /// r.put(b"abc")?;
    /// assert_eq!(r.len(), 3);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        if self.at > self.buf.len() {
            0
        } else {
            self.at
        }
    }

    /// True when nothing is written (or the region has failed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 8];
    /// assert!(brisk_http1::Region::new(&mut buf).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of the underlying buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 8];
    /// assert_eq!(brisk_http1::Region::new(&mut buf[..5]).capacity(), 5);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// True once a piece did not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 1];
    /// let mut r = brisk_http1::Region::new(&mut buf);
    /// assert!(!r.failed());
    /// let _ = r.put(b"ab");
    /// assert!(r.failed());
    /// ```
    #[inline]
    pub fn failed(&self) -> bool {
        self.at > self.buf.len()
    }

    /// The bytes written so far (empty once the region has failed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 8];
    /// let mut r = brisk_http1::Region::new(&mut buf);
    /// r.put(b"0\r\n")?;
    /// assert_eq!(r.filled(), b"0\r\n");
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    #[inline]
    pub fn filled(&self) -> &[u8] {
        &self.buf[..self.len()]
    }
}

impl fmt::Debug for Region<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("failed", &self.failed())
            .finish()
    }
}

impl Sealed for Region<'_> {
    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) {
        // `at <= buf.len() + 1` and both lengths are at most `isize::MAX`: no overflow.
        let end = self.at + bytes.len();
        match self.buf.get_mut(self.at..end) {
            Some(dst) => {
                copy_short(dst, bytes);
                self.at = end;
            }
            None => self.at = self.buf.len() + 1,
        }
    }

    /// One bounds check for the whole line.
    #[inline(always)]
    fn push_line(&mut self, name: &[u8], value: &[u8]) {
        let end = self.at + name.len() + value.len() + 4;
        match self.buf.get_mut(self.at..end) {
            Some(dst) => {
                let (n, rest) = dst.split_at_mut(name.len());
                copy_short(n, name);
                let (sep, rest) = rest.split_at_mut(2);
                sep.copy_from_slice(b": ");
                let (v, crlf) = rest.split_at_mut(value.len());
                copy_short(v, value);
                crlf.copy_from_slice(b"\r\n");
                self.at = end;
            }
            None => self.at = self.buf.len() + 1,
        }
    }

    #[inline(always)]
    fn check(&self) -> Result<(), Error> {
        if self.failed() {
            Err(Error::BufferFull)
        } else {
            Ok(())
        }
    }

    #[inline(always)]
    fn written(&self) -> usize {
        self.len()
    }
}

/// `dst.copy_from_slice(src)` (equal lengths) with the short pieces of a head (field names,
/// values, dates: mostly under 32 bytes) copied as two overlapping fixed-size moves, inline,
/// instead of a call to `memcpy`.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    macro_rules! two {
        ($n:literal) => {{
            if let (Some(d0), Some(s0)) = (dst.first_chunk_mut::<$n>(), src.first_chunk::<$n>()) {
                *d0 = *s0;
            }
            if let (Some(d1), Some(s1)) = (dst.last_chunk_mut::<$n>(), src.last_chunk::<$n>()) {
                *d1 = *s1;
            }
        }};
    }
    match src.len() {
        0 => {}
        1..4 => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
        4..8 => two!(4),
        8..16 => two!(8),
        16..=32 => two!(16),
        _ => dst.copy_from_slice(src),
    }
}

impl Sink for Region<'_> {
    type Done<T> = Result<T, Error>;

    #[inline(always)]
    fn done<T>(&self, value: T) -> Result<T, Error> {
        self.check().map(|()| value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_fills_from_the_front_and_fails_for_good() {
        let mut buf = [b'.'; 6];
        let mut r = Region::new(&mut buf);
        r.put(b"abc").unwrap();
        r.put(b"").unwrap();
        r.put(b"def").unwrap();
        assert_eq!(r.filled(), b"abcdef");
        assert_eq!(r.put(b""), Ok(()), "an empty piece fits a full region");
        assert_eq!(r.put(b"g"), Err(Error::BufferFull));
        assert_eq!(r.put(b""), Err(Error::BufferFull));
        assert_eq!((r.len(), r.filled(), r.failed()), (0, &b""[..], true));
    }

    #[test]
    fn a_piece_after_a_failure_is_not_written() {
        let mut buf = [b'.'; 6];
        let mut r = Region::new(&mut buf);
        r.push(b"abcd");
        r.push(b"xyz"); // does not fit
        r.push(b"q"); // would fit, must not be written
        assert_eq!(r.check(), Err(Error::BufferFull));
        assert_eq!(&buf, b"abcd..");
    }

    #[test]
    fn copy_short_copies_every_length() {
        for n in 0..=70usize {
            let src: Vec<u8> = (0..n as u8).map(|b| b.wrapping_mul(7) | 1).collect();
            let mut dst = vec![0u8; n];
            copy_short(&mut dst, &src);
            assert_eq!(dst, src, "{n}");
        }
    }

    #[test]
    fn a_field_line_is_written_whole_or_not_at_all() {
        let mut buf = [b'.'; 12];
        let mut r = Region::new(&mut buf);
        r.push_line(b"Server", b"brisk"); // 15 bytes
        assert_eq!(r.check(), Err(Error::BufferFull));
        assert_eq!(&buf, b"............");
        let mut buf = [b'.'; 16];
        let mut r = Region::new(&mut buf);
        r.push_line(b"Server", b"brisk");
        assert_eq!(r.filled(), b"Server: brisk\r\n");
    }

    #[test]
    fn empty_region() {
        let mut r = Region::new(&mut []);
        assert_eq!(r.put(b""), Ok(()));
        assert_eq!(r.put(b"x"), Err(Error::BufferFull));
        assert_eq!(
            format!("{r:?}"),
            "Region { len: 0, capacity: 0, failed: true }"
        );
    }
}
