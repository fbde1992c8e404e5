//! Internals exposed to the fuzz targets only (`cfg(fuzzing)`).

use crate::Error;

/// Huffman-decodes `src`, returning the decoded bytes.
///
/// # Errors
///
/// The Huffman errors of [`Error`].
pub fn huffman_decode(src: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0; crate::huffman::max_decoded_len(src.len()) + crate::huffman::OUT_SLACK];
    let n = crate::huffman::decode::<false>(src, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Huffman-encodes `src`, checking the encoded length function agrees.
pub fn huffman_encode(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::huffman::encode(src, &mut out);
    assert_eq!(out.len(), crate::huffman::encoded_len(src));
    out
}

/// Reference Huffman decoder: one bit at a time over the code list, as RFC 7541 §5.2 reads.
/// Slow and obviously correct; the fuzz targets compare the table-driven decoder against it.
///
/// # Errors
///
/// The Huffman errors of [`Error`].
pub fn huffman_decode_reference(src: &[u8]) -> Result<Vec<u8>, Error> {
    crate::huffman::decode_reference(src)
}
