//! A file range at the end of a connection's output: the bytes of an open file that the
//! worker sends with `sendfile(2)` straight from the page cache once the blocks before it
//! are written. While a file range is pending nothing more can be appended
//! ([`Output::remaining`] is 0), so the answers after it keep their order; the protocol
//! continues in [`Protocol::on_write_ready`](crate::Protocol::on_write_ready) as for any
//! full output.

use std::fs::File;
use std::sync::Arc;

use super::output::Output;
use super::{Chain, Pool, NIL};

/// A byte range of an open file, to be sent after the output's pending bytes
/// ([`Output::push_file`]).
///
/// The file is shared (`Arc`), so a server's open-file cache can hand the same descriptor to
/// every connection without a system call. If the file turns out shorter than the range
/// while it is being sent (truncated meanwhile), the connection is closed: the peer sees a
/// body shorter than announced, never other bytes and never a hang.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
/// let r = brisk_reactor::FileRange::new(f, 0, 10);
/// assert_eq!(r.len(), 10);
/// ```
#[derive(Debug, Clone)]
pub struct FileRange {
    pub(crate) file: Arc<File>,
    pub(crate) offset: u64,
    pub(crate) left: u64,
    /// The file's mapping, for [`Output::push_mapped`].
    pub(crate) map: Option<Arc<super::FileMap>>,
}

impl FileRange {
    /// `len` bytes of `file` from `offset` on.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(brisk_reactor::FileRange::new(f, 3, 0).is_empty());
    /// ```
    pub fn new(file: Arc<File>, offset: u64, len: u64) -> Self {
        FileRange {
            file,
            offset,
            left: len,
            map: None,
        }
    }

    /// The same range with the file's mapping (made from the same file), so that
    /// [`Output::push_mapped`] can send it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// let map = Arc::new(brisk_reactor::FileMap::new(Arc::clone(&f)).unwrap());
    /// let r = brisk_reactor::FileRange::new(f, 0, 4).with_map(map);
    /// assert!(r.is_mapped());
    /// ```
    pub fn with_map(mut self, map: Arc<super::FileMap>) -> Self {
        self.map = Some(map);
        self
    }

    /// Whether the range carries its file's mapping ([`FileRange::with_map`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(!brisk_reactor::FileRange::new(f, 0, 4).is_mapped());
    /// ```
    pub fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    /// Bytes still to send.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert_eq!(brisk_reactor::FileRange::new(f, 0, 7).len(), 7);
    /// ```
    pub fn len(&self) -> u64 {
        self.left
    }

    /// Whether no byte is left to send.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(!brisk_reactor::FileRange::new(f, 0, 1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl Chain {
    /// Bytes of the pending file range or mapped segment (0 without one).
    pub(crate) fn tail_left(&self) -> usize {
        self.file().map_or(0, |f| to_len(f.left)) + self.mapped().map_or(0, |m| m.left)
    }

    /// Whether a file range or a mapped segment is pending.
    pub(crate) fn has_tail(&self) -> bool {
        self.file().is_some() || self.mapped().is_some()
    }

    /// Only the file range is left: the blocks before it are written.
    pub(crate) fn only_file(&self) -> bool {
        self.head == NIL && self.file().is_some()
    }
}

/// A file length as a byte count (saturating: only a 32-bit target could see more).
fn to_len(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX / 2)
}

impl Pool {
    /// Returns the chain's blocks (all written), keeping its file range or mapped segment.
    pub(crate) fn release_blocks(&mut self, chain: &mut Chain) {
        let seg = chain.seg.take();
        self.release_output(chain);
        chain.seg = seg;
        chain.len = chain.tail_left();
    }

    /// Takes `n` bytes sent from the front of the file range or mapped segment.
    pub(crate) fn consume_tail(chain: &mut Chain, n: usize) {
        let Some(s) = chain.seg.as_deref_mut() else {
            return;
        };
        let Some(f) = s.file.as_mut() else {
            return chain.consume_mapped(n);
        };
        chain.len -= n;
        f.offset += n as u64;
        f.left -= n as u64;
        if f.left == 0 {
            s.file = None;
        }
    }
}

impl Output<'_> {
    /// Queues `range` after the bytes appended so far, to be sent with `sendfile(2)`. Until
    /// it is sent, nothing more can be appended ([`remaining`](Output::remaining) is 0).
    /// An empty range is accepted and ignored.
    ///
    /// Cleartext connections only: on a TLS connection the range is refused.
    ///
    /// # Errors
    ///
    /// Gives `range` back if a file range or a mapped segment is already pending, or the
    /// connection is TLS.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, FileRange};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let f = std::sync::Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    ///     let _ = out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
    ///     let _ = out.push_file(FileRange::new(f, 0, 5));
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn push_file(&mut self, range: FileRange) -> Result<(), FileRange> {
        if self.chain.has_tail() || self.chain.is_encrypted() {
            return Err(range);
        }
        if range.left == 0 {
            return Ok(());
        }
        self.chain.len += to_len(range.left);
        self.chain.seg_mut().file = Some(range);
        Ok(())
    }

    /// Whether a file range or a mapped segment is pending (nothing can be appended until
    /// it is sent).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     if out.has_file() {
    ///         return (0, Action::Keep); // wait for on_write_ready
    ///     }
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn has_file(&self) -> bool {
        self.chain.has_tail()
    }
}

