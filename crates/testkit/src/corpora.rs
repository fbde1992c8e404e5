//! Where the test corpora are: `../shared/corpora` beside the workspace (or `$BRISK_CORPORA`).

use std::path::PathBuf;

/// The corpora folder this checkout would use: `$BRISK_CORPORA` if set, else
/// `../shared/corpora` next to the workspace root. It may not exist.
///
/// # Examples
///
/// ```
/// assert!(brisk_testkit::corpora_dir().ends_with("corpora") || std::env::var_os("BRISK_CORPORA").is_some());
/// ```
pub fn corpora_dir() -> PathBuf {
    match std::env::var_os("BRISK_CORPORA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpora"
        )),
    }
}

/// The corpora folder when it holds `sub` (e.g. `llhttp`, `hpack-test-case`, `routes`).
/// Otherwise: panics when `BRISK_REQUIRE_CORPORA=1`, else prints `SKIPPED test: …` and
/// returns `None`. (A test that needs the corpora is also marked
/// `#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]`, so a
/// checkout without them counts it as ignored rather than passed.)
///
/// # Examples
///
/// ```
/// if let Some(dir) = brisk_testkit::corpora("doc example", "routes") {
///     assert!(dir.join("routes").is_dir());
/// }
/// ```
pub fn corpora(test: &str, sub: &str) -> Option<PathBuf> {
    let dir = corpora_dir();
    if dir.join(sub).is_dir() {
        return Some(dir);
    }
    if std::env::var("BRISK_REQUIRE_CORPORA").as_deref() == Ok("1") {
        panic!(
            "{test}: corpora not found at {} (BRISK_REQUIRE_CORPORA=1)",
            dir.join(sub).display()
        );
    }
    eprintln!(
        "SKIPPED {test}: corpora not found at {}",
        dir.join(sub).display()
    );
    None
}
