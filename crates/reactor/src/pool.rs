//! The per-worker buffer pool: one arena of equal blocks, allocated once at start.
//!
//! ```text
//!  arena: | b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7 |      (pool_size blocks of buffer_size bytes)
//!           \______ input run ______/   ^    ^
//!            one connection's unconsumed |    one connection's output chain: b4 -> b6
//!            input, contiguous           |    (blocks linked, written with one writev)
//! ```
//!
//! * **Input** lives in a *run* of adjacent blocks, so the protocol always sees its unconsumed
//!   input as one contiguous slice. A run starts as one block; when it is full and the protocol
//!   has consumed nothing (a head bigger than one block), it grows to twice the blocks, in place
//!   when the following blocks are free, otherwise by moving to a new run (one copy), up to
//!   `ceil(max_input / buffer_size)` blocks. When the protocol consumed everything the run goes
//!   back to the pool, so an idle connection holds no block.
//! * **Output** is a linked chain of single blocks; it needs no contiguity because it is written
//!   with `writev`. The chain goes back block by block as the socket takes it.
//! * Input may only take a block while more than `reserve` blocks are free, so input can never
//!   take the whole pool and leave nothing for the output that would let it drain.
//!
//! Nothing here allocates after [`Pool::new`]: the bitmap, the links and the arena are sized
//! once. An empty pool makes the worker stop reading (backpressure), never allocate.

use std::io;

mod park;

use park::Parking;

pub(crate) const NIL: u32 = u32::MAX;

/// Block bookkeeping, kept apart from the bytes so both can be borrowed at once.
#[derive(Debug)]
pub(crate) struct Meta {
    /// Bit set = block in use.
    used: Vec<u64>,
    /// Output chains: next block, and the `[lo, hi)` byte range of pending data in a block.
    next: Vec<u32>,
    lo: Vec<u32>,
    hi: Vec<u32>,
    blocks: usize,
    free: usize,
    block_size: usize,
    hint: usize,
    reserve: usize,
    /// Blocks returned since the worker last looked (to retry starved connections).
    returned: u64,
    /// Most blocks ever in use at once.
    peak: usize,
}

/// The arena and its bookkeeping.
#[derive(Debug)]
pub(crate) struct Pool {
    mem: Vec<u8>,
    pub(crate) meta: Meta,
    park: Parking,
}

/// A connection's input: a run of adjacent blocks, `blocks == 0` when it holds none.
/// INVARIANT: `head <= tail <= blocks * block_size`.
///
/// With `blocks == 0` and `tail > 0` the input is *parked*: `tail` unconsumed bytes wait in
/// parking slot `start`, and `head == tail`, so the run reads as empty (nothing to hand to the
/// protocol, nothing in the arena) until [`Pool::input_room`] moves the bytes back in front of
/// the next read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InRun {
    pub(crate) start: u32,
    pub(crate) blocks: u32,
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl InRun {
    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.tail
    }
    pub(crate) fn len(&self) -> usize {
        (self.tail - self.head) as usize
    }
    /// Unconsumed input in the run or parked.
    pub(crate) fn holds_input(&self) -> bool {
        self.head != self.tail || (self.blocks == 0 && self.tail > 0)
    }
}

/// A connection's pending output: a chain of blocks.
/// INVARIANT: `head == NIL` exactly when `len == 0` and `blocks == 0`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) len: usize,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

/// Why input could not get room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoRoom {
    /// The pool is short of (contiguous) blocks: retry when blocks come back.
    Starved,
    /// The run is already `max_input` bytes, all unconsumed.
    Full,
}

impl Pool {
    /// A pool of `blocks` blocks of `block_size` bytes. The arena is zero-allocated, so pages
    /// the kernel never hands out cost no resident memory until first used.
    #[cfg(test)]
    pub(crate) fn new(blocks: usize, block_size: usize, reserve: usize) -> Pool {
        Pool::with_parking(blocks, block_size, reserve, 0, 0)
    }

