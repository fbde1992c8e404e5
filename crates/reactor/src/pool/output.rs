//! The output side of the pool: a connection's chain of blocks, the [`Output`] a protocol
//! appends to, and the pool operations that hand it out, gather it for `writev` and take back
//! what the socket took.

use std::io;

use super::{Chain, InRun, Meta, Pool, NIL};

impl Pool {
    /// Splits the arena into the connection's unconsumed input and an [`Output`] over the
    /// rest. The output can never touch the input run: those blocks are marked used, and the
    /// chain only holds blocks the pool handed to it.
    pub(crate) fn split<'a>(
        &'a mut self,
        run: &InRun,
        chain: &'a mut Chain,
        limit: usize,
    ) -> (&'a [u8], Output<'a>) {
        let bs = self.meta.block_size;
        // A run without blocks (none, or parked) has no input in the arena.
        let (a, b, head, tail) = if run.blocks == 0 {
            (self.mem.len(), self.mem.len(), 0, 0)
        } else {
            let a = run.start as usize * bs;
            (a, a + run.blocks as usize * bs, run.head, run.tail)
        };
        let (left, rest) = self.mem.split_at_mut(a);
        let (mid, right) = rest.split_at_mut(b - a);
        let input = &mid[head as usize..tail as usize];
        let out = Output {
            meta: &mut self.meta,
            left,
            right,
            right_base: b,
            chain,
            limit,
        };
        (input, out)
    }

    /// Fills `iov` with the pending output of `chain`, up to `iov`'s capacity.
    pub(crate) fn gather<'a, const N: usize>(
        &'a self,
        chain: &Chain,
        iov: &mut arrayvec::ArrayVec<io::IoSlice<'a>, N>,
    ) {
        let bs = self.meta.block_size;
        let mut at = chain.head;
        while at != NIL && !iov.is_full() {
            let i = at as usize;
            let base = i * bs;
            let (lo, hi) = (self.meta.lo[i] as usize, self.meta.hi[i] as usize);
            if hi > lo {
                iov.push(io::IoSlice::new(&self.mem[base + lo..base + hi]));
            }
            at = self.meta.next[i];
        }
    }

    /// Drops `n` written bytes from the front of `chain`, returning emptied blocks. Inlined:
    /// the write path's hot call (the TLS path calls it too).
    #[inline(always)]
    pub(crate) fn consume_output(&mut self, chain: &mut Chain, mut n: usize) {
        if chain.head == NIL {
            return Pool::consume_tail(chain, n);
        }
        let blocks = chain.len - chain.tail_left();
        if n >= blocks {
            // The blocks are out, and perhaps part of the segment after them.
            self.release_blocks(chain);
            if n > blocks {
                Pool::consume_tail(chain, n - blocks);
            }
            return;
        }
        chain.len -= n;
        let m = &mut self.meta;
        loop {
            let i = chain.head as usize;
            let avail = (m.hi[i] - m.lo[i]) as usize;
            if n < avail {
                m.lo[i] += n as u32;
                return;
            }
            n -= avail;
            let next = m.next[i];
            m.free_run(chain.head, 1);
            // INVARIANT: bytes remain (chain.len > 0), so a later block holds them.
            chain.head = next;
        }
    }

    /// Returns every block of `chain` (closing a connection).
    pub(crate) fn release_output(&mut self, chain: &mut Chain) {
        let m = &mut self.meta;
        let mut at = chain.head;
        while at != NIL {
            let next = m.next[at as usize];
            m.free_run(at, 1);
            at = next;
        }
        *chain = Chain::default();
    }
}

/// Returned by [`Output::extend_from_slice`] when the bytes do not fit: the connection's
/// pending output would pass `max_pending_output`, or the worker's pool is short of blocks.
/// Nothing was appended. Wait for [`Protocol::on_write_ready`](crate::Protocol::on_write_ready).
///
/// # Examples
///
/// ```
/// let e = brisk_reactor::OutputFull;
/// assert_eq!(e.to_string(), "connection output is full");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFull;

impl std::fmt::Display for OutputFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection output is full")
    }
}

impl std::error::Error for OutputFull {}

/// A connection's output buffer, handed to every [`Protocol`](crate::Protocol) callback.
///
/// Appends go into blocks of the worker's fixed pool, chained; the reactor writes the whole
/// chain with one `send`/`writev` once the callback returns (all callbacks of one readable event share
/// one write). It never allocates: an append that would pass the connection's
/// `max_pending_output`, or need a block the pool does not have, fails and appends nothing
/// ([`remaining`](Output::remaining) says how much fits). A protocol with more to say (a large
/// response, HTTP/2 data waiting for flow control) writes what fits and continues in
/// [`Protocol::on_write_ready`](crate::Protocol::on_write_ready).
///
/// It also implements [`std::io::Write`] (a short write when full, `Ok(0)` when nothing fits),
/// so `write!` works.
///
/// # Examples
///
/// ```
/// use brisk_reactor::{Action, Context, Output, Protocol};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
///         if out.remaining() < 6 + input.len() {
///             return (0, Action::Keep); // called again once output drains
///         }
///         out.extend_from_slice(b"hello ").unwrap();
///         out.extend_from_slice(input).unwrap();
///         (input.len(), Action::Keep)
///     }
/// }
/// # let _: &dyn Protocol = &Hello;
/// ```
#[derive(Debug)]
pub struct Output<'a> {
    pub(super) meta: &'a mut Meta,
    pub(super) left: &'a mut [u8],
    pub(super) right: &'a mut [u8],
    pub(super) right_base: usize,
    pub(super) chain: &'a mut Chain,
    pub(super) limit: usize,
}

