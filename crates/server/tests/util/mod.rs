//! Shared helpers for the server's integration tests: in-process servers, the real binary,
//! raw sockets and external peers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use brisk_server::{Handle, Method, Server};

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

/// True when `tool --version` (or `python3 -c 'import mod'`) works. Otherwise skips (prints
/// SKIPPED and returns false), or panics when BRISK_REQUIRE_PEERS=1.
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

pub fn tool(test: &str, name: &str) -> bool {
    have_peer(test, Command::new(name).arg("--version"))
}

/// The real `brisk` binary, started with `args` on a free port; killed on drop.
pub struct Brisk {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Brisk {
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
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
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
