//! The httpwg conformance suite (crates.io `httpwg-cli`, 107 cases) against the blocking test
//! server. Skips when `httpwg` is missing unless BRISK_REQUIRE_PEERS=1.

mod util;

use std::process::Command;

use brisk_http2::Config;

#[test]
#[cfg_attr(brisk_missing = "httpwg", ignore = "needs httpwg")]
fn httpwg_conformance_all_cases_pass() {
    if !util::have_peer(
        "httpwg_conformance_all_cases_pass",
        Command::new("httpwg").arg("-h"),
    ) {
        // `httpwg -h` prints usage and exits 0 even for an unknown option.
        return;
    }
    let addr = util::spawn_server(Config::default());
    // Generous timeouts: CI has 2 busy cores; a passing case never waits for a timeout.
    let out = Command::new("httpwg")
        .args([
            "-a",
            &addr.to_string(),
            "--frame-timeout",
            "2000",
            "--connect-timeout",
            "2000",
        ])
        .output()
        .expect("run httpwg");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Ok(path) = std::env::var("BRISK_HTTPWG_LOG") {
        std::fs::write(path, stderr.as_bytes()).expect("write log");
    }
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Test failed") || l.contains("panicked"))
        .collect();
    let summary = stderr
        .lines()
        .find(|l| l.contains("Passed"))
        .unwrap_or("no summary line");
    assert!(
        failed.is_empty() && out.status.success(),
        "httpwg: {summary}\nfailed cases:\n{}\n--- full log tail ---\n{}",
        failed.join("\n"),
        stderr
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(summary.contains("107/107"), "httpwg summary: {summary}");
}
