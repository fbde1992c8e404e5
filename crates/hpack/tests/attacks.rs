//! Attack inputs, each asserting its precise error (and, for the HPACK bomb, that the decoder's
//! memory stays small and that it stays in sync afterwards).

mod common;

use brisk_hpack::{Decoder, Error, Limits};
use common::hex;

// Tracks, per thread, the bytes currently allocated and their peak.
#[global_allocator]
static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;

fn decode(decoder: &mut Decoder, block: &[u8]) -> Result<usize, Error> {
    let mut n = 0;
    decoder.decode(block, |_| n += 1)?;
    Ok(n)
}

fn fresh(block: &str) -> Result<usize, Error> {
    decode(&mut Decoder::new(), &hex(block))
}

#[test]
fn hpack_bomb_stops_at_the_list_limit_with_small_memory() {
    // One entry of 4033 octets (name "x", 4000-octet value), then 10,000 references to it.
    let mut block = vec![0x40, 0x01, b'x', 0x7f, 0xa1, 0x1e]; // value length 127 + 3873 = 4000
    block.extend(std::iter::repeat_n(b'v', 4000));
    block.extend(std::iter::repeat_n(0xbe, 10_000)); // indexed, 62
    assert!(block.len() <= 16 * 1024);
    let mut limits = Limits::default();
    limits.max_header_list_size = 64 * 1024;
    let mut decoder = Decoder::with_limits(limits);
    let mut emitted = 0usize;
    let base = brisk_testkit::live_bytes();
    brisk_testkit::reset_peak();
    let result = decoder.decode(&block, |f| emitted += f.name.len() + f.value.len() + 32);
    let peak = brisk_testkit::peak_bytes() - base;
    assert_eq!(result, Err(Error::HeaderListTooLarge));
    assert!(emitted <= 64 * 1024, "emitted {emitted} octets of fields");
    // Expanded, the block would be 10,001 * 4033 = 40 MB; the decoder holds its table ring
    // (2 * 4096) and entry offsets, nothing proportional to the expansion.
    assert!(
        peak < 24 * 1024,
        "peak allocation during the bomb: {peak} octets"
    );
    println!(
        "hpack bomb: {} octets of block, {emitted} octets of fields emitted, peak allocation {peak} octets",
        block.len()
    );
    // Still in sync: the table holds the entry and a later block can use it.
    assert_eq!(decoder.table_size(), 4033);
    let mut value_len = 0;
    decoder
        .decode(&[0xbe], |f| value_len = f.value.len())
        .unwrap();
    assert_eq!(value_len, 4000);
}

#[test]
fn integer_with_six_continuation_octets() {
    assert_eq!(fresh("ff 80 80 80 80 80 00"), Err(Error::IntegerTooLong));
    // Five are allowed (redundant zero octets included).
    assert_eq!(fresh("ff 80 80 80 80 00"), Err(Error::IndexOutOfRange));
}

#[test]
fn integer_above_2_pow_32() {
    // 127 + 0x0fffffff + (15 << 28) = 2^32 + 126
    assert_eq!(fresh("ff ff ff ff ff 0f"), Err(Error::IntegerOverflow));
    // A string length of 2^32 as well.
    assert_eq!(fresh("00 7f ff ff ff ff 0f"), Err(Error::IntegerOverflow));
}

#[test]
fn size_update_above_the_setting() {
    // 31 + 98 + (31 << 7) = 4097 > 4096
    assert_eq!(fresh("3f e2 1f"), Err(Error::SizeUpdateTooLarge));
    assert_eq!(fresh("3f e1 1f 82"), Ok(1)); // exactly 4096 is fine
}

#[test]
fn size_update_after_a_field() {
    assert_eq!(fresh("82 20"), Err(Error::SizeUpdateNotAtStart));
    assert_eq!(fresh("20 20 82"), Ok(1)); // several at the start are fine
}

#[test]
fn missing_mandatory_update_after_a_lowered_setting() {
    let mut d = Decoder::new();
    d.set_max_table_size(1024);
    assert_eq!(decode(&mut d, &hex("82")), Err(Error::MissingSizeUpdate));
    let mut d = Decoder::new();
    d.set_max_table_size(1024);
    assert_eq!(decode(&mut d, &hex("")), Err(Error::MissingSizeUpdate));
    // Lowered to 100 then raised to 1024: the first update must be <= 100.
    let mut d = Decoder::new();
    d.set_max_table_size(100);
    d.set_max_table_size(1024);
    assert_eq!(
        decode(&mut d, &hex("3f e1 07 82")),
        Err(Error::SizeUpdateTooLarge)
    );
    let mut d = Decoder::new();
    d.set_max_table_size(100);
    d.set_max_table_size(1024);
    assert_eq!(decode(&mut d, &hex("3f 45 3f e1 07 82")), Ok(1)); // 100, then 1024
    assert_eq!(d.table_max_size(), 1024);
    // Only the next block owes it.
    assert_eq!(decode(&mut d, &hex("82")), Ok(1));
}

