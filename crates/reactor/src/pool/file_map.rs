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

/// Most parts a mapped segment holds (one or several [`Output::push_mapped`] calls).
pub(crate) const MAX_PARTS: usize = 32;
/// Longest head of a part (an HTTP/2 frame header is 9 bytes).
pub(crate) const MAX_HEAD: usize = 16;
/// Most files one mapped segment sends from.
pub(crate) const MAX_MAPS: usize = 8;

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
    /// A file range ([`Output::push_file`]) waits to be sent, or the pending mapped segment
    /// has no room for these parts (32 parts, 8 files, the output limit): continue in
    /// `on_write_ready`.
    Pending,
    /// The range has no mapping ([`FileRange::with_map`]).
    NotMapped,
    /// The parts ask for more than the range holds, are more than 32, or a head is longer
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
    /// Index in `Mapped::maps`.
    map: u8,
    offset: u64,
    len: u32,
}

/// A pending mapped segment at the end of a chain: parts of a head then bytes of one of its
/// files. The box is kept for the connection's next segment (no map is held between
/// segments).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapped {
    maps: [Option<Arc<FileMap>>; MAX_MAPS],
    parts: [Part; MAX_PARTS],
    n: usize,
    /// The part being written and how much of it (head first) is out.
    at: usize,
    sent: usize,
    pub(crate) left: usize,
}

impl Mapped {
    pub(crate) fn is_active(&self) -> bool {
        self.left > 0
    }

