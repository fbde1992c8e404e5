//! A file mapped into memory ([`FileMap`]) and the output segment that sends its bytes with
//! `writev` behind headers the protocol writes (HTTP/2 DATA frame headers): the kernel
//! copies straight from the page cache to the socket, once, where reading first (`pread`)
//! copies twice. Measured on HTTP/2 bodies of 64 KiB and 1 MiB over cleartext, the read
//! was about a quarter of the server's CPU per request (BENCHMARKS.md, issue 22).
//!
//! The mapping's bytes are never read in user space: only the kernel reads them, inside
//! `writev`. A file truncated under the mapping therefore cannot raise `SIGBUS` in the
//! process; `writev` fails (`EFAULT`) or stops short at the first page past the new end,
//! and the worker closes the connection. The page that holds the new end reads as zeros
//! past it, so before each `writev` the file's size is checked against the bytes offered
//! (one `fstat`); a truncation that lands between that check and the `writev` itself, a
//! window of microseconds, can still send up to one page of zeros before the close.

use std::fs::File;
use std::io;
use std::ptr::NonNull;
use std::sync::Arc;

use super::file_segment::FileRange;
use super::output::Output;
use super::Chain;

/// A whole regular file mapped read-only into memory, for
/// [`Output::push_mapped`]: its bytes go to the socket with `writev`, copied once by the
/// kernel. Unmapped when the last `Arc` goes.
///
/// Use it on cleartext connections for bodies the protocol must frame itself (HTTP/2); a
/// body sent whole after its head is cheaper with [`Output::push_file`] (`sendfile(2)`,
/// no copy at all), and a TLS connection must read the bytes to encrypt them
/// ([`Output::read_file_framed`]).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
/// let map = brisk_reactor::FileMap::new(Arc::clone(&f)).unwrap();
/// assert_eq!(map.len(), f.metadata().unwrap().len());
/// let range = brisk_reactor::FileRange::new(f, 0, map.len()).with_map(Arc::new(map));
/// assert!(range.is_mapped());
/// ```
pub struct FileMap {
    ptr: NonNull<u8>,
    len: usize,
    file: Arc<File>,
}

// SAFETY: the mapping is read-only and shared; this type never reads or writes through the
// pointer itself (only the kernel reads it, in `writev`), so sharing it between threads
// cannot race in user space.
unsafe impl Send for FileMap {}
// SAFETY: as for `Send`: no user-space access through the pointer at all.
unsafe impl Sync for FileMap {}

impl std::fmt::Debug for FileMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileMap").field("len", &self.len).finish()
    }
}

impl FileMap {
    /// Maps `file` whole, at its current length (`PROT_READ`, `MAP_SHARED`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an empty file (nothing to map), else the `fstat` or `mmap` error
    /// (a file system that cannot map, the address space or map count exhausted).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(brisk_reactor::FileMap::new(f).is_ok());
    /// ```
    pub fn new(file: Arc<File>) -> io::Result<FileMap> {
        let len = file.metadata()?.len();
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if len == 0 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        use rustix::mm::{MapFlags, ProtFlags};
        // SAFETY: a fresh mapping chosen by the kernel (null hint) over an open file; it
        // aliases no Rust object. Its bytes are only ever handed to the kernel (`writev`).
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::SHARED,
                &*file,
                0,
            )
        }?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(io::ErrorKind::InvalidData)?;
        Ok(FileMap { ptr, len, file })
    }

    /// The mapped length: the file's length when it was mapped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(brisk_reactor::FileMap::new(f).unwrap().len() > 0);
    /// ```
    pub fn len(&self) -> u64 {
        self.len as u64
    }

    /// Always false: an empty file is not mapped ([`FileMap::new`] refuses it).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    /// assert!(!brisk_reactor::FileMap::new(f).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes at `[at, at + n)` as a slice for an iovec, never read by this process.
    fn bytes(&self, at: u64, n: usize) -> &[u8] {
        let at = usize::try_from(at).unwrap_or(usize::MAX);
        assert!(at <= self.len && n <= self.len - at, "inside the mapping");
        // SAFETY: inside the live mapping (checked above; `self` keeps it mapped for the
        // slice's lifetime). The slice only goes into an iovec for `writev`: nothing in
        // user space reads it, so a truncated file (pages past its end fault) cannot fault
        // here, and a concurrent write to the file is seen by the kernel's copy only.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(at), n) }
    }

    /// Whether the file still holds `[0, end)`: a truncation would make the kernel's copy
    /// read zeros in the page of the new end.
    pub(crate) fn holds(&self, end: u64) -> bool {
        rustix::fs::fstat(&*self.file)
            .is_ok_and(|s| u64::try_from(s.st_size).is_ok_and(|n| n >= end))
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; no slice of it outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Most parts one [`Output::push_mapped`] takes.
pub(crate) const MAX_PARTS: usize = 16;
/// Longest head of a part (an HTTP/2 frame header is 9 bytes).
pub(crate) const MAX_HEAD: usize = 16;

/// Why [`Output::push_mapped`] appended nothing.
///
/// # Examples
///
/// ```
/// let e = brisk_reactor::SegmentError::Pending;
/// assert_eq!(e.to_string(), "a file segment is already pending");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SegmentError {
    /// A file segment ([`Output::push_file`], [`Output::push_mapped`]) waits to be sent:
    /// continue in `on_write_ready`.
    Pending,
    /// The range has no mapping ([`FileRange::with_map`]).
    NotMapped,
    /// The parts ask for more than the range holds, are more than 16, or a head is longer
    /// than 16 bytes.
    Invalid,
    /// The connection's bytes pass through TLS: they must be read to be encrypted.
    Encrypted,
}

