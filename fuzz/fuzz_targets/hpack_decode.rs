//! Fuzz target `hpack_decode`: arbitrary bytes as a sequence of header blocks for one decoder.
//!
//! Invariants checked, beyond "no panic": the fields emitted for a block never exceed the
//! header list limit; a block that fails with a compression error ends the connection, while
//! `HeaderListTooLarge` leaves the decoder usable; the table never exceeds its maximum; and
//! the table-driven Huffman decoder agrees with a bit-at-a-time reference on the same bytes.
#![no_main]

use brisk_hpack::{Decoder, Error, Limits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // Huffman: fast decoder == reference decoder (same output or same error).
    let huff = &data[2..data.len().min(2 + 64)];
    assert_eq!(
        brisk_hpack::fuzzing::huffman_decode(huff),
        brisk_hpack::fuzzing::huffman_decode_reference(huff)
    );

    let mut limits = Limits::default();
    limits.max_table_size = [0, 64, 256, 4096][usize::from(data[0] & 3)];
    limits.max_header_list_size = [0, 100, 1000, 65536][usize::from((data[0] >> 2) & 3)];
    let mut decoder = Decoder::with_limits(limits);
    if data[0] & 0x10 != 0 {
        decoder.set_max_table_size(usize::from(data[1]));
    }
    // Blocks: a length octet, then that many octets.
    let mut rest = &data[2..];
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (block, tail) = tail.split_at(n);
        rest = tail;
        let mut list = 0usize;
        let result = decoder.decode(block, |f| {
            list += f.name.len() + f.value.len() + 32;
            assert!(
                f.name.len() + f.value.len() <= block.len() * 8 / 5 + 4096,
                "field larger than any source"
            );
        });
        assert!(
            list <= decoder.max_header_list_size(),
            "emitted {list} > limit"
        );
        assert!(decoder.table_size() <= decoder.table_max_size());
        assert!(decoder.table_max_size() <= decoder.max_table_size());
        let sum: usize = decoder
            .table_entries()
            .map(|(n, v)| n.len() + v.len() + 32)
            .sum();
        assert_eq!(sum, decoder.table_size());
        match result {
            Ok(()) | Err(Error::HeaderListTooLarge) => {}
            Err(e) => {
                assert!(e.is_compression_error());
                return;
            }
        }
    }
});
