//! The access log: a line per answer over HTTP/1.1 and HTTP/2, the server's own answers
//! included (400 for a bad request line, 408 for a head that does not arrive in time, 500 for
//! a panic, 503 for the handler timeout), deferred answers when they are written, custom
//! formats, rotation on SIGHUP with the binary, and the error log's level filter.

mod h2client;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use brisk_server::{AccessLog, Method};
use h2client::Client;

/// A file path under the test's temporary directory, removed first.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("access_log");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// The file's lines once it has at least `n` (waits up to 5 s; fewer after that).
fn wait_lines(path: &Path, n: usize) -> Vec<String> {
    let t0 = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n || t0.elapsed() > Duration::from_secs(5) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The line that contains `needle`, or a panic listing them all.
fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
}

/// One request on its own connection; the answer's status.
fn status_of(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let answer = util::exchange(addr, request, Duration::from_secs(3));
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn combined_lines_over_h1_and_h2_with_the_servers_own_answers() {
    let path = scratch("combined");
    let h = util::start(|b| {
        b.header_timeout(Duration::from_millis(300))
            .on_app_error(|_| {})
            .access_log(AccessLog::file(&path).unwrap());
    });
    let addr = h.local_addr();
    // A good request, with the fields `combined` names.
    assert_eq!(
        status_of(
            addr,
            b"GET /hello/h1?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: test \"agent\"\r\n\
              Referer: http://example.com/\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\
              Connection: close\r\n\r\n"
        ),
        200
    );
    // A bad request line (the parser's 400), a head that never completes (408), a panic (500).
    assert_eq!(status_of(addr, b"GARBAGE\r\n\r\n"), 400);
    let t0 = Instant::now();
    assert_eq!(
        status_of(addr, b"GET /plaintext HTTP/1.1\r\nHost: a\r\n"),
        408
    );
    assert!(t0.elapsed() >= Duration::from_millis(250));
    assert_eq!(
        status_of(
            addr,
            b"GET /panic HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        ),
        500
    );
    // HTTP/2 (prior knowledge): two streams on one connection.
    let mut c = Client::connect(addr, 65535, 65535);
    let a = c.get("/hello/h2");
    let b = c.get("/nowhere");
    c.flush();
    c.turn_until(|c| c.replies[&a].ended && c.replies[&b].ended);
    assert_eq!((c.replies[&a].status, c.replies[&b].status), (200, 404));
    drop(c);
    let lines = wait_lines(&path, 6);
    h.shutdown();
    h.join();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let ok = line_with(&lines, "/hello/h1");
    let (before_time, rest) = ok.split_once(" [").unwrap();
    assert_eq!(before_time, "127.0.0.1 - alice");
    let (time, rest) = rest.split_once("] ").unwrap();
    // 06/Dec/2026:08:10:00 +0000
    assert_eq!(time.len(), 26, "{time}");
    assert!(
        time.ends_with(" +0000") && time.as_bytes()[2] == b'/',
        "{time}"
    );
    assert_eq!(
        rest,
        "\"GET /hello/h1?x=1 HTTP/1.1\" 200 10 \"http://example.com/\" \"test \\x22agent\\x22\""
    );
    assert!(
        line_with(&lines, " 400 ").ends_with("\"GARBAGE\" 400 16 \"-\" \"-\""),
        "{lines:#?}"
    );
    assert!(
        line_with(&lines, " 408 ").ends_with("\"-\" 408 20 \"-\" \"-\""),
        "{lines:#?}"
    );
    assert!(line_with(&lines, "/panic").contains("\"GET /panic HTTP/1.1\" 500 "));
    assert!(line_with(&lines, "/hello/h2").contains("\"GET /hello/h2 HTTP/2.0\" 200 10 "));
    assert!(line_with(&lines, "/nowhere").contains("\"GET /nowhere HTTP/2.0\" 404 "));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn custom_format_and_answers_given_later() {
    let path = scratch("custom");
    let log = AccessLog::file(&path)
        .unwrap()
        .format("$request_method $request_uri $server_protocol $status $body_bytes_sent $bytes_sent $request_time $http_x_request_id|$remote_user")
        .unwrap();
    let parked = std::sync::Arc::new(std::sync::Mutex::new(None));
    let p = std::sync::Arc::clone(&parked);
    let h = util::start(|b| {
        b.handler_timeout(Duration::from_millis(300))
            .on_app_error(|_| {})
            .route(Method::Get, "/later", |_, res| {
                let r = res.defer();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(150));
                    let mut res = brisk_server::Response::new();
                    res.text("later!");
                    let _ = r.send(res);
                });
            })
            .route(Method::Get, "/never", move |_, res| {
                // Never answered: the handler timeout answers 503.
                *p.lock().unwrap() = Some(res.defer());
            })
            .access_log(log);
    });
    let addr = h.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        b"GET /later HTTP/1.1\r\nHost: a\r\nX-Request-Id: r-1\r\n\r\n\
          GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Request-Id: r-2\r\n\r\n\
          GET /never HTTP/1.1\r\nHost: a\r\nX-Request-Id: r-3\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut all = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_end(&mut all);
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.contains("HTTP/1.1 503 "), "{text}");
    // And one deferred answer on HTTP/2.
    let mut c = Client::connect(addr, 65535, 65535);
    let id = c
        .try_request_with("GET", "/later", &[("x-request-id", "h2-1")])
        .unwrap();
    c.flush();
    c.turn_until(|c| c.replies[&id].ended);
    assert_eq!(c.replies[&id].status, 200);
    drop(c);
    let lines = wait_lines(&path, 4);
    h.shutdown();
    h.join();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    // In the order written: the deferred answer first (pipelined answers keep their order).
    let later = &lines[0];
    assert!(later.starts_with("GET /later HTTP/1.1 200 6 "), "{later}");
    assert!(later.ends_with(" r-1|-"), "{later}");
    let secs: f64 = later.split(' ').nth(6).unwrap().parse().unwrap();
    assert!((0.1..2.0).contains(&secs), "request time {secs} in {later}");
    // $bytes_sent: head and body.
    let sent: u64 = later.split(' ').nth(5).unwrap().parse().unwrap();
    assert!(sent > 6 + 60, "{later}");
    assert!(
        lines[1].starts_with("GET /plaintext HTTP/1.1 200 13 "),
        "{lines:#?}"
    );
    assert!(lines[1].ends_with(" r-2|-"), "{lines:#?}");
    let never = line_with(&lines, "/never");
    assert!(never.starts_with("GET /never HTTP/1.1 503 "), "{never}");
    let secs: f64 = never.split(' ').nth(6).unwrap().parse().unwrap();
    assert!(secs >= 0.25, "{never}");
    let h2 = line_with(&lines, "h2-1");
    assert!(h2.starts_with("GET /later HTTP/2.0 200 6 "), "{h2}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_bad_format_is_refused_with_its_variable() {
    let e = AccessLog::stdout().format("$status $nope").unwrap_err();
    assert_eq!(e.to_string(), "unknown access log variable `$nope`");
    let b = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["--access-log-format", "$status $nope"])
        .output()
        .unwrap();
    assert_eq!(b.status.code(), Some(2));
    let err = String::from_utf8_lossy(&b.stderr);
    assert!(
        err.contains("--access-log-format") && err.contains("$nope"),
        "{err}"
    );
}

