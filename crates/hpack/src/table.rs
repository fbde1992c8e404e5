//! The dynamic table (RFC 7541 §2.3.2, §4): one ring buffer of bytes plus a ring of entry
//! offsets, shared by the decoder and the encoder.
//!
//! # Implementation notes
//!
//! Each entry's name and value are stored back to back, contiguously, so a field can be lent out
//! as two plain slices. An entry goes where the previous one ended, or at offset 0 when it does
//! not fit before the physical end of the buffer (wasting the tail), provided it does not overlap
//! a live entry; when it would, the buffer grows (doubling, up to twice the maximum size) and
//! the live entries are re-laid out from offset 0. With a buffer of twice the maximum size a
//! placement always exists once RFC 7541 §4.4 eviction has made room, so the buffer never grows
//! past that, and inserting never evicts more than the RFC says.
//!
//! Nothing is allocated before the first insert, and the buffer follows the bytes the table
//! actually holds: a connection whose peer indexed three short fields keeps a few hundred
//! octets, not `2 * max_size`. Once the table has reached its working size, inserting does not
//! allocate; the buffer never shrinks.

use std::collections::VecDeque;

/// Per-entry overhead of RFC 7541 §4.1.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// Smallest ring buffer allocated: room for a few typical fields.
const MIN_BUF: usize = 256;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Offset of the name in `Table::buf`; the value follows it.
    off: usize,
    name_len: usize,
    value_len: usize,
    /// Hashes kept for the encoder's index (0 in the decoder).
    pub(crate) hash_field: u32,
    pub(crate) hash_name: u32,
}

/// The dynamic table.
#[derive(Debug)]
pub(crate) struct Table {
    /// Physical ring; empty until the first insert, then grown on demand (doubling) up to twice
    /// the largest `max_size` seen.
    buf: Vec<u8>,
    /// Newest entry first.
    entries: VecDeque<Entry>,
    /// Where the next entry goes in `buf`.
    head: usize,
    /// RFC 7541 §4.1 size of the live entries.
    size: usize,
    /// Current maximum size (changed by size updates); at most `capacity`.
    max_size: usize,
    /// Largest `max_size` this table may be given without reallocation.
    capacity: usize,
    /// Number of entries ever inserted (wrapping); entry `i` has sequence `inserted - 1 - i`.
    inserted: u32,
}

