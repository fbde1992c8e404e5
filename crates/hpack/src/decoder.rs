//! The header block decoder (RFC 7541 §3, §6).

use crate::huffman;
use crate::integer;
use crate::static_table::{STATIC_LEN, STATIC_TABLE};
use crate::table::{Entry, Table, TableEntries, ENTRY_OVERHEAD};
use crate::{Error, Field, Limits};

/// Decodes header blocks, keeping the dynamic table across blocks of one connection.
///
/// Fields go to a callback, in order, borrowing from the block (plain literals), the dynamic
/// or static table (indexed fields) or the decoder's scratch buffer (Huffman literals).
///
/// # Examples
///
/// ```
/// use brisk_hpack::Decoder;
///
/// let mut decoder = Decoder::new();
/// let mut fields = Vec::new();
/// // RFC 7541 C.3.1: :method GET, :scheme http, :path /, :authority www.example.com
/// let block = b"\x82\x86\x84\x41\x0fwww.example.com";
/// decoder.decode(block, |f| fields.push((f.name.to_vec(), f.value.to_vec())))?;
/// assert_eq!(fields[3], (b":authority".to_vec(), b"www.example.com".to_vec()));
/// assert_eq!(decoder.table_size(), 57);
/// # Ok::<(), brisk_hpack::Error>(())
/// ```
///
/// # Errors
///
/// See [`Error`]: every error but [`Error::HeaderListTooLarge`] leaves the decoder unusable (its
/// table may no longer match the peer's); HTTP/2 treats it as a connection error.
///
/// # Contract
///
/// One decoder per connection and direction. Feed it every header block the peer sends, whole
/// (HEADERS plus its CONTINUATION fragments joined), in the order received, including blocks of
/// streams you are going to refuse: skipping one desynchronises the table. Call
/// [`Decoder::set_max_table_size`] when the peer acknowledges a SETTINGS frame carrying
/// SETTINGS_HEADER_TABLE_SIZE, and [`Decoder::set_max_header_list_size`] to enforce the
/// SETTINGS_MAX_HEADER_LIST_SIZE you advertise.
///
/// # Implementation notes
///
/// In steady state a block is decoded without allocating: the table's ring buffer is allocated
/// once, and the Huffman scratch buffer grows to the largest string seen (bounded by the
/// limits) and is reused.
#[derive(Debug)]
pub struct Decoder {
    table: Table,
    limits: Limits,
    /// `Some(min)`: our setting was lowered (to at least as low as `min`) since the last block,
    /// so the next block must begin with a size update at or below `min`.
    required_update: Option<usize>,
    /// Huffman output; its length only grows, the contents are per field.
    scratch: Vec<u8>,
    /// The compression error that made this decoder unusable, returned again by every later
    /// call (the table may no longer match the peer's).
    failed: Option<Error>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// Where a decoded string lives until the field is emitted.
#[derive(Clone, Copy)]
enum Str {
    /// `block[start..end]`.
    Block(usize, usize),
    /// `scratch[start..end]`.
    Scratch(usize, usize),
    /// A Huffman string longer than any limit: validated and measured, not kept.
    Dropped(usize),
}

impl Str {
    fn len(self) -> usize {
        match self {
            Str::Block(s, e) | Str::Scratch(s, e) => e - s,
            Str::Dropped(n) => n,
        }
    }
}

#[derive(Clone, Copy)]
enum Name {
    Static(&'static [u8]),
    /// 0-based position in the dynamic table.
    Dynamic(usize),
    Literal(Str),
}

fn no_evict(_: u32, _: &Entry, _: &[u8], _: &[u8]) {}

impl Decoder {
    /// Table size 4096, max header list size: a documented default (e.g. 64 KiB).
    ///
    /// The defaults are [`Limits::DEFAULT`]: a table of 4096 octets and a header list of at most
    /// 65536 octets.
    ///
    /// # Examples
    ///
    /// ```
    /// let decoder = brisk_hpack::Decoder::new();
    /// assert_eq!(decoder.max_table_size(), 4096);
    /// assert_eq!(decoder.max_header_list_size(), 65536);
    /// ```
    pub fn new() -> Self {
        Decoder::with_limits(Limits::DEFAULT)
    }

