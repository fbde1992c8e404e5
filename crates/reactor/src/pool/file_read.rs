//! File bytes read with `pread(2)` straight into a connection's output blocks, behind
//! headers the protocol writes (HTTP/2 DATA frame headers, TLS record headers): one
//! `preadv` fills every payload region of several frames, so a file body costs one read
//! system call per turn and no copy in user space.

use std::io::{self, ErrorKind, IoSliceMut};

use arrayvec::ArrayVec;

use super::file_segment::FileRange;
use super::output::Output;

/// Most payload regions one call fills (one `preadv`; far below `IOV_MAX`).
const MAX_REGIONS: usize = 128;

impl Output<'_> {
    /// Reads the next `len` bytes of `range` straight into the output's blocks and takes
    /// them off the front of `range`. Same as [`read_file_framed`](Output::read_file_framed)
    /// with one part without a head.
    ///
    /// # Errors
    ///
    /// As [`read_file_framed`](Output::read_file_framed).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, FileRange};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let f = std::sync::Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    ///     let mut range = FileRange::new(f, 0, 8);
    ///     match out.read_file(&mut range, 8) {
    ///         Ok(_) => (input.len(), Action::Keep),
    ///         Err(_) => (input.len(), Action::CloseNow),
    ///     }
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn read_file(&mut self, range: &mut FileRange, len: usize) -> io::Result<usize> {
        self.read_file_framed(range, &[(&[], len)])
    }

    /// Appends, for each `(head, len)` of `parts` in order, the bytes of `head` and then the
    /// next `len` bytes of `range`, read with a single `preadv(2)` straight into the blocks
    /// (no intermediate buffer), and takes them off the front of `range`. Returns the file
    /// bytes read. For a protocol that frames file bytes itself: HTTP/2 DATA frames after
    /// their headers.
    ///
    /// The whole must fit ([`remaining`](Output::remaining)), the lengths add up to at most
    /// `range.len()`, and the parts span at most 128 regions of blocks (about 16 parts of
    /// 16 KiB); otherwise nothing is appended and `InvalidInput` is returned.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the file ended first (truncated since it was opened), or the read
    /// error. Everything stays appended, what could not be read as zeros: the stream is then
    /// short of what its framing announced, and the caller must close the connection.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, FileRange};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let f = std::sync::Arc::new(std::fs::File::open("Cargo.toml").unwrap());
    ///     let mut range = FileRange::new(f, 0, 12);
    ///     // Two HTTP/2 DATA frames of 8 and 4 bytes on stream 1, the last ending it.
    ///     let h1 = [0, 0, 8, 0, 0, 0, 0, 0, 1];
    ///     let h2 = [0, 0, 4, 0, 1, 0, 0, 0, 1];
    ///     match out.read_file_framed(&mut range, &[(&h1, 8), (&h2, 4)]) {
    ///         Ok(_) => (input.len(), Action::Keep),
    ///         Err(_) => (input.len(), Action::CloseNow), // a frame is broken
    ///     }
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn read_file_framed(
        &mut self,
        range: &mut FileRange,
        parts: &[(&[u8], usize)],
    ) -> io::Result<usize> {
        let bs = self.meta.block_size;
        let (mut heads, mut data) = (0usize, 0usize);
        for (h, l) in parts {
            heads += h.len();
            data += l;
        }
        // Each part's data spans at most len/bs + 2 blocks.
        let worst = parts.len() * 2 + data / bs;
        if heads + data > self.remaining() || data as u64 > range.left || worst > MAX_REGIONS {
            return Err(ErrorKind::InvalidInput.into());
        }
        // Lay out: heads written, payload regions claimed (their bytes are read next).
        let mut regions: ArrayVec<(usize, usize), MAX_REGIONS> = ArrayVec::new();
        for (h, l) in parts {
            self.extend_from_slice(h)
                .map_err(|_| io::Error::from(ErrorKind::InvalidInput))?;
            let mut left = *l;
            while left > 0 {
                let (b, at, n) = self.spare(left);
                assert!(n > 0, "room was checked");
                self.meta.hi[b as usize] += n as u32;
                self.chain.len += n;
                regions.push((b as usize * bs + at, n));
                left -= n;
            }
        }
        if data == 0 {
            return Ok(0);
        }
        // The regions as disjoint slices, in order: split the memory in address order.
        let mut order: ArrayVec<usize, MAX_REGIONS> = (0..regions.len()).collect();
        order.sort_unstable_by_key(|&i| regions[i].0);
        let mut slots: ArrayVec<Option<&mut [u8]>, MAX_REGIONS> =
            regions.iter().map(|_| None).collect();
        let left_len = self.left.len();
        let (mut lo, mut lo_base): (&mut [u8], usize) = (&mut *self.left, 0);
        let (mut hi, mut hi_base): (&mut [u8], usize) = (&mut *self.right, self.right_base);
        for i in order {
            let (addr, n) = regions[i];
            let (rest, base) = if addr < left_len {
                (&mut lo, &mut lo_base)
            } else {
                (&mut hi, &mut hi_base)
            };
            let tail = std::mem::take(rest).split_at_mut(addr - *base).1;
            let (s, after) = tail.split_at_mut(n);
            *rest = after;
            *base = addr + n;
            slots[i] = Some(s);
        }
        let mut iov: ArrayVec<IoSliceMut<'_>, MAX_REGIONS> = slots
            .into_iter()
            .map(|s| IoSliceMut::new(s.expect("every region placed")))
            .collect();
        let mut bufs: &mut [IoSliceMut<'_>] = &mut iov;
        let mut done = 0;
        let failed = loop {
            if done == data {
                break None;
            }
            match rustix::io::preadv(&*range.file, bufs, range.offset + done as u64) {
                Ok(0) => break Some(io::Error::from(ErrorKind::UnexpectedEof)),
                Ok(n) => {
                    done += n;
                    IoSliceMut::advance_slices(&mut bufs, n);
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => break Some(io::Error::from(e)),
            }
        };
        range.offset += data as u64;
        range.left -= data as u64;
        match failed {
            None => Ok(done),
            Some(e) => {
                // Never send what the blocks held before.
                for b in bufs.iter_mut() {
                    b.fill(0);
                }
                Err(e)
            }
        }
    }
}
