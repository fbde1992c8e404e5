//! The header block encoder (RFC 7541 §6), with the indexing decisions of §7.1.3.

use crate::huffman;
use crate::index::{self, Index};
use crate::integer;
use crate::static_table::{self, STATIC_LEN};
use crate::table::{Entry, Table, TableEntries, ENTRY_OVERHEAD};
use crate::Field;

/// Default cap on the dynamic table the encoder uses, whatever the peer allows (the protocol's
/// default table size: a larger table costs memory per connection for little gain).
///
/// # Examples
///
/// ```
/// let mut encoder = brisk_hpack::Encoder::new();
/// encoder.set_peer_max_table_size(1 << 20);
/// encoder.encode([], &mut Vec::new());
/// assert_eq!(encoder.table_max_size(), brisk_hpack::DEFAULT_ENCODER_TABLE_CAP);
/// ```
pub const DEFAULT_ENCODER_TABLE_CAP: usize = 4096;

/// Which fields the encoder adds to the dynamic table.
///
/// # Examples
///
/// ```
/// use brisk_hpack::{Encoder, Field, Strategy};
///
/// let mut encoder = Encoder::new();
/// encoder.set_strategy(Strategy::StaticOnly);
/// let mut out = Vec::new();
/// encoder.encode([Field::new(b"x-a", b"1")], &mut out);
/// assert_eq!(encoder.table_size(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// Index fields worth reusing; fields whose values change from request to request
    /// (`:path`, `age`, `content-length`, `etag`, `if-modified-since`, `if-none-match`,
    /// `location`) and entries larger than 3/4 of the table are sent without indexing, as
    /// nghttp2 does.
    #[default]
    Default,
    /// Index every field the caller did not mark [`Field::never_indexed`], with no heuristics
    /// (not even for credentials): the strategy of RFC 7541 Appendix C.
    IndexAll,
    /// Never use the dynamic table: static matches and literals without indexing.
    StaticOnly,
}

/// When the encoder Huffman-codes a string literal.
///
/// # Examples
///
/// ```
/// use brisk_hpack::{Encoder, Field, Huffman};
///
/// let mut encoder = Encoder::new();
/// encoder.set_huffman(Huffman::Never);
/// let mut out = Vec::new();
/// encoder.encode([Field::new(b"x-a", b"hello")], &mut out);
/// assert!(out.windows(5).any(|w| w == b"hello"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Huffman {
    /// Huffman only when strictly shorter than the raw string.
    #[default]
    Auto,
    /// Always Huffman (as RFC 7541 C.4 and C.6 do).
    Always,
    /// Never Huffman (as RFC 7541 C.3 and C.5 do).
    Never,
}

/// Encodes header blocks, keeping the dynamic table across blocks of one connection.
///
/// # Examples
///
/// ```
/// use brisk_hpack::{Decoder, Encoder, Field};
///
/// let mut encoder = Encoder::new();
/// let mut block = Vec::new();
/// encoder.encode([Field::new(b":method", b"GET"), Field::new(b"x-id", b"42")], &mut block);
/// let mut decoder = Decoder::new();
/// let mut got = Vec::new();
/// decoder.decode(&block, |f| got.push((f.name.to_vec(), f.value.to_vec())))?;
/// assert_eq!(got[1], (b"x-id".to_vec(), b"42".to_vec()));
/// # Ok::<(), brisk_hpack::Error>(())
/// ```
///
/// # Contract
///
/// One encoder per connection and direction. The blocks must reach the peer in the order they
/// were encoded (HPACK state is shared by all streams). Call
/// [`Encoder::set_peer_max_table_size`] when a SETTINGS frame from the peer carries
/// SETTINGS_HEADER_TABLE_SIZE (before encoding the next block).
///
/// # Implementation notes
///
/// Static-table lookups go through a `match` on the name (no scan); dynamic-table lookups go
/// through a hash index of fields and names kept in sync with eviction. In steady state
/// `encode` does not allocate beyond growing `out`.
///
/// Fields are sent as never-indexed literals (RFC 7541 §6.2.3, §7.1.3) when the caller sets
/// [`Field::never_indexed`] and, except under [`Strategy::IndexAll`], for `authorization`,
/// `proxy-authorization`, `set-cookie` and `cookie` values shorter than 20 octets (short
/// cookies can be guessed through the table).
#[derive(Debug)]
pub struct Encoder {
    table: Table,
    index: Index,
    /// The peer's SETTINGS_HEADER_TABLE_SIZE.
    peer_max: usize,
    /// Our own cap on the table.
    cap: usize,
    /// Size updates owed at the start of the next block: (smallest since the last block, final).
    pending: Option<(usize, usize)>,
    strategy: Strategy,
    huffman: Huffman,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// Peer table size 4096, own cap 4096.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Encoder::new().table_max_size(), 4096);
    /// ```
    pub fn new() -> Self {
        Encoder::with_table_size(4096)
    }