    /// A decoder with the given limits; the dynamic table starts at `limits.max_table_size`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut limits = brisk_hpack::Limits::default();
    /// limits.max_table_size = 256;
    /// let decoder = brisk_hpack::Decoder::with_limits(limits);
    /// assert_eq!(decoder.max_table_size(), 256);
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            table: Table::new(limits.max_table_size, limits.max_table_size),
            limits,
            required_update: None,
            scratch: Vec::new(),
            failed: None,
        }
    }

    /// Our SETTINGS_HEADER_TABLE_SIZE as acknowledged by the peer. Lowering it obliges the next
    /// block to begin with a size update at or below it.
    ///
    /// Raising it only allows later size updates up to the new value (the table keeps its
    /// current maximum until the peer sends one). Lowering it below the table's current maximum
    /// shrinks the table at once (as the required update must do anyway) and makes the update
    /// mandatory, as nghttp2 does.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_hpack::{Decoder, Error};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.set_max_table_size(1024);
    /// // The next block must start with a size update <= 1024.
    /// assert_eq!(decoder.decode(&[0x82], |_| {}), Err(Error::MissingSizeUpdate));
    /// let mut decoder = Decoder::new();
    /// decoder.set_max_table_size(1024);
    /// // 0x3f 0xe1 0x07: size update to 1024 (31 + 993), then :method GET.
    /// decoder.decode(&[0x3f, 0xe1, 0x07, 0x82], |_| {})?;
    /// # Ok::<(), Error>(())
    /// ```
    pub fn set_max_table_size(&mut self, size: usize) {
        // As nghttp2 does: an update is required only when the table's current maximum no
        // longer fits (RFC 7541 is ambiguous when the setting drops but stays above it).
        if size < self.table.max_size() {
            let min = self.required_update.map_or(size, |m| m.min(size));
            self.required_update = Some(min);
            self.table.set_max_size(size, no_evict);
        }
        if size > self.table.capacity() {
            self.table.set_capacity(size, no_evict);
        }
        self.limits.max_table_size = size;
    }

    /// Max header list size (name + value + 32 per field), enforced while decoding.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_hpack::{Decoder, Error};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.set_max_header_list_size(40);
    /// // :method GET (42 octets) then :path / (38): over the limit, yet decoded to the end.
    /// assert_eq!(decoder.decode(&[0x82, 0x84], |_| {}), Err(Error::HeaderListTooLarge));
    /// // The decoder stays usable.
    /// decoder.decode(&[0x84], |_| {})?;
    /// # Ok::<(), Error>(())
    /// ```
    pub fn set_max_header_list_size(&mut self, size: usize) {
        self.limits.max_header_list_size = size;
    }

    /// The acknowledged SETTINGS_HEADER_TABLE_SIZE (the largest size update allowed).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Decoder::new().max_table_size(), 4096);
    /// ```
    pub fn max_table_size(&self) -> usize {
        self.limits.max_table_size
    }

    /// The configured maximum header list size.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Decoder::new().max_header_list_size(), 65536);
    /// ```
    pub fn max_header_list_size(&self) -> usize {
        self.limits.max_header_list_size
    }

    /// The dynamic table's current size (RFC 7541 §4.1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Decoder::new().table_size(), 0);
    /// ```
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's current maximum size, as last set by a size update.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut decoder = brisk_hpack::Decoder::new();
    /// decoder.decode(&[0x20], |_| {})?; // size update to 0
    /// assert_eq!(decoder.table_max_size(), 0);
    /// # Ok::<(), brisk_hpack::Error>(())
    /// ```
    pub fn table_max_size(&self) -> usize {
        self.table.max_size()
    }

