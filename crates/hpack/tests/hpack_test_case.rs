//! The hpack-test-case interoperability corpus (../shared/corpora/hpack-test-case/): every
//! story of every encoder folder decodes to its headers, in order, honouring
//! `header_table_size`; every raw-data story round-trips through our encoder and decoder with
//! each strategy. Prints the totals (run with `--nocapture` to see them).

mod common;

use brisk_hpack::{Decoder, Encoder, Field, Huffman, Strategy};
use common::{corpora, decode_all, encoder_folders, stories};

#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn every_encoder_folder_decodes_to_its_headers() {
    let Some(corpora) = corpora("every_encoder_folder_decodes_to_its_headers") else {
        return;
    };
    let folders = encoder_folders(&corpora);
    assert!(
        folders.len() >= 12,
        "expected the 12 encoder folders, found {folders:?}"
    );
    let (mut n_stories, mut n_cases, mut n_headers) = (0, 0, 0);
    for folder in &folders {
        let (mut fs, mut fc, mut fh) = (0, 0, 0);
        for story in stories(&corpora, folder) {
            let mut decoder = Decoder::new();
            for case in &story.cases {
                decoder.set_max_table_size(case.header_table_size.unwrap_or(4096));
                let wire = case
                    .wire
                    .as_ref()
                    .unwrap_or_else(|| panic!("{} has no wire", story.name));
                let got = decode_all(&mut decoder, wire)
                    .unwrap_or_else(|e| panic!("{} seqno {}: {e}", story.name, case.seqno));
                let got: Vec<_> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
                assert_eq!(got, case.headers, "{} seqno {}", story.name, case.seqno);
                fc += 1;
                fh += got.len();
            }
            fs += 1;
        }
        println!("decode {folder:<32} stories {fs:>3} cases {fc:>5} headers {fh:>6}");
        n_stories += fs;
        n_cases += fc;
        n_headers += fh;
    }
    println!(
        "decode TOTAL {} folders: stories {n_stories} cases {n_cases} headers {n_headers}",
        folders.len()
    );
    assert!(n_cases > 40_000, "corpus looks incomplete: {n_cases} cases");
}

#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn raw_data_round_trips_with_every_strategy() {
    let Some(corpora) = corpora("raw_data_round_trips_with_every_strategy") else {
        return;
    };
    let raw = stories(&corpora, "raw-data");
    let n_cases: usize = raw.iter().map(|s| s.cases.len()).sum();
    let n_headers: usize = raw
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| c.headers.len())
        .sum();
    let plain: usize = raw
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| &c.headers)
        .map(|(n, v)| n.len() + v.len())
        .sum();
    println!(
        "raw-data: stories {} cases {n_cases} headers {n_headers}, name+value octets {plain}",
        raw.len()
    );
    for strategy in [Strategy::Default, Strategy::IndexAll, Strategy::StaticOnly] {
        for huffman in [Huffman::Auto, Huffman::Never, Huffman::Always] {
            let mut total = 0usize;
            for story in &raw {
                let mut encoder = Encoder::new();
                encoder.set_strategy(strategy);
                encoder.set_huffman(huffman);
                let mut decoder = Decoder::new();
                let mut block = Vec::new();
                for (i, case) in story.cases.iter().enumerate() {
                    block.clear();
                    encoder.encode(
                        case.headers.iter().map(|(n, v)| Field::new(n, v)),
                        &mut block,
                    );
                    total += block.len();
                    let got = decode_all(&mut decoder, &block).unwrap_or_else(|e| {
                        panic!("{} case {i} {strategy:?}/{huffman:?}: {e}", story.name)
                    });
                    let got: Vec<_> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
                    assert_eq!(
                        got, case.headers,
                        "{} case {i} {strategy:?}/{huffman:?}",
                        story.name
                    );
                }
            }
            println!("encode raw-data {strategy:?}/{huffman:?}: {total} octets");
        }
    }
}

/// Encoding after the peer changes its table size: the encoder signals the update(s) and the
/// decoder (which requires them, as nghttp2 does) follows, for every raw-data story.
#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn raw_data_round_trips_across_table_size_changes() {
    let Some(corpora) = corpora("raw_data_round_trips_across_table_size_changes") else {
        return;
    };
    let sizes = [4096usize, 1365, 2730, 0, 16384, 512, 4096];
    for story in stories(&corpora, "raw-data") {
        let mut encoder = Encoder::new();
        encoder.set_table_size_cap(16384);
        let mut decoder = Decoder::new();
        let mut block = Vec::new();
        for (i, case) in story.cases.iter().enumerate() {
            if i % 7 == 3 {
                let size = sizes[(i / 7) % sizes.len()];
                encoder.set_peer_max_table_size(size);
                decoder.set_max_table_size(size);
            }
            block.clear();
            encoder.encode(
                case.headers.iter().map(|(n, v)| Field::new(n, v)),
                &mut block,
            );
            let got = decode_all(&mut decoder, &block)
                .unwrap_or_else(|e| panic!("{} case {i}: {e}", story.name));
            let got: Vec<_> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
            assert_eq!(got, case.headers, "{} case {i}", story.name);
            assert_eq!(
                encoder.table_size(),
                decoder.table_size(),
                "{} case {i}",
                story.name
            );
        }
    }
}
