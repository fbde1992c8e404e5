//! Shared helpers for the server's integration tests: in-process servers, the real binary,
//! raw sockets and external peers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{Handle, Method, Responder, Server};

/// An in-process server on 127.0.0.1 (port 0) with the routes the tests use.
pub fn start(configure: impl FnOnce(&mut brisk_server::Builder)) -> Handle {
    let mut b = Server::builder();
    b.bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .route(Method::Get, "/plaintext", |_, res| {
            res.text("Hello, World!");
        })
        .route(Method::Post, "/echo", |req, res| {
            res.body_mut().extend_from_slice(req.body());
        })
        .route(Method::Get, "/hello/{name}", |req, res| {
            let name = req.param("name").unwrap_or("").to_string();
            res.text(format!("Hello, {name}!"));
        })
        .route(Method::Get, "/panic", |_, _| {
            panic!("handler panic (expected by the test)")
        })
        .route(Method::Get, "/stream", |_, res| {
            res.body(brisk_server::Body::stream(
                (0..5).map(|i| format!("chunk {i}\n").into_bytes()),
            ));
        })
        .route(Method::Get, "/big", |_, res| {
            res.body(vec![b'x'; 3 * 1024 * 1024]);
        });
    configure(&mut b);
    b.start().expect("server starts")
}

/// Sends `data` on a new connection, then reads until the peer closes or `quiet` passes
/// without a byte.
pub fn exchange(addr: SocketAddr, data: &[u8], quiet: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(data).unwrap();
    read_until_quiet(&mut s, quiet)
}

pub fn read_until_quiet(s: &mut TcpStream, quiet: Duration) -> Vec<u8> {
    s.set_read_timeout(Some(quiet)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

fn read_line(r: &mut impl Read) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\n") {
        if r.read(&mut b).unwrap() == 0 {
            break;
        }
        line.push(b[0]);
    }
    String::from_utf8(line).unwrap()
}

