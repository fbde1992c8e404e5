//! SIGHUP reloads the certificates of the `brisk` binary: a new handshake gets the new
//! certificate while a connection made before keeps working; a bad new file keeps the old
//! certificate and the log says why.

mod tls_util;
mod util;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tls_util::{have_openssl, make_cert, peer_cert, TempDir, Tlsd};

/// An `openssl s_client` kept open: requests written to it go on its one TLS connection.
struct Open {
    child: std::process::Child,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Open {
    fn connect(addr: std::net::SocketAddr) -> Open {
        let mut child = Command::new("openssl")
            .args(["s_client", "-quiet", "-alpn", "http/1.1", "-connect"])
            .arg(addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out: Arc<Mutex<Vec<u8>>> = Arc::default();
        let mut stdout = child.stdout.take().unwrap();
        let o = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Open { child, out }
    }

    /// Sends a GET and waits (5 s at most) for the `n`th answer on this connection.
    fn get(&mut self, n: usize) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin
            .write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        stdin.flush().unwrap();
        let t0 = Instant::now();
        loop {
            let text = String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned();
            if text.matches("Hello, World!").count() >= n {
                assert_eq!(text.matches("HTTP/1.1 200 OK").count(), n, "{text}");
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "answer {n}: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn sighup_reloads_for_new_handshakes_and_keeps_old_connections() {
    if !have_openssl("sighup_reloads_for_new_handshakes_and_keeps_old_connections") {
        return;
    }
    let dir = TempDir::new("tls-reload");
    let (cert, key) = make_cert(&dir, "live", "old.test", 1);
    let s = Tlsd::start(&["--workers", "2", "--cert", &cert, "--key", &key]);
    assert_eq!(peer_cert(s.addr, "old.test").0, "serial=01");
    let mut old = Open::connect(s.addr);
    old.get(1);

    // New files in place, then SIGHUP.
    let (ncert, nkey) = make_cert(&dir, "next", "new.test", 2);
    std::fs::copy(&ncert, &cert).unwrap();
    std::fs::copy(&nkey, &key).unwrap();
    s.signal("-HUP");
    s.wait_log("1 certificate reloaded from", 1);
    let (serial, subject) = peer_cert(s.addr, "new.test");
    assert_eq!(serial, "serial=02");
    assert!(subject.contains("new.test"), "{subject}");
    // The connection made before the reload goes on.
    old.get(2);

    // A broken certificate file: the reload fails, the log says why, the new one stays.
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();
    s.signal("-HUP");
    s.wait_log("kept the old certificates", 1);
    let log = s.log();
    assert!(log.contains("live.pem: not valid PEM"), "{log}");
    assert_eq!(peer_cert(s.addr, "new.test").0, "serial=02");
    // A key that does not match: kept too.
    std::fs::copy(&ncert, &cert).unwrap();
    let (_, other_key) = make_cert(&dir, "other", "other.test", 3);
    std::fs::copy(&other_key, &key).unwrap();
    s.signal("-HUP");
    s.wait_log("kept the old certificates", 2);
    assert!(
        s.log().contains("does not match the certificate"),
        "{}",
        s.log()
    );
    assert_eq!(peer_cert(s.addr, "new.test").0, "serial=02");
    old.get(3);
    // The cleartext listener is untouched.
    let mut plain = std::net::TcpStream::connect(s.plain).unwrap();
    util::assert_plaintext(&mut plain);
}

#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn a_bad_certificate_at_start_is_an_error_that_names_the_file() {
    if !have_openssl("a_bad_certificate_at_start_is_an_error_that_names_the_file") {
        return;
    }
    let dir = TempDir::new("tls-badstart");
    let (cert, _) = make_cert(&dir, "a", "a.test", 1);
    let (_, key) = make_cert(&dir, "b", "b.test", 2);
    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["--bind", "127.0.0.1:0", "--bind-tls", "127.0.0.1:0"])
        .args(["--cert", &cert, "--key", &key])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("b.key does not match the certificate") && err.contains("a.pem"),
        "{err}"
    );
}