    /// The dynamic table's entries, newest first.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Decoder::new().table_entries().count(), 0);
    /// ```
    pub fn table_entries(&self) -> TableEntries<'_> {
        self.table.iter()
    }

    /// Decode one complete header block; every field goes to `sink`, in order.
    ///
    /// # Errors
    ///
    /// Any [`Error`]. On [`Error::HeaderListTooLarge`] the fields up to the limit were given to
    /// `sink`, the rest of the block was decoded (updating the table) without being emitted, and
    /// the decoder remains usable. Any other error is sticky: this and every later call return
    /// it, since the table may no longer match the peer's.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut decoder = brisk_hpack::Decoder::new();
    /// let mut n = 0;
    /// decoder.decode(&[0x82, 0x84, 0x86], |_| n += 1)?;
    /// assert_eq!(n, 3);
    /// # Ok::<(), brisk_hpack::Error>(())
    /// ```
    pub fn decode<F: FnMut(Field<'_>)>(&mut self, block: &[u8], sink: F) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self.decode_block(block, sink);
        if let Err(e) = result {
            if e.is_compression_error() {
                self.failed = Some(e);
            }
        }
        result
    }

    fn decode_block<F: FnMut(Field<'_>)>(
        &mut self,
        block: &[u8],
        mut sink: F,
    ) -> Result<(), Error> {
        let mut pos = 0;
        if let Some(min) = self.required_update {
            if block.first().is_none_or(|b| b & 0xe0 != 0x20) {
                return Err(Error::MissingSizeUpdate);
            }
            let (size, next) = integer::decode(block, 0, 5)?;
            if size > min {
                return Err(Error::SizeUpdateTooLarge);
            }
            self.table.set_max_size(size, no_evict);
            self.required_update = None;
            pos = next;
        }
        while pos < block.len() && block[pos] & 0xe0 == 0x20 {
            let (size, next) = integer::decode(block, pos, 5)?;
            if size > self.limits.max_table_size {
                return Err(Error::SizeUpdateTooLarge);
            }
            self.table.set_max_size(size, no_evict);
            pos = next;
        }

        // Room left in the header list; None once exceeded (fields are then decoded, not emitted).
        let mut budget = Some(self.limits.max_header_list_size);
        while pos < block.len() {
            let b = block[pos];
            if b & 0x80 != 0 {
                // Indexed field (§6.1).
                let (index, next) = integer::decode(block, pos, 7)?;
                pos = next;
                let (name, value) = self.lookup(index)?;
                emit(&mut budget, &mut sink, name, value, false);
                continue;
            }
            let (indexing, never, prefix) = if b & 0x40 != 0 {
                (true, false, 6) // §6.2.1
            } else if b & 0x20 != 0 {
                return Err(Error::SizeUpdateNotAtStart); // §6.3 after a field
            } else {
                (false, b & 0x10 != 0, 4) // §6.2.2, §6.2.3
            };
            let (index, next) = integer::decode(block, pos, prefix)?;
            pos = next;
            let mut used = 0;
            let name = if index == 0 {
                let (s, next) = self.read_string(block, pos, &mut used)?;
                pos = next;
                Name::Literal(s)
            } else if index <= STATIC_LEN {
                Name::Static(STATIC_TABLE[index - 1].0)
            } else if index - STATIC_LEN <= self.table.len() {
                Name::Dynamic(index - STATIC_LEN - 1)
            } else {
                return Err(Error::IndexOutOfRange);
            };
            let (value, next) = self.read_string(block, pos, &mut used)?;
            pos = next;

            let name_len = match name {
                Name::Static(n) => n.len(),
                Name::Dynamic(i) => self.table.get(i).map_or(0, |(n, _)| n.len()),
                Name::Literal(s) => s.len(),
            };
            let size = name_len + value.len() + ENTRY_OVERHEAD;
            let fits = budget.is_some_and(|room| size <= room);
            if fits {
                let name_bytes = match name {
                    Name::Static(n) => n,
                    Name::Dynamic(i) => self.table.get(i).map_or(&[][..], |(n, _)| n),
                    Name::Literal(s) => resolve(s, block, &self.scratch),
                };
                let value_bytes = resolve(value, block, &self.scratch);
                emit(&mut budget, &mut sink, name_bytes, value_bytes, never);
            } else {
                budget = None;
            }
            if indexing {
                self.insert(name, value, size, block, used);
            }
        }
        match budget {
            Some(_) => Ok(()),
            None => Err(Error::HeaderListTooLarge),
        }
    }

    /// Name and value of static or dynamic index `index` (§2.3.3).
    #[inline]
    fn lookup(&self, index: usize) -> Result<(&[u8], &[u8]), Error> {
        if index == 0 {
            Err(Error::ZeroIndex)
        } else if index <= STATIC_LEN {
            let (n, v) = STATIC_TABLE[index - 1];
            Ok((n, v))
        } else {
            self.table
                .get(index - STATIC_LEN - 1)
                .ok_or(Error::IndexOutOfRange)
        }
    }

    /// Reads a string literal (§5.2) at `pos`; Huffman output goes to `scratch[*used..]`.
    #[inline]
    fn read_string(
        &mut self,
        block: &[u8],
        pos: usize,
        used: &mut usize,
    ) -> Result<(Str, usize), Error> {
        if pos >= block.len() {
            return Err(Error::Truncated);
        }
        let huffman = block[pos] & 0x80 != 0;
        let (len, start) = integer::decode(block, pos, 7)?;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= block.len())
            .ok_or(Error::Truncated)?;
        if !huffman {
            return Ok((Str::Block(start, end), end));
        }
        let src = &block[start..end];
        let max = huffman::max_decoded_len(len);
        // A string longer than both limits can neither be emitted nor stored in the table.
        let keep_limit = self
            .limits
            .max_header_list_size
            .max(self.limits.max_table_size);
        if max > keep_limit {
            let mut ring = [0u8; 64];
            let n = huffman::decode::<true>(src, &mut ring)?;
            return Ok((Str::Dropped(n), end));
        }
        let need = *used + max + huffman::OUT_SLACK;
        if self.scratch.len() < need {
            self.scratch.resize(need, 0);
        }
        let n = huffman::decode::<false>(src, &mut self.scratch[*used..need])?;
        let s = Str::Scratch(*used, *used + n);
        *used += n;
        Ok((s, end))
    }

    /// Inserts a literal with incremental indexing into the table (§6.2.1).
    fn insert(&mut self, name: Name, value: Str, size: usize, block: &[u8], used: usize) {
        if size > self.table.max_size()
            || matches!(value, Str::Dropped(_))
            || matches!(name, Name::Literal(Str::Dropped(_)))
        {
            // Too large for the table: it empties it (§4.4). A dropped string is always too large.
            self.table.clear(no_evict);
            return;
        }
        let value_bytes = resolve(value, block, &self.scratch);
        match name {
            Name::Static(n) => {
                self.table.insert(n, value_bytes, 0, 0, no_evict);
            }
            Name::Literal(s) => {
                let n = resolve(s, block, &self.scratch);
                self.table.insert(n, value_bytes, 0, 0, no_evict);
            }
            Name::Dynamic(i) => {
                // The name lives in the table and may be evicted by this insert (§4.4): copy it
                // after the scratch strings first.
                let Some((n, _)) = self.table.get(i) else {
                    return;
                };
                let n_len = n.len();
                if self.scratch.len() < used + n_len {
                    self.scratch.resize(used + n_len, 0);
                }
                self.scratch[used..used + n_len].copy_from_slice(n);
                let (before, after) = self.scratch.split_at(used);
                let value_bytes = match value {
                    Str::Block(s, e) => &block[s..e],
                    Str::Scratch(s, e) => &before[s..e],
                    Str::Dropped(_) => &[],
                };
                self.table
                    .insert(&after[..n_len], value_bytes, 0, 0, no_evict);
            }
        }
    }
}

#[inline]
fn resolve<'a>(s: Str, block: &'a [u8], scratch: &'a [u8]) -> &'a [u8] {
    match s {
        Str::Block(a, b) => &block[a..b],
        Str::Scratch(a, b) => &scratch[a..b],
        Str::Dropped(_) => &[],
    }
}

#[inline]
fn emit<F: FnMut(Field<'_>)>(
    budget: &mut Option<usize>,
    sink: &mut F,
    name: &[u8],
    value: &[u8],
    never_indexed: bool,
) {
    let size = name.len() + value.len() + ENTRY_OVERHEAD;
    match *budget {
        Some(room) if size <= room => {
            *budget = Some(room - size);
            sink(Field {
                name,
                value,
                never_indexed,
            });
        }
        _ => *budget = None,
    }
}
