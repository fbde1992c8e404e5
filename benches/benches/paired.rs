//! Paired ratios (see `brisk_benches::paired`): each Brisk crate and its peer alternate in
//! 5 ms slices for `BRISK_PAIRED_ROUNDS` rounds (default 200) in this one process; one table,
//! one row per comparison, peer time / Brisk time (above 1: Brisk is faster), with the 10th
//! and 90th percentiles of the per-round ratios.
//!
//! ```text
//! cargo bench -p brisk-benches --bench paired        # or benches/paired.sh
//! ```
//!
//! Covered: http1 vs httparse (720 B, 68 B, 40 headers), router vs matchit (github-315,
//! statics). Every call's result is checked, as in the criterion groups.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use brisk_benches::paired::{compare, row};
use brisk_http1::{Header, RequestParser, Status};
use brisk_router::{Method, Router};

const BROWSER: &[u8] = include_bytes!("paired_browser.txt");
const SHORT: &[u8] =
    b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/html\r\n\r\n";

fn forty_headers() -> Vec<u8> {
    let mut v =
        b"GET /api/v1/items?page=2&per_page=50 HTTP/1.1\r\nHost: api.example.com\r\n".to_vec();
    for i in 1..40 {
        v.extend_from_slice(
            format!("X-Custom-Header-{i:02}: value-{i:02}-abcdefghijklmnop\r\n").as_bytes(),
        );
    }
    v.extend_from_slice(b"\r\n");
    v
}

fn http1(name: &str, input: &[u8], headers: usize, slice: Duration, rounds: usize) {
    let mut parser = RequestParser::new();
    let mut brisk = || {
        let mut h = [Header::EMPTY; 64];
        parser.reset();
        match parser.parse(black_box(input), &mut h) {
            Ok(Status::Complete(r)) => assert_eq!(r.headers.len(), headers),
            other => panic!("brisk: {other:?}"),
        }
    };
    let mut peer = || {
        let mut h = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Request::new(&mut h);
        match r.parse(black_box(input)) {
            Ok(httparse::Status::Complete(_)) => assert_eq!(r.headers.len(), headers),
            other => panic!("httparse: {other:?}"),
        }
    };
    let r = compare(&mut brisk, &mut peer, slice, rounds);
    println!("{}", row(&format!("http1/{name} vs httparse"), &r));
}

fn rows(dir: &std::path::Path, file: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("routes").join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (a, b) = l.split_once('\t').expect("two columns");
            (a.to_string(), b.to_string())
        })
        .collect()
}

fn router(name: &str, patterns: &[String], paths: &[String], slice: Duration, rounds: usize) {
    let mut brisk = Router::new();
    let mut matchit = matchit::Router::new();
    for (i, p) in patterns.iter().enumerate() {
        brisk.insert(Method::Get, p, i).unwrap();
        matchit.insert(p.as_str(), i).unwrap();
    }
    let mut b = || {
        for (i, path) in black_box(paths).iter().enumerate() {
            assert_eq!(*brisk.at(Method::Get, path).unwrap().value(), i);
        }
    };
    let mut m = || {
        for (i, path) in black_box(paths).iter().enumerate() {
            assert_eq!(*matchit.at(path).unwrap().value, i);
        }
    };
    let r = compare(&mut b, &mut m, slice, rounds);
    println!("{}", row(&format!("router/{name} vs matchit"), &r));
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --benches` (or `--all-targets`) this
    // binary is only checked to start: the measurement takes several seconds.
    if !std::env::args().any(|a| a == "--bench") {
        println!("paired: run with `cargo bench -p brisk-benches --bench paired`");
        return;
    }
    let rounds: usize = std::env::var("BRISK_PAIRED_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let slice = Duration::from_millis(5);
    println!("paired ratios: peer time / brisk time, median [p10 .. p90]");
    http1("720B", BROWSER, 13, slice, rounds);
    http1("68B", SHORT, 2, slice, rounds);
    http1("40-header", &forty_headers(), 40, slice, rounds);
    let dir = match std::env::var_os("BRISK_CORPORA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpora")),
    };
    if !dir.join("routes").is_dir() {
        println!(
            "router rows SKIPPED: corpora not found at {}",
            dir.display()
        );
        return;
    }
    let g315 = rows(&dir, "github-315.tsv");
    let patterns: Vec<String> = g315.iter().map(|(p, _)| p.clone()).collect();
    let samples: Vec<String> = g315.iter().map(|(_, s)| s.clone()).collect();
    router("github_315", &patterns, &samples, slice, rounds);
    let statics: Vec<String> = rows(&dir, "static-api.tsv")
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    router("static", &statics, &statics, slice, rounds);
}