/// Reads exactly one HTTP/1.1 response (Content-Length or chunked) from `s`, byte by byte
/// for the head, so nothing of a following pipelined response is consumed.
pub fn read_response(r: &mut impl Read) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let line = read_line(r);
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("bad status line {line:?}"))
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let l = read_line(r);
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(cl) = get("content-length") {
        body.resize(cl.parse().unwrap(), 0);
        r.read_exact(&mut body).unwrap();
    } else if get("transfer-encoding").as_deref() == Some("chunked") {
        loop {
            let l = read_line(r);
            let n = usize::from_str_radix(l.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    (status, headers, body)
}

/// Connects to `addr` and sends `GET path` (HTTP/1.1) on the new connection.
pub fn send_get(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    s
}

/// Asks for `/plaintext` on the keep-alive connection `s` and checks the answer: the
/// connection goes on.
pub fn assert_plaintext(s: &mut TcpStream) {
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(s);
    assert_eq!((status, &body[..]), (200, &b"Hello, World!"[..]));
}

/// Reads the head of a response (up to the blank line), byte by byte.
pub fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).expect("head"), 1, "closed in the head");
        head.push(b[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Reads from `s` until what was read ends with `tail` (bounded: 10 s).
pub fn read_until_tail(s: &mut TcpStream, tail: &[u8]) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let t0 = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    // The last bytes read, for the failure messages.
    let end =
        |raw: &[u8]| String::from_utf8_lossy(&raw[raw.len().saturating_sub(200)..]).into_owned();
    while !raw.ends_with(tail) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no end: {} bytes, ending {:?}",
            raw.len(),
            end(&raw)
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("closed after {} bytes, ending {:?}", raw.len(), end(&raw)),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    raw
}

/// Decodes a chunked body strictly from `raw` (which must hold exactly the body, last chunk
/// and trailers included); returns (data, trailer section).
pub fn dechunk(raw: &[u8]) -> (Vec<u8>, String) {
    let mut data = Vec::new();
    let mut at = 0;
    loop {
        let end = raw[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk-size line")
            + at;
        let n = usize::from_str_radix(std::str::from_utf8(&raw[at..end]).unwrap(), 16)
            .expect("hex size");
        at = end + 2;
        if n == 0 {
            let rest = std::str::from_utf8(&raw[at..]).unwrap().to_string();
            assert!(rest.ends_with("\r\n"), "trailer section ends with CRLF");
            return (data, rest);
        }
        data.extend_from_slice(&raw[at..at + n]);
        assert_eq!(
            &raw[at + n..at + n + 2],
            b"\r\n",
            "chunk data ends with CRLF"
        );
        at += n + 2;
    }
}

/// Asserts that `what` took less than `limit` since `t0`.
#[track_caller]
pub fn assert_within(what: &str, t0: Instant, limit: Duration) {
    let took = t0.elapsed();
    assert!(took < limit, "{what} took {took:?} (limit {limit:?})");
}

/// Responders parked by [`park_route`], with the route's `{id}`.
pub type Parked = Arc<Mutex<Vec<(String, Responder)>>>;

/// A route `pattern` (with an `{id}` parameter) whose handler parks its responder, with the
/// id, in the returned list.
pub fn park_route(b: &mut brisk_server::Builder, pattern: &str) -> Parked {
    let parked: Parked = Arc::default();
    let p = Arc::clone(&parked);
    b.route(Method::Get, pattern, move |req, res| {
        let id = req.param("id").unwrap_or("").to_string();
        let r = res.defer();
        p.lock().unwrap().push((id, r));
    });
    parked
}

/// Waits until `n` responders are parked (at most 5 s) and takes them, in arrival order.
pub fn wait_parked(parked: &Parked, n: usize) -> Vec<(String, Responder)> {
    let t0 = Instant::now();
    loop {
        {
            let mut p = parked.lock().unwrap();
            if p.len() >= n {
                return std::mem::take(&mut *p);
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "responders not parked"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// True when `python3 -c 'import {modules}'` works; otherwise as [`have_peer`].
pub fn python(test: &str, modules: &str) -> bool {
    brisk_testkit::python(test, modules)
}

/// True when `tool --version` (or `python3 -c 'import mod'`) works. Otherwise skips (prints
/// SKIPPED and returns false), or panics when BRISK_REQUIRE_PEERS=1.
pub fn have_peer(test: &str, check: &mut Command) -> bool {
    brisk_testkit::have_peer(test, check)
}

pub fn tool(test: &str, name: &str) -> bool {
    brisk_testkit::tool(test, name)
}

/// The real `brisk` binary, started with `args` on a free port; killed on drop.
pub struct Brisk {
    pub child: Child,
    pub addr: SocketAddr,
}

/// The address of the binary's first `brisk listening on http://ADDR ...` line.
pub fn listening_addr(out: &mut impl BufRead) -> SocketAddr {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    line.split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap()
}

impl Brisk {
    /// Everything the binary wrote on stderr (call once it has exited).
    pub fn stderr_text(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).unwrap();
        }
        err
    }

    /// Sends `sig` (as `kill` names it: `-TERM`, `-INT`, `-HUP`) to the binary.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    pub fn start(args: &[&str]) -> Brisk {
        Self::start_bin(env!("CARGO_BIN_EXE_brisk"), args)
    }

    pub fn start_bin(bin: &str, args: &[&str]) -> Brisk {
        let mut child = Command::new(bin)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("brisk binary runs");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let addr = listening_addr(&mut out);
        Brisk { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for exit up to `limit`; returns the time it took.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<Duration> {
        let t = Instant::now();
        while t.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "brisk exited with {status}");
                return Some(t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Brisk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `brisk` binary built with the `count-alloc` feature (a counting global allocator,
/// read at `GET /__allocations`), started with `args`. It is built in a target dir of its own:
/// the outer cargo holds the lock on the main one while tests run.
pub fn count_alloc_brisk(args: &[&str]) -> Brisk {
    let target = concat!(env!("CARGO_TARGET_TMPDIR"), "/count-alloc");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-q",
            "-p",
            "brisk-server",
            "--bin",
            "brisk",
            "--features",
            "count-alloc",
        ])
        .args(["--target-dir", target])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building brisk with count-alloc failed");
    Brisk::start_bin(&format!("{target}/debug/brisk"), args)
}

/// The allocations a `count-alloc` build has counted, asked on the keep-alive connection `s`.
pub fn allocations(s: &mut TcpStream) -> u64 {
    s.write_all(b"GET /__allocations HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(s);
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap().parse().unwrap()
}

/// Runs `curl -s --http2-prior-knowledge --max-time 20` with `args` (h2c requests).
pub fn curl_h2(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-s", "--http2-prior-knowledge", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap()
}

/// The resident set of process `pid` in KiB (`VmRSS` of /proc/PID/status).
pub fn vm_rss_kib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// The Chromium binary, if one is installed. Otherwise skips visibly (SKIPPED), or panics
/// when BRISK_REQUIRE_PEERS=1, as [`have_peer`] does.
pub fn chromium(test: &str) -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        tool(test, "chromium");
    }
    found
}

/// Loads `url` in headless `browser` (bounded by `timeout 60`, a fresh profile in the
/// directory `profile`, 10 s of virtual time for the page to settle, certificate errors
/// ignored) and returns the DOM after load, with Chromium's stderr for a failure message.
pub fn chromium_dom(browser: &str, profile: &str, url: &str) -> (String, String) {
    let out = Command::new("timeout")
        .args(["60", browser, "--headless", "--no-sandbox", "--disable-gpu"])
        .args([
            "--ignore-certificate-errors",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={profile}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("timeout runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stops a program run under `strace -f` (`child` is strace): the traced process first, since
/// killing strace alone only detaches it and leaves it running; then strace, which exits
/// with its tracee.
pub fn kill_traced(child: &mut Child) {
    let strace_pid = child.id();
    let traced = std::fs::read_to_string(format!("/proc/{strace_pid}/task/{strace_pid}/children"))
        .unwrap_or_default();
    for pid in traced.split_whitespace() {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    let _ = child.kill();
    let _ = child.wait();
}