    /// Appends what is left as iovecs (as many as fit). Returns whether file bytes were
    /// offered, and for each file the end of the bytes offered from it (0: none).
    pub(crate) fn gather<'a, const N: usize>(
        &'a self,
        iov: &mut arrayvec::ArrayVec<io::IoSlice<'a>, N>,
        ends: &mut [u64; MAX_MAPS],
    ) -> bool {
        let mut any = false;
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
                let Some(map) = self.maps[p.map as usize].as_deref() else {
                    break;
                };
                if iov.is_full() {
                    break;
                }
                iov.push(io::IoSlice::new(map.bytes(p.offset + from as u64, n)));
                let e = &mut ends[p.map as usize];
                *e = (*e).max(p.offset + p.len as u64);
                any = true;
            }
        }
        any
    }

    /// Whether every file still holds the bytes up to its end in `ends`.
    pub(crate) fn holds(&self, ends: &[u64; MAX_MAPS]) -> bool {
        self.maps
            .iter()
            .zip(ends)
            .all(|(m, &end)| end == 0 || m.as_deref().is_some_and(|m| m.holds(end)))
    }

    /// Takes `n` written bytes off the front; the mappings go when all are out.
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
            self.maps = Default::default();
            (self.at, self.n, self.sent) = (0, 0, 0);
        }
    }

    /// The slot of `map` in `maps` (the same mapping, or a free slot).
    fn slot_for(&self, map: &Arc<FileMap>) -> Option<usize> {
        let same = self
            .maps
            .iter()
            .position(|m| m.as_ref().is_some_and(|m| Arc::ptr_eq(m, map)));
        same.or_else(|| self.maps.iter().position(Option::is_none))
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
    /// after the bytes appended before. Until they are sent nothing but more mapped parts can
    /// be appended ([`remaining`](Output::remaining) is 0, [`file_room`](Output::file_room)
    /// says how much): continue in `on_write_ready`. Returns the file bytes queued.
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
        if self.chain.file().is_some() {
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
        let room = self.limit.saturating_sub(self.chain.len);
        let m = &mut self.chain.seg_mut().mapped;
        let slot = m.slot_for(map);
        let (Some(slot), true, true) = (slot, m.n + parts.len() <= MAX_PARTS, total <= room) else {
            return Err(SegmentError::Pending);
        };
        let mut offset = range.offset;
        for (p, (h, l)) in m.parts[m.n..].iter_mut().zip(parts) {
            p.head[..h.len()].copy_from_slice(h);
            p.head_len = h.len() as u8;
            p.map = slot as u8;
            p.offset = offset;
            p.len = *l as u32;
            offset += *l as u64;
        }
        m.n += parts.len();
        m.left += total;
        if m.maps[slot].is_none() {
            m.maps[slot] = Some(Arc::clone(map));
        }
        self.chain.len += total;
        range.offset += data;
        range.left -= data;
        Ok(data)
    }

    /// What [`push_mapped`](Output::push_mapped) takes from `range` now: `(bytes, parts)`,
    /// heads included in the bytes; `(0, 0)` when it would be refused (a file range pending,
    /// the segment's files or parts used up, TLS, `range` not mapped). Check it before
    /// committing to frames whose bytes must then be written.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, FileRange};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let f = std::sync::Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    ///     assert_eq!(out.mapped_room(&FileRange::new(f, 0, 4)), (0, 0)); // not mapped
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn mapped_room(&self, range: &FileRange) -> (usize, usize) {
        let Some(map) = range.map.as_ref() else {
            return (0, 0);
        };
        if self.chain.is_encrypted() || self.chain.file().is_some() {
            return (0, 0);
        }
        let bytes = self.limit.saturating_sub(self.chain.len);
        match self.chain.mapped() {
            None => (bytes, MAX_PARTS),
            Some(m) if m.slot_for(map).is_some() => (bytes, MAX_PARTS - m.n),
            Some(_) => (0, 0),
        }
    }

    /// Room for file bytes: [`remaining`](Output::remaining), or while a mapped segment is
    /// pending (nothing else can be appended), what [`push_mapped`](Output::push_mapped)
    /// can still add to it (heads included): several bodies, even from several files, then
    /// leave with one `writev`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     assert!(out.file_room() >= out.remaining());
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn file_room(&self) -> usize {
        match self.chain.mapped() {
            Some(m) if m.n < MAX_PARTS => self.limit.saturating_sub(self.chain.len),
            Some(_) => 0,
            None => self.remaining(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{InRun, Pool, NIL};
    use super::*;

    fn gathered(c: &Chain, p: &Pool) -> (Vec<u8>, u64) {
        let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 16>::new();
        p.gather(c, &mut iov);
        let mut ends = [0; MAX_MAPS];
        if let Some(m) = c.mapped() {
            m.gather(&mut iov, &mut ends);
        }
        (
            iov.iter().flat_map(|s| s.iter().copied()).collect(),
            ends[0],
        )
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
        let other = Arc::new(FileMap::new(Arc::clone(&f)).unwrap());
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            out.extend_from_slice(b"hd").unwrap();
            let n = out
                .push_mapped(&mut r, &[(b"<a>", 5), (b"", 0), (b"<b>", 7)])
                .unwrap();
            assert_eq!((n, r.offset, r.left, out.pending()), (12, 22, 38, 2 + 18));
            assert_eq!(out.remaining(), 0);
            assert!(out.has_file());
            // Nothing but mapped parts can follow: a file range is refused.
            assert!(out.push_file(FileRange::new(Arc::clone(&f), 0, 1)).is_err());
            assert!(out.extend_from_slice(b"x").is_err());
            // More parts join the pending segment, from this file and from another mapping
            // (a second map of the same file: another slot).
            assert_eq!(out.file_room(), (1 << 20) - 20);
            assert_eq!(out.push_mapped(&mut r, &[(b"<c>", 2)]), Ok(2));
            let mut r2 = FileRange::new(Arc::clone(&f), 90, 5).with_map(Arc::clone(&other));
            assert_eq!(out.push_mapped(&mut r2, &[(b"<d>", 5)]), Ok(5));
            assert_eq!((r.offset, r2.left, out.pending()), (24, 0, 20 + 5 + 8));
        }
        // `map`, `r` and the segment hold the mapping.
        assert_eq!(Arc::strong_count(&map), 3);
        let want = [
            b"hd".as_slice(),
            b"<a>",
            &data[10..15],
            b"<b>",
            &data[15..22],
            b"<c>",
            &data[22..24],
            b"<d>",
            &data[90..95],
        ]
        .concat();
        assert_eq!(gathered(&c, &p), (want.clone(), 24));
        // The blocks and part of the first head, then odd steps through the rest.
        let mut at = 0;
        for step in [3, 1, 4, 3, 2, 5, 2, 4, 1, 8] {
            p.consume_output(&mut c, step);
            at += step;
            assert_eq!(gathered(&c, &p).0, want[at..], "after {at}");
            assert_eq!(c.len, want.len() - at);
        }
        assert_eq!(at, want.len());
        assert!(c.mapped().is_none() && !c.has_tail() && c.head == NIL);
        // The mapping went with the segment; the box stays for the next one.
        assert_eq!((Arc::strong_count(&map), Arc::strong_count(&other)), (2, 1));
        assert!(c.seg.is_some());
        {
            let (_, mut out) = p.split(&run, &mut c, 1 << 20);
            assert!(out.remaining() > 0);
            // More than the range, too many parts, a long head: refused.
            let e = out.push_mapped(&mut r, &[(b"", 37)]).unwrap_err();
            assert_eq!(e, SegmentError::Invalid);
            let many = [(&b""[..], 1); 33];
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
            assert_eq!((r.left, out.pending()), (36, 0));
            out.push_mapped(&mut r, &[(b"<c>", 36)]).unwrap();
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
    fn a_mapped_segment_takes_eight_files_and_the_output_limit_at_most() {
        let f = Arc::new(File::open("Cargo.toml").unwrap());
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let mut c = Chain::default();
        let (_, mut out) = p.split(&InRun::default(), &mut c, 100);
        let mut ranges: Vec<FileRange> = (0..9)
            .map(|_| {
                let map = Arc::new(FileMap::new(Arc::clone(&f)).unwrap());
                FileRange::new(Arc::clone(&f), 0, 10).with_map(map)
            })
            .collect();
        for r in &mut ranges[..8] {
            assert_eq!(out.push_mapped(r, &[(b"h", 2)]), Ok(2));
        }
        assert_eq!(out.file_room(), 100 - 24);
        assert_eq!(
            out.push_mapped(&mut ranges[8], &[(b"h", 2)]),
            Err(SegmentError::Pending)
        );
        // Again from a file already in the segment: fine, up to the limit.
        assert_eq!(out.push_mapped(&mut ranges[0], &[(b"", 8)]), Ok(8));
        let mut big = FileRange::new(Arc::clone(&f), 0, 80)
            .with_map(Arc::clone(ranges[1].map.as_ref().unwrap()));
        assert_eq!(
            out.push_mapped(&mut big, &[(b"", 69)]),
            Err(SegmentError::Pending)
        );
        assert_eq!(out.push_mapped(&mut big, &[(b"", 68)]), Ok(68));
        assert_eq!((out.pending(), out.file_room()), (100, 0));
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