    /// An encoder whose context starts with a table of `size` octets on both sides (no size
    /// update is sent), and whose cap is `size` too; as in RFC 7541 C.5, whose examples assume a
    /// 256-octet table.
    ///
    /// # Examples
    ///
    /// ```
    /// let encoder = brisk_hpack::Encoder::with_table_size(256);
    /// assert_eq!(encoder.table_max_size(), 256);
    /// ```
    pub fn with_table_size(size: usize) -> Self {
        Encoder {
            table: Table::new(size, size),
            index: Index::new(size),
            peer_max: size,
            cap: size,
            pending: None,
            strategy: Strategy::Default,
            huffman: Huffman::Auto,
        }
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the encoder uses min(size, cap) and signals the
    /// size update(s) at the start of the next block.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_hpack::Encoder;
    ///
    /// let mut encoder = Encoder::new();
    /// encoder.set_peer_max_table_size(0);
    /// let mut out = Vec::new();
    /// encoder.encode([], &mut out);
    /// assert_eq!(out, [0x20]); // size update to 0
    /// ```
    pub fn set_peer_max_table_size(&mut self, size: usize) {
        if size != self.peer_max {
            self.peer_max = size;
            self.retarget();
        }
    }

    /// Caps the table the encoder uses, whatever the peer allows (memory per connection).
    /// Default: [`DEFAULT_ENCODER_TABLE_CAP`] (4096).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut encoder = brisk_hpack::Encoder::new();
    /// encoder.set_peer_max_table_size(65536);
    /// encoder.set_table_size_cap(16384);
    /// let mut out = Vec::new();
    /// encoder.encode([], &mut out);
    /// assert_eq!(encoder.table_max_size(), 16384);
    /// ```
    pub fn set_table_size_cap(&mut self, cap: usize) {
        if cap != self.cap {
            self.cap = cap;
            self.retarget();
        }
    }

    /// Chooses which fields go into the dynamic table. Default: [`Strategy::Default`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut encoder = brisk_hpack::Encoder::new();
    /// encoder.set_strategy(brisk_hpack::Strategy::IndexAll);
    /// ```
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    /// Chooses when strings are Huffman-coded. Default: [`Huffman::Auto`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut encoder = brisk_hpack::Encoder::new();
    /// encoder.set_huffman(brisk_hpack::Huffman::Always);
    /// ```
    pub fn set_huffman(&mut self, huffman: Huffman) {
        self.huffman = huffman;
    }

    /// The dynamic table's current size (RFC 7541 §4.1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Encoder::new().table_size(), 0);
    /// ```
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's maximum size as last signalled (or implied) to the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Encoder::new().table_max_size(), 4096);
    /// ```
    pub fn table_max_size(&self) -> usize {
        self.table.max_size()
    }

    /// The dynamic table's entries, newest first.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Encoder::new().table_entries().count(), 0);
    /// ```
    pub fn table_entries(&self) -> TableEntries<'_> {
        self.table.iter()
    }

    fn retarget(&mut self) {
        let target = self.peer_max.min(self.cap);
        let min = self.pending.map_or(target, |(m, _)| m.min(target));
        self.pending = Some((min, target));
    }

    /// Encode one complete header block, appended to `out`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_hpack::{Encoder, Field};
    ///
    /// let mut encoder = Encoder::new();
    /// let mut out = Vec::new();
    /// encoder.encode([Field::new(b":method", b"GET")], &mut out);
    /// assert_eq!(out, [0x82]);
    /// ```
    pub fn encode<'f, I: IntoIterator<Item = Field<'f>>>(&mut self, fields: I, out: &mut Vec<u8>) {
        if let Some((min, target)) = self.pending.take() {
            self.apply_size_updates(min, target, out);
        }
        for field in fields {
            self.encode_field(field, out);
        }
    }

