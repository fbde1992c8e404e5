//! Huffman coding of string literals (RFC 7541 §5.2, Appendix B).
//!
//! Decoding looks up the next 12 bits of a 64-bit bit buffer in one table
//! ([`DECODE_FAST`](crate::huffman_table::DECODE_FAST)) that yields up to two whole symbols per
//! step; codes longer than 12 bits (rare bytes) go through canonical decoding, since the RFC's
//! code is canonical (codes of one length are consecutive, in symbol order). Encoding packs codes
//! into a 64-bit accumulator and stores 32 bits at a time.

use crate::huffman_table::{
    CANON_BASE, CANON_LIMIT, CANON_SYMS, DECODE_FAST, DECODE_FAST_BITS, ENCODE_CODES,
    ENCODE_LENGTHS,
};
use crate::Error;

/// The EOS symbol (RFC 7541 Appendix B).
const EOS: u16 = 256;

/// Number of octets `src` takes once Huffman-coded, padding included.
#[inline]
pub(crate) fn encoded_len(src: &[u8]) -> usize {
    let mut bits = 0usize;
    for &b in src {
        bits += usize::from(ENCODE_LENGTHS[usize::from(b)]);
    }
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `src` to `out`, padded with the most significant bits of EOS.
#[inline]
pub(crate) fn encode(src: &[u8], out: &mut Vec<u8>) {
    // INVARIANT: `n < 32` between symbols, so adding a code of at most 30 bits fits in 64.
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in src {
        let len = u32::from(ENCODE_LENGTHS[usize::from(b)]);
        acc = (acc << len) | u64::from(ENCODE_CODES[usize::from(b)]);
        n += len;
        if n >= 32 {
            n -= 32;
            out.extend_from_slice(&((acc >> n) as u32).to_be_bytes());
        }
    }
    if n > 0 {
        let pad = (8 - n % 8) % 8;
        acc = (acc << pad) | ((1u64 << pad) - 1);
        n += pad;
        while n > 0 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
}

/// Huffman-decodes `src` (RFC 7541 §5.2), appending the output to `out`.
///
/// # Errors
///
/// [`Error::HuffmanPaddingTooLong`], [`Error::HuffmanPaddingNotOnes`] or [`Error::HuffmanEos`];
/// `out` keeps its previous contents then.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_hpack::huffman_decode(&[0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf], &mut out)?;
/// assert_eq!(out, b"no-cache");
/// # Ok::<(), brisk_hpack::Error>(())
/// ```
pub fn huffman_decode(src: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    out.resize(start + max_decoded_len(src.len()) + OUT_SLACK, 0);
    match decode::<false>(src, &mut out[start..]) {
        Ok(n) => {
            out.truncate(start + n);
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

/// Huffman-encodes `src` (RFC 7541 Appendix B), appending [`huffman_encoded_len`] octets to
/// `out`.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_hpack::huffman_encode(b"no-cache", &mut out);
/// assert_eq!(out, [0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf]);
/// ```
pub fn huffman_encode(src: &[u8], out: &mut Vec<u8>) {
    out.reserve(encoded_len(src));
    encode(src, out);
}

/// Number of octets [`huffman_encode`] produces for `src`, padding included.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_hpack::huffman_encoded_len(b"no-cache"), 6);
/// ```
pub fn huffman_encoded_len(src: &[u8]) -> usize {
    encoded_len(src)
}

/// Most octets `src_len` Huffman-coded octets can decode to (the shortest code has 5 bits).
#[inline]
pub(crate) fn max_decoded_len(src_len: usize) -> usize {
    src_len * 8 / 5
}

/// Slack a decode output buffer needs beyond [`max_decoded_len`]: a fast step stores two octets.
pub(crate) const OUT_SLACK: usize = 2;

/// Decodes `src` into `out` and returns the decoded length.
///
/// Without `DISCARD`, `out` must hold `max_decoded_len(src.len()) + OUT_SLACK` octets. With
/// `DISCARD`, `out` is a scratch ring whose length is a power of two: the output is thrown away and
/// only validated and counted (used for strings too large to keep).
#[inline]
pub(crate) fn decode<const DISCARD: bool>(src: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let ring = out.len().wrapping_sub(1);
    let at = |o: usize| if DISCARD { o & ring } else { o };
    // INVARIANT: `acc` holds `nbits` valid bits at its top; the bits below may hold the leading
    // bits of `src[pos]`, which a later refill ORs in again unchanged.
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    let mut pos = 0usize;
    let mut o = 0usize;
    let shift = 64 - DECODE_FAST_BITS;

    // Bulk: refill 7+ octets at a time while 8 can be loaded, decode while 30+ bits are valid.
    while pos + 8 <= src.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&src[pos..pos + 8]);
        acc |= u64::from_be_bytes(word) >> nbits;
        let k = (63 - nbits) >> 3;
        pos += k as usize;
        nbits += k * 8;
        while nbits >= 30 {
            let e = DECODE_FAST[(acc >> shift) as usize];
            let len = e >> 24;
            if len != 0 {
                out[at(o)] = e as u8;
                out[at(o + 1)] = (e >> 8) as u8;
                o += ((e >> 16) & 3) as usize;
                acc <<= len;
                nbits -= len;
            } else {
                let (sym, len) = canonical(acc, DECODE_FAST_BITS + 1);
                if sym == EOS {
                    return Err(Error::HuffmanEos);
                }
                out[at(o)] = sym as u8;
                o += 1;
                acc <<= len;
                nbits -= len;
            }
        }
    }

    // Tail (fewer than 8 octets left): the rest of `src` is copied into a stack buffer padded
    // with ones, so refills stay word-wide and a lookup never sees garbage. `left` counts the
    // real bits; a code that reaches into the ones ends the string, and what is left is then
    // checked as padding.
    let rest = &src[pos..];
    let mut left = nbits as usize + 8 * rest.len();
    // INVARIANT: refills only load bits the loop may consume: at most the 56 real bits of
    // `rest` plus one 63-bit refill ahead, so `tp <= 14` and `tp + 8 <= 22 < 32`.
    let mut tail = [0xffu8; 32];
    tail[..rest.len()].copy_from_slice(rest);
    let mut tp = 0usize;
    loop {
        if nbits < 30 {
            let mut word = [0u8; 8];
            word.copy_from_slice(&tail[tp..tp + 8]);
            acc |= u64::from_be_bytes(word) >> nbits;
            let k = (63 - nbits) >> 3;
            tp += k as usize;
            nbits += k * 8;
        }
        if left == 0 {
            return Ok(o);
        }
        let e = DECODE_FAST[(acc >> shift) as usize];
        let len = e >> 24;
        if len != 0 && len as usize <= left {
            out[at(o)] = e as u8;
            out[at(o + 1)] = (e >> 8) as u8;
            o += ((e >> 16) & 3) as usize;
            acc <<= len;
            nbits -= len;
            left -= len as usize;
            continue;
        }
        let len1 = (e >> 18) & 0x3f;
        let (sym, len) = if len1 != 0 {
            (e as u16 & 0xff, len1)
        } else {
            canonical(acc, DECODE_FAST_BITS + 1)
        };
        if len as usize > left {
            // What is left is padding (RFC 7541 §5.2): at most 7 bits, all ones.
            if acc >> (64 - left) != (1u64 << left) - 1 {
                return Err(Error::HuffmanPaddingNotOnes);
            }
            if left > 7 {
                return Err(Error::HuffmanPaddingTooLong);
            }
            return Ok(o);
        }
        if sym == EOS {
            return Err(Error::HuffmanEos);
        }
        out[at(o)] = sym as u8;
        o += 1;
        acc <<= len;
        nbits -= len;
        left -= len as usize;
    }
}

/// Canonical decoding of the code at the top of `bits`, trying lengths from `from` up; every
/// 30-bit pattern is a code or has one as a prefix, so this always returns.
#[inline]
fn canonical(bits: u64, from: u32) -> (u16, u32) {
    let mut len = from;
    loop {
        let code = (bits >> (64 - len)) as u32;
        if code < CANON_LIMIT[len as usize] {
            let idx = (code as i32 + CANON_BASE[len as usize]) as usize;
            return (CANON_SYMS[idx], len);
        }
        len += 1;
    }
}

/// Reference decoder, one bit at a time over the code list (tests and fuzzing only).
#[cfg(any(test, fuzzing))]
pub(crate) fn decode_reference(src: &[u8]) -> Result<Vec<u8>, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(src: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = vec![0; max_decoded_len(src.len()) + OUT_SLACK];
        let n = decode::<false>(src, &mut out)?;
        let mut ring = [0u8; 64];
        assert_eq!(decode::<true>(src, &mut ring), Ok(n));
        out.truncate(n);
        Ok(out)
    }

    fn enc(src: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(src, &mut out);
        assert_eq!(out.len(), encoded_len(src));
        out
    }

    #[test]
    fn rfc7541_c4_strings() {
        let cases: [(&[u8], &[u8]); 4] = [
            (
                b"www.example.com",
                &[
                    0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
                ],
            ),
            (b"no-cache", &[0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf]),
            (
                b"custom-key",
                &[0x25, 0xa8, 0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f],
            ),
            (
                b"custom-value",
                &[0x25, 0xa8, 0x49, 0xe9, 0x5b, 0xb8, 0xe8, 0xb4, 0xbf],
            ),
        ];
        for (plain, coded) in cases {
            assert_eq!(enc(plain), coded);
            assert_eq!(dec(coded).unwrap(), plain);
        }
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        assert_eq!(dec(&enc(&all)).unwrap(), all);
        for b in 0..=255u8 {
            for n in 1..12 {
                let s = vec![b; n];
                assert_eq!(dec(&enc(&s)), Ok(s), "byte {b} times {n}");
            }
        }
        assert_eq!(dec(&[]).unwrap(), b"");
    }

    #[test]
    fn agrees_with_the_bit_at_a_time_reference() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(dec(&[a, b]), decode_reference(&[a, b]), "{a:02x} {b:02x}");
                assert_eq!(dec(&[a, b, 0xff]), decode_reference(&[a, b, 0xff]));
            }
        }
        // Pseudo-random longer strings (xorshift), valid and not.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..4000usize {
            let s: Vec<u8> = (0..len % 40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            assert_eq!(dec(&s), decode_reference(&s), "{s:02x?}");
            let coded = enc(&s);
            assert_eq!(dec(&coded).as_deref(), Ok(&s[..]));
        }
    }

    #[test]
    fn bad_padding_and_eos() {
        // 'a' is 00011; then 3 bits of padding with a zero.
        assert_eq!(dec(&[0b0001_1110]), Err(Error::HuffmanPaddingNotOnes));
        // 'a' plus 3 one bits, then a whole octet of ones: 11 bits of padding.
        assert_eq!(dec(&[0b0001_1111, 0xff]), Err(Error::HuffmanPaddingTooLong));
        assert_eq!(dec(&[0xff]), Err(Error::HuffmanPaddingTooLong));
        // EOS (30 ones) then 2 padding ones.
        assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(Error::HuffmanEos));
        // 'a' then EOS, inside the bulk loop.
        let mut s = vec![0b0001_1111, 0xff, 0xff, 0xff, 0xfe];
        s.extend_from_slice(&enc(b"0123456789abcdef"));
        assert_eq!(dec(&s), Err(Error::HuffmanEos));
    }
}