impl Table {
    pub(crate) fn new(max_size: usize, capacity: usize) -> Self {
        debug_assert!(max_size <= capacity);
        Table {
            buf: Vec::new(),
            entries: VecDeque::new(),
            head: 0,
            size: 0,
            max_size,
            capacity,
            inserted: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn max_size(&self) -> usize {
        self.max_size
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sequence number of the entry at 0-based position `i` (0 = newest).
    #[inline]
    pub(crate) fn seq_of(&self, i: usize) -> u32 {
        self.inserted.wrapping_sub(1).wrapping_sub(i as u32)
    }

    /// 0-based position of the entry with sequence `seq`, if it is still live.
    #[inline]
    pub(crate) fn position_of(&self, seq: u32) -> Option<usize> {
        let i = self.inserted.wrapping_sub(1).wrapping_sub(seq) as usize;
        (i < self.entries.len()).then_some(i)
    }

    /// Name and value of the entry at 0-based position `i` (0 = newest).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let e = self.entries.get(i)?;
        let name = &self.buf[e.off..e.off + e.name_len];
        let value = &self.buf[e.off + e.name_len..e.off + e.name_len + e.value_len];
        Some((name, value))
    }

    /// The (field, name) hashes stored with the entry at position `i`.
    #[inline]
    pub(crate) fn hashes(&self, i: usize) -> (u32, u32) {
        self.entries
            .get(i)
            .map_or((0, 0), |e| (e.hash_field, e.hash_name))
    }

    /// Evicts the oldest entry, handing it to `evicted` with its sequence number.
    #[inline]
    fn evict_one(&mut self, evicted: &mut impl FnMut(u32, &Entry, &[u8], &[u8])) {
        if let Some(e) = self.entries.pop_back() {
            let seq = self
                .inserted
                .wrapping_sub(1)
                .wrapping_sub(self.entries.len() as u32);
            self.size -= e.name_len + e.value_len + ENTRY_OVERHEAD;
            let name = &self.buf[e.off..e.off + e.name_len];
            let value = &self.buf[e.off + e.name_len..e.off + e.name_len + e.value_len];
            evicted(seq, &e, name, value);
        }
    }

    /// Sets the current maximum size (a size update), evicting per RFC 7541 §4.3.
    /// `max_size` must not exceed the capacity.
    pub(crate) fn set_max_size(
        &mut self,
        max_size: usize,
        mut evicted: impl FnMut(u32, &Entry, &[u8], &[u8]),
    ) {
        debug_assert!(max_size <= self.capacity);
        self.max_size = max_size;
        while self.size > self.max_size {
            self.evict_one(&mut evicted);
        }
    }

    /// Changes the capacity (the largest maximum size allowed), keeping the entries. A capacity
    /// below the current maximum size also lowers the maximum size, evicting.
    pub(crate) fn set_capacity(
        &mut self,
        capacity: usize,
        evicted: impl FnMut(u32, &Entry, &[u8], &[u8]),
    ) {
        if capacity < self.max_size {
            self.set_max_size(capacity, evicted);
        }
        self.capacity = capacity;
    }

    /// Re-lays the entries out, oldest first from offset 0, in a buffer of `len` octets (at
    /// least the live bytes).
    #[cold]
    fn grow(&mut self, len: usize) {
        let mut buf = vec![0u8; len];
        let mut at = 0;
        for e in self.entries.iter_mut().rev() {
            let n = e.name_len + e.value_len;
            buf[at..at + n].copy_from_slice(&self.buf[e.off..e.off + n]);
            e.off = at;
            at += n;
        }
        self.buf = buf;
        self.head = at;
    }

    /// Where an entry of `len` octets can go without overlapping a live entry, if anywhere.
    ///
    /// The live bytes lie in the cyclic run from the oldest entry's offset to `head`: one run
    /// when `head` is past the oldest entry, else two (up to the wrap, and from 0 to `head`).
    #[inline]
    fn place(&self, len: usize) -> Option<usize> {
        let Some(oldest) = self.entries.back() else {
            return (len <= self.buf.len()).then_some(0);
        };
        let live = self.size - self.entries.len() * ENTRY_OVERHEAD;
        let wrapped = self.head < oldest.off || (self.head == oldest.off && live > 0);
        if wrapped {
            (self.head + len <= oldest.off).then_some(self.head)
        } else if self.head + len <= self.buf.len() {
            Some(self.head)
        } else {
            (len <= oldest.off).then_some(0)
        }
    }

    /// Inserts an entry (RFC 7541 §4.4): evicts until it fits; an entry larger than the maximum
    /// size empties the table and is not inserted (returns false). `name` and `value` must not
    /// borrow from this table.
    pub(crate) fn insert(
        &mut self,
        name: &[u8],
        value: &[u8],
        hash_field: u32,
        hash_name: u32,
        mut evicted: impl FnMut(u32, &Entry, &[u8], &[u8]),
    ) -> bool {
        let len = name.len() + value.len();
        let entry_size = len + ENTRY_OVERHEAD;
        if entry_size > self.max_size {
            while !self.entries.is_empty() {
                self.evict_one(&mut evicted);
            }
            return false;
        }
        while self.size + entry_size > self.max_size {
            self.evict_one(&mut evicted);
        }
        let off = match self.place(len) {
            Some(off) => off,
            None => {
                // Live bytes plus this entry are at most `max_size`, so the re-laid-out buffer
                // has room; at `2 * max_size` a placement always exists (module notes).
                let live = self.size - self.entries.len() * ENTRY_OVERHEAD;
                let want = (self.buf.len() * 2)
                    .max(MIN_BUF)
                    .min(self.max_size * 2)
                    .max(live + len);
                self.grow(want);
                self.head
            }
        };
        self.buf[off..off + name.len()].copy_from_slice(name);
        self.buf[off + name.len()..off + len].copy_from_slice(value);
        self.head = off + len;
        self.entries.push_front(Entry {
            off,
            name_len: name.len(),
            value_len: value.len(),
            hash_field,
            hash_name,
        });
        self.size += entry_size;
        self.inserted = self.inserted.wrapping_add(1);
        true
    }

    /// Empties the table for an entry too large to keep, without its bytes (the decoder does
    /// not keep strings larger than any table it could insert them into).
    pub(crate) fn clear(&mut self, mut evicted: impl FnMut(u32, &Entry, &[u8], &[u8])) {
        while !self.entries.is_empty() {
            self.evict_one(&mut evicted);
        }
    }

    pub(crate) fn iter(&self) -> TableEntries<'_> {
        TableEntries {
            table: self,
            next: 0,
        }
    }
}

/// The entries of a dynamic table, newest (index 62) first, as `(name, value)`.
///
/// # Examples
///
/// ```
/// use brisk_hpack::Decoder;
///
/// let mut decoder = Decoder::new();
/// // Literal with incremental indexing, new name "a", value "b" (RFC 7541 §6.2.1).
/// decoder.decode(&[0x40, 0x01, b'a', 0x01, b'b'], |_| {})?;
/// let entries: Vec<_> = decoder.table_entries().collect();
/// assert_eq!(entries, [(&b"a"[..], &b"b"[..])]);
/// # Ok::<(), brisk_hpack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TableEntries<'a> {
    table: &'a Table,
    next: usize,
}

