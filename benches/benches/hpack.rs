//! Criterion group `hpack`: brisk-hpack against nghttp2 (the C library, via `libnghttp2-sys`) and
//! the `httlib-hpack` crate, in the same run on the same inputs.
//!
//! - `decode/*`: every block of hpack-test-case `nghttp2/` (32 stories, 3,384 blocks), one fresh
//!   decoder per story (as one connection each). Each iteration checks the number of fields.
//! - `encode/*`: every header list of `raw-data/` (32 stories, 3,384 lists), one fresh encoder
//!   per story; each iteration checks the total encoded size. The sizes are printed once.
//! - `huffman/*`: Huffman decoding of every name and value of raw-data (MB/s of decoded
//!   output), and whole-block decoding of Huffman-heavy blocks (every field a Huffman literal,
//!   no dynamic table) by brisk and nghttp2.
//!
//! httlib-hpack's API takes owned `Vec`s (decode consumes a `Vec<u8>` block, encode takes
//! owned name/value vectors), so its figures include those copies.
//!
//! Run: `cargo bench -p brisk-benches --bench hpack -- --warm-up-time 1 --measurement-time 3`
#![allow(unsafe_code)]

#[path = "../../crates/hpack/tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::PathBuf;

use brisk_benches::paired::Paired;
use brisk_hpack::{Decoder, Encoder, Field, Huffman, Strategy};
use common::Story;
use criterion::{criterion_group, Criterion, Throughput};
use libnghttp2_sys as ng;

fn corpora() -> Option<PathBuf> {
    let path = match std::env::var_os("BRISK_CORPORA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../shared/corpora"),
    };
    if path.join("hpack-test-case").is_dir() {
        Some(path)
    } else {
        if std::env::var("BRISK_REQUIRE_CORPORA").as_deref() == Ok("1") {
            panic!("hpack bench: corpora not found at {}", path.display());
        }
        eprintln!(
            "SKIPPED hpack bench: corpora not found at {}",
            path.display()
        );
        None
    }
}

// ===== brisk =====

fn brisk_decode(stories: &[Story]) -> usize {
    let mut fields = 0;
    for story in stories {
        let mut decoder = Decoder::new();
        for case in &story.cases {
            decoder
                .decode(case.wire.as_deref().unwrap(), |f| {
                    black_box(f);
                    fields += 1;
                })
                .unwrap();
        }
    }
    fields
}

fn brisk_encode(stories: &[Story], strategy: Strategy, out: &mut Vec<u8>) -> usize {
    let mut total = 0;
    for story in stories {
        let mut encoder = Encoder::new();
        encoder.set_strategy(strategy);
        for case in &story.cases {
            out.clear();
            encoder.encode(case.headers.iter().map(|(n, v)| Field::new(n, v)), out);
            total += black_box(&*out).len();
        }
    }
    total
}

// ===== nghttp2 =====

/// Decodes every block of every story with nghttp2's inflater; returns the number of fields.
fn nghttp2_decode(blocks: &[Vec<&[u8]>]) -> usize {
    let mut fields = 0;
    for story in blocks {
        let mut inflater: *mut ng::nghttp2_hd_inflater = std::ptr::null_mut();
        // SAFETY: FFI constructor writing a new inflater to `inflater`; checked for 0 below.
        assert_eq!(unsafe { ng::nghttp2_hd_inflate_new(&mut inflater) }, 0);
        for block in story {
            let mut input = *block;
            loop {
                let mut nv = ng::nghttp2_nv {
                    name: std::ptr::null_mut(),
                    value: std::ptr::null_mut(),
                    namelen: 0,
                    valuelen: 0,
                    flags: 0,
                };
                let mut flags: std::os::raw::c_int = 0;
                // SAFETY: `inflater` is live; `input` is a valid slice for its length.
                let rv = unsafe {
                    ng::nghttp2_hd_inflate_hd2(
                        inflater,
                        &mut nv,
                        &mut flags,
                        input.as_ptr(),
                        input.len(),
                        1,
                    )
                };
                assert!(rv >= 0, "nghttp2 inflate failed: {rv}");
                input = &input[rv as usize..];
                if flags & ng::NGHTTP2_HD_INFLATE_EMIT as std::os::raw::c_int != 0 {
                    black_box((nv.name, nv.namelen, nv.value, nv.valuelen));
                    fields += 1;
                }
                if flags & ng::NGHTTP2_HD_INFLATE_FINAL as std::os::raw::c_int != 0 {
                    // SAFETY: `inflater` is live.
                    unsafe { ng::nghttp2_hd_inflate_end_headers(inflater) };
                    break;
                }
                if flags & ng::NGHTTP2_HD_INFLATE_EMIT as std::os::raw::c_int == 0
                    && input.is_empty()
                {
                    break;
                }
            }
        }
        // SAFETY: `inflater` came from nghttp2_hd_inflate_new and is not used again.
        unsafe { ng::nghttp2_hd_inflate_del(inflater) };
    }
    fields
}

