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

    /// One block, taken from the hint word when it has a free bit (the common case: blocks
    /// come back where they were taken), else by [`Meta::alloc_run`]. Inlined: every request
    /// takes one block for its input and one for its answer.
    #[inline(always)]
    pub(super) fn alloc_one(&mut self) -> Option<u32> {
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

    /// First fit for `n` adjacent free blocks, from the start of the arena; O(blocks / 64)
    /// for one block.
    ///
    /// Lowest first, also for one block: the hint then only moves up when every word below
    /// it is full, so the blocks ever used (the arena's resident pages: a block's pages stay
    /// resident once written) are bounded by the most blocks in use at once. Scanning on from
    /// the hint instead walked it through the whole arena under fluctuating load, one word
    /// each time its word filled, until every block had been touched (issue 20, defect 8).
    pub(super) fn alloc_run(&mut self, n: u32) -> Option<u32> {
        let n = n as usize;
        if n == 0 || self.free < n {
            return None;
        }
        if n == 1 {
            for w in 0..self.used.len() {
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

    pub(super) fn free_run(&mut self, start: u32, n: u32) {
        debug_assert!((start as usize..(start + n) as usize).all(|i| self.is_used(i)));
        self.mark(start as usize, n as usize, false);
    }
}