impl<'a> Iterator for TableEntries<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.table.get(self.next)?;
        self.next += 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: u32, _: &Entry, _: &[u8], _: &[u8]) {}

    #[test]
    fn eviction_and_wrap_keep_entries_intact() {
        let mut t = Table::new(200, 200);
        let mut expect: VecDeque<(Vec<u8>, Vec<u8>)> = VecDeque::new();
        for i in 0..500usize {
            let name = format!("n{}", i % 7).into_bytes();
            let value = vec![b'a' + (i % 26) as u8; (i * 37) % 120];
            let size = name.len() + value.len() + 32;
            let inserted = t.insert(&name, &value, 0, 0, none);
            assert_eq!(inserted, size <= 200);
            if inserted {
                expect.push_front((name, value));
                let mut total: usize = expect.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
                while total > 200 {
                    let (n, v) = expect.pop_back().unwrap();
                    total -= n.len() + v.len() + 32;
                }
            } else {
                expect.clear();
            }
            assert_eq!(t.len(), expect.len());
            for (j, (n, v)) in expect.iter().enumerate() {
                assert_eq!(t.get(j), Some((&n[..], &v[..])), "step {i} entry {j}");
            }
        }
    }

    #[test]
    fn capacity_growth_keeps_entries() {
        let mut t = Table::new(100, 100);
        t.insert(b"a", b"1", 0, 0, none);
        t.insert(b"b", b"2", 0, 0, none);
        t.set_capacity(1000, none);
        t.set_max_size(1000, none);
        assert_eq!(t.get(0), Some((&b"b"[..], &b"2"[..])));
        assert_eq!(t.get(1), Some((&b"a"[..], &b"1"[..])));
        t.set_max_size(34, none);
        assert_eq!(t.len(), 1);
        assert_eq!(t.position_of(t.seq_of(0)), Some(0));
    }

    #[test]
    fn buffer_is_lazy_and_follows_the_live_bytes() {
        let mut t = Table::new(4096, 4096);
        assert_eq!(t.buf.capacity(), 0);
        assert_eq!(t.entries.capacity(), 0);
        t.insert(b"user-agent", b"curl/8", 0, 0, none);
        t.insert(b":authority", b"localhost", 0, 0, none);
        assert_eq!(t.buf.len(), MIN_BUF);
        // A long run of small fields settles well below 2 * max_size.
        for i in 0..1000u32 {
            t.insert(b"x-n", format!("{}", i % 50).as_bytes(), 0, 0, none);
        }
        assert!(t.buf.len() <= 2 * 4096);
        assert_eq!(t.get(0), Some((&b"x-n"[..], &b"49"[..])));
    }

    #[test]
    fn growth_and_size_changes_keep_entries_intact() {
        // Random inserts (some empty, some large) and size updates against a model.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut t = Table::new(300, 1000);
        let mut model: VecDeque<(Vec<u8>, Vec<u8>)> = VecDeque::new();
        let mut max = 300;
        let mut largest = 300;
        for step in 0..20_000 {
            if rand(50) == 0 {
                max = [0, 40, 100, 300, 600, 1000][rand(6)];
                largest = largest.max(max);
                t.set_max_size(max, none);
            } else {
                let name = vec![b'n'; rand(4)];
                let value = vec![b'a' + (step % 26) as u8; [0, 1, 5, 30, 200][rand(5)]];
                if !t.insert(&name, &value, 0, 0, none) {
                    model.clear();
                } else {
                    model.push_front((name, value));
                }
            }
            let mut total: usize = model.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
            while total > max {
                let (n, v) = model.pop_back().unwrap();
                total -= n.len() + v.len() + 32;
            }
            assert_eq!(t.len(), model.len(), "step {step}");
            assert_eq!(t.size(), total, "step {step}");
            for (j, (n, v)) in model.iter().enumerate() {
                assert_eq!(t.get(j), Some((&n[..], &v[..])), "step {step} entry {j}");
            }
            assert!(t.buf.len() <= 2 * largest, "step {step}: {}", t.buf.len());
        }
    }
}
