//! Corpus tests: every route of `../shared/corpora/routes/*.tsv` inserts without conflict, and
//! every sample path of `github-315.tsv` matches its own pattern with the right params.

use std::path::PathBuf;

use brisk_router::{Method, Router};

fn corpora(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("BRISK_CORPORA") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("../shared/corpora")
        }
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("BRISK_REQUIRE_CORPORA").as_deref() == Ok("1") {
        panic!(
            "{test}: corpora not found at {} (BRISK_REQUIRE_CORPORA=1)",
            dir.display()
        );
    }
    eprintln!("SKIPPED {test}: corpora not found at {}", dir.display());
    None
}

fn rows(file: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (a, b) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("bad row {l:?}"));
            (a.to_string(), b.to_string())
        })
        .collect()
}

/// The params a sample path should give: walk pattern and path segment by segment (the
/// corpus patterns have whole-segment params only).
fn expected_params(pattern: &str, path: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (ps, vs): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), path.split('/').collect());
    assert_eq!(ps.len(), vs.len(), "{pattern} vs {path}");
    for (p, v) in ps.iter().zip(&vs) {
        if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            out.push((name.to_string(), v.to_string()));
        } else {
            assert_eq!(p, v, "static segment of {pattern} in {path}");
        }
    }
    out
}

#[test]
fn every_corpus_route_inserts_without_conflict() {
    let Some(dir) = corpora("every_corpus_route_inserts_without_conflict") else {
        return;
    };
    let mut total = 0;
    for name in [
        "github-api.tsv",
        "gplus-api.tsv",
        "parse-api.tsv",
        "static-api.tsv",
    ] {
        let mut router = Router::new();
        let rows = rows(&dir.join("routes").join(name));
        for (method, pattern) in &rows {
            let m = Method::from_bytes(method.as_bytes());
            router
                .insert(m, pattern, pattern.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // Each route is found by a path made from its own pattern, with its own method.
        for (method, pattern) in &rows {
            let path = pattern.replace(['{', '}'], "");
            let m = Method::from_bytes(method.as_bytes());
            let found = router
                .at(m, &path)
                .unwrap_or_else(|e| panic!("{name}: {method} {path}: {e}"));
            assert_eq!(found.value(), pattern, "{name}: {method} {path}");
        }
        assert_eq!(router.len(), rows.len());
        total += rows.len();
    }
    let mut router = Router::new();
    let rows = rows(&dir.join("routes/github-315.tsv"));
    for (pattern, _) in &rows {
        router
            .insert(Method::Get, pattern, ())
            .unwrap_or_else(|e| panic!("github-315: {e}"));
    }
    total += rows.len();
    assert_eq!(total, 203 + 13 + 26 + 157 + 315);
}

#[test]
fn github_315_sample_paths_match_their_own_pattern() {
    let Some(dir) = corpora("github_315_sample_paths_match_their_own_pattern") else {
        return;
    };
    let rows = rows(&dir.join("routes/github-315.tsv"));
    assert_eq!(rows.len(), 315);
    let mut router = Router::new();
    for (pattern, _) in &rows {
        router
            .insert(Method::Get, pattern, pattern.clone())
            .unwrap();
    }
    for (pattern, path) in &rows {
        let m = router
            .at(Method::Get, path)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(m.value(), pattern, "{path}");
        assert_eq!(m.pattern(), pattern);
        let got: Vec<(String, String)> = m
            .params()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, expected_params(pattern, path), "{path}");
        assert!(matches!(
            router.at(Method::Post, path),
            Err(brisk_router::MatchError::MethodNotAllowed { allowed }) if allowed.to_string() == "GET"
        ));
    }
}
