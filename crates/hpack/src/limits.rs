//! Decoder limits.

/// Limits a [`Decoder`](crate::Decoder) enforces on what the peer sends.
///
/// # Examples
///
/// ```
/// use brisk_hpack::{Decoder, Limits};
///
/// let mut limits = Limits::default();
/// limits.max_header_list_size = 16 * 1024;
/// let decoder = Decoder::with_limits(limits);
/// assert_eq!(decoder.max_table_size(), 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Our SETTINGS_HEADER_TABLE_SIZE as acknowledged by the peer: the largest dynamic table size
    /// the peer may select with a size update (RFC 7541 §4.2, RFC 9113 §6.5.2). The decoder's
    /// table buffer is twice this, allocated on first use. Default: 4096 (the protocol default).
    pub max_table_size: usize,
    /// Largest decoded header list, counting name + value + 32 octets per field (RFC 9113
    /// §6.5.2), enforced while decoding so a small block of repeated indexes cannot expand into
    /// a large list (HPACK bomb). Also bounds the scratch space a single Huffman string may
    /// take. Default: 65536.
    pub max_header_list_size: usize,
}

impl Limits {
    /// The defaults, as a `const`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Limits::DEFAULT, brisk_hpack::Limits::default());
    /// ```
    pub const DEFAULT: Limits = Limits {
        max_table_size: 4096,
        max_header_list_size: 65536,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_match_docs() {
        let l = super::Limits::default();
        assert_eq!(l.max_table_size, 4096);
        assert_eq!(l.max_header_list_size, 65536);
    }
}