/// nghttp2 name/value arrays for every header list (pointing into `stories`).
fn nghttp2_nvs(stories: &[Story]) -> Vec<Vec<Vec<ng::nghttp2_nv>>> {
    stories
        .iter()
        .map(|s| {
            s.cases
                .iter()
                .map(|c| {
                    c.headers
                        .iter()
                        .map(|(n, v)| ng::nghttp2_nv {
                            name: n.as_ptr() as *mut u8,
                            value: v.as_ptr() as *mut u8,
                            namelen: n.len(),
                            valuelen: v.len(),
                            flags: ng::NGHTTP2_NV_FLAG_NONE as u8,
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn nghttp2_encode(nvs: &[Vec<Vec<ng::nghttp2_nv>>], out: &mut [u8]) -> usize {
    let mut total = 0;
    for story in nvs {
        let mut deflater: *mut ng::nghttp2_hd_deflater = std::ptr::null_mut();
        // SAFETY: FFI constructor writing a new deflater to `deflater`; checked for 0 below.
        assert_eq!(
            unsafe { ng::nghttp2_hd_deflate_new(&mut deflater, 4096) },
            0
        );
        for nva in story {
            // SAFETY: `deflater` is live; `nva` points into the stories, alive for this call;
            // `out` is writable for its length (sized from nghttp2_hd_deflate_bound).
            let rv = unsafe {
                ng::nghttp2_hd_deflate_hd(
                    deflater,
                    out.as_mut_ptr(),
                    out.len(),
                    nva.as_ptr(),
                    nva.len(),
                )
            };
            assert!(rv >= 0, "nghttp2 deflate failed: {rv}");
            total += black_box(rv as usize);
        }
        // SAFETY: `deflater` came from nghttp2_hd_deflate_new and is not used again.
        unsafe { ng::nghttp2_hd_deflate_del(deflater) };
    }
    total
}

// ===== httlib-hpack =====

fn httlib_decode(stories: &[Story]) -> usize {
    let mut fields = 0;
    let mut dst = Vec::new();
    for story in stories {
        let mut decoder = httlib_hpack::Decoder::default();
        for case in &story.cases {
            let mut buf = case.wire.clone().unwrap();
            dst.clear();
            decoder.decode(&mut buf, &mut dst).unwrap();
            fields += black_box(&dst).len();
        }
    }
    fields
}

fn httlib_encode(stories: &[Story], out: &mut Vec<u8>) -> usize {
    use httlib_hpack::Encoder as E;
    let flags = E::HUFFMAN_NAME | E::HUFFMAN_VALUE | E::WITH_INDEXING | E::BEST_FORMAT;
    let mut total = 0;
    for story in stories {
        let mut encoder = E::default();
        for case in &story.cases {
            out.clear();
            for (n, v) in &case.headers {
                encoder.encode((n.clone(), v.clone(), flags), out).unwrap();
            }
            total += black_box(&*out).len();
        }
    }
    total
}

/// Every story's encoded blocks, in order.
fn wire_blocks(stories: &[Story]) -> Vec<Vec<&[u8]>> {
    let blocks: Vec<Vec<&[u8]>> = stories
        .iter()
        .map(|s| s.cases.iter().map(|c| c.wire.as_deref().unwrap()).collect())
        .collect();
    assert_eq!(blocks.iter().map(Vec::len).sum::<usize>(), 3384);
    blocks
}

/// The number of header fields in all of `stories`.
fn field_count(stories: &[Story]) -> usize {
    stories
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| c.headers.len())
        .sum()
}

/// Decode and encode against nghttp2 under the paired harness (`BRISK_PAIRED=1`).
fn paired(p: &mut Paired) {
    let Some(corpora) = corpora() else { return };
    let ng_stories = common::stories(&corpora, "nghttp2");
    let ng_blocks = wire_blocks(&ng_stories);
    let expected = field_count(&ng_stories);
    p.compare(
        "hpack",
        "decode",
        || assert_eq!(brisk_decode(&ng_stories), expected),
        || assert_eq!(nghttp2_decode(&ng_blocks), expected),
    );
    let raw = common::stories(&corpora, "raw-data");
    let nvs = nghttp2_nvs(&raw);
    let (mut out, mut ng_out) = (Vec::with_capacity(1 << 16), vec![0u8; 1 << 20]);
    let brisk_size = brisk_encode(&raw, Strategy::Default, &mut out);
    let ng_size = nghttp2_encode(&nvs, &mut ng_out);
    p.compare(
        "hpack",
        "encode",
        || assert_eq!(brisk_encode(&raw, Strategy::Default, &mut out), brisk_size),
        || assert_eq!(nghttp2_encode(&nvs, &mut ng_out), ng_size),
    );
}

fn bench(c: &mut Criterion) {
    let Some(corpora) = corpora() else { return };
    let ng_stories = common::stories(&corpora, "nghttp2");
    let raw = common::stories(&corpora, "raw-data");
    let ng_blocks = wire_blocks(&ng_stories);
    let wire_bytes: usize = ng_blocks.iter().flatten().map(|b| b.len()).sum();
    let expected_fields = field_count(&ng_stories);

    let mut group = c.benchmark_group("hpack");
    group.throughput(Throughput::Bytes(wire_bytes as u64));
    group.bench_function("decode/brisk", |b| {
        b.iter(|| assert_eq!(brisk_decode(&ng_stories), expected_fields))
    });
    group.bench_function("decode/nghttp2", |b| {
        b.iter(|| assert_eq!(nghttp2_decode(&ng_blocks), expected_fields))
    });
    group.bench_function("decode/httlib", |b| {
        b.iter(|| assert_eq!(httlib_decode(&ng_stories), expected_fields))
    });

    let plain: usize = raw
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| &c.headers)
        .map(|(n, v)| n.len() + v.len())
        .sum();
    let mut out = Vec::with_capacity(1 << 16);
    let nvs = nghttp2_nvs(&raw);
    let mut ng_out = vec![0u8; 1 << 20];
    let brisk_size = brisk_encode(&raw, Strategy::Default, &mut out);
    let ng_size = nghttp2_encode(&nvs, &mut ng_out);
    let httlib_size = httlib_encode(&raw, &mut out);
    println!(
        "hpack encode sizes over raw-data ({plain} octets of names and values): brisk {brisk_size}, nghttp2 {ng_size}, \
         httlib {httlib_size}; brisk/nghttp2 = {:.4}",
        brisk_size as f64 / ng_size as f64
    );
    group.throughput(Throughput::Bytes(plain as u64));
    group.bench_function("encode/brisk", |b| {
        b.iter(|| assert_eq!(brisk_encode(&raw, Strategy::Default, &mut out), brisk_size))
    });
    group.bench_function("encode/nghttp2", |b| {
        b.iter(|| assert_eq!(nghttp2_encode(&nvs, &mut ng_out), ng_size))
    });
    group.bench_function("encode/httlib", |b| {
        b.iter(|| assert_eq!(httlib_encode(&raw, &mut out), httlib_size))
    });

    // Huffman: every name and value of raw-data, coded, then decoded.
    let strings: Vec<&[u8]> = raw
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| &c.headers)
        .flat_map(|(n, v)| [&n[..], &v[..]])
        .collect();
    let coded: Vec<Vec<u8>> = strings
        .iter()
        .map(|s| {
            let mut o = Vec::new();
            brisk_hpack::huffman_encode(s, &mut o);
            o
        })
        .collect();
    let decoded_len: usize = strings.iter().map(|s| s.len()).sum();
    let mut hout = Vec::with_capacity(1 << 16);
    group.throughput(Throughput::Bytes(decoded_len as u64));
    group.bench_function("huffman_decode/brisk", |b| {
        b.iter(|| {
            let mut n = 0;
            for c in &coded {
                hout.clear();
                brisk_hpack::huffman_decode(c, &mut hout).unwrap();
                n += black_box(&hout).len();
            }
            assert_eq!(n, decoded_len);
        })
    });

    // Huffman-heavy blocks: every field a Huffman literal without indexing.
    let huff_blocks: Vec<Vec<Vec<u8>>> = raw
        .iter()
        .map(|s| {
            let mut e = Encoder::new();
            e.set_strategy(Strategy::StaticOnly);
            e.set_huffman(Huffman::Always);
            s.cases
                .iter()
                .map(|c| {
                    let mut o = Vec::new();
                    e.encode(c.headers.iter().map(|(n, v)| Field::new(n, v)), &mut o);
                    o
                })
                .collect()
        })
        .collect();
    let huff_stories: Vec<Story> = raw
        .iter()
        .zip(&huff_blocks)
        .map(|(s, blocks)| Story {
            name: s.name.clone(),
            cases: s
                .cases
                .iter()
                .zip(blocks)
                .map(|(c, b)| common::Case {
                    wire: Some(b.clone()),
                    ..c.clone()
                })
                .collect(),
        })
        .collect();
    let huff_refs: Vec<Vec<&[u8]>> = huff_blocks
        .iter()
        .map(|s| s.iter().map(Vec::as_slice).collect())
        .collect();
    let raw_fields = field_count(&raw);
    group.bench_function("huffman_blocks/brisk", |b| {
        b.iter(|| assert_eq!(brisk_decode(&huff_stories), raw_fields))
    });
    group.bench_function("huffman_blocks/nghttp2", |b| {
        b.iter(|| assert_eq!(nghttp2_decode(&huff_refs), raw_fields))
    });
    group.finish();
}

criterion_group!(hpack, bench);

fn main() {
    if let Some(mut p) = Paired::from_env() {
        paired(&mut p);
        p.rows().iter().for_each(|r| println!("{}", r.line()));
        return;
    }
    hpack();
    Criterion::default().configure_from_args().final_summary();
}
