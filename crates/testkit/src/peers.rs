//! Peer tools (curl, nghttp, h2load, Python packages) a test drives.

use std::process::{Command, Stdio};

/// True when `check` runs and succeeds. Otherwise: panics when `BRISK_REQUIRE_PEERS=1`, else
/// prints `SKIPPED test: …` and returns false. (The test is also marked
/// `#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]`, so a machine without the
/// peer counts it as ignored rather than passed.)
///
/// # Examples
///
/// ```
/// use std::process::Command;
/// if brisk_testkit::have_peer("doc example", Command::new("true").arg("--version")) {
///     // drive the peer
/// }
/// ```
pub fn have_peer(test: &str, check: &mut Command) -> bool {
    let ok = check
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let what = format!("{check:?}");
        if std::env::var("BRISK_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{test}: peer missing ({what}) and BRISK_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED {test}: peer not available ({what})");
    }
    ok
}

/// [`have_peer`] for `name --version`.
///
/// # Examples
///
/// ```
/// let _ = brisk_testkit::tool("doc example", "curl");
/// ```
pub fn tool(test: &str, name: &str) -> bool {
    have_peer(test, Command::new(name).arg("--version"))
}

/// [`have_peer`] for `python3 -c 'import {modules}'` (`modules` comma-separated).
///
/// # Examples
///
/// ```
/// let _ = brisk_testkit::python("doc example", "h2, hpack");
/// ```
pub fn python(test: &str, modules: &str) -> bool {
    have_peer(
        test,
        Command::new("python3").args(["-c", &format!("import {modules}")]),
    )
}
