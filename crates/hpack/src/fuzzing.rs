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
    use crate::huffman_table::{ENCODE_CODES, ENCODE_LENGTHS};
    let mut out = Vec::new();
    let (mut code, mut len) = (0u32, 0u32);
    for &byte in src {
        for bit in (0..8).rev() {
            code = (code << 1) | u32::from((byte >> bit) & 1);
            len += 1;
            if let Some(sym) =
                (0..257).find(|&s| u32::from(ENCODE_LENGTHS[s]) == len && ENCODE_CODES[s] == code)
            {
                if sym == 256 {
                    return Err(Error::HuffmanEos);
                }
                out.push(sym as u8);
                code = 0;
                len = 0;
            }
        }
    }
    if len > 0 {
        if code != (1 << len) - 1 {
            return Err(Error::HuffmanPaddingNotOnes);
        }
        if len > 7 {
            return Err(Error::HuffmanPaddingTooLong);
        }
    }
    Ok(out)
}