#[test]
fn index_zero() {
    assert_eq!(fresh("80"), Err(Error::ZeroIndex));
}

#[test]
fn index_beyond_the_table() {
    assert_eq!(fresh("be"), Err(Error::IndexOutOfRange));
    assert_eq!(fresh("7f 00 01 61"), Err(Error::IndexOutOfRange)); // literal name index 63
    let mut d = Decoder::new();
    assert_eq!(decode(&mut d, &hex("40 01 61 01 62 be")), Ok(2));
    assert_eq!(decode(&mut d, &hex("bf")), Err(Error::IndexOutOfRange));
}

#[test]
fn huffman_with_eight_or_more_bits_of_padding() {
    // Name "a" raw; value: 'a' (00011) + 111 + 0xff = 11 bits of padding.
    assert_eq!(
        fresh("00 01 61 82 1f ff"),
        Err(Error::HuffmanPaddingTooLong)
    );
    assert_eq!(fresh("00 01 61 81 ff"), Err(Error::HuffmanPaddingTooLong));
}

#[test]
fn huffman_padding_with_a_zero_bit() {
    // 'a' (00011) + 110.
    assert_eq!(fresh("00 01 61 81 1e"), Err(Error::HuffmanPaddingNotOnes));
}

#[test]
fn eos_symbol_in_a_string() {
    // 30 ones (EOS) + 2 ones.
    assert_eq!(fresh("00 01 61 84 ff ff ff ff"), Err(Error::HuffmanEos));
    // In a name, after other symbols.
    assert_eq!(fresh("00 85 1f ff ff ff fe 00"), Err(Error::HuffmanEos));
}

#[test]
fn string_length_beyond_the_block() {
    assert_eq!(fresh("00 05 61 62"), Err(Error::Truncated));
    assert_eq!(fresh("00 01 61 85 1f"), Err(Error::Truncated));
    assert_eq!(fresh("00"), Err(Error::Truncated));
    assert_eq!(fresh("40"), Err(Error::Truncated));
}

#[test]
fn oversized_huffman_string_is_validated_not_kept() {
    // A 4000-octet Huffman value against a 1000-octet list limit and a 256-octet table.
    let mut limits = Limits::default();
    limits.max_header_list_size = 1000;
    limits.max_table_size = 256;
    let mut d = Decoder::with_limits(limits);
    let mut block = vec![0x40, 0x01, b'x', 0xff, 0x81, 0x1f]; // Huffman, length 127 + 3969 = 4096
    block.extend(std::iter::repeat_n(0x00, 4096 - 1)); // '0' is 00000: 8 per 5 octets
    block.push(0x1f); // '0' + 111 padding
    assert_eq!(decode(&mut d, &block), Err(Error::HeaderListTooLarge));
    assert_eq!(d.table_size(), 0);
    assert_eq!(decode(&mut d, &hex("82")), Ok(1));
    let mut bad = block.clone();
    *bad.last_mut().unwrap() = 0x1e; // zero in the padding: still checked
    assert_eq!(decode(&mut d, &bad), Err(Error::HuffmanPaddingNotOnes));
}

#[test]
fn compression_errors_are_sticky() {
    let mut d = Decoder::new();
    assert_eq!(decode(&mut d, &hex("80")), Err(Error::ZeroIndex));
    assert_eq!(decode(&mut d, &hex("82")), Err(Error::ZeroIndex));
    // HeaderListTooLarge is not: the decoder stays usable.
    let mut d = Decoder::new();
    d.set_max_header_list_size(10);
    assert_eq!(decode(&mut d, &hex("82")), Err(Error::HeaderListTooLarge));
    d.set_max_header_list_size(100);
    assert_eq!(decode(&mut d, &hex("82")), Ok(1));
}

#[test]
fn table_memory_follows_the_size_the_peer_uses() {
    // A 1 MiB setting, but the peer keeps the default 4096: the ring stays small.
    let mut limits = Limits::default();
    limits.max_table_size = 1 << 20;
    let mut d = Decoder::with_limits(limits);
    let base = brisk_testkit::live_bytes();
    brisk_testkit::reset_peak();
    d.decode(&[0x3f, 0xe1, 0x1f, 0x40, 0x01, b'a', 0x01, b'b'], |_| {})
        .unwrap(); // update to 4096
    let peak = brisk_testkit::peak_bytes() - base;
    assert!(peak < 16 * 1024, "peak {peak}");
    // Raised later, entries survive the regrowth.
    let mut block = vec![0x3f, 0xff, 0x3f]; // size update to 31 + 0x7f + (0x3f << 7) = 8222
    block.extend_from_slice(&[0x40, 0x01, b'c', 0x01, b'd']);
    d.decode(&block, |_| {}).unwrap();
    let entries: Vec<_> = d.table_entries().collect();
    assert_eq!(entries, [(&b"c"[..], &b"d"[..]), (&b"a"[..], &b"b"[..])]);
    assert_eq!(d.table_max_size(), 8222);
}
