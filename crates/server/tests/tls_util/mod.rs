//! Helpers for the TLS tests with real clients: certificates made by the `openssl` CLI, the
//! real `brisk` binary with an HTTPS listener, and `openssl s_client`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use brisk_testkit::TempDir;

/// True when the `openssl` CLI runs (else SKIPPED, or a panic with BRISK_REQUIRE_PEERS=1).
pub fn have_openssl(test: &str) -> bool {
    crate::util::have_peer(test, Command::new("openssl").arg("version"))
}

/// Makes a self-signed P-256 certificate for `name` (CN and DNS SAN, and IP 127.0.0.1) with
/// serial `serial`: `{stem}.pem` and `{stem}.key` in `dir`; returns their paths as strings.
pub fn make_cert(dir: &TempDir, stem: &str, name: &str, serial: u32) -> (String, String) {
    let cert = dir.arg(&format!("{stem}.pem"));
    let key = dir.arg(&format!("{stem}.key"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-set_serial",
            &serial.to_string(),
            "-subj",
            &format!("/CN={name}"),
        ])
        .args([
            "-addext",
            &format!("subjectAltName=DNS:{name},IP:127.0.0.1"),
        ])
        .args(["-keyout", &key, "-out", &cert])
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// The real binary with a cleartext listener and an HTTPS one (both on port 0); its stderr is
/// collected; killed on drop.
pub struct Tlsd {
    pub child: Child,
    /// The HTTPS listener.
    pub addr: SocketAddr,
    /// The cleartext listener.
    pub plain: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Tlsd {
    /// Starts `brisk --bind 127.0.0.1:0 --bind-tls 127.0.0.1:0 ARGS`.
    pub fn start(args: &[&str]) -> Tlsd {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brisk"))
            .args(["--bind", "127.0.0.1:0", "--bind-tls", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("brisk binary runs");
        let log: Arc<Mutex<String>> = Arc::default();
        let err = BufReader::new(child.stderr.take().unwrap());
        let l = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                let mut l = l.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut addr, mut plain) = (None, None);
        let t0 = Instant::now();
        while addr.is_none() || plain.is_none() {
            assert!(t0.elapsed() < Duration::from_secs(10), "no listening lines");
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("brisk exited: {}", log.lock().unwrap());
            }
            let parse = |scheme: &str| -> Option<SocketAddr> {
                line.split(scheme)
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            };
            if let Some(a) = parse("https://") {
                addr = Some(a);
            } else if let Some(a) = parse("http://") {
                plain = Some(a);
            }
        }
        // Keep reading stdout so that a later line never meets a closed pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Tlsd {
            child,
            addr: addr.unwrap(),
            plain: plain.unwrap(),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// Everything on stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits (at most 5 s) until stderr holds `needle` `n` times.
    pub fn wait_log(&self, needle: &str, n: usize) {
        let t0 = Instant::now();
        while self.log().matches(needle).count() < n {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "no {needle:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Tlsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request that asks the server to close after its answer.
pub const GET_CLOSE: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

/// Runs `openssl s_client -connect ADDR ARGS` (with `-ign_eof`, so it waits for the server to
/// close), writes `input`, and returns stdout and stderr together.
pub fn s_client(addr: SocketAddr, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-ign_eof", "-connect"])
        .arg(addr.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

/// The serial number and subject of the certificate a new handshake with SNI `name` gets,
/// e.g. `("serial=07", "subject=CN = a.test")`.
pub fn peer_cert(addr: SocketAddr, name: &str) -> (String, String) {
    let pem = s_client(addr, &["-servername", name], GET_CLOSE);
    let mut x509 = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-subject"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    x509.stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = x509.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines().map(str::to_string);
    let serial = lines
        .next()
        .unwrap_or_else(|| panic!("no certificate: {pem}"));
    (serial, lines.next().unwrap_or_default())
}

/// `n` deterministic pseudo-random bytes (xorshift), written to `path`.
pub fn random_file(path: &Path, n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(n);
    while data.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(n);
    std::fs::write(path, &data).unwrap();
    data
}
