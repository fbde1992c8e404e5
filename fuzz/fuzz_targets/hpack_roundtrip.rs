//! Fuzz target `hpack_roundtrip`: arbitrary header lists, table size changes and encoder
//! settings; every block our encoder produces must decode (by our decoder, sharing the
//! context across blocks) to exactly the fields given, never-indexed flags preserved, with both
//! dynamic tables equal after every block. Huffman coding must round-trip any bytes.
#![no_main]

use arbitrary::Arbitrary;
use brisk_hpack::{Decoder, Encoder, Field, Huffman, Limits, Strategy};

#[derive(Arbitrary, Debug)]
enum Op {
    Block(Vec<(Vec<u8>, Vec<u8>, bool)>),
    PeerTableSize(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    strategy: u8,
    huffman: u8,
    cap: u16,
    huff_bytes: Vec<u8>,
    ops: Vec<Op>,
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let coded = brisk_hpack::fuzzing::huffman_encode(&input.huff_bytes);
    assert_eq!(
        brisk_hpack::fuzzing::huffman_decode(&coded).as_deref(),
        Ok(&input.huff_bytes[..])
    );

    let mut encoder = Encoder::new();
    encoder.set_strategy(
        [Strategy::Default, Strategy::IndexAll, Strategy::StaticOnly]
            [usize::from(input.strategy % 3)],
    );
    encoder.set_huffman(
        [Huffman::Auto, Huffman::Always, Huffman::Never][usize::from(input.huffman % 3)],
    );
    encoder.set_table_size_cap(usize::from(input.cap));
    let mut limits = Limits::default();
    limits.max_header_list_size = usize::MAX;
    let mut decoder = Decoder::with_limits(limits);
    let mut block = Vec::new();
    for op in &input.ops {
        match op {
            Op::PeerTableSize(size) => {
                // The peer acknowledged a new setting: both sides learn it.
                encoder.set_peer_max_table_size(usize::from(*size));
                decoder.set_max_table_size(usize::from(*size));
            }
            Op::Block(fields) => {
                block.clear();
                encoder.encode(
                    fields.iter().map(|(n, v, never)| Field {
                        name: n,
                        value: v,
                        never_indexed: *never,
                    }),
                    &mut block,
                );
                let mut got = Vec::new();
                decoder
                    .decode(&block, |f| {
                        got.push((f.name.to_vec(), f.value.to_vec(), f.never_indexed))
                    })
                    .expect("our own block decodes");
                assert_eq!(got.len(), fields.len());
                for ((n, v, never), (gn, gv, gnever)) in fields.iter().zip(&got) {
                    assert_eq!((n, v), (gn, gv));
                    if *never {
                        assert!(*gnever, "never-indexed flag lost");
                    }
                }
                assert!(
                    encoder.table_entries().eq(decoder.table_entries()),
                    "tables differ"
                );
                assert_eq!(encoder.table_size(), decoder.table_size());
            }
        }
    }
});
