//! The `brisk` binary's command line and configuration file (issue 20, defect 9 and build 4),
//! with the real binary: `--version`, `--bind` twice, a host name for `--bind`, the warning for
//! more workers than CPUs, `--config` with `--print-config` (round trip, flags win, errors
//! naming the file, line and key), and `unix:` refused for now.
//!
//! `BRISK_TEST_BIN=/path/to/brisk` runs these tests against another build (e.g. one from
//! before the fix, to see them fail).

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use util::read_response;

fn bin() -> String {
    std::env::var("BRISK_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_brisk").to_string())
}

/// Runs `brisk args` to its end (commands that exit at once).
fn run(args: &[&str]) -> Output {
    let out = Command::new(bin()).args(args).output().expect("brisk runs");
    assert!(out.status.code().is_some(), "killed by a signal: {out:?}");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A serving `brisk` whose stdout and stderr lines arrive on channels; killed on drop.
struct Serving {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

impl Serving {
    fn start(args: &[&str]) -> Serving {
        let mut child = Command::new(bin())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("brisk runs");
        let out = lines(child.stdout.take().unwrap());
        let err = lines(child.stderr.take().unwrap());
        Serving { child, out, err }
    }

    /// The addresses of the `brisk listening on http://ADDR` lines, waiting up to 5 s for
    /// `n` of them (fewer if the process ends first). Then a short pause, to catch extra ones.
    fn listening(&self, n: usize) -> Vec<SocketAddr> {
        let mut addrs = Vec::new();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            let wait = if addrs.len() >= n {
                Duration::from_millis(200)
            } else {
                Duration::from_millis(50)
            };
            match self.out.recv_timeout(wait) {
                Ok(line) => {
                    let addr = line
                        .split("http://")
                        .nth(1)
                        .and_then(|s| s.split_whitespace().next())
                        .unwrap_or_else(|| panic!("unexpected stdout line {line:?}"));
                    addrs.push(addr.parse().unwrap());
                }
                Err(mpsc::RecvTimeoutError::Timeout) if addrs.len() >= n => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        addrs
    }

    /// Every stderr line that arrived so far (waiting up to `quiet` for each next one).
    fn stderr(&self, quiet: Duration) -> String {
        let mut s = String::new();
        while let Ok(line) = self.err.recv_timeout(quiet) {
            s.push_str(&line);
            s.push('\n');
        }
        s
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut s);
    (status, body)
}

/// A scratch directory for this test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn version_prints_the_package_version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!("brisk {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn bind_given_twice_serves_both_addresses() {
    let b = Serving::start(&[
        "--bind",
        "127.0.0.1:0",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
    ]);
    let addrs = b.listening(2);
    assert_eq!(addrs.len(), 2, "listeners: {addrs:?}");
    assert_ne!(addrs[0], addrs[1]);
    for a in addrs {
        assert_eq!(
            get(a, "/plaintext"),
            (200, b"Hello, World!".to_vec()),
            "{a}"
        );
    }
}

#[test]
fn a_host_name_for_bind_is_resolved_and_served() {
    let b = Serving::start(&["--bind", "localhost:0", "--workers", "1"]);
    let addrs = b.listening(1);
    assert!(
        !addrs.is_empty(),
        "no listener; stderr: {}",
        b.stderr(Duration::from_millis(200))
    );
    for a in addrs {
        assert!(a.ip().is_loopback(), "{a}");
        assert_eq!(
            get(a, "/plaintext"),
            (200, b"Hello, World!".to_vec()),
            "{a}"
        );
    }
}

#[test]
fn more_workers_than_cpus_gets_a_warning() {
    let cpus = std::thread::available_parallelism().unwrap().get();
    let many = (cpus + 1).to_string();
    let b = Serving::start(&["--bind", "127.0.0.1:0", "--workers", &many]);
    assert_eq!(b.listening(1).len(), 1);
    let err = b.stderr(Duration::from_millis(200));
    let want = format!("warn: {many} workers but {cpus} CPU");
    assert!(err.contains(&want), "stderr: {err:?}");
    // And none at the CPU count.
    let b = Serving::start(&["--bind", "127.0.0.1:0", "--workers", &cpus.to_string()]);
    assert_eq!(b.listening(1).len(), 1);
    let err = b.stderr(Duration::from_millis(200));
    assert!(!err.contains("warn"), "stderr: {err:?}");
    assert!(err.contains("listening on"), "start-up facts: {err:?}");
}

#[test]
fn print_config_output_is_read_back_by_config() {
    let d = Scratch::new("roundtrip");
    let first = d.file(
        "first.toml",
        "# a comment\nbind = [\"127.0.0.1:0\", \"localhost:0\"]\nworkers = 1\n\
         header-timeout = \"1.5\"\nidle-timeout = 90\nmax-body = \"1K\"\n",
    );
    let out = run(&["--config", &first, "--print-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    for line in [
        "bind = [\"127.0.0.1:0\", \"localhost:0\"]",
        "workers = 1",
        "header-timeout = \"1500ms\"",
        "idle-timeout = \"90s\"",
        "max-body = \"1K\"",
        "shutdown-timeout = \"10s\"",
    ] {
        assert!(printed.lines().any(|l| l == line), "{line} in\n{printed}");
    }
    // The printed configuration reads back to itself.
    let second = d.file("second.toml", &printed);
    let again = run(&["--config", &second, "--print-config"]);
    assert_eq!(text(&again.stdout), printed);
    // Flags win over the file.
    let flags = run(&[
        "--config",
        &second,
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:7",
        "--print-config",
    ]);
    let flags = text(&flags.stdout);
    assert!(flags.contains("\nworkers = 2\n"), "{flags}");
    assert!(flags.contains("\nbind = [\"127.0.0.1:7\"]\n"), "{flags}");
    assert!(flags.contains("\nmax-body = \"1K\"\n"), "{flags}");

    // Serving from the file: its listeners and its max-body (a 2K body gets 413).
    let b = Serving::start(&["--config", &second]);
    let addrs = b.listening(2);
    assert!(addrs.len() >= 2, "listeners: {addrs:?}");
    let mut s = TcpStream::connect(addrs[0]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n")
        .unwrap();
    let _ = s.write_all(&[b'x'; 2048]);
    assert_eq!(read_response(&mut s).0, 413);
}

#[test]
fn config_errors_name_the_file_the_line_and_the_key() {
    let d = Scratch::new("errors");
    let rows = [
        ("workers = 1\n\nport = 80\n", ":3: unknown key 'port'"),
        (
            "workers = \"four\"\n",
            ":1: key 'workers' must be an integer, not a string",
        ),
        (
            "workers = 1\nmax-body = \"1T\"\n",
            ":2: key 'max-body': bad value \"1T\"",
        ),
        ("workers = \n", ":1: TOML syntax"),
    ];
    for (i, (content, want)) in rows.iter().enumerate() {
        let path = d.file(&format!("bad{i}.toml"), content);
        for extra in [&[][..], &["--print-config"][..]] {
            let mut args = vec!["--config", &path];
            args.extend_from_slice(extra);
            let out = run(&args);
            assert_eq!(out.status.code(), Some(2), "{content:?}");
            let err = text(&out.stderr);
            assert!(
                err.starts_with(&format!("brisk: {path}{want}")),
                "{content:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{content:?}");
        }
    }
    let out = run(&["--config", "/nonexistent/brisk.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/brisk.toml"));
}

#[test]
fn bind_unix_serves_over_a_unix_socket() {
    use std::os::unix::net::UnixStream;
    let path = std::env::temp_dir().join(format!("brisk-cli-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let bind = format!("unix:{}", path.display());
    let s = Serving::start(&["--bind", &bind, "--bind", "127.0.0.1:0", "--workers", "1"]);
    let t0 = Instant::now();
    let mut c = loop {
        match UnixStream::connect(&path) {
            Ok(c) => break c,
            Err(e) if t0.elapsed() < Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("no socket at {}: {e}", path.display()),
        }
    };
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /plaintext HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.ends_with("Hello, World!"), "{got}");
    let out = s
        .out
        .recv_timeout(Duration::from_secs(2))
        .unwrap_or_default();
    assert!(out.starts_with("brisk listening on "), "{out}");
    let err = s.stderr(Duration::from_millis(300));
    assert!(err.contains(&bind), "start-up facts name the socket: {err}");
}

#[test]
fn metrics_and_health_flags_serve_on_their_own_listener() {
    let s = Serving::start(&[
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--metrics",
        "127.0.0.1:0",
        "--health",
        "/health",
    ]);
    // The metrics listener is not announced as an HTTP listener.
    let addrs = s.listening(1);
    assert_eq!(addrs.len(), 1, "{addrs:?}");
    let err = s.stderr(Duration::from_millis(300));
    let metrics: SocketAddr = err
        .split("metrics on http://")
        .nth(1)
        .and_then(|t| t.split('/').next())
        .unwrap_or_else(|| panic!("no metrics line in {err}"))
        .parse()
        .unwrap();
    let get = |addr: SocketAddr, path: &str| {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(c, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        read_response(&mut c)
    };
    let (status, _, body) = get(addrs[0], "/plaintext");
    assert_eq!(status, 200);
    let (status, _, body2) = get(metrics, "/metrics");
    assert_eq!(status, 200);
    let text = text(&body2);
    assert!(
        text.contains("# TYPE brisk_requests_total counter"),
        "{text}"
    );
    let (status, _, health) = get(metrics, "/health");
    assert_eq!((status, text_of(&health)), (200, "ok".to_string()));
    // Not on the public listener.
    assert_eq!(get(addrs[0], "/metrics").0, 404);
    let _ = body;
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}
