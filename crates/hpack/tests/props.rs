//! Property tests: any header lists round-trip through encoder and decoder across several
//! blocks sharing one context, for table sizes 0..=65536 and every strategy; decoding
//! arbitrary bytes never panics and keeps the table within its bounds.

mod common;

use brisk_hpack::{Decoder, Encoder, Field, Huffman, Limits, Strategy as Indexing};
use proptest::prelude::*;

fn name() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b":method"[..],
            b":path",
            b":status",
            b"cookie",
            b"set-cookie",
            b"authorization",
            b"content-type",
            b"accept",
            b"x-custom",
            b"date",
            b"content-length",
        ])
        .prop_map(|n| n.to_vec()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn value() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b"GET"[..],
            b"/",
            b"200",
            b"",
            b"gzip, deflate",
            b"text/html"
        ])
        .prop_map(|v| v.to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        "[a-z0-9=;/ ]{0,200}".prop_map(String::into_bytes),
    ]
}

type Block = Vec<(Vec<u8>, Vec<u8>, bool)>;

fn blocks() -> impl proptest::strategy::Strategy<Value = Vec<Block>> {
    prop::collection::vec(
        prop::collection::vec((name(), value(), prop::bool::weighted(0.1)), 0..12),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn header_lists_round_trip(
        size in prop_oneof![0usize..=65536, prop::sample::select(vec![0usize, 32, 100, 256, 4096, 65536])],
        strategy in prop::sample::select(vec![Indexing::Default, Indexing::IndexAll, Indexing::StaticOnly]),
        huffman in prop::sample::select(vec![Huffman::Auto, Huffman::Always, Huffman::Never]),
        blocks in blocks(),
        resize_at in 0usize..6,
        resize_to in 0usize..=65536,
    ) {
        let mut encoder = Encoder::new();
        encoder.set_table_size_cap(65536);
        encoder.set_strategy(strategy);
        encoder.set_huffman(huffman);
        encoder.set_peer_max_table_size(size);
        let mut limits = Limits::default();
        limits.max_header_list_size = usize::MAX;
        let mut decoder = Decoder::with_limits(limits);
        decoder.set_max_table_size(size);
        let mut block = Vec::new();
        for (i, fields) in blocks.iter().enumerate() {
            if i == resize_at {
                encoder.set_peer_max_table_size(resize_to);
                decoder.set_max_table_size(resize_to);
            }
            block.clear();
            encoder.encode(fields.iter().map(|(n, v, never)| Field { name: n, value: v, never_indexed: *never }), &mut block);
            let got = common::decode_all(&mut decoder, &block).map_err(|e| TestCaseError::fail(format!("block {i}: {e}")))?;
            prop_assert_eq!(got.len(), fields.len());
            for ((n, v, never), (gn, gv, gnever)) in fields.iter().zip(&got) {
                prop_assert_eq!((n, v), (gn, gv));
                prop_assert!(!*never || *gnever, "never-indexed flag lost");
            }
            prop_assert!(encoder.table_entries().eq(decoder.table_entries()));
            prop_assert!(decoder.table_size() <= decoder.table_max_size());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        table in prop::sample::select(vec![0usize, 64, 4096]),
        list in prop::sample::select(vec![0usize, 200, 65536]),
        blocks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..5),
    ) {
        let mut limits = Limits::default();
        limits.max_table_size = table;
        limits.max_header_list_size = list;
        let mut decoder = Decoder::with_limits(limits);
        for block in &blocks {
            let mut emitted = 0;
            let r = decoder.decode(block, |f| emitted += f.size());
            prop_assert!(emitted <= list);
            prop_assert!(decoder.table_size() <= decoder.table_max_size());
            prop_assert!(decoder.table_max_size() <= table);
            if r.is_err_and(|e| e.is_compression_error()) {
                break;
            }
        }
    }

    #[test]
    fn valid_prefix_then_garbage_never_panics(
        fields in prop::collection::vec((name(), value()), 0..8),
        garbage in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut encoder = Encoder::new();
        let mut block = Vec::new();
        encoder.encode(fields.iter().map(|(n, v)| Field::new(n, v)), &mut block);
        block.extend_from_slice(&garbage);
        let _ = Decoder::new().decode(&block, |_| {});
        // Every truncation of a valid block is an error or a prefix of the fields.
        let mut clean = Vec::new();
        Encoder::new().encode(fields.iter().map(|(n, v)| Field::new(n, v)), &mut clean);
        for cut in 0..clean.len() {
            let mut n = 0;
            let _ = Decoder::new().decode(&clean[..cut], |_| n += 1);
            prop_assert!(n <= fields.len());
        }
    }
}