impl std::fmt::Display for SegmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SegmentError::Pending => "a file segment is already pending",
            SegmentError::NotMapped => "the file range has no mapping",
            SegmentError::Invalid => "the parts do not fit the range or the segment",
            SegmentError::Encrypted => "file segments cannot be sent on an encrypted connection",
        })
    }
}

impl std::error::Error for SegmentError {}

#[derive(Debug, Clone, Copy, Default)]
struct Part {
    head: [u8; MAX_HEAD],
    head_len: u8,
    offset: u64,
    len: u32,
}

/// A pending mapped segment at the end of a chain: parts of a head then file bytes. The box
/// is kept for the connection's next segment (`map` is `None` between segments).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapped {
    map: Option<Arc<FileMap>>,
    parts: [Part; MAX_PARTS],
    n: usize,
    /// The part being written and how much of it (head first) is out.
    at: usize,
    sent: usize,
    pub(crate) left: usize,
}

impl Mapped {
    pub(crate) fn is_active(&self) -> bool {
        self.map.is_some()
    }

    /// Appends what is left as iovecs (as many as fit). Returns the end, in the file, of
    /// the last file bytes offered (0 if none), and the mapping.
    pub(crate) fn gather<'a, const N: usize>(
        &'a self,
        iov: &mut arrayvec::ArrayVec<io::IoSlice<'a>, N>,
    ) -> u64 {
        let Some(map) = self.map.as_deref() else {
            return 0;
        };
        let mut end = 0;
        let mut skip = self.sent;
        for p in &self.parts[self.at..self.n] {
            let h = p.head_len as usize;
            if skip < h {
                if iov.is_full() {
                    break;
                }
                iov.push(io::IoSlice::new(&p.head[skip..h]));
            }
            let from = skip.saturating_sub(h);
            skip = 0;
            let n = p.len as usize - from;
            if n > 0 {
                if iov.is_full() {
                    break;
                }
                iov.push(io::IoSlice::new(map.bytes(p.offset + from as u64, n)));
                end = p.offset + p.len as u64;
            }
        }
        end
    }

    /// Whether the file still holds the bytes up to `end`.
    pub(crate) fn holds(&self, end: u64) -> bool {
        self.map.as_deref().is_some_and(|m| m.holds(end))
    }

    /// Takes `n` written bytes off the front; the mapping goes when all are out.
    fn consume(&mut self, mut n: usize) {
        self.left -= n;
        while n > 0 {
            let p = &self.parts[self.at];
            let size = p.head_len as usize + p.len as usize - self.sent;
            if n < size {
                self.sent += n;
                break;
            }
            n -= size;
            self.at += 1;
            self.sent = 0;
        }
        if self.left == 0 {
            self.map = None;
            (self.at, self.n, self.sent) = (0, 0, 0);
        }
    }
}

