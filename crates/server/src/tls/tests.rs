//! Loading errors, SNI choice and reload, with certificates made by the `openssl` CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// A temporary directory, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("brisk-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the `openssl` CLI runs (else the test says SKIPPED, or fails with
/// BRISK_REQUIRE_PEERS=1).
fn have_openssl(test: &str) -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("BRISK_REQUIRE_PEERS").as_deref() != Ok("1"),
            "{test}: openssl missing and BRISK_REQUIRE_PEERS=1"
        );
        eprintln!("SKIPPED {test}: openssl not available");
    }
    ok
}

/// A self-signed P-256 certificate for `name` (CN and DNS SAN): `{stem}.pem`, `{stem}.key`.
fn self_signed(dir: &Dir, stem: &str, name: &str) -> CertFiles {
    let files = CertFiles::new(
        dir.path(&format!("{stem}.pem")),
        dir.path(&format!("{stem}.key")),
    );
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .args(["-addext", &format!("subjectAltName=DNS:{name}")])
        .arg("-keyout")
        .arg(&files.key)
        .arg("-out")
        .arg(&files.cert)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    files
}

fn err(files: &[CertFiles]) -> String {
    Tls::new(files, true).unwrap_err().to_string()
}

fn write(p: &Path, data: &[u8]) {
    std::fs::write(p, data).unwrap();
}

#[test]
fn loads_and_builds_the_config() {
    if !have_openssl("loads_and_builds_the_config") {
        return;
    }
    let d = Dir::new("load");
    let a = self_signed(&d, "a", "a.test");
    let tls = Tls::new(std::slice::from_ref(&a), true).unwrap();
    let c = tls.server_config();
    assert_eq!(c.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(c.ticketer.enabled(), "stateless tickets");
    assert!(Arc::ptr_eq(&c, &tls.server_config()));
    let h1 = Tls::new(&[a], false).unwrap();
    assert_eq!(h1.server_config().alpn_protocols, [b"http/1.1".to_vec()]);
}

#[test]
fn bad_files_say_which_and_why() {
    if !have_openssl("bad_files_say_which_and_why") {
        return;
    }
    let d = Dir::new("bad");
    let a = self_signed(&d, "a", "a.test");
    let b = self_signed(&d, "b", "b.test");
    assert_eq!(err(&[]), "no certificate and key files given");
    let missing = CertFiles::new(d.path("nope.pem"), &a.key);
    let e = err(&[missing]);
    assert!(e.contains("nope.pem: cannot read: No such file"), "{e}");
    // The key file given as the certificate, and the reverse.
    let e = err(&[CertFiles::new(&a.key, &a.key)]);
    assert!(
        e.ends_with("a.key: no certificate (-----BEGIN CERTIFICATE----- block) found"),
        "{e}"
    );
    let e = err(&[CertFiles::new(&a.cert, &a.cert)]);
    assert!(
        e.ends_with("a.pem: no private key (PKCS#8, PKCS#1 or SEC1 PEM block) found"),
        "{e}"
    );
    // b's key with a's certificate.
    let e = err(&[CertFiles::new(&a.cert, &b.key)]);
    assert!(
        e.starts_with("the key ") && e.contains("b.key does not match the certificate"),
        "{e}"
    );
    // Broken PEM and a certificate block that is not a certificate.
    let broken = d.path("broken.pem");
    write(&broken, b"-----BEGIN CERTIFICATE-----\nAAAA\n");
    let e = err(&[CertFiles::new(&broken, &a.key)]);
    assert!(e.contains("broken.pem: not valid PEM"), "{e}");
    write(
        &broken,
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let e = err(&[CertFiles::new(&broken, &a.key)]);
    assert!(e.contains("broken.pem: bad certificate"), "{e}");
    let big = d.path("big.pem");
    write(&big, &vec![b'x'; MAX_PEM_FILE as usize + 1]);
    let e = err(&[CertFiles::new(&big, &a.key)]);
    assert!(e.contains("big.pem: larger than 1048576 bytes"), "{e}");
}

#[test]
fn sni_chooses_and_the_first_is_the_default() {
    if !have_openssl("sni_chooses_and_the_first_is_the_default") {
        return;
    }
    let d = Dir::new("sni");
    let a = self_signed(&d, "a", "a.test");
    let b = self_signed(&d, "b", "b.test");
    let tls = Tls::new(&[a.clone(), b.clone()], true).unwrap();
    let der = |f: &CertFiles| load::chain(&f.cert).unwrap()[0].as_ref().to_vec();
    assert_eq!(tls.leaf_for(Some("b.test")), Some(der(&b)));
    assert_eq!(tls.leaf_for(Some("a.test")), Some(der(&a)));
    assert_eq!(tls.leaf_for(Some("other.test")), Some(der(&a)));
    assert_eq!(tls.leaf_for(None), Some(der(&a)));
}

#[test]
fn reload_swaps_and_a_bad_file_keeps_the_old_certificate() {
    if !have_openssl("reload_swaps_and_a_bad_file_keeps_the_old_certificate") {
        return;
    }
    let d = Dir::new("reload");
    let a = self_signed(&d, "a", "a.test");
    let tls = Tls::new(std::slice::from_ref(&a), true).unwrap();
    let config = tls.server_config();
    let old = tls.leaf_for(None).unwrap();
    // A new certificate in the same files.
    let n = self_signed(&d, "n", "n.test");
    std::fs::copy(&n.cert, &a.cert).unwrap();
    std::fs::copy(&n.key, &a.key).unwrap();
    assert_eq!(tls.reload().unwrap(), 1);
    let new = tls.leaf_for(None).unwrap();
    assert_ne!(new, old);
    assert!(Arc::ptr_eq(&config, &tls.server_config()), "same config");
    // A truncated certificate: the reload fails and the new one stays in use.
    write(&a.cert, b"-----BEGIN CERTIFICATE-----\nMIIB");
    let e = tls.reload().unwrap_err().to_string();
    assert!(e.contains("a.pem: not valid PEM"), "{e}");
    assert_eq!(tls.leaf_for(None).unwrap(), new);
}
