//! Marks the tests that cannot run here as ignored (issue 23): probes the corpora and peer
//! tools this crate's tests need and sets `cfg(brisk_missing = "NAME")` for each one absent,
//! so a test carrying `#[cfg_attr(brisk_missing = "NAME", ignore = "needs NAME")]` is
//! counted as ignored by `cargo test` instead of passing silently. With
//! `BRISK_REQUIRE_CORPORA=1` / `BRISK_REQUIRE_PEERS=1` nothing is marked missing: the tests
//! run and fail on what is absent. The same file in every crate with such tests (keep in
//! sync); it reads only the environment and the file system, plus one `python3 -c` when
//! Python packages are needed. After installing a peer, `touch build.rs` (or change PATH)
//! to probe again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What this crate's tests need: `corpora:SUBDIR`, a tool on PATH, or `py:MODULE`.
const NEEDS: &[&str] = &["strace"];

/// Every name a test may use in `brisk_missing = "…"` (for check-cfg).
const ALL: &[&str] = &[
    "corpora",
    "curl",
    "nghttp",
    "nghttpd",
    "h2load",
    "httpwg",
    "strace",
    "py_h2",
    "py_hpack",
    "py_httpx",
    "py_prometheus_client",
];

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

fn python_has(module: &str) -> bool {
    on_path("python3")
        && Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// What to watch so adding the corpora re-runs the probe: the folder itself, else the corpora
/// root, else nothing (`touch build.rs`). Never a wider ancestor: cargo scans a
/// `rerun-if-changed` directory's whole tree on every build.
fn watched<'a>(dir: &'a Path, root: &'a Path) -> Option<&'a Path> {
    [dir, root].into_iter().find(|p| p.is_dir())
}

fn main() {
    let values: Vec<String> = ALL.iter().map(|v| format!("\"{v}\"")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(brisk_missing, values({}))",
        values.join(", ")
    );
    println!("cargo::rerun-if-changed=build.rs");
    for var in [
        "BRISK_REQUIRE_CORPORA",
        "BRISK_REQUIRE_PEERS",
        "BRISK_CORPORA",
        "PATH",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let require = |v: &str| std::env::var(v).as_deref() == Ok("1");
    let corpora = match std::env::var_os("BRISK_CORPORA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora"),
    };
    let mut missing = Vec::new();
    for need in NEEDS {
        if let Some(sub) = need.strip_prefix("corpora:") {
            let dir = corpora.join(sub);
            if let Some(w) = watched(&dir, &corpora) {
                println!("cargo::rerun-if-changed={}", w.display());
            }
            if !dir.is_dir() && !require("BRISK_REQUIRE_CORPORA") {
                missing.push("corpora".to_string());
            }
        } else if let Some(m) = need.strip_prefix("py:") {
            if !require("BRISK_REQUIRE_PEERS") && !python_has(m) {
                missing.push(format!("py_{m}"));
            }
        } else if !require("BRISK_REQUIRE_PEERS") && !on_path(need) {
            missing.push(need.to_string());
        }
    }
    missing.dedup();
    for m in missing {
        println!("cargo::rustc-cfg=brisk_missing=\"{m}\"");
    }
}
