//! HTTPS (feature `tls`): real clients over TLS with a certificate made in the test by the
//! `openssl` CLI. ALPN picks the protocol (`curl --http2` must report HTTP/2, `--http1.1`
//! HTTP/1.1), handlers see `Request::tls()` and scheme `https`, and a cleartext listener on the
//! same server keeps serving. A missing peer skips (unless BRISK_REQUIRE_PEERS=1).
#![cfg(feature = "tls")]

mod util;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use brisk_server::rustls;
use brisk_server::{Handle, Method};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[allow(deprecated)] // ring lacks post-quantum key exchange; not needed here
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A self-signed certificate for `localhost` and 127.0.0.1 in a fresh directory:
/// (dir, cert.pem, key.pem). None (skipped) without the `openssl` CLI.
fn make_cert(test: &str) -> Option<(PathBuf, PathBuf, PathBuf)> {
    if !util::have_peer(test, Command::new("openssl").arg("version")) {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("brisk-tls-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    Some((dir, cert, key))
}

fn server_config(cert: &PathBuf, key: &PathBuf) -> rustls::ServerConfig {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(ring_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    brisk_reactor::tls::fit_records(&mut c, 16 * 1024);
    c
}

/// A server with a cleartext listener (local_addrs()[0]) and a TLS one ([1]); `GET /tls`
/// answers `SCHEME VERSION ALPN CIPHER SNI`.
fn start(config: rustls::ServerConfig) -> Handle {
    util::start(|b| {
        b.bind_tls("127.0.0.1:0".parse().unwrap(), Arc::new(config))
            .route(Method::Get, "/tls", |req, res| {
                let t = req.tls();
                res.text(format!(
                    "{} {} {} {} {}",
                    req.scheme(),
                    t.map_or("-".to_string(), |t| t.version.to_string()),
                    t.map_or("-".to_string(), |t| t.alpn.to_string()),
                    t.map_or("-", |t| t.cipher),
                    t.and_then(|t| t.server_name.as_deref()).unwrap_or("-"),
                ));
            });
    })
}

/// Runs curl with `args` against `url`, returning (protocol version, body).
fn curl(cert: &PathBuf, args: &[&str], url: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(cert)
        .args(args)
        .args(["-w", "\n%{http_version}", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, version) = text.rsplit_once('\n').unwrap();
    (version.to_string(), body.to_string())
}

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "curl"),
    ignore = "needs openssl and curl"
)]
fn curl_over_https_http1_and_http2() {
    let test = "curl_over_https_http1_and_http2";
    let Some((dir, cert, key)) = make_cert(test) else {
        return;
    };
    if !util::tool(test, "curl") {
        return;
    }
    let h = start(server_config(&cert, &key));
    let port = h.local_addrs()[1].port();
    let url = format!("https://localhost:{port}/tls");
    let resolve = format!("localhost:{port}:127.0.0.1");

    let (v, body) = curl(&cert, &["--http1.1", "--resolve", &resolve], &url);
    assert_eq!(v, "1.1");
    assert!(body.starts_with("https TLSv1.3 http/1.1 TLS13_"), "{body}");
    assert!(body.ends_with(" localhost"), "{body}");

    let (v, body) = curl(&cert, &["--http2", "--resolve", &resolve], &url);
    assert_eq!(v, "2");
    assert!(body.starts_with("https TLSv1.3 h2 TLS13_"), "{body}");

    // TLS 1.2 too.
    let (v, body) = curl(
        &cert,
        &[
            "--http2",
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            "--resolve",
            &resolve,
        ],
        &url,
    );
    assert_eq!(v, "2");
    assert!(
        body.starts_with("https TLSv1.2 h2 TLS_ECDHE_ECDSA_"),
        "{body}"
    );

    // A large answer over both protocols, byte-exact in length.
    for p in ["--http1.1", "--http2"] {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&cert)
            .args([
                p,
                "--resolve",
                &resolve,
                "-o",
                "/dev/null",
                "-w",
                "%{size_download}",
            ])
            .arg(format!("https://localhost:{port}/big"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            (3 * 1024 * 1024).to_string(),
            "{p}"
        );
    }

    // The cleartext listener beside it: scheme http, no TLS facts.
    let clear = format!("http://127.0.0.1:{}/tls", h.local_addrs()[0].port());
    let (v, body) = curl(&cert, &["--http1.1"], &clear);
    assert_eq!((v.as_str(), body.as_str()), ("1.1", "http - - - -"));
    h.shutdown();
    h.join();
    let _ = std::fs::remove_dir_all(dir);
}

/// `openssl s_client` with `args` (stdin closed at once: handshake, then quit); its output.
fn s_client(port: u16, cert: &PathBuf, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-CAfile"])
        .arg(cert)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn metric(h: &Handle, line_start: &str) -> u64 {
    let m = h.render_metrics();
    m.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .unwrap_or_else(|| panic!("no {line_start} in\n{m}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn openssl_s_client_alpn_and_no_common_cipher() {
    let test = "openssl_s_client_alpn_and_no_common_cipher";
    let Some((dir, cert, key)) = make_cert(test) else {
        return;
    };
    let h = start(server_config(&cert, &key));
    let port = h.local_addrs()[1].port();
    for (alpn, want) in [
        ("h2", "ALPN protocol: h2"),
        ("http/1.1", "ALPN protocol: http/1.1"),
    ] {
        let (ok, text) = s_client(port, &cert, &["-alpn", alpn]);
        assert!(ok, "{text}");
        assert!(text.contains(want), "{alpn}: {text}");
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    }
    let (ok, text) = s_client(port, &cert, &[]);
    assert!(ok && text.contains("No ALPN negotiated"), "{text}");
    let before = metric(
        &h,
        "brisk_connections_closed_total{worker=\"0\",reason=\"tls_handshake\"}",
    );
    // Only protocols the server does not speak: refused with rustls's alert (RFC 7301).
    let (ok, text) = s_client(port, &cert, &["-alpn", "spdy/1"]);
    assert!(!ok && text.contains("no application protocol"), "{text}");
    // No common cipher: TLS 1.2 with only a CBC suite, which rustls does not implement.
    let (ok, text) = s_client(port, &cert, &["-tls1_2", "-cipher", "AES128-SHA"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("handshake failure"),
        "the server's alert: {text}"
    );
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while metric(
        &h,
        "brisk_connections_closed_total{worker=\"0\",reason=\"tls_handshake\"}",
    ) != before + 2
    {
        assert!(std::time::Instant::now() < until, "not counted");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(metric(&h, "brisk_tls_handshakes_total{worker=\"0\"}") >= 3);
    h.shutdown();
    h.join();
    let _ = std::fs::remove_dir_all(dir);
}
