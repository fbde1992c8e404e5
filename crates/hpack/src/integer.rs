//! Prefix-coded integers (RFC 7541 §5.1).
//!
//! ```text
//!   0   1   2   3   4   5   6   7
//! +---+---+---+---+---+---+---+---+
//! | ? | ? | ? | 1   1   1   1   1 |   prefix full: continuation octets follow
//! +---+---+---+-------------------+
//! | 1 |    Value-(2^N-1) LSB      |
//! +---+---------------------------+
//!                ...
//! +---+---------------------------+
//! | 0 |    Value-(2^N-1) MSB      |
//! +---+---------------------------+
//! ```

use crate::Error;

/// Most continuation octets accepted: 5 carry 35 bits, enough for any value below 2^32 plus
/// the prefix; a 6th is refused rather than read (no unbounded loops on `0x80 0x80 ...`).
pub(crate) const MAX_CONTINUATION_OCTETS: usize = 5;

/// Decodes an integer with an `n`-bit prefix starting at `block[pos]` (which must exist).
/// Returns the value and the position after it.
#[inline]
pub(crate) fn decode(block: &[u8], pos: usize, n: u32) -> Result<(usize, usize), Error> {
    let mask = (1u32 << n) - 1;
    let first = u32::from(block[pos]) & mask;
    if first < mask {
        return Ok((first as usize, pos + 1));
    }
    decode_continuation(block, pos + 1, u64::from(mask))
}

#[cold]
fn decode_continuation(
    block: &[u8],
    mut pos: usize,
    mut value: u64,
) -> Result<(usize, usize), Error> {
    let mut shift = 0;
    for _ in 0..MAX_CONTINUATION_OCTETS {
        let Some(&b) = block.get(pos) else {
            return Err(Error::Truncated);
        };
        pos += 1;
        value += u64::from(b & 0x7f) << shift;
        if value > u64::from(u32::MAX) {
            return Err(Error::IntegerOverflow);
        }
        if b & 0x80 == 0 {
            return Ok((value as usize, pos));
        }
        shift += 7;
    }
    if pos >= block.len() {
        Err(Error::Truncated)
    } else {
        Err(Error::IntegerTooLong)
    }
}

/// Appends `value` with an `n`-bit prefix; `flags` holds the representation bits above the prefix.
#[inline]
pub(crate) fn encode(out: &mut Vec<u8>, flags: u8, n: u32, value: usize) {
    let mask = (1usize << n) - 1;
    if value < mask {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | mask as u8);
    let mut rest = value - mask;
    while rest >= 0x80 {
        out.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    out.push(rest as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(flags: u8, n: u32, v: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, flags, n, v);
        out
    }

    #[test]
    fn rfc7541_c1_examples() {
        // C.1.1: 10 with a 5-bit prefix.
        assert_eq!(enc(0, 5, 10), [0x0a]);
        assert_eq!(decode(&[0x0a], 0, 5), Ok((10, 1)));
        // C.1.2: 1337 with a 5-bit prefix.
        assert_eq!(enc(0, 5, 1337), [0x1f, 0x9a, 0x0a]);
        assert_eq!(decode(&[0x1f, 0x9a, 0x0a], 0, 5), Ok((1337, 3)));
        // C.1.3: 42 at an octet boundary.
        assert_eq!(enc(0, 8, 42), [0x2a]);
        assert_eq!(decode(&[0x2a], 0, 8), Ok((42, 1)));
    }

    #[test]
    fn limits() {
        for n in 1..=8 {
            for v in [
                0usize,
                1,
                30,
                31,
                126,
                127,
                128,
                255,
                256,
                16_383,
                1 << 20,
                u32::MAX as usize,
            ] {
                let b = enc(0, n, v);
                assert_eq!(decode(&b, 0, n), Ok((v, b.len())), "n={n} v={v}");
            }
        }
        assert_eq!(
            decode(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0x0f], 0, 5),
            Err(Error::IntegerOverflow)
        );
        assert_eq!(
            decode(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 0, 5),
            Err(Error::IntegerTooLong)
        );
        assert_eq!(
            decode(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x00], 0, 5),
            Ok((31, 6))
        );
        assert_eq!(decode(&[0x1f, 0x80], 0, 5), Err(Error::Truncated));
        assert_eq!(decode(&[0x1f], 0, 5), Err(Error::Truncated));
    }
}
