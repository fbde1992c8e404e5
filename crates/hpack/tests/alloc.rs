//! Allocation tests with a counting global allocator (one #[test], so no other test thread
//! allocates meanwhile):
//! 1. Zero allocations per block in steady state: after one warm-up pass over the nghttp2
//!    stories, a second pass decodes every block (and encodes every story's header lists)
//!    without a single allocation.
//! 2. Decoding arbitrary bytes never allocates more than the configured limits allow, however
//!    long the input (proptest).
//! 3. A new decoder or encoder allocates nothing until its dynamic table takes an entry, and
//!    then memory in proportion to what the table holds, not to its 4096-octet maximum (an idle
//!    HTTP/2 connection keeps both for its lifetime).

mod common;

use brisk_hpack::{Decoder, Encoder, Field, Limits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[global_allocator]
static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;

/// Empties a decoder's table with a legitimate block (size update to 0, then back to 4096),
/// so a story can be replayed as if on a fresh connection.
const RESET: [u8; 4] = [0x20, 0x3f, 0xe1, 0x1f];

#[test]
fn allocations() {
    // The counter is live on this thread: a deliberate allocation moves it.
    let probe = brisk_testkit::allocations();
    std::hint::black_box(vec![0u8; 16]);
    assert!(
        brisk_testkit::allocations() > probe,
        "the counting allocator sees this thread"
    );
    steady_state_blocks_do_not_allocate();
    arbitrary_input_allocates_within_the_limits();
    tables_allocate_lazily_and_in_proportion();
}

fn tables_allocate_lazily_and_in_proportion() {
    let mut out = Vec::with_capacity(1024);
    let base = brisk_testkit::live_bytes();
    let mut decoder = Decoder::new();
    let mut encoder = Encoder::new();
    assert_eq!(
        brisk_testkit::live_bytes() - base,
        0,
        "new coders allocate nothing"
    );
    // Fields only from the static table: still nothing.
    decoder.decode(&[0x82, 0x86, 0x84], |_| {}).unwrap();
    encoder.encode([Field::new(b":status", b"200")], &mut out);
    assert_eq!(
        brisk_testkit::live_bytes() - base,
        0,
        "static fields allocate nothing"
    );

    // A request as nghttp2 sends it: :path, :authority and user-agent indexed.
    let block = [
        &[0x82, 0x86, 0x44, 10][..],
        b"/plaintext",
        &[0x41, 14],
        b"127.0.0.1:8080",
        &[0x7a, 13],
        b"idle-client/1",
    ]
    .concat();
    decoder.decode(&block, |_| {}).unwrap();
    let decoder_bytes = brisk_testkit::live_bytes() - base;
    // A response with indexed fields.
    out.clear();
    encoder.encode(
        [
            Field::new(b":status", b"200"),
            Field::new(b"content-type", b"text/plain"),
            Field::new(b"server", b"brisk"),
            Field::new(b"content-length", b"13"),
        ],
        &mut out,
    );
    let encoder_bytes = brisk_testkit::live_bytes() - base - decoder_bytes;
    println!("after one request: decoder {decoder_bytes} B, encoder {encoder_bytes} B");
    assert_eq!(decoder.table_entries().count(), 3);
    assert!(decoder_bytes <= 512, "decoder holds {decoder_bytes} B");
    assert!(encoder_bytes <= 1024, "encoder holds {encoder_bytes} B");
    drop((decoder, encoder));
}

fn steady_state_blocks_do_not_allocate() {
    let Some(corpora) = common::corpora("alloc::steady_state_blocks_do_not_allocate") else {
        return;
    };
    let stories = common::stories(&corpora, "nghttp2");
    let blocks: usize = stories.iter().map(|s| s.cases.len()).sum();
    assert_eq!(blocks, 3384);
    let mut decoders: Vec<Decoder> = stories.iter().map(|_| Decoder::new()).collect();
    let mut encoders: Vec<Encoder> = stories.iter().map(|_| Encoder::new()).collect();
    let mut out = Vec::with_capacity(64 * 1024);
    for pass in 0..2 {
        let before = brisk_testkit::allocations();
        let mut fields = 0usize;
        for ((story, decoder), encoder) in stories.iter().zip(&mut decoders).zip(&mut encoders) {
            decoder.decode(&RESET, |_| {}).unwrap();
            encoder.set_peer_max_table_size(0);
            out.clear();
            encoder.encode([], &mut out);
            encoder.set_peer_max_table_size(4096);
            for case in &story.cases {
                let wire = case.wire.as_deref().unwrap();
                let mut i = 0;
                let mut ok = true;
                decoder
                    .decode(wire, |f| {
                        ok &= case
                            .headers
                            .get(i)
                            .is_some_and(|(n, v)| f.name == n && f.value == v);
                        i += 1;
                    })
                    .unwrap();
                assert!(
                    ok && i == case.headers.len(),
                    "{} seqno {}",
                    story.name,
                    case.seqno
                );
                fields += i;
                out.clear();
                encoder.encode(case.headers.iter().map(|(n, v)| Field::new(n, v)), &mut out);
                assert!(!out.is_empty() || case.headers.is_empty());
            }
        }
        let allocs = brisk_testkit::allocations() - before;
        println!("pass {pass}: {blocks} blocks decoded and encoded, {fields} fields, {allocs} allocations");
        if pass == 1 {
            assert_eq!(
                allocs, 0,
                "steady state allocated {allocs} times over {blocks} blocks"
            );
        }
    }
}

fn arbitrary_input_allocates_within_the_limits() {
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(vec![0usize, 64, 256, 4096]),
        prop::sample::select(vec![0usize, 100, 1000, 16384]),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6000), 1..4),
    );
    let worst = std::cell::Cell::new(0usize);
    runner
        .run(&strategy, |(table, list, blocks)| {
            let mut limits = Limits::default();
            limits.max_table_size = table;
            limits.max_header_list_size = list;
            let base = brisk_testkit::live_bytes();
            brisk_testkit::reset_peak();
            let mut decoder = Decoder::with_limits(limits);
            for block in &blocks {
                if decoder
                    .decode(block, |_| {})
                    .is_err_and(|e| e.is_compression_error())
                {
                    break;
                }
            }
            let peak = brisk_testkit::peak_bytes() - base;
            drop(decoder);
            // Table ring (2 * table) + entry offsets (<= 48 octets per 32 of table) + Huffman
            // scratch for a name and a value (each <= max(list, table) + 2) plus a copied name,
            // with Vec growth of up to 2x: independent of the input length (up to 24 KB here).
            let keep = list.max(table);
            let bound = 2 * table + 2 * table + 2 * (2 * (keep + 2) + table) + 1024;
            worst.set(worst.get().max(peak * 100 / bound.max(1)));
            prop_assert!(
                peak <= bound,
                "peak {} > bound {} (table {}, list {})",
                peak,
                bound,
                table,
                list
            );
            Ok(())
        })
        .unwrap();
    println!(
        "arbitrary input: worst peak at {}% of the bound",
        worst.get()
    );
}