#[cfg(test)]
mod tests {
    use super::super::InRun;
    use super::*;

    #[test]
    fn a_file_range_follows_the_blocks_and_stops_appends_until_sent() {
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let run = InRun::default();
        let mut c = Chain::default();
        let f = Arc::new(File::open("Cargo.toml").unwrap());
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            out.extend_from_slice(b"head").unwrap();
            out.push_file(FileRange::new(Arc::clone(&f), 3, 100))
                .unwrap();
            assert!(out.has_file());
            assert_eq!(out.remaining(), 0);
            assert_eq!(out.pending(), 104);
            assert!(out.extend_from_slice(b"x").is_err());
            assert_eq!(out.append_with(10, |_| unreachable!()), 0);
            assert!(out.push_file(FileRange::new(Arc::clone(&f), 0, 1)).is_err());
        }
        assert!(!c.only_file());
        p.consume_output(&mut c, 4);
        assert!(c.only_file());
        assert_eq!((c.len, p.used_blocks()), (100, 0));
        p.consume_output(&mut c, 60);
        let r = c.file().unwrap();
        assert_eq!((r.offset, r.left, c.len), (63, 40, 40));
        p.consume_output(&mut c, 40);
        assert!(c.file().is_none() && c.len == 0 && c.head == NIL);
        // Released with the connection: the range goes too.
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            out.extend_from_slice(b"ab").unwrap();
            out.push_file(FileRange::new(Arc::clone(&f), 0, 5)).unwrap();
        }
        p.release_output(&mut c);
        assert!(c.file().is_none() && c.len == 0);
        assert_eq!(Arc::strong_count(&f), 1);
    }

    #[test]
    fn read_file_preads_across_blocks_and_reports_a_short_file() {
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let run = InRun::default();
        let mut c = Chain::default();
        let path = std::env::temp_dir().join(format!("brisk-read-file-{}", std::process::id()));
        let data: Vec<u8> = (0..40u8).collect();
        std::fs::write(&path, &data).unwrap();
        let f = Arc::new(File::open(&path).unwrap());
        let mut r = FileRange::new(Arc::clone(&f), 5, 30);
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            out.extend_from_slice(b"hdr").unwrap();
            // Spans three 16-byte blocks.
            assert_eq!(out.read_file(&mut r, 25).unwrap(), 25);
            assert_eq!((r.offset, r.left, out.pending()), (30, 5, 28));
            // More than the range: refused, nothing read.
            let e = out.read_file(&mut r, 6).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            assert_eq!(out.pending(), 28);
        }
        let got: Vec<u8> = {
            let mut iov = arrayvec::ArrayVec::<std::io::IoSlice<'_>, 8>::new();
            p.gather(&c, &mut iov);
            iov.iter().flat_map(|s| s.iter().copied()).collect()
        };
        assert_eq!(got, [b"hdr".as_slice(), &data[5..30]].concat());
        p.consume_output(&mut c, 28);
        // The file shrinks under the range: the read says so, and what it could not read
        // goes out as zeros, never as what the blocks held before.
        std::fs::write(&path, &data[..32]).unwrap();
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            let e = out.read_file(&mut r, 5).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
            assert_eq!(out.pending(), 5);
        }
        let got: Vec<u8> = {
            let mut iov = arrayvec::ArrayVec::<std::io::IoSlice<'_>, 8>::new();
            p.gather(&c, &mut iov);
            iov.iter().flat_map(|s| s.iter().copied()).collect()
        };
        assert_eq!(got, [30, 31, 0, 0, 0]);
        p.consume_output(&mut c, 5);
        // Framed: heads between the parts, one read for all of them.
        let mut r = FileRange::new(Arc::clone(&f), 0, 32);
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            let n = out
                .read_file_framed(&mut r, &[(b"<a>", 10), (b"<b>", 0), (b"<c>", 20)])
                .unwrap();
            assert_eq!((n, r.offset, r.left), (30, 30, 2));
            // Too many regions, or more than the range: nothing appended.
            let many = [(&b""[..], 0); 70];
            assert!(out.read_file_framed(&mut r, &many).is_err());
            assert!(out.read_file_framed(&mut r, &[(b"x", 3)]).is_err());
            assert_eq!(out.pending(), 39);
        }
        let got: Vec<u8> = {
            let mut iov = arrayvec::ArrayVec::<std::io::IoSlice<'_>, 8>::new();
            p.gather(&c, &mut iov);
            iov.iter().flat_map(|s| s.iter().copied()).collect()
        };
        let want = [b"<a>", &data[..10], b"<b>", b"<c>", &data[10..30]].concat();
        assert_eq!(got, want);
        p.consume_output(&mut c, 39);
        std::fs::remove_file(&path).unwrap();
    }
}
