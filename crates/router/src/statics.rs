//! Fast path for fully static routes: an open-addressing hash table from the whole path to the
//! trie terminal of a static pattern.
//!
//! A static route that matches a path always wins (its match is static at every byte, and
//! static beats param beats catch-all), so when the table has the path and the terminal has
//! a route for the method, the trie walk is skipped without changing any answer.

use crate::tree::{bytes_eq, NONE};

/// Path bytes to terminal index.
#[derive(Debug, Clone, Default)]
pub(crate) struct StaticMap {
    /// (hash tag, entry index) per slot, entry `NONE` when empty; length is a power of two
    /// (or zero). The tag (the hash's high half) turns most misses away without reading
    /// the entry.
    slots: Vec<(u32, u32)>,
    entries: Vec<(Box<[u8]>, u32)>,
    /// Bit `len % 256` is set when some entry has length `len`: most paths with params are
    /// turned away by their length alone, before any hashing.
    lens: [u64; 4],
}

#[inline(always)]
fn hash(bytes: &[u8]) -> u64 {
    // Length, first 8 and last 8 bytes: one multiply. Paths that agree on all three collide
    // and are told apart by the full comparison in the probe.
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = bytes.len();
    let (a, b) = if n >= 8 {
        let w = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
        (w(0), w(n - 8))
    } else {
        let mut t = [0u8; 8];
        t[..n].copy_from_slice(bytes);
        (u64::from_le_bytes(t), 0)
    };
    let h = (a ^ b.rotate_left(29) ^ n as u64).wrapping_mul(K);
    h ^ (h >> 29)
}

impl StaticMap {
    /// The terminal of the static pattern equal to `path`, or `NONE`.
    ///
    /// The length check is inlined into the caller (it turns most paths with params away);
    /// the probe is not.
    #[inline(always)]
    pub(crate) fn get(&self, path: &[u8]) -> u32 {
        let n = path.len() % 256;
        if self.lens[n / 64] & (1 << (n % 64)) == 0 {
            return NONE;
        }
        self.probe(path)
    }

    /// The probe of [`StaticMap::get`], for a path of a length some entry has.
    #[inline(never)]
    fn probe(&self, path: &[u8]) -> u32 {
        let mask = self.slots.len() - 1;
        let h = hash(path);
        let tag = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let (t, e) = self.slots[i];
            if e == NONE {
                return NONE;
            }
            if t == tag {
                let (bytes, terminal) = &self.entries[e as usize];
                if bytes_eq(bytes, path) {
                    return *terminal;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Records that the static pattern `bytes` ends at `terminal` (no-op if known).
    pub(crate) fn insert(&mut self, bytes: &[u8], terminal: u32) {
        if self.get(bytes) != NONE {
            return;
        }
        self.entries.push((bytes.into(), terminal));
        let n = bytes.len() % 256;
        self.lens[n / 64] |= 1 << (n % 64);
        if self.entries.len() * 2 > self.slots.len() {
            let size = (self.entries.len() * 4).next_power_of_two();
            self.slots = vec![(0, NONE); size];
            for k in 0..self.entries.len() {
                self.place(k as u32);
            }
        } else {
            self.place(self.entries.len() as u32 - 1);
        }
    }

    fn place(&mut self, e: u32) {
        let mask = self.slots.len() - 1;
        let h = hash(&self.entries[e as usize].0);
        let mut i = h as usize & mask;
        while self.slots[i].1 != NONE {
            i = (i + 1) & mask;
        }
        self.slots[i] = ((h >> 32) as u32, e);
    }
}