    fn apply_size_updates(&mut self, min: usize, target: usize, out: &mut Vec<u8>) {
        let index = &mut self.index;
        let mut evict =
            |seq, e: &Entry, _: &[u8], _: &[u8]| index.evicted(seq, e.hash_field, e.hash_name);
        if min < target {
            if min < self.table.max_size() {
                self.table.set_max_size(min, &mut evict);
            }
            integer::encode(out, 0x20, 5, min);
        }
        if target > self.table.capacity() {
            // Rare (a larger cap or peer setting): grow the table and, if needed, the index.
            self.table.set_capacity(target, &mut evict);
            if !self.index.fits(target) {
                self.index = Index::new(target);
                for pos in (0..self.table.len()).rev() {
                    self.index.record(&self.table, pos);
                }
            }
        }
        let index = &mut self.index;
        self.table.set_max_size(target, |seq, e, _, _| {
            index.evicted(seq, e.hash_field, e.hash_name)
        });
        integer::encode(out, 0x20, 5, target);
    }

    #[inline]
    fn encode_field(&mut self, field: Field<'_>, out: &mut Vec<u8>) {
        let Field {
            name,
            value,
            never_indexed,
        } = field;
        let static_hit = static_table::find(name, value);
        let sensitive =
            never_indexed || (self.strategy != Strategy::IndexAll && is_sensitive(name, value));
        if !sensitive {
            if let Some((i, true)) = static_hit {
                integer::encode(out, 0x80, 7, i);
                return;
            }
        }
        let use_dynamic = self.strategy != Strategy::StaticOnly && self.table.max_size() > 0;
        let name_hash = if use_dynamic { index::hash(name, 0) } else { 0 };
        let mut field_hash = 0;
        if !sensitive && use_dynamic && self.table.len() > 0 {
            field_hash = index::hash_field(name_hash, value);
            if let Some(pos) = self.index.find_field(&self.table, field_hash, name, value) {
                integer::encode(out, 0x80, 7, STATIC_LEN + 1 + pos);
                return;
            }
        }
        let name_index = match static_hit {
            Some((i, _)) => i,
            None if use_dynamic && self.table.len() > 0 => self
                .index
                .find_name(&self.table, name_hash, name)
                .map_or(0, |pos| STATIC_LEN + 1 + pos),
            None => 0,
        };
        if sensitive {
            integer::encode(out, 0x10, 4, name_index);
        } else if use_dynamic && self.should_index(name, value) {
            integer::encode(out, 0x40, 6, name_index);
            if name_index == 0 {
                self.write_string(name, out);
            }
            self.write_string(value, out);
            if field_hash == 0 {
                field_hash = index::hash_field(name_hash, value);
            }
            let index = &mut self.index;
            if self
                .table
                .insert(name, value, field_hash, name_hash, |seq, e, _, _| {
                    index.evicted(seq, e.hash_field, e.hash_name)
                })
            {
                self.index.record(&self.table, 0);
            }
            return;
        } else {
            integer::encode(out, 0x00, 4, name_index);
        }
        if name_index == 0 {
            self.write_string(name, out);
        }
        self.write_string(value, out);
    }

    #[inline]
    fn should_index(&self, name: &[u8], value: &[u8]) -> bool {
        match self.strategy {
            Strategy::IndexAll => true,
            Strategy::StaticOnly => false,
            Strategy::Default => {
                name.len() + value.len() + ENTRY_OVERHEAD <= self.table.max_size() * 3 / 4
                    && !matches!(
                        name,
                        b":path"
                            | b"age"
                            | b"content-length"
                            | b"etag"
                            | b"if-modified-since"
                            | b"if-none-match"
                            | b"location"
                    )
            }
        }
    }

    #[inline]
    fn write_string(&self, s: &[u8], out: &mut Vec<u8>) {
        let huff = match self.huffman {
            Huffman::Never => None,
            Huffman::Always => Some(huffman::encoded_len(s)),
            Huffman::Auto => Some(huffman::encoded_len(s)).filter(|&n| n < s.len()),
        };
        match huff {
            Some(n) => {
                integer::encode(out, 0x80, 7, n);
                out.reserve(n);
                huffman::encode(s, out);
            }
            None => {
                integer::encode(out, 0x00, 7, s.len());
                out.extend_from_slice(s);
            }
        }
    }
}

/// Fields that must not enter any table (RFC 7541 §7.1.3): credentials, and cookies short
/// enough to guess.
#[inline]
fn is_sensitive(name: &[u8], value: &[u8]) -> bool {
    match name {
        b"authorization" | b"proxy-authorization" | b"set-cookie" => true,
        b"cookie" => value.len() < 20,
        _ => false,
    }
}