    /// A pool with `park_slots` parking slots of `park_size` bytes (see [`Pool::park`]).
    pub(crate) fn with_parking(
        blocks: usize,
        block_size: usize,
        reserve: usize,
        park_slots: usize,
        park_size: usize,
    ) -> Pool {
        Pool {
            park: Parking::new(park_slots, park_size),
            mem: vec![0; blocks * block_size],
            meta: Meta {
                used: vec![0; blocks.div_ceil(64)],
                next: vec![NIL; blocks],
                lo: vec![0; blocks],
                hi: vec![0; blocks],
                blocks,
                free: blocks,
                block_size,
                hint: 0,
                reserve,
                returned: 0,
                peak: 0,
            },
        }
    }

    pub(crate) fn block_size(&self) -> usize {
        self.meta.block_size
    }

    pub(crate) fn free_blocks(&self) -> usize {
        self.meta.free
    }

    pub(crate) fn used_blocks(&self) -> usize {
        self.meta.blocks - self.meta.free
    }

    /// Most blocks ever in use at once.
    pub(crate) fn peak_blocks(&self) -> usize {
        self.meta.peak
    }

    /// Were blocks returned since the last [`take_returned`](Pool::take_returned)?
    pub(crate) fn has_returned(&self) -> bool {
        self.meta.returned > 0
    }

    /// Takes and resets the count of blocks returned since the last call.
    pub(crate) fn take_returned(&mut self) -> u64 {
        std::mem::take(&mut self.meta.returned)
    }

    /// Makes room at the end of `run` for more input, at most `max_blocks` blocks in all.
    /// Returns the free byte range in the arena to read into.
    pub(crate) fn input_room(
        &mut self,
        run: &mut InRun,
        max_blocks: u32,
    ) -> Result<std::ops::Range<usize>, NoRoom> {
        let bs = self.meta.block_size;
        if run.blocks == 0 {
            if self.meta.free <= self.meta.reserve {
                return Err(NoRoom::Starved);
            }
            let start = self.meta.alloc_one().ok_or(NoRoom::Starved)?;
            let parked = *run;
            *run = InRun {
                start,
                blocks: 1,
                head: 0,
                tail: parked.tail,
            };
            if parked.tail > 0 {
                self.unpark(parked, start);
            }
        }
        let cap = run.blocks as usize * bs;
        if run.tail as usize == cap {
            if run.head > 0 {
                let base = run.start as usize * bs;
                self.mem
                    .copy_within(base + run.head as usize..base + cap, base);
                run.tail -= run.head;
                run.head = 0;
            } else if run.blocks < max_blocks {
                let want = (run.blocks * 2).min(max_blocks);
                let extra = (want - run.blocks) as usize;
                if self.meta.free < extra + self.meta.reserve {
                    return Err(NoRoom::Starved);
                }
                let end = run.start + run.blocks;
                if self.meta.range_free(end as usize, extra) {
                    self.meta.mark(end as usize, extra, true);
                    run.blocks = want;
                } else {
                    let to = self.meta.alloc_run(want).ok_or(NoRoom::Starved)?;
                    let (from, to_b) = (run.start as usize * bs, to as usize * bs);
                    self.mem.copy_within(from..from + cap, to_b);
                    self.meta.free_run(run.start, run.blocks);
                    run.start = to;
                    run.blocks = want;
                }
            } else {
                return Err(NoRoom::Full);
            }
        }
        let base = run.start as usize * bs;
        Ok(base + run.tail as usize..base + run.blocks as usize * bs)
    }

    /// Returns the input run if it holds no unconsumed byte (or unconditionally with `force`,
    /// which also frees a parking slot).
    pub(crate) fn release_input(&mut self, run: &mut InRun, force: bool) {
        if run.blocks > 0 {
            if force || run.is_empty() {
                self.meta.free_run(run.start, run.blocks);
                *run = InRun::default();
            }
        } else if force && run.tail > 0 {
            self.park.release(run.start);
            *run = InRun::default();
        }
    }

    /// The arena bytes (for reading into).
    pub(crate) fn mem_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

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

