//! The one error type of the crate.

use core::fmt;

/// Why a header block could not be decoded.
///
/// Every variant except [`Error::HeaderListTooLarge`] means the peer broke RFC 7541: for HTTP/2 it
/// is a connection error of type `COMPRESSION_ERROR` (RFC 9113 §4.3), because the decoder's dynamic
/// table may no longer match the encoder's. [`Error::HeaderListTooLarge`] is different: the decoder
/// finished the block, its table is in sync, and the connection can go on (HTTP/2 answers the
/// request with 431 or resets the stream).
///
/// # Examples
///
/// ```
/// use brisk_hpack::{Decoder, Error};
///
/// let mut decoder = Decoder::new();
/// // Indexed field with index 0 (RFC 7541 §6.1).
/// assert_eq!(decoder.decode(&[0x80], |_| {}), Err(Error::ZeroIndex));
/// assert!(Error::ZeroIndex.is_compression_error());
/// assert!(!Error::HeaderListTooLarge.is_compression_error());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The block ended in the middle of a representation: an integer, or a string whose length
    /// runs past the end of the block (RFC 7541 §5.1, §5.2).
    Truncated,
    /// An integer used more than 5 continuation octets (RFC 7541 §5.1 leaves the bound to us).
    IntegerTooLong,
    /// An integer's value exceeds 2^32 - 1 (RFC 7541 §5.1).
    IntegerOverflow,
    /// An indexed representation used index 0 (RFC 7541 §6.1).
    ZeroIndex,
    /// An index past the end of the static and dynamic tables (RFC 7541 §2.3.3).
    IndexOutOfRange,
    /// A Huffman string ended with more than 7 bits of padding (RFC 7541 §5.2).
    HuffmanPaddingTooLong,
    /// A Huffman string's padding was not the most significant bits of EOS, i.e. not all ones
    /// (RFC 7541 §5.2).
    HuffmanPaddingNotOnes,
    /// A Huffman string contained the EOS symbol (RFC 7541 §5.2).
    HuffmanEos,
    /// A dynamic table size update above the acknowledged SETTINGS_HEADER_TABLE_SIZE
    /// (RFC 7541 §6.3).
    SizeUpdateTooLarge,
    /// A dynamic table size update after the first field of a block (RFC 7541 §4.2).
    SizeUpdateNotAtStart,
    /// Our setting was lowered, and the next block did not begin with a dynamic table size
    /// update at or below the lowest value (RFC 7541 §4.2).
    MissingSizeUpdate,
    /// The decoded header list (name + value + 32 per field, RFC 9113 §6.5.2) exceeds the
    /// configured maximum. The block was still decoded to its end, so the decoder stays in sync.
    HeaderListTooLarge,
}

impl Error {
    /// Whether the error leaves the decoder out of sync with its peer: true for every variant but
    /// [`Error::HeaderListTooLarge`]. HTTP/2 maps `true` to a connection error `COMPRESSION_ERROR`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_hpack::Error::Truncated.is_compression_error());
    /// ```
    pub fn is_compression_error(self) -> bool {
        match self {
            Error::HeaderListTooLarge => false,
            Error::Truncated
            | Error::IntegerTooLong
            | Error::IntegerOverflow
            | Error::ZeroIndex
            | Error::IndexOutOfRange
            | Error::HuffmanPaddingTooLong
            | Error::HuffmanPaddingNotOnes
            | Error::HuffmanEos
            | Error::SizeUpdateTooLarge
            | Error::SizeUpdateNotAtStart
            | Error::MissingSizeUpdate => true,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "header block ends inside a representation",
            Error::IntegerTooLong => "hpack integer has more than 5 continuation octets",
            Error::IntegerOverflow => "hpack integer exceeds 2^32 - 1",
            Error::ZeroIndex => "hpack index 0",
            Error::IndexOutOfRange => "hpack index past the end of the tables",
            Error::HuffmanPaddingTooLong => "huffman padding longer than 7 bits",
            Error::HuffmanPaddingNotOnes => "huffman padding is not all ones",
            Error::HuffmanEos => "huffman string contains the eos symbol",
            Error::SizeUpdateTooLarge => "dynamic table size update above the setting",
            Error::SizeUpdateNotAtStart => "dynamic table size update after a header field",
            Error::MissingSizeUpdate => "missing dynamic table size update after a lowered setting",
            Error::HeaderListTooLarge => "header list exceeds the maximum size",
        })
    }
}

impl std::error::Error for Error {}
