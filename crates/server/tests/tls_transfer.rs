//! 100 MiB over TLS, byte-exact, with curl: a download (a static file) and an upload (POST
//! /echo, which sends it back) over HTTP/1.1 and HTTP/2. Files live in /tmp and are removed.

mod tls_util;
mod util;

use std::process::Command;

use tls_util::{have_openssl, make_cert, random_file, TempDir, Tlsd};

const SIZE: usize = 100 * 1024 * 1024;

/// Runs curl with `proto` and `args`; returns the HTTP version it used.
fn curl(proto: &str, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .args([
            "60",
            "curl",
            "-sS",
            "-k",
            "--fail",
            "-w",
            "%{http_version}",
            proto,
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {proto} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "curl"),
    ignore = "needs openssl and curl"
)]
fn hundred_mib_down_and_up_over_http1_and_http2() {
    if !have_openssl("hundred_mib_down_and_up_over_http1_and_http2")
        || !util::tool("hundred_mib_down_and_up_over_http1_and_http2", "curl")
    {
        return;
    }
    let dir = TempDir::new("tls-transfer");
    let www = dir.path("www");
    std::fs::create_dir_all(&www).unwrap();
    let data = random_file(&www.join("big.bin"), SIZE);
    let (cert, key) = make_cert(&dir, "c", "localhost", 1);
    let s = Tlsd::start(&[
        "--workers",
        "2",
        "--cert",
        &cert,
        "--key",
        &key,
        "--max-body",
        "128M",
        "--dir",
        www.to_str().unwrap(),
    ]);
    let got = dir.path("got.bin");
    let got_s = got.to_str().unwrap();
    let check = |what: &str| {
        let back = std::fs::read(&got).unwrap();
        assert_eq!(back.len(), SIZE, "{what}: size");
        assert!(back == data, "{what}: bytes differ");
        std::fs::remove_file(&got).unwrap();
    };
    for (proto, version) in [("--http1.1", "1.1"), ("--http2", "2")] {
        let used = curl(proto, &["-o", got_s, &s.url("/big.bin")]);
        assert_eq!(used, version);
        check(&format!("download {proto}"));
        let upload = format!("@{}", www.join("big.bin").display());
        let used = curl(
            proto,
            &["--data-binary", &upload, "-o", got_s, &s.url("/echo")],
        );
        assert_eq!(used, version);
        check(&format!("upload {proto}"));
    }
}