    /// Drops `n` written bytes from the front of `chain`, returning emptied blocks.
    pub(crate) fn consume_output(&mut self, chain: &mut Chain, mut n: usize) {
        chain.len -= n;
        if chain.len == 0 {
            self.release_output(chain);
            return;
        }
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

impl Meta {
    fn is_used(&self, i: usize) -> bool {
        self.used[i / 64] & (1 << (i % 64)) != 0
    }

    fn range_free(&self, start: usize, n: usize) -> bool {
        start + n <= self.blocks && (start..start + n).all(|i| !self.is_used(i))
    }

    fn mark(&mut self, start: usize, n: usize, used: bool) {
        for i in start..start + n {
            if used {
                self.used[i / 64] |= 1 << (i % 64);
            } else {
                self.used[i / 64] &= !(1 << (i % 64));
            }
        }
        if used {
            self.free -= n;
            self.peak = self.peak.max(self.blocks - self.free);
        } else {
            self.free += n;
            self.returned += n as u64;
        }
    }

    /// One block, taken from the hint word when it has a free bit (the common case: blocks
    /// come back where they were taken), else by [`Meta::alloc_run`]. Inlined: every request
    /// takes one block for its input and one for its answer.
    #[inline(always)]
    fn alloc_one(&mut self) -> Option<u32> {
        let w = self.hint;
        if let Some(&bits) = self.used.get(w) {
            let i = w * 64 + bits.trailing_ones() as usize;
            if bits != u64::MAX && i < self.blocks {
                // A clear bit below `blocks` is a free block, so `free >= 1`.
                self.used[w] = bits | 1 << (i % 64);
                self.free -= 1;
                self.peak = self.peak.max(self.blocks - self.free);
                self.next[i] = NIL;
                self.lo[i] = 0;
                self.hi[i] = 0;
                return Some(i as u32);
            }
        }
        self.alloc_run(1)
    }

    /// First fit for `n` adjacent free blocks; O(blocks / 64) for one block.
    fn alloc_run(&mut self, n: u32) -> Option<u32> {
        let n = n as usize;
        if n == 0 || self.free < n {
            return None;
        }
        let words = self.used.len();
        if n == 1 {
            // From the hint round to it again (a compare, not a division, per step).
            let mut w = self.hint.min(words.saturating_sub(1));
            for _ in 0..words {
                let bits = self.used[w];
                if bits != u64::MAX {
                    let i = w * 64 + bits.trailing_ones() as usize;
                    if i < self.blocks {
                        self.hint = w;
                        self.mark(i, 1, true);
                        self.next[i] = NIL;
                        self.lo[i] = 0;
                        self.hi[i] = 0;
                        return Some(i as u32);
                    }
                }
                w += 1;
                if w == words {
                    w = 0;
                }
            }
            return None;
        }
        let mut i = 0;
        while i + n <= self.blocks {
            if self.used[i / 64] == u64::MAX && i % 64 == 0 {
                i += 64;
                continue;
            }
            match (i..i + n).find(|&j| self.is_used(j)) {
                Some(j) => i = j + 1,
                None => {
                    self.mark(i, n, true);
                    return Some(i as u32);
                }
            }
        }
        None
    }

    fn free_run(&mut self, start: u32, n: u32) {
        debug_assert!((start as usize..(start + n) as usize).all(|i| self.is_used(i)));
        self.mark(start as usize, n as usize, false);
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
    meta: &'a mut Meta,
    left: &'a mut [u8],
    right: &'a mut [u8],
    right_base: usize,
    chain: &'a mut Chain,
    limit: usize,
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
    fn spare(&mut self, max: usize) -> (u32, usize, usize) {
        let max = max.min(self.limit.saturating_sub(self.chain.len));
        if max == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn chain_bytes(p: &Pool, c: &Chain) -> Vec<u8> {
        let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 64>::new();
        p.gather(c, &mut iov);
        iov.iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn output_chains_blocks_and_respects_limit() {
        let mut p = Pool::new(8, 16, 1);
        let mut c = Chain::default();
        let run = InRun::default();
        {
            let (input, mut out) = p.split(&run, &mut c, 40);
            assert!(input.is_empty());
            assert_eq!(out.remaining(), 40);
            out.extend_from_slice(&[1; 20]).unwrap();
            out.extend_from_slice(&[2; 15]).unwrap();
            assert_eq!(out.remaining(), 5);
            assert_eq!(out.extend_from_slice(&[3; 6]), Err(OutputFull));
            assert_eq!(out.write(&[4; 10]).unwrap(), 5);
            assert_eq!(out.pending(), 40);
        }
        assert_eq!(p.used_blocks(), 3);
        let mut want = vec![1; 20];
        want.extend([2; 15]);
        want.extend([4; 5]);
        assert_eq!(chain_bytes(&p, &c), want);
        p.consume_output(&mut c, 17);
        assert_eq!(p.used_blocks(), 2);
        assert_eq!(chain_bytes(&p, &c), want[17..]);
        p.consume_output(&mut c, 23);
        assert_eq!(p.used_blocks(), 0);
        assert_eq!(c.head, NIL);
    }

    #[test]
    fn input_grows_contiguously_and_is_never_overwritten_by_output() {
        let mut p = Pool::new(8, 16, 1);
        let mut run = InRun::default();
        // Fill one block, then grow to 2 then 4 blocks (in place).
        for round in 0..3u8 {
            let r = p.input_room(&mut run, 4).unwrap();
            let len = r.len();
            p.mem_mut()[r].fill(round);
            run.tail += len as u32;
        }
        assert_eq!(run.blocks, 4);
        assert_eq!(p.input_room(&mut run, 4), Err(NoRoom::Full));
        // Output takes the remaining blocks but never touches the input run.
        let mut c = Chain::default();
        {
            let (input, mut out) = p.split(&run, &mut c, 1 << 20);
            assert_eq!(input.len(), 64);
            assert_eq!(out.remaining(), 4 * 16);
            out.extend_from_slice(&[9; 64]).unwrap();
            assert_eq!(out.remaining(), 0);
        }
        let (input, _) = p.split(&run, &mut c, 0);
        let mut want = vec![0; 16];
        want.extend([1; 16]);
        want.extend([2; 16 * 2]);
        assert_eq!(input, &want[..]);
        assert_eq!(p.free_blocks(), 0);
    }

    #[test]
    fn input_moves_when_it_cannot_grow_in_place_and_respects_reserve() {
        let mut p = Pool::new(8, 16, 2);
        let mut a = InRun::default();
        let mut b = InRun::default();
        let r = p.input_room(&mut a, 4).unwrap();
        p.mem_mut()[r.clone()].copy_from_slice(&[7; 16]);
        a.tail = 16;
        let _ = p.input_room(&mut b, 4).unwrap(); // block 1, right behind `a`
        let r = p.input_room(&mut a, 4).unwrap(); // moves to blocks 2..4
        assert_eq!(a.start, 2);
        assert_eq!(r.len(), 16);
        let mut c = Chain::default();
        let (input, _) = p.split(&a, &mut c, 0);
        assert_eq!(input, &[7; 16]);
        // 5 free, reserve 2: a can grow to 4 (needs 2 more) leaving 3.
        a.tail = 32;
        assert!(p.input_room(&mut a, 8).is_ok());
        assert_eq!(p.free_blocks(), 3);
        // Growing to 8 would need 4 more: starved.
        a.tail = 64;
        assert_eq!(p.input_room(&mut a, 8), Err(NoRoom::Starved));
        p.release_input(&mut a, true);
        p.release_input(&mut b, true);
        assert_eq!(p.free_blocks(), 8);
    }

    #[test]
    fn compaction_moves_unconsumed_input_to_the_front() {
        let mut p = Pool::new(4, 8, 0);
        let mut run = InRun::default();
        let r = p.input_room(&mut run, 1).unwrap();
        p.mem_mut()[r].copy_from_slice(b"abcdefgh");
        run.tail = 8;
        run.head = 5;
        let r = p.input_room(&mut run, 1).unwrap();
        assert_eq!(r.len(), 5);
        let mut c = Chain::default();
        let (input, _) = p.split(&run, &mut c, 0);
        assert_eq!(input, b"fgh");
    }
}

#[cfg(test)]
mod props {
    //! Model-based: random input/output operations on three connections sharing a small pool
    //! must keep every byte where a plain `VecDeque` model says it is, and the block accounting
    //! exact.
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    const BS: usize = 8;
    const BLOCKS: usize = 24;
    const MAX_IN: u32 = 4;
    const LIMIT: usize = 40;

    #[derive(Debug, Clone)]
    enum Op {
        Read(usize, usize),
        Consume(usize, usize),
        Append(usize, usize),
        Write(usize, usize),
        Close(usize),
        Park(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let c = 0..3usize;
        prop_oneof![
            (c.clone(), 1..20usize).prop_map(|(c, n)| Op::Read(c, n)),
            (c.clone(), 0..20usize).prop_map(|(c, n)| Op::Consume(c, n)),
            (c.clone(), 1..30usize).prop_map(|(c, n)| Op::Append(c, n)),
            (c.clone(), 0..30usize).prop_map(|(c, n)| Op::Write(c, n)),
            c.clone().prop_map(Op::Close),
            c.prop_map(Op::Park),
        ]
    }

    fn blocks_held(p: &Pool, run: &InRun, chain: &Chain) -> usize {
        let mut n = run.blocks as usize;
        let mut at = chain.head;
        while at != NIL {
            n += 1;
            at = p.meta.next[at as usize];
        }
        n
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn pool_matches_model(ops in proptest::collection::vec(op(), 1..200)) {
            let mut p = Pool::with_parking(BLOCKS, BS, 2, 2, 6);
            let mut runs = [InRun::default(); 3];
            let mut chains = [Chain::default(); 3];
            let mut ins: [VecDeque<u8>; 3] = Default::default();
            let mut outs: [VecDeque<u8>; 3] = Default::default();
            let mut byte = 0u8;
            for op in ops {
                match op {
                    Op::Read(c, n) => match p.input_room(&mut runs[c], MAX_IN) {
                        Ok(r) => {
                            let n = n.min(r.len());
                            let start = r.start;
                            for b in &mut p.mem_mut()[start..start + n] {
                                byte = byte.wrapping_add(1);
                                *b = byte;
                                ins[c].push_back(byte);
                            }
                            runs[c].tail += n as u32;
                            p.release_input(&mut runs[c], false);
                        }
                        Err(NoRoom::Full) => {
                            prop_assert_eq!(ins[c].len(), MAX_IN as usize * BS);
                        }
                        Err(NoRoom::Starved) => {}
                    },
                    Op::Consume(c, n) => {
                        let n = n.min(runs[c].len());
                        runs[c].head += n as u32;
                        ins[c].drain(..n);
                        p.release_input(&mut runs[c], false);
                    }
                    Op::Append(c, n) => {
                        let data: Vec<u8> = (0..n).map(|i| (i as u8) ^ 0x5A ^ byte).collect();
                        let (_, mut out) = p.split(&runs[c], &mut chains[c], LIMIT);
                        let fits = n <= out.remaining();
                        prop_assert_eq!(out.extend_from_slice(&data).is_ok(), fits);
                        if fits {
                            outs[c].extend(&data);
                        }
                    }
                    Op::Write(c, n) => {
                        let n = n.min(chains[c].len);
                        p.consume_output(&mut chains[c], n);
                        outs[c].drain(..n);
                    }
                    Op::Park(c) => {
                        let could = runs[c].blocks > 0 && (1..=6).contains(&ins[c].len());
                        let parked = p.park(&mut runs[c]);
                        prop_assert!(parked || !could || p.parked() == 2);
                    }
                    Op::Close(c) => {
                        p.release_input(&mut runs[c], true);
                        p.release_output(&mut chains[c]);
                        ins[c].clear();
                        outs[c].clear();
                    }
                }
                let mut held = 0;
                for c in 0..3 {
                    let mut tmp = Chain::default();
                    let parked = p.parked_bytes(&runs[c]).to_vec();
                    let (input, _) = p.split(&runs[c], &mut tmp, 0);
                    let input = if parked.is_empty() { input } else { &parked[..] };
                    prop_assert!(input.iter().eq(ins[c].iter()), "input of {}", c);
                    let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 64>::new();
                    p.gather(&chains[c], &mut iov);
                    let got: Vec<u8> = iov.iter().flat_map(|s| s.iter().copied()).collect();
                    prop_assert!(got.iter().eq(outs[c].iter()), "output of {}", c);
                    prop_assert_eq!(chains[c].len, outs[c].len());
                    prop_assert!(chains[c].len <= LIMIT);
                    // Nothing idle holds a block.
                    if ins[c].is_empty() {
                        prop_assert_eq!(runs[c].blocks, 0);
                    }
                    if outs[c].is_empty() {
                        prop_assert_eq!(chains[c].head, NIL);
                    }
                    held += blocks_held(&p, &runs[c], &chains[c]);
                }
                prop_assert_eq!(held, p.used_blocks());
                prop_assert_eq!(p.used_blocks() + p.free_blocks(), BLOCKS);
            }
        }
    }
}
