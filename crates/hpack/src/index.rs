//! The encoder's hash index over the dynamic table: (name, value) -> newest entry with that
//! field, and name -> newest entry with that name. Open addressing with linear probing; entries
//! are removed on eviction with backward-shift deletion, so there are no tombstones. The slot
//! arrays are empty until the first entry is recorded and double (rehashing) as the table
//! fills, up to four slots per entry the table can hold; once there, recording allocates
//! nothing.

use crate::table::Table;

/// FxHash-style hash of `bytes`, 8 octets per step, mixed with `seed`.
#[inline]
pub(crate) fn hash(bytes: &[u8], seed: u64) -> u32 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    // Fold the well-mixed high half in; never 0 (0 marks an empty slot).
    (((h >> 32) ^ h) as u32) | 1
}

/// Hash of a whole field, from the name's hash and the value.
#[inline]
pub(crate) fn hash_field(name_hash: u32, value: &[u8]) -> u32 {
    hash(
        value,
        u64::from(name_hash).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

/// Slots of a map's first allocation.
const MIN_SLOTS: usize = 16;

/// One open-addressing map from a hash to an entry sequence number.
#[derive(Debug)]
struct Slots {
    /// `hash << 32 | seq`; 0 = empty (hashes are odd). Empty until the first upsert; a power
    /// of two, at most `max`, kept at most a quarter full below `max`.
    slots: Vec<u64>,
    mask: usize,
    /// Occupied slots.
    len: usize,
    /// Size the array may grow to: four slots per entry the table can hold.
    max: usize,
}

impl Slots {
    fn new(max_entries: usize) -> Self {
        Slots {
            slots: Vec::new(),
            mask: 0,
            len: 0,
            max: (max_entries * 4).next_power_of_two().max(MIN_SLOTS),
        }
    }

    /// Doubles the array (or allocates the first one), re-inserting every key.
    #[cold]
    fn grow(&mut self) {
        let n = (self.slots.len() * 2).clamp(MIN_SLOTS, self.max);
        let old = std::mem::replace(&mut self.slots, vec![0; n]);
        self.mask = n - 1;
        for s in old.into_iter().filter(|&s| s != 0) {
            // Keys are unique: each goes to the first empty slot from its home.
            let mut i = (s >> 32) as usize & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = s;
        }
    }

    #[inline]
    fn find(&self, hash: u32, mut matches: impl FnMut(u32) -> bool) -> Option<(usize, u32)> {
        if self.slots.is_empty() {
            return None;
        }
        let mut i = hash as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if (s >> 32) as u32 == hash && matches(s as u32) {
                return Some((i, s as u32));
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Points the key at `seq`: overwrites the slot of an equal key, or takes an empty one.
    #[inline]
    fn upsert(&mut self, hash: u32, seq: u32, same_key: impl FnMut(u32) -> bool) {
        let slot = (u64::from(hash) << 32) | u64::from(seq);
        if let Some((i, _)) = self.find(hash, same_key) {
            self.slots[i] = slot;
            return;
        }
        if self.slots.len() < self.max && (self.len + 1) * 4 > self.slots.len() {
            self.grow();
        }
        self.len += 1;
        let mut i = hash as usize & self.mask;
        while self.slots[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = slot;
    }

    /// Removes the slot pointing at exactly (`hash`, `seq`), if any (a newer equal key may have
    /// taken it over).
    #[inline]
    fn remove(&mut self, hash: u32, seq: u32) {
        let want = (u64::from(hash) << 32) | u64::from(seq);
        if self.slots.is_empty() {
            return;
        }
        let mut i = hash as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return;
            }
            if s == want {
                break;
            }
            i = (i + 1) & self.mask;
        }
        // Backward-shift deletion.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & self.mask;
            let s = self.slots[j];
            if s == 0 {
                break;
            }
            let home = (s >> 32) as usize & self.mask;
            // Move `s` into the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = s;
                hole = j;
            }
        }
        self.slots[hole] = 0;
        self.len -= 1;
    }
}

/// Field and name index for one table.
#[derive(Debug)]
pub(crate) struct Index {
    fields: Slots,
    names: Slots,
}

impl Index {
    pub(crate) fn new(table_capacity: usize) -> Self {
        let max_entries = table_capacity / 32 + 1;
        Index {
            fields: Slots::new(max_entries),
            names: Slots::new(max_entries),
        }
    }

    /// Whether this index was sized for a table of `capacity` octets.
    pub(crate) fn fits(&self, capacity: usize) -> bool {
        self.fields.max >= (capacity / 32 + 1) * 4
    }

    /// 0-based table position of the newest entry equal to (name, value).
    #[inline]
    pub(crate) fn find_field(
        &self,
        table: &Table,
        field_hash: u32,
        name: &[u8],
        value: &[u8],
    ) -> Option<usize> {
        let mut pos = None;
        self.fields
            .find(field_hash, |seq| match table.position_of(seq) {
                Some(i) if table.get(i) == Some((name, value)) => {
                    pos = Some(i);
                    true
                }
                _ => false,
            })?;
        pos
    }

    /// 0-based table position of the newest entry named `name`.
    #[inline]
    pub(crate) fn find_name(&self, table: &Table, name_hash: u32, name: &[u8]) -> Option<usize> {
        let mut pos = None;
        self.names
            .find(name_hash, |seq| match table.position_of(seq) {
                Some(i) if table.get(i).map(|(n, _)| n) == Some(name) => {
                    pos = Some(i);
                    true
                }
                _ => false,
            })?;
        pos
    }

    /// Records the table entry at 0-based position `pos` (0 when just inserted).
    pub(crate) fn record(&mut self, table: &Table, pos: usize) {
        let seq = table.seq_of(pos);
        let Some((name, value)) = table.get(pos) else {
            return;
        };
        let (field_hash, name_hash) = table.hashes(pos);
        self.fields.upsert(field_hash, seq, |s| {
            s != seq && table.position_of(s).and_then(|i| table.get(i)) == Some((name, value))
        });
        self.names.upsert(name_hash, seq, |s| {
            s != seq
                && table
                    .position_of(s)
                    .and_then(|i| table.get(i))
                    .map(|(n, _)| n)
                    == Some(name)
        });
    }

    /// Forgets an evicted entry.
    pub(crate) fn evicted(&mut self, seq: u32, field_hash: u32, name_hash: u32) {
        self.fields.remove(field_hash, seq);
        self.names.remove(name_hash, seq);
    }
}
