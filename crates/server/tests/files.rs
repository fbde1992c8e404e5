//! Static files over real connections: content types, index files, the slash redirect,
//! validators and conditional requests (304, 412), byte ranges (206, 416, If-Range), large
//! files sent in pieces with their length, and every way out of the directory refused. Also
//! sized stream bodies that end short: the client must see the truncation.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use brisk_server::{Body, Method};
use util::{read_head, read_response, start};

use brisk_testkit::TempDir;

fn big_content() -> Vec<u8> {
    (0..300 * 1024 + 7).map(|i: u32| (i % 251) as u8).collect()
}

/// The served tree: `www/` inside `base`, with a secret file beside it.
fn tree(base: &Path) -> PathBuf {
    let www = base.join("www");
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::create_dir_all(www.join("empty")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(www.join("a.txt"), "hello world").unwrap();
    std::fs::write(www.join("style.CSS"), "p{}").unwrap();
    std::fs::write(www.join("sp ace.json"), "{}").unwrap();
    std::fs::write(www.join("sub/index.html"), "<p>sub</p>").unwrap();
    std::fs::write(www.join("big.bin"), big_content()).unwrap();
    std::fs::write(base.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(base.join("secret.txt"), www.join("out.txt")).unwrap();
    std::os::unix::fs::symlink(base, www.join("up")).unwrap();
    std::os::unix::fs::symlink("a.txt", www.join("in.txt")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(www.join("pipe"))
        .status()
        .unwrap();
    assert!(fifo.success(), "mkfifo");
    www
}

fn send(s: &mut TcpStream, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).unwrap();
    read_response(s)
}

fn field<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn files_types_index_redirect_validators_and_ranges() {
    let base = TempDir::new("main");
    let www = tree(&base.0);
    let server = start(|b| {
        b.static_dir("/s", &www);
        b.route(Method::Get, "/s/special", |_, res| {
            res.text("a route wins");
        });
    });
    let mut s = connect(server.local_addr());

    let (st, h, body) = send(&mut s, "/s/a.txt", "");
    assert_eq!((st, &body[..]), (200, &b"hello world"[..]));
    assert_eq!(field(&h, "content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(field(&h, "content-length"), Some("11"));
    assert_eq!(field(&h, "accept-ranges"), Some("bytes"));
    let etag = field(&h, "etag").unwrap().to_string();
    let modified = field(&h, "last-modified").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with("-b\""), "{etag}");
    assert!(modified.ends_with(" GMT"), "{modified}");

    // Types by extension (case-insensitive), the index, decoded names, routes first.
    let (st, h, _) = send(&mut s, "/s/style.CSS", "");
    assert_eq!(
        (st, field(&h, "content-type")),
        (200, Some("text/css; charset=utf-8"))
    );
    let (st, h, body) = send(&mut s, "/s/sp%20ace.json", "");
    assert_eq!(
        (st, field(&h, "content-type"), &body[..]),
        (200, Some("application/json"), &b"{}"[..])
    );
    let (st, h, body) = send(&mut s, "/s/", "");
    assert_eq!((st, &body[..]), (200, &b"<h1>home</h1>"[..]));
    assert_eq!(field(&h, "content-type"), Some("text/html; charset=utf-8"));
    let (st, h, _) = send(&mut s, "/s/sub?x=1", "");
    assert_eq!((st, field(&h, "location")), (301, Some("/s/sub/?x=1")));
    let (st, _, body) = send(&mut s, "/s/sub/", "");
    assert_eq!((st, &body[..]), (200, &b"<p>sub</p>"[..]));
    let (st, _, _) = send(&mut s, "/s/empty/", "");
    assert_eq!(st, 403);
    let (st, _, body) = send(&mut s, "/s/special", "");
    assert_eq!((st, &body[..]), (200, &b"a route wins"[..]));
    let (st, _, body) = send(&mut s, "/s/in.txt", "");
    assert_eq!((st, &body[..]), (200, &b"hello world"[..]));

    // Nothing outside the directory, and no hang on a FIFO.
    for (path, want) in [
        ("/s/nosuch", 404),
        ("/s/a.txt/x", 404),
        ("/s/out.txt", 404),
        ("/s/up/secret.txt", 404),
        ("/s/pipe", 404),
        ("/s/../secret.txt", 400),
        ("/s/sub/../../secret.txt", 400),
        ("/s/%2e%2e/secret.txt", 400),
        ("/s/a%2fb", 400),
        ("/s/a%00b", 400),
    ] {
        // A 400 ends its connection (the server's rule for that status): one each.
        let mut s = connect(server.local_addr());
        let (st, _, body) = send(&mut s, path, "");
        assert_eq!(st, want, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{path}");
    }
    let (st, _, _) = send(&mut s, "/s/sub/../a.txt", "");
    assert_eq!(st, 200, "a .. that stays inside is fine");

    // HEAD: GET's head, no body, no file read; the connection goes on.
    s.write_all(b"HEAD /s/a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-length: 11\r\n"),
        "{head}"
    );
    s.write_all(b"HEAD /s/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let head = read_head(&mut s);
    let want = format!("content-length: {}\r\n", big_content().len());
    assert!(head.to_ascii_lowercase().contains(&want), "{head}");

    // Conditional requests.
    let (st, h, body) = send(
        &mut s,
        "/s/a.txt",
        &format!("If-None-Match: \"x\", {etag}\r\n"),
    );
    assert_eq!((st, body.len()), (304, 0));
    assert_eq!(field(&h, "etag"), Some(etag.as_str()));
    assert_eq!(field(&h, "content-length"), None);
    let (st, _, _) = send(&mut s, "/s/a.txt", &format!("If-None-Match: W/{etag}\r\n"));
    assert_eq!(st, 304);
    let (st, _, _) = send(&mut s, "/s/a.txt", "If-None-Match: \"other\"\r\n");
    assert_eq!(st, 200);
    let (st, _, _) = send(
        &mut s,
        "/s/a.txt",
        &format!("If-Modified-Since: {modified}\r\n"),
    );
    assert_eq!(st, 304);
    let old = "Thu, 01 Jan 1970 00:00:01 GMT";
    let (st, _, _) = send(&mut s, "/s/a.txt", &format!("If-Modified-Since: {old}\r\n"));
    assert_eq!(st, 200);
    let (st, _, _) = send(&mut s, "/s/a.txt", "If-Match: \"other\"\r\n");
    assert_eq!(st, 412);
    let (st, _, _) = send(&mut s, "/s/a.txt", &format!("If-Match: {etag}\r\n"));
    assert_eq!(st, 200);
    let (st, _, _) = send(
        &mut s,
        "/s/a.txt",
        &format!("If-Unmodified-Since: {old}\r\n"),
    );
    assert_eq!(st, 412);

    // Ranges.
    for (range, want_status, want_body, want_cr) in [
        ("bytes=0-4", 206, &b"hello"[..], Some("bytes 0-4/11")),
        ("bytes=-5", 206, b"world", Some("bytes 6-10/11")),
        ("bytes=6-", 206, b"world", Some("bytes 6-10/11")),
        ("bytes=6-100", 206, b"world", Some("bytes 6-10/11")),
        ("bytes=-100", 206, b"hello world", Some("bytes 0-10/11")),
        ("bytes=0-5,3-8", 200, b"hello world", None),
        ("bytes=5-2", 200, b"hello world", None),
        ("items=0-1", 200, b"hello world", None),
        ("bytes=x-1", 200, b"hello world", None),
    ] {
        let (st, h, body) = send(&mut s, "/s/a.txt", &format!("Range: {range}\r\n"));
        assert_eq!((st, &body[..]), (want_status, want_body), "{range}");
        assert_eq!(field(&h, "content-range"), want_cr, "{range}");
    }
    for range in ["bytes=11-", "bytes=100-200", "bytes=-0"] {
        let (st, h, _) = send(&mut s, "/s/a.txt", &format!("Range: {range}\r\n"));
        assert_eq!(
            (st, field(&h, "content-range")),
            (416, Some("bytes */11")),
            "{range}"
        );
    }
    let (st, _, body) = send(
        &mut s,
        "/s/a.txt",
        &format!("Range: bytes=0-4\r\nIf-Range: {etag}\r\n"),
    );
    assert_eq!((st, &body[..]), (206, &b"hello"[..]));
    let (st, _, body) = send(
        &mut s,
        "/s/a.txt",
        "Range: bytes=0-4\r\nIf-Range: \"old\"\r\n",
    );
    assert_eq!((st, body.len()), (200, 11));
    let (st, _, _) = send(
        &mut s,
        "/s/a.txt",
        &format!("Range: bytes=0-4\r\nIf-Range: {modified}\r\n"),
    );
    assert_eq!(st, 206);

    // A file past the inline limit goes out in pieces, with its length, whole or in part.
    let big = big_content();
    let (st, h, body) = send(&mut s, "/s/big.bin", "");
    assert_eq!(st, 200);
    assert_eq!(
        field(&h, "content-length"),
        Some(big.len().to_string().as_str())
    );
    assert_eq!(field(&h, "transfer-encoding"), None);
    assert_eq!(field(&h, "content-type"), Some("application/octet-stream"));
    assert!(body == big, "big body differs");
    let (st, h, body) = send(&mut s, "/s/big.bin", "Range: bytes=1000-300000\r\n");
    assert_eq!(st, 206);
    assert_eq!(
        field(&h, "content-range"),
        Some(format!("bytes 1000-300000/{}", big.len()).as_str())
    );
    assert!(body == big[1000..=300_000], "big range differs");

    // Still the same keep-alive connection.
    let (st, _, _) = send(&mut s, "/s/a.txt", "");
    assert_eq!(st, 200);
}

/// Issue 17 item 6.2: a request that repeats `Range` or `If-Range` (singleton fields,
/// RFC 9110 §14.2, §13.1.5) gets the whole file, not 206 from one of its lines; `If-Match`
/// (a list) counts in every line. Every row is checked, then the mismatches are reported.
#[test]
fn repeated_range_fields_get_the_whole_file() {
    let base = TempDir::new("singleton");
    let www = tree(&base.0);
    let server = start(|b| {
        b.static_dir("/s", &www);
    });
    let mut s = connect(server.local_addr());
    let (st, h, _) = send(&mut s, "/s/a.txt", "");
    assert_eq!(st, 200);
    let etag = field(&h, "etag").unwrap().to_string();
    let mut bad = Vec::new();
    for (name, extra) in [
        (
            "two Range",
            "Range: bytes=0-4\r\nRange: bytes=6-10\r\n".to_string(),
        ),
        (
            "the same Range twice",
            "Range: bytes=0-4\r\nRange: bytes=0-4\r\n".to_string(),
        ),
        (
            "two If-Range",
            format!("Range: bytes=0-4\r\nIf-Range: {etag}\r\nIf-Range: \"old\"\r\n"),
        ),
        (
            "the same If-Range twice",
            format!("Range: bytes=0-4\r\nIf-Range: {etag}\r\nIf-Range: {etag}\r\n"),
        ),
    ] {
        let (st, h, body) = send(&mut s, "/s/a.txt", &extra);
        if (st, &body[..], field(&h, "content-range")) != (200, &b"hello world"[..], None) {
            bad.push(format!("{name}: {st} {}", String::from_utf8_lossy(&body)));
        }
    }
    // One of each still gives the range.
    let (st, _, body) = send(
        &mut s,
        "/s/a.txt",
        &format!("Range: bytes=0-4\r\nIf-Range: {etag}\r\n"),
    );
    assert_eq!((st, &body[..]), (206, &b"hello"[..]));
    // A list field in two lines: the tag in the second one matches.
    let (st, _, _) = send(
        &mut s,
        "/s/a.txt",
        &format!("If-Match: \"other\"\r\nIf-Match: {etag}\r\n"),
    );
    if st != 200 {
        bad.push(format!("If-Match in two lines: {st}"));
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Issue 17 item 6.3: a path that names a directory (`/a.txt/`, `/a.txt/.`) on a regular file
/// is 404, as in nginx (ENOTDIR), while directories keep serving their index. Every row is
/// checked, then the mismatches are reported.
#[test]
fn a_regular_file_named_as_a_directory_is_404() {
    let base = TempDir::new("slash");
    let www = tree(&base.0);
    let server = start(|b| {
        b.static_dir("/s", &www);
    });
    let mut s = connect(server.local_addr());
    let mut bad = Vec::new();
    for (path, want, body) in [
        ("/s/a.txt/", 404, None),
        ("/s/a.txt/.", 404, None),
        ("/s/a.txt//", 404, None),
        ("/s/a.txt/%2e", 404, None),
        ("/s/a.txt/x/..", 404, None),
        ("/s/in.txt/", 404, None),
        ("/s/a.txt", 200, Some(&b"hello world"[..])),
        ("/s/sub/", 200, Some(&b"<p>sub</p>"[..])),
        ("/s/sub/.", 200, Some(&b"<p>sub</p>"[..])),
        ("/s/", 200, Some(&b"<h1>home</h1>"[..])),
    ] {
        let (st, _, got) = send(&mut s, path, "");
        if st != want || body.is_some_and(|b| got != b) {
            bad.push(format!("{path}: {st} {}", String::from_utf8_lossy(&got)));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn a_missing_directory_fails_start() {
    let err = brisk_server::Server::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .static_dir("/s", "/nonexistent/brisk/dir")
        .start()
        .unwrap_err();
    assert!(
        matches!(err, brisk_server::Error::StaticDir { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/nonexistent/brisk/dir"), "{err}");
}

#[test]
fn sized_streams_send_their_length_and_a_short_one_closes_the_connection() {
    let server = start(|b| {
        b.route(Method::Get, "/exact", |_, res| {
            res.body(Body::sized_stream(
                6,
                vec![b"abc".to_vec(), Vec::new(), b"def".to_vec()].into_iter(),
            ));
        });
        b.route(Method::Get, "/long", |_, res| {
            res.body(Body::sized_stream(
                4,
                vec![b"abc".to_vec(), b"def".to_vec()].into_iter(),
            ));
        });
        b.route(Method::Get, "/short", |_, res| {
            res.body(Body::sized_stream(10, vec![b"abc".to_vec()].into_iter()));
        });
        b.route(Method::Get, "/zero", |_, res| {
            res.body(Body::sized_stream(0, std::iter::empty()));
        });
    });
    let mut s = connect(server.local_addr());
    let (st, h, body) = send(&mut s, "/exact", "");
    assert_eq!((st, &body[..]), (200, &b"abcdef"[..]));
    assert_eq!(
        (field(&h, "content-length"), field(&h, "transfer-encoding")),
        (Some("6"), None)
    );
    let (st, _, body) = send(&mut s, "/long", "");
    assert_eq!((st, &body[..]), (200, &b"abcd"[..]));
    let (st, h, body) = send(&mut s, "/zero", "");
    assert_eq!(
        (st, field(&h, "content-length"), body.len()),
        (200, Some("0"), 0)
    );
    // HTTP/1.0 gets the length too (no close-delimited body).
    s.write_all(b"GET /exact HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let (st, h, body) = read_response(&mut s);
    assert_eq!(
        (st, field(&h, "content-length"), &body[..]),
        (200, Some("6"), &b"abcdef"[..])
    );

    // Short: the declared length, what there was, then the connection ends.
    s.write_all(b"GET /short HTTP/1.1\r\nHost: t\r\n\r\nGET /exact HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.to_ascii_lowercase().contains("content-length: 10\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\nabc"), "{text}");
    assert_eq!(
        text.matches("HTTP/1.1").count(),
        1,
        "no answer after a short body: {text}"
    );
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn files_and_a_short_stream_over_h2c() {
    if !util::tool("files_and_a_short_stream_over_h2c", "curl") {
        return;
    }
    let base = TempDir::new("h2");
    let www = tree(&base.0);
    let server = start(|b| {
        b.static_dir("/", &www);
        b.route(Method::Get, "/short", |_, res| {
            res.body(Body::sized_stream(10, vec![b"abc".to_vec()].into_iter()));
        });
    });
    let url = |p: &str| format!("http://{}{p}", server.local_addr());
    let curl = |args: &[&str]| {
        Command::new("curl")
            .args(["-s", "--http2-prior-knowledge", "--max-time", "10"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = curl(&["-D", "-", &url("/big.bin"), "-o", "/dev/null"]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/2 200"), "{head}");
    assert!(
        head.contains(&format!("content-length: {}\r\n", big_content().len())),
        "{head}"
    );
    let out = curl(&[&url("/big.bin")]);
    assert!(
        out.status.success() && out.stdout == big_content(),
        "big body over h2"
    );
    let out = curl(&["-r", "6-", &url("/a.txt"), "-D", "-"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("HTTP/2 206") && text.ends_with("\r\n\r\nworld"),
        "{text}"
    );
    let out = curl(&["-I", &url("/a.txt")]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.contains("content-length: 11\r\n"), "{head}");
    let out = curl(&[&url("/")]);
    assert_eq!(out.stdout, b"<h1>home</h1>");
    // The short stream is reset, and curl says the transfer failed.
    let out = curl(&[&url("/short")]);
    // curl: 92, "HTTP/2 stream was not closed cleanly" (the reset), not a connect failure.
    assert_eq!(
        out.status.code(),
        Some(92),
        "a short body must not look complete over h2"
    );
    assert!(out.stdout.len() < 10, "{:?}", out.stdout);
}

#[test]
fn the_binary_serves_a_directory_beside_its_routes() {
    let base = TempDir::new("bin");
    let www = tree(&base.0);
    let brisk = util::Brisk::start(&["--workers", "1", "--dir", www.to_str().unwrap()]);
    let mut s = connect(brisk.addr);
    let (st, _, body) = send(&mut s, "/", "");
    assert_eq!((st, &body[..]), (200, &b"<h1>home</h1>"[..]));
    let (st, _, body) = send(&mut s, "/plaintext", "");
    assert_eq!((st, &body[..]), (200, &b"Hello, World!"[..]));
    let (st, _, body) = send(&mut s, "/sub/", "");
    assert_eq!((st, &body[..]), (200, &b"<p>sub</p>"[..]));

    // A directory that is not there: the binary says so and exits with failure.
    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["--bind", "127.0.0.1:0", "--dir", "/nonexistent/brisk/dir"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot serve directory /nonexistent/brisk/dir"),
        "{err}"
    );
}

#[test]
fn an_unsized_stream_to_http10_is_close_delimited_and_pulled_as_the_socket_drains() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // 64 MiB in 1 KiB chunks, far more than the socket buffers hold: while the client has
    // read only the head, most chunks must not have been pulled yet (before, HTTP/1.0 drained
    // the whole stream into memory first).
    const CHUNKS: usize = 64 * 1024;
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let server = start(move |b| {
        b.route(Method::Get, "/big-stream", move |_, res| {
            let counter = Arc::clone(&counter);
            res.body(Body::stream((0..CHUNKS).map(move |i| {
                counter.fetch_add(1, Ordering::Relaxed);
                vec![(i % 251) as u8; 1024]
            })));
        });
    });
    let mut s = connect(server.local_addr());
    s.write_all(b"GET /big-stream HTTP/1.0\r\n\r\n").unwrap();
    let head = read_head(&mut s).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        !head.contains("content-length") && !head.contains("transfer-encoding"),
        "{head}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let early = pulled.load(Ordering::Relaxed);
    assert!(
        early < CHUNKS / 2,
        "{early} of {CHUNKS} chunks pulled before the client read"
    );
    let mut body = Vec::new();
    s.read_to_end(&mut body).unwrap();
    assert_eq!(body.len(), CHUNKS * 1024);
    assert!(body
        .chunks(1024)
        .enumerate()
        .all(|(i, c)| c.iter().all(|&b| b == (i % 251) as u8)));
}