/// Sends `kill -SIG pid`.
fn kill(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn get(addr: std::net::SocketAddr, path: &str) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(addr, req.as_bytes()), 200);
}

#[test]
fn sighup_reopens_a_renamed_log_file() {
    let path = scratch("rotate.log");
    let old = path.with_extension("log.1");
    let _ = std::fs::remove_file(&old);
    let mut b = util::Brisk::start(&["--workers", "1", "--access-log", path.to_str().unwrap()]);
    let pid = b.child.id();
    get(b.addr, "/plaintext?before=1");
    get(b.addr, "/plaintext?before=2");
    assert_eq!(wait_lines(&path, 2).len(), 2);
    std::fs::rename(&path, &old).unwrap();
    kill("-HUP", pid);
    // The watcher sees the signal within 100 ms; then the logging thread reopens the path.
    let t0 = Instant::now();
    while !path.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "no new file after SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    get(b.addr, "/plaintext?after=1");
    let new = wait_lines(&path, 1);
    assert_eq!(new.len(), 1, "{new:#?}");
    assert!(new[0].contains("after=1"), "{new:#?}");
    let kept = wait_lines(&old, 2);
    assert_eq!(kept.len(), 2, "{kept:#?}");
    assert!(kept[0].contains("before=1") && kept[1].contains("before=2"));
    b.terminate();
    assert!(b.wait_exit(Duration::from_secs(10)).is_some());
    let err = b.stderr_text();
    assert!(err.contains("info: access log reopened"), "{err}");
    assert!(!err.contains("nothing to reload"), "{err}");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&old);
}

/// The stderr of a `brisk` run with `args` that got one bad request line.
fn stderr_of_run(args: &[&str]) -> String {
    let mut b = util::Brisk::start(args);
    assert_eq!(status_of(b.addr, b"GARBAGE\r\n\r\n"), 400);
    // And an HTTP/2 connection error: a PING of 3 bytes (FRAME_SIZE_ERROR) after the preface.
    let mut bad = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bad.extend_from_slice(&[0, 0, 3, 6, 0, 0, 0, 0, 0, 1, 2, 3]);
    let _ = util::exchange(b.addr, &bad, Duration::from_secs(2));
    b.terminate();
    assert!(b.wait_exit(Duration::from_secs(10)).is_some());
    b.stderr_text()
}

