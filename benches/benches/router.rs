//! Criterion group `router`: brisk-router against matchit on the same routes and paths, in
//! the same run.
//!
//! - `github_api`: matchit's own benchmark shape: the GET routes of github-api.tsv (131; matchit's
//!   list is the same set less one route), each looked up once per iteration with params filled
//!   with `p1`, `p2`, ... as matchit's bench does;
//! - `github_315`: the 315 patterns of github-315.tsv, each of their sample paths looked up once;
//! - `static`: the 157 static routes of static-api.tsv, each looked up once;
//! - `insert_315`: building a router from the 315 github-315.tsv patterns.
//!
//! Every lookup's result is asserted inside the loop (the value is the route's index), so a
//! broken fast path fails instead of looking fast. Brisk routes are inserted with `GET` and
//! looked up with `GET`, so it also does its method check.

use std::hint::black_box;
use std::path::PathBuf;

use brisk_benches::paired::Paired;
use brisk_router::{Method, Router};
use criterion::{criterion_group, Criterion, Throughput};

fn corpora() -> Option<PathBuf> {
    let dir = match std::env::var_os("BRISK_CORPORA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../shared/corpora"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("BRISK_REQUIRE_CORPORA").as_deref() == Ok("1") {
        panic!("router bench: corpora not found at {}", dir.display());
    }
    eprintln!(
        "SKIPPED router bench: corpora not found at {}",
        dir.display()
    );
    None
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

/// `/repos/{owner}/{repo}` -> `/repos/p1/p2`, like matchit's `routes!(literal)`.
fn fill(pattern: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("closed");
        n += 1;
        out.push_str(&format!("p{n}"));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Both routers with `patterns[i]` as route `i`, checked to agree on every `paths[i]`.
fn routers(patterns: &[String], paths: &[String]) -> (Router<usize>, matchit::Router<usize>) {
    let mut brisk = Router::new();
    let mut matchit = matchit::Router::new();
    for (i, p) in patterns.iter().enumerate() {
        brisk
            .insert(Method::Get, p, i)
            .unwrap_or_else(|e| panic!("brisk {p}: {e}"));
        matchit
            .insert(p.as_str(), i)
            .unwrap_or_else(|e| panic!("matchit {p}: {e}"));
    }
    // Both routers agree before anything is timed.
    for (i, path) in paths.iter().enumerate() {
        assert_eq!(
            *brisk.at(Method::Get, path).unwrap().value(),
            i,
            "brisk {path}"
        );
        assert_eq!(*matchit.at(path).unwrap().value, i, "matchit {path}");
    }
    (brisk, matchit)
}

/// Looks up every `paths[i]` in the Brisk router, expecting route `i`.
fn brisk_all(brisk: &Router<usize>, paths: &[String]) {
    for (i, path) in black_box(paths).iter().enumerate() {
        let m = black_box(brisk.at(Method::Get, path).unwrap());
        assert_eq!(*m.value(), i);
    }
}

/// Looks up every `paths[i]` in matchit, expecting route `i`.
fn matchit_all(matchit: &matchit::Router<usize>, paths: &[String]) {
    for (i, path) in black_box(paths).iter().enumerate() {
        let m = black_box(matchit.at(path).unwrap());
        assert_eq!(*m.value, i);
    }
}

/// Benchmarks lookups of `paths[i]`, expecting route `i`, in both routers.
fn lookups(c: &mut Criterion, name: &str, patterns: &[String], paths: &[String]) {
    let (brisk, matchit) = routers(patterns, paths);
    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function(format!("{name}/brisk"), |b| {
        b.iter(|| brisk_all(&brisk, paths))
    });
    group.bench_function(format!("{name}/matchit"), |b| {
        b.iter(|| matchit_all(&matchit, paths))
    });
    group.finish();
}

/// The three lookup sets: (name, patterns, paths looked up, `paths[i]` matching route `i`).
fn sets(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>, Vec<String>)> {
    let github: Vec<String> = rows(dir, "github-api.tsv")
        .into_iter()
        .filter(|(m, _)| m == "GET")
        .map(|(_, p)| p)
        .collect();
    let paths: Vec<String> = github.iter().map(|p| fill(p)).collect();
    let g315 = rows(dir, "github-315.tsv");
    let patterns: Vec<String> = g315.iter().map(|(p, _)| p.clone()).collect();
    let samples: Vec<String> = g315.iter().map(|(_, s)| s.clone()).collect();
    let statics: Vec<String> = rows(dir, "static-api.tsv")
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    vec![
        ("github_api", github, paths),
        ("github_315", patterns, samples),
        ("static", statics.clone(), statics),
    ]
}

/// The lookup pairs of group `router` under the paired harness (`BRISK_PAIRED=1`).
fn paired(p: &mut Paired) {
    let Some(dir) = corpora() else { return };
    for (name, patterns, paths) in sets(&dir) {
        let (brisk, matchit) = routers(&patterns, &paths);
        p.compare(
            "router",
            name,
            || brisk_all(&brisk, &paths),
            || matchit_all(&matchit, &paths),
        );
    }
}

fn router(c: &mut Criterion) {
    let Some(dir) = corpora() else { return };
    for (name, patterns, paths) in sets(&dir) {
        lookups(c, name, &patterns, &paths);
    }
    let patterns: Vec<String> = rows(&dir, "github-315.tsv")
        .into_iter()
        .map(|(p, _)| p)
        .collect();

    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(patterns.len() as u64));
    group.bench_function("insert_315/brisk", |b| {
        b.iter(|| {
            let mut r = Router::new();
            for (i, p) in black_box(&patterns).iter().enumerate() {
                r.insert(Method::Get, p, i).unwrap();
            }
            assert_eq!(r.len(), patterns.len());
            r
        })
    });
    group.bench_function("insert_315/matchit", |b| {
        b.iter(|| {
            let mut r = matchit::Router::new();
            for (i, p) in black_box(&patterns).iter().enumerate() {
                r.insert(p.as_str(), i).unwrap();
            }
            r
        })
    });
    group.finish();
}

criterion_group!(benches, router);

fn main() {
    if let Some(mut p) = Paired::from_env() {
        paired(&mut p);
        p.rows().iter().for_each(|r| println!("{}", r.line()));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