impl Output<'_> {
    /// Bytes appended and not yet written to the socket (from this and earlier callbacks).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let before = out.pending();
    ///     let _ = out.extend_from_slice(b"ok\n");
    ///     assert!(out.pending() == before + 3 || out.pending() == before);
    ///     (input.len(), Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn pending(&self) -> usize {
        self.chain.len
    }

    /// How many more bytes can be appended now: the smaller of what `max_pending_output` still
    /// allows and what the pool can hold (room left in the last block plus free blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     // Echo what fits; the rest is handed back once output drains.
    ///     let n = input.len().min(out.remaining());
    ///     out.extend_from_slice(&input[..n]).unwrap();
    ///     (n, Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn remaining(&self) -> usize {
        if self.chain.has_tail() {
            return 0;
        }
        let by_limit = self.limit.saturating_sub(self.chain.len);
        let tail_room = if self.chain.tail == NIL {
            0
        } else {
            self.meta.block_size - self.meta.hi[self.chain.tail as usize] as usize
        };
        by_limit.min(tail_room + self.meta.free * self.meta.block_size)
    }

    fn block(&mut self, b: u32) -> &mut [u8] {
        let bs = self.meta.block_size;
        let at = b as usize * bs;
        if at < self.left.len() {
            &mut self.left[at..at + bs]
        } else {
            let at = at - self.right_base;
            &mut self.right[at..at + bs]
        }
    }

    /// A writable contiguous region at the end of the chain (taking a block if needed), at
    /// most `max` bytes and never past the limit. Empty when nothing fits.
    pub(super) fn spare(&mut self, max: usize) -> (u32, usize, usize) {
        let max = max.min(self.limit.saturating_sub(self.chain.len));
        if max == 0 || self.chain.has_tail() {
            return (NIL, 0, 0);
        }
        // INVARIANT: every block in a chain holds at least one pending byte, so a tail with
        // room is the only place to continue.
        let bs = self.meta.block_size;
        let tail = self.chain.tail;
        if tail != NIL && (self.meta.hi[tail as usize] as usize) < bs {
            let hi = self.meta.hi[tail as usize] as usize;
            return (tail, hi, (bs - hi).min(max));
        }
        let Some(b) = self.meta.alloc_one() else {
            return (NIL, 0, 0);
        };
        if tail == NIL {
            self.chain.head = b;
        } else {
            self.meta.next[tail as usize] = b;
        }
        self.chain.tail = b;
        (b, 0, bs.min(max))
    }

    fn unlink_fresh_tail(&mut self, b: u32) {
        if self.chain.head == b {
            self.chain.head = NIL;
            self.chain.tail = NIL;
        } else {
            let mut at = self.chain.head;
            while self.meta.next[at as usize] != b {
                at = self.meta.next[at as usize];
            }
            self.meta.next[at as usize] = NIL;
            self.chain.tail = at;
        }
        self.meta.free_run(b, 1);
    }

    /// Appends all of `data`, or nothing if it does not fit (see [`remaining`](Output::remaining)).
    ///
    /// # Errors
    ///
    /// [`OutputFull`] if `data.len() > self.remaining()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     match out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n") {
    ///         Ok(()) => (input.len(), Action::Keep),
    ///         Err(brisk_reactor::OutputFull) => (0, Action::Keep), // retried after output drains
    ///     }
    /// }
    /// # }
    /// # let _: &dyn Protocol = &P;
    /// ```
    pub fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), OutputFull> {
        if data.len() > self.remaining() {
            return Err(OutputFull);
        }
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.append_with(rest.len(), |buf| {
                buf.copy_from_slice(&rest[..buf.len()]);
                buf.len()
            });
            debug_assert!(n > 0);
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Lets `fill` write straight into the pool: it gets one contiguous free region (at most
    /// `max` bytes; at most one block, possibly less) and returns how many bytes it wrote.
    /// Returns that count; `fill` is not called and 0 is returned when nothing fits.
    ///
    /// # Panics
    ///
    /// If `fill` returns more than the length of the slice it was given.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol};
    /// # struct Upper;
    /// # impl Protocol for Upper {
    /// fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
    ///     let n = out.append_with(input.len(), |buf| {
    ///         buf.copy_from_slice(&input[..buf.len()]);
    ///         buf.make_ascii_uppercase();
    ///         buf.len()
    ///     });
    ///     (n, Action::Keep)
    /// }
    /// # }
    /// # let _: &dyn Protocol = &Upper;
    /// ```
    pub fn append_with(&mut self, max: usize, fill: impl FnOnce(&mut [u8]) -> usize) -> usize {
        let (b, at, len) = self.spare(max);
        if len == 0 {
            return 0;
        }
        // `spare` only hands out offset 0 for a block it just took (no chain block is empty).
        let fresh = at == 0;
        let n = fill(&mut self.block(b)[at..at + len]);
        assert!(n <= len, "append_with: fill wrote past its slice");
        if n == 0 && fresh {
            // Nothing written into a block taken for it: give it back, so that no chain
            // ever holds an empty block.
            self.unlink_fresh_tail(b);
            return 0;
        }
        self.meta.hi[b as usize] += n as u32;
        self.chain.len += n;
        n
    }
}

impl io::Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.append_with(buf.len() - done, |b| {
                b.copy_from_slice(&buf[done..done + b.len()]);
                b.len()
            });
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
