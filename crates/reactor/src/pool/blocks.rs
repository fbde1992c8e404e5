//! Block bookkeeping: the used-block bitmap, first-fit allocation of single blocks and runs,
//! and the counts the worker reads (free, returned, peak).

use super::{Meta, NIL};

impl Meta {
    fn is_used(&self, i: usize) -> bool {
        self.used[i / 64] & (1 << (i % 64)) != 0
    }

    pub(super) fn range_free(&self, start: usize, n: usize) -> bool {
        start + n <= self.blocks && (start..start + n).all(|i| !self.is_used(i))
    }

    pub(super) fn mark(&mut self, start: usize, n: usize, used: bool) {
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

    /// The lowest free block. Inlined: every request takes one block for its input and one
    /// for its answer; under light load the first word has a free bit, so this is one load.
    ///
    /// Lowest first keeps the blocks ever used (the arena's resident pages: a block's pages
    /// stay resident once written) below the most blocks in use at once. Taking blocks from
    /// a hint word, and scanning on from it when it filled, walked the hint through the whole
    /// arena under load that rises and falls, until every block had been touched (issue 20,
    /// defect 8).
    #[inline(always)]
    pub(super) fn alloc_one(&mut self) -> Option<u32> {
        let w = self.used.iter().position(|&bits| bits != u64::MAX)?;
        let bits = self.used[w];
        let i = w * 64 + bits.trailing_ones() as usize;
        if i >= self.blocks {
            return None;
        }
        // A clear bit below `blocks` is a free block, so `free >= 1`.
        self.used[w] = bits | 1 << (i % 64);
        self.free -= 1;
        self.peak = self.peak.max(self.blocks - self.free);
        self.next[i] = NIL;
        self.lo[i] = 0;
        self.hi[i] = 0;
        Some(i as u32)
    }

    /// First fit for `n` adjacent free blocks, from the start of the arena (lowest first, as
    /// [`Meta::alloc_one`], which takes a single block).
    pub(super) fn alloc_run(&mut self, n: u32) -> Option<u32> {
        let n = n as usize;
        if n == 0 || self.free < n {
            return None;
        }
        if n == 1 {
            return self.alloc_one();
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

    pub(super) fn free_run(&mut self, start: u32, n: u32) {
        debug_assert!((start as usize..(start + n) as usize).all(|i| self.is_used(i)));
        self.mark(start as usize, n as usize, false);
    }
}
