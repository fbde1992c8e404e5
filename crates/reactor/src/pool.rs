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
//! Nothing here allocates after [`Pool::with_parking`]: the bitmap, the links and the arena
//! are sized once. An empty pool makes the worker stop reading (backpressure), never allocate.
//!
//! This module holds the arena and the input side; `blocks` the block bitmap and allocation,
//! `output` the output chains and [`Output`], `park` the parking slots.

mod blocks;
#[allow(unsafe_code)]
mod file_map;
mod file_read;
mod file_segment;
mod output;
mod park;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

pub(crate) use file_map::MAX_MAPS;
pub use file_map::{FileMap, SegmentError};
pub use file_segment::FileRange;
pub use output::{Output, OutputFull};
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

/// A connection's pending output: a chain of blocks, then perhaps a file range or a mapped
/// segment (never both).
/// INVARIANT: `head == NIL` exactly when the blocks hold no byte; `len` counts the blocks'
/// bytes and the file range's.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) len: usize,
    /// What follows the blocks: a file range or a mapped segment. Boxed, so that an idle
    /// connection pays one pointer for it; made on the first segment and kept for the next.
    pub(crate) seg: Option<Box<Segment>>,
}

/// The part of a chain after its blocks (see [`Chain::seg`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Segment {
    /// Sent with `sendfile(2)` (`file_segment`).
    pub(crate) file: Option<FileRange>,
    /// Sent with `writev` from a file's mapping (`file_map`).
    pub(crate) mapped: file_map::Mapped,
    /// A TLS connection's plaintext: file segments are refused (rustls must see the bytes).
    pub(crate) encrypted: bool,
}

impl Chain {
    /// A TLS connection's plaintext chain: file segments are refused.
    #[cfg(any(test, feature = "tls"))]
    pub(crate) fn encrypted() -> Chain {
        Chain {
            seg: Some(Box::new(Segment {
                encrypted: true,
                ..Segment::default()
            })),
            ..Chain::default()
        }
    }

    /// The pending file range, if any.
    pub(crate) fn file(&self) -> Option<&FileRange> {
        self.seg.as_deref()?.file.as_ref()
    }

    fn is_encrypted(&self) -> bool {
        self.seg.as_deref().is_some_and(|s| s.encrypted)
    }

    /// The segment box, made on first use.
    fn seg_mut(&mut self) -> &mut Segment {
        self.seg.get_or_insert_with(Box::default)
    }
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            head: NIL,
            tail: NIL,
            len: 0,
            seg: None,
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
}