#[test]
fn log_levels_filter_the_error_log() {
    // Every line: `2026-12-06T08:10:00Z level: message`.
    let timestamped = |err: &str| {
        err.lines()
            .filter(|l| !l.starts_with("brisk: SIG"))
            .all(|l| l.len() > 21 && l.as_bytes()[10] == b'T' && &l[19..21] == "Z ")
    };
    let info = stderr_of_run(&["--workers", "1"]);
    assert!(info.contains("Z info: brisk "), "{info}");
    assert!(info.contains("Z info: stopped"), "{info}");
    assert!(!info.contains(" debug: "), "{info}");
    assert!(timestamped(&info), "{info}");
    let debug = stderr_of_run(&["--workers", "1", "--log-level", "debug"]);
    assert!(
        debug.contains("debug: 127.0.0.1:") && debug.contains("request refused: 400 Bad Request"),
        "{debug}"
    );
    assert!(
        debug.contains("HTTP/2 connection error: ") && debug.contains("GOAWAY sent"),
        "{debug}"
    );
    assert!(debug.contains("Z info: brisk "), "{debug}");
    assert!(timestamped(&debug), "{debug}");
    let warn = stderr_of_run(&["--workers", "1", "--log-level", "warn"]);
    assert!(
        !warn.contains(" info: ") && !warn.contains(" debug: "),
        "{warn}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["--log-level", "loud"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown log level `loud`"));
}

/// With the log on (to a file), 10,000 keep-alive requests (single and pipelined) after a
/// warm-up cost no allocation: lines go into the worker's buffer, whose capacity is kept, and
/// the buffers handed to the logging thread come back with theirs.
#[test]
fn keep_alive_with_the_log_on_allocates_nothing_per_request() {
    let path = scratch("alloc.log");
    let b = util::count_alloc_brisk(&["--workers", "1", "--access-log", path.to_str().unwrap()]);
    let mut s = TcpStream::connect(b.addr).unwrap();
    let one = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nUser-Agent: alloc-test\r\n\r\n";
    let batch: Vec<u8> = one.repeat(16);
    let round = |s: &mut TcpStream, n: usize| {
        for _ in 0..n {
            s.write_all(one).unwrap();
            let (status, _, _) = util::read_response(s);
            assert_eq!(status, 200);
        }
        for _ in 0..n / 16 {
            s.write_all(&batch).unwrap();
            for _ in 0..16 {
                assert_eq!(util::read_response(s).0, 200);
            }
        }
    };
    round(&mut s, 2000);
    util::allocations(&mut s);
    let before = util::allocations(&mut s);
    round(&mut s, 5000);
    let after = util::allocations(&mut s);
    assert_eq!(
        after - before,
        0,
        "{} allocations over 10,000 logged keep-alive requests",
        after - before
    );
    let lines = wait_lines(&path, 13_995);
    assert_eq!(
        lines.len(),
        13_995,
        "4,000 + 9,992 requests and 3 counter reads"
    );
    drop(b);
    let _ = std::fs::remove_file(&path);
}

/// `--access-log -`: the lines go to stdout, after the listening line.
#[test]
fn access_log_to_stdout() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--access-log",
            "-",
        ])
        .args(["--access-log-format", "stdout: $request $status"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    get(addr, "/plaintext?via=stdout");
    line.clear();
    out.read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line, "stdout: GET /plaintext?via=stdout HTTP/1.1 200\n");
}

#[test]
fn remote_addr_is_the_client_a_trusted_proxy_names() {
    let path = scratch("client");
    let log = AccessLog::file(&path)
        .unwrap()
        .format("$remote_addr $request_uri $status")
        .unwrap();
    let h = util::start(|b| {
        b.trusted_proxies(["127.0.0.1"])
            .route(Method::Get, "/later", |_, res| {
                let r = res.defer();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    let mut res = brisk_server::Response::new();
                    res.text("later!");
                    let _ = r.send(res);
                });
            })
            .access_log(log);
    });
    let addr = h.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n\r\n\
          GET /later HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n\
          GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut all = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_end(&mut all);
    let lines = wait_lines(&path, 3);
    assert_eq!(
        lines,
        [
            "203.0.113.9 /plaintext 200",
            "198.51.100.7 /later 200",
            "127.0.0.1 /plaintext 200"
        ],
        "the trusted peer's header names the client; without one the peer is logged"
    );
}