impl Chain {
    /// The pending mapped segment, if any.
    pub(crate) fn mapped(&self) -> Option<&Mapped> {
        self.seg
            .as_deref()
            .map(|s| &s.mapped)
            .filter(|m| m.is_active())
    }

    /// Takes `n` written bytes off the front of the mapped segment.
    pub(crate) fn consume_mapped(&mut self, n: usize) {
        if let Some(s) = self.seg.as_deref_mut() {
            s.mapped.consume(n);
            self.len -= n;
        }
    }
}

impl Output<'_> {
    /// Appends, for each `(head, len)` of `parts` in order, the bytes of `head` and then the
    /// next `len` bytes of `range` from its mapping ([`FileRange::with_map`]), and takes
    /// them off the front of `range`. Nothing is copied now: the worker sends them with
    /// `writev` straight from the mapping (the kernel copies once, from the page cache),
    /// after the bytes appended before. Until they are sent nothing more can be appended
    /// ([`remaining`](Output::remaining) is 0); continue in `on_write_ready`. Returns the
    /// file bytes queued.
    ///
    /// Cleartext connections only. If the file turns out shorter than the range when the
    /// bytes are sent (truncated meanwhile), the connection is closed.
    ///
    /// # Errors
    ///
    /// [`SegmentError`]: a segment is pending, the range is not mapped, the parts do not fit
    /// (more than the range, more than 16 parts, a head over 16 bytes), or the connection is
    /// TLS. Nothing is appended.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, FileMap, FileRange};
    /// # use std::sync::Arc;
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let f = Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    ///     let map = Arc::new(FileMap::new(Arc::clone(&f)).unwrap());
    ///     let mut range = FileRange::new(f, 0, 12).with_map(map);
    ///     // Two HTTP/2 DATA frames of 8 and 4 bytes on stream 1, the last ending it.
    ///     let h1 = [0, 0, 8, 0, 0, 0, 0, 0, 1];
    ///     let h2 = [0, 0, 4, 0, 1, 0, 0, 0, 1];
    ///     match out.push_mapped(&mut range, &[(&h1, 8), (&h2, 4)]) {
    ///         Ok(_) => (input.len(), Action::Keep),
    ///         Err(_) => (0, Action::Keep), // e.g. pending: wait for on_write_ready
    ///     }
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn push_mapped(
        &mut self,
        range: &mut FileRange,
        parts: &[(&[u8], usize)],
    ) -> Result<u64, SegmentError> {
        if self.chain.is_encrypted() {
            return Err(SegmentError::Encrypted);
        }
        if self.chain.has_tail() {
            return Err(SegmentError::Pending);
        }
        let Some(map) = range.map.as_ref() else {
            return Err(SegmentError::NotMapped);
        };
        let mut data = 0u64;
        let mut total = 0usize;
        for (h, l) in parts {
            data += *l as u64;
            total += h.len() + l;
            if h.len() > MAX_HEAD || u32::try_from(*l).is_err() {
                return Err(SegmentError::Invalid);
            }
        }
        if parts.len() > MAX_PARTS || data > range.left || range.offset + data > map.len() {
            return Err(SegmentError::Invalid);
        }
        if total == 0 {
            return Ok(0);
        }
        let m = &mut self.chain.seg_mut().mapped;
        let mut offset = range.offset;
        for (p, (h, l)) in m.parts.iter_mut().zip(parts) {
            p.head[..h.len()].copy_from_slice(h);
            p.head_len = h.len() as u8;
            p.offset = offset;
            p.len = *l as u32;
            offset += *l as u64;
        }
        (m.n, m.at, m.sent, m.left) = (parts.len(), 0, 0, total);
        m.map = Some(Arc::clone(map));
        self.chain.len += total;
        range.offset += data;
        range.left -= data;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{InRun, Pool, NIL};
    use super::*;

    fn gathered(c: &Chain, p: &Pool) -> (Vec<u8>, u64) {
        let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 8>::new();
        p.gather(c, &mut iov);
        let end = c.mapped().map_or(0, |m| m.gather(&mut iov));
        (iov.iter().flat_map(|s| s.iter().copied()).collect(), end)
    }

    #[test]
    fn mapped_parts_follow_the_blocks_and_are_taken_off_in_any_steps() {
        let dir = std::env::temp_dir().join(format!("brisk-file-map-{}", std::process::id()));
        let data: Vec<u8> = (0..100u8).collect();
        std::fs::write(&dir, &data).unwrap();
        let f = Arc::new(File::open(&dir).unwrap());
        let map = Arc::new(FileMap::new(Arc::clone(&f)).unwrap());
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let run = InRun::default();
        let mut c = Chain::default();
        let mut r = FileRange::new(Arc::clone(&f), 10, 50).with_map(Arc::clone(&map));
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            out.extend_from_slice(b"hd").unwrap();
            let n = out
                .push_mapped(&mut r, &[(b"<a>", 5), (b"", 0), (b"<b>", 7)])
                .unwrap();
            assert_eq!((n, r.offset, r.left, out.pending()), (12, 22, 38, 2 + 18));
            assert_eq!(out.remaining(), 0);
            assert!(out.has_file());
            // Pending: refused, nothing changes.
            let e = out.push_mapped(&mut r, &[(b"x", 1)]).unwrap_err();
            assert_eq!(e, SegmentError::Pending);
            assert!(out.push_file(FileRange::new(Arc::clone(&f), 0, 1)).is_err());
            assert_eq!((r.offset, out.pending()), (22, 20));
        }
        // `map`, `r` and the segment hold the mapping.
        assert_eq!(Arc::strong_count(&map), 3);
        let want = [
            b"hd".as_slice(),
            b"<a>",
            &data[10..15],
            b"<b>",
            &data[15..22],
        ]
        .concat();
        assert_eq!(gathered(&c, &p), (want.clone(), 22));
        // The blocks and part of the first head, then odd steps through the rest.
        let mut at = 0;
        for step in [3, 1, 4, 3, 2, 5, 2] {
            p.consume_output(&mut c, step);
            at += step;
            assert_eq!(gathered(&c, &p).0, want[at..], "after {at}");
            assert_eq!(c.len, want.len() - at);
        }
        assert_eq!(at, want.len());
        assert!(c.mapped().is_none() && !c.has_tail() && c.head == NIL);
        // The mapping went with the segment; the box stays for the next one.
        assert_eq!(Arc::strong_count(&map), 2);
        assert!(c.seg.is_some());
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            assert!(out.remaining() > 0);
            // More than the range, too many parts, a long head: refused.
            let e = out.push_mapped(&mut r, &[(b"", 39)]).unwrap_err();
            assert_eq!(e, SegmentError::Invalid);
            let many = [(&b""[..], 1); 17];
            assert_eq!(out.push_mapped(&mut r, &many), Err(SegmentError::Invalid));
            assert_eq!(
                out.push_mapped(&mut r, &[(&[0; 17], 1)]),
                Err(SegmentError::Invalid)
            );
            let mut plain = FileRange::new(Arc::clone(&f), 0, 5);
            assert_eq!(
                out.push_mapped(&mut plain, &[(b"", 5)]),
                Err(SegmentError::NotMapped)
            );
            assert_eq!((r.left, out.pending()), (38, 0));
            out.push_mapped(&mut r, &[(b"<c>", 38)]).unwrap();
        }
        // Released with the connection: the mapping goes too.
        p.release_output(&mut c);
        assert_eq!((Arc::strong_count(&map), c.len), (2, 0));
        // The size check: a truncated file no longer holds the bytes.
        assert!(map.holds(100));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&dir)
            .unwrap()
            .set_len(60)
            .unwrap();
        assert!(map.holds(60) && !map.holds(61));
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn an_encrypted_chain_refuses_file_segments() {
        let f = Arc::new(File::open("Cargo.toml").unwrap());
        let map = Arc::new(FileMap::new(Arc::clone(&f)).unwrap());
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let mut c = Chain::encrypted();
        let (_, mut out) = p.split(&InRun::default(), &mut c, 1 << 20);
        let mut r = FileRange::new(Arc::clone(&f), 0, 4).with_map(map);
        assert_eq!(
            out.push_mapped(&mut r, &[(b"", 4)]),
            Err(SegmentError::Encrypted)
        );
        assert!(out.push_file(r).is_err());
        assert!(!out.has_file());
        let empty =
            std::env::temp_dir().join(format!("brisk-file-map-empty-{}", std::process::id()));
        std::fs::write(&empty, b"").unwrap();
        let e = FileMap::new(Arc::new(File::open(&empty).unwrap())).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        std::fs::remove_file(&empty).unwrap();
    }
}
