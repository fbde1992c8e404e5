//! Static files, issue 22: the open-file cache (a changed file is served new, a deleted one
//! is 404, within the revalidation interval), precompressed variants chosen by
//! `Accept-Encoding`, several ranges as `multipart/byteranges` (parsed back by Python's
//! `email` module), hidden files, `Cache-Control`, pipelined answers behind a `sendfile`
//! body, and a file truncated while it is sent.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use brisk_server::StaticOptions;
use util::{read_response, start};

use brisk_testkit::TempDir;

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn get(s: &mut TcpStream, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).unwrap();
    read_response(s)
}

fn field<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn options(f: impl FnOnce(&mut StaticOptions)) -> StaticOptions {
    let mut o = StaticOptions::default();
    f(&mut o);
    o
}

#[test]
fn a_changed_file_is_served_new_and_a_deleted_one_is_404_within_the_interval() {
    let dir = TempDir::new("reval");
    let small = dir.0.join("a.txt");
    let large = dir.0.join("b.bin");
    std::fs::write(&small, "one").unwrap();
    std::fs::write(&large, vec![b'1'; 100_000]).unwrap();
    let interval = Duration::from_millis(200);
    let server = start(|b| {
        b.static_dir_with("/s", &dir.0, options(|o| o.revalidate = interval));
    });
    let mut s = connect(server.local_addr());
    assert_eq!(get(&mut s, "/s/a.txt", "").2, b"one");
    assert_eq!(get(&mut s, "/s/b.bin", "").2, vec![b'1'; 100_000]);
    let t0 = Instant::now();
    std::fs::write(&small, "three").unwrap();
    // Replaced (a new inode), not rewritten in place: a cached descriptor would still
    // read the old bytes.
    std::fs::write(dir.0.join("b.new"), vec![b'2'; 70_000]).unwrap();
    std::fs::rename(dir.0.join("b.new"), &large).unwrap();
    std::thread::sleep(interval + Duration::from_millis(50));
    let (st, h, body) = get(&mut s, "/s/a.txt", "");
    assert_eq!((st, &body[..]), (200, &b"three"[..]));
    assert_eq!(field(&h, "content-length"), Some("5"));
    assert_eq!(get(&mut s, "/s/b.bin", "").2, vec![b'2'; 70_000]);
    std::fs::remove_file(&small).unwrap();
    std::fs::remove_file(&large).unwrap();
    std::thread::sleep(interval + Duration::from_millis(50));
    assert_eq!(get(&mut s, "/s/a.txt", "").0, 404);
    assert_eq!(get(&mut s, "/s/b.bin", "").0, 404);
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[test]
fn precompressed_variants_follow_accept_encoding() {
    let dir = TempDir::new("enc");
    let d = &dir.0;
    std::fs::write(d.join("app.js"), "identity-js").unwrap();
    std::fs::write(d.join("app.js.br"), "BR").unwrap();
    std::fs::write(d.join("app.js.zst"), "ZSTD").unwrap();
    std::fs::write(d.join("app.js.gz"), "GZIP-BYTES").unwrap();
    std::fs::write(d.join("only.css"), "identity-css").unwrap();
    std::fs::write(d.join("only.css.gz"), "GZ-CSS").unwrap();
    std::fs::write(d.join("pic.png"), "png").unwrap();
    std::fs::write(d.join("pic.png.gz"), "never").unwrap();
    let server = start(|b| {
        b.static_dir("/s", d);
    });
    let mut s = connect(server.local_addr());
    for (ae, body, coding) in [
        (None, "identity-js", None),
        (Some(""), "identity-js", None),
        (Some("gzip, deflate, br, zstd"), "BR", Some("br")),
        (Some("gzip"), "GZIP-BYTES", Some("gzip")),
        (Some("zstd, gzip"), "ZSTD", Some("zstd")),
        (Some("br;q=0, gzip"), "GZIP-BYTES", Some("gzip")),
        (
            Some("br;q=0.5, gzip;q=0.9, identity;q=0.1"),
            "GZIP-BYTES",
            Some("gzip"),
        ),
        (Some("gzip;q=0.5, identity"), "identity-js", None),
        (Some("*"), "BR", Some("br")),
        (Some("*, br;q=0"), "ZSTD", Some("zstd")),
        (Some("*;q=0.5, gzip"), "GZIP-BYTES", Some("gzip")),
        (Some("*;q=0"), "identity-js", None),
        (Some("identity;q=0, zstd;q=0.1"), "ZSTD", Some("zstd")),
        (Some("deflate"), "identity-js", None),
        (Some("br;q=7"), "identity-js", None),
    ] {
        let extra = ae.map_or(String::new(), |v| format!("Accept-Encoding: {v}\r\n"));
        let (st, h, b) = get(&mut s, "/s/app.js", &extra);
        assert_eq!((st, &b[..]), (200, body.as_bytes()), "{ae:?}");
        assert_eq!(field(&h, "content-encoding"), coding, "{ae:?}");
        assert_eq!(field(&h, "vary"), Some("accept-encoding"), "{ae:?}");
        assert_eq!(
            field(&h, "content-type"),
            Some("text/javascript; charset=utf-8"),
            "{ae:?}"
        );
    }
    // A missing variant falls to the next one, then to identity.
    let (_, h, b) = get(&mut s, "/s/only.css", "Accept-Encoding: br, gzip\r\n");
    assert_eq!(
        (&b[..], field(&h, "content-encoding")),
        (&b"GZ-CSS"[..], Some("gzip"))
    );
    let (_, h, b) = get(&mut s, "/s/only.css", "Accept-Encoding: br\r\n");
    assert_eq!(
        (&b[..], field(&h, "content-encoding")),
        (&b"identity-css"[..], None)
    );
    // Not compressible: no variant, no Vary.
    let (_, h, b) = get(&mut s, "/s/pic.png", "Accept-Encoding: gzip\r\n");
    assert_eq!((&b[..], field(&h, "vary")), (&b"png"[..], None));
    // One ETag per variant; a 304 only for the variant's own tag; ranges apply to it.
    let (_, h, _) = get(&mut s, "/s/app.js", "Accept-Encoding: gzip\r\n");
    let gz_tag = field(&h, "etag").unwrap().to_string();
    let (_, h, _) = get(&mut s, "/s/app.js", "");
    let id_tag = field(&h, "etag").unwrap().to_string();
    assert_ne!(gz_tag, id_tag);
    let cond = format!("Accept-Encoding: gzip\r\nIf-None-Match: {gz_tag}\r\n");
    let (st, h, _) = get(&mut s, "/s/app.js", &cond);
    assert_eq!((st, field(&h, "vary")), (304, Some("accept-encoding")));
    let cond = format!("If-None-Match: {gz_tag}\r\n");
    assert_eq!(get(&mut s, "/s/app.js", &cond).0, 200);
    let (st, h, b) = get(
        &mut s,
        "/s/app.js",
        "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n",
    );
    assert_eq!((st, &b[..]), (206, &b"GZIP"[..]));
    assert_eq!(field(&h, "content-range"), Some("bytes 0-3/10"));
    // A variant appearing later is found once its absence is revalidated (1 s default).
    std::fs::write(d.join("only.css.br"), "BR-CSS").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let (_, _, b) = get(&mut s, "/s/only.css", "Accept-Encoding: br\r\n");
    assert_eq!(b, b"BR-CSS");
}

#[test]
fn hidden_files_are_404_except_well_known_and_cache_control_is_per_mount() {
    let dir = TempDir::new("dot");
    let d = &dir.0;
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::create_dir_all(d.join(".well-known/acme-challenge")).unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join(".env"), "SECRET=1").unwrap();
    std::fs::write(d.join(".git/config"), "[core]").unwrap();
    std::fs::write(d.join("sub/.htpasswd"), "x").unwrap();
    std::fs::write(d.join(".well-known/acme-challenge/tok"), "proof").unwrap();
    std::fs::write(d.join("ok.txt"), "ok").unwrap();
    let server = start(|b| {
        b.static_dir("/s", d);
        b.static_dir_with("/c", d, options(|o| o.max_age = Some(600)));
        b.static_dir_with("/all", d, options(|o| o.dotfiles = true));
    });
    let mut s = connect(server.local_addr());
    for p in [
        "/s/.env",
        "/s/.git/config",
        "/s/sub/.htpasswd",
        "/s/%2eenv",
        "/s/sub/../.env",
    ] {
        assert_eq!(get(&mut s, p, "").0, 404, "{p}");
    }
    let (st, h, b) = get(&mut s, "/s/.well-known/acme-challenge/tok", "");
    assert_eq!((st, &b[..]), (200, &b"proof"[..]));
    assert_eq!(field(&h, "cache-control"), None);
    let (st, h, _) = get(&mut s, "/c/ok.txt", "");
    assert_eq!((st, field(&h, "cache-control")), (200, Some("max-age=600")));
    assert_eq!(get(&mut s, "/all/.env", "").2, b"SECRET=1");
}

#[test]
fn several_ranges_are_multipart_byteranges_read_back_by_python() {
    if !util::python("several_ranges_are_multipart_byteranges", "email") {
        return;
    }
    let dir = TempDir::new("multi");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &content).unwrap();
    std::fs::write(dir.0.join("small.txt"), "0123456789abcdef").unwrap();
    let server = start(|b| {
        b.static_dir_with("/s", &dir.0, options(|o| o.max_ranges = 3));
    });
    let addr = server.local_addr();
    let script = r#"
import sys, socket, email, email.policy
host, port, path, rng = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=10)
s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nRange: {rng}\r\nConnection: close\r\n\r\n".encode())
raw = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    raw += d
head, body = raw.split(b"\r\n\r\n", 1)
lines = head.decode().split("\r\n")
fields = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
assert lines[0].split()[1] == "206", lines[0]
assert int(fields["content-length"]) == len(body), (fields, len(body))
msg = email.message_from_bytes(b"Content-Type: " + fields["content-type"].encode() + b"\r\n\r\n" + body, policy=email.policy.HTTP)
assert msg.get_content_type() == "multipart/byteranges", msg.get_content_type()
for part in msg.iter_parts():
    data = part.get_payload(decode=True)
    cr = part["content-range"]
    print(part.get_content_type(), cr, len(data), data.hex()[:16])
"#;
    let run = |path: &str, range: &str| {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                script,
                "127.0.0.1",
                &addr.port().to_string(),
                path,
                range,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let hex = |a: usize, n: usize| {
        content[a..a + n.min(8)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let out = run("/s/big.bin", "bytes=0-9, 100000-170000, -5");
    let want = format!(
        "application/octet-stream bytes 0-9/200000 10 {}\n\
         application/octet-stream bytes 100000-170000/200000 70001 {}\n\
         application/octet-stream bytes 199995-199999/200000 5 {}\n",
        hex(0, 10),
        hex(100_000, 8),
        hex(199_995, 5)
    );
    assert_eq!(out, want);
    let out = run("/s/small.txt", "bytes=1-2,5-5");
    assert_eq!(
        out,
        "text/plain bytes 1-2/16 2 3132\ntext/plain bytes 5-5/16 1 35\n"
    );
    // More than max_ranges (3), or overlapping: the whole file.
    let mut s = connect(addr);
    let (st, _, b) = get(&mut s, "/s/small.txt", "Range: bytes=0-0,2-2,4-4,6-6\r\n");
    assert_eq!((st, b.len()), (200, 16));
    let (st, _, b) = get(&mut s, "/s/small.txt", "Range: bytes=0-5,3-4\r\n");
    assert_eq!((st, b.len()), (200, 16));
}

/// Answers pipelined behind a file sent with `sendfile` come after it, in order, whole.
#[test]
fn pipelined_answers_follow_a_sendfile_body_in_order() {
    let dir = TempDir::new("pipe");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &big).unwrap();
    std::fs::write(dir.0.join("s.txt"), "small").unwrap();
    let server = start(|b| {
        b.static_dir("/s", &dir.0);
    });
    let mut s = connect(server.local_addr());
    let one = |p: &str| format!("GET {p} HTTP/1.1\r\nHost: t\r\n\r\n");
    let batch = [
        one("/s/big.bin"),
        one("/s/s.txt"),
        one("/plaintext"),
        one("/s/big.bin"),
        one("/s/s.txt"),
    ]
    .concat();
    s.write_all(batch.as_bytes()).unwrap();
    for want in [&big[..], b"small", b"Hello, World!", &big[..], b"small"] {
        let (st, _, b) = read_response(&mut s);
        assert_eq!(st, 200);
        assert!(b == want, "body of {} bytes, want {}", b.len(), want.len());
    }
}

/// A file cut short while it is being sent: the client gets a prefix of the real bytes
/// and then the end of the connection, never other bytes and never a hang.
#[test]
fn a_file_truncated_while_it_is_sent_closes_the_connection() {
    let dir = TempDir::new("trunc");
    let path = dir.0.join("big.bin");
    let len = 32 << 20;
    let content: Vec<u8> = (0..len as u32).map(|i| (i % 249) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = start(|b| {
        b.static_dir("/s", &dir.0);
    });
    let mut s = connect(server.local_addr());
    s.write_all(b"GET /s/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    // Read the head and a little of the body, so the server is mid-file (the socket
    // buffers hold a few MiB at most).
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < 256 * 1024 {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(8 << 20)
        .unwrap();
    let t0 = Instant::now();
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read: {e} after {} bytes", got.len()),
        }
    }
    assert!(t0.elapsed() < Duration::from_secs(8), "hung");
    let at = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&got[..at]).to_ascii_lowercase();
    assert!(head.contains(&format!("content-length: {len}")), "{head}");
    let body = &got[at..];
    assert!(body.len() < len, "the whole length arrived: {}", body.len());
    assert!(
        body == &content[..body.len()],
        "bytes other than the file's"
    );
}

/// Over h2c a file is read with `pread` as the stream's window allows; a range from the
/// middle of a large file ends where it should (reads past it are dropped), whole files
/// arrive whole, and several requests on one connection share the cached descriptor.
#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn ranges_and_whole_files_over_h2c_are_exact() {
    if !util::tool("ranges_and_whole_files_over_h2c_are_exact", "curl") {
        return;
    }
    let dir = TempDir::new("h2");
    let content: Vec<u8> = (0..1_500_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &content).unwrap();
    let server = start(|b| {
        b.static_dir("/s", &dir.0);
    });
    let url = format!("http://{}/s/big.bin", server.local_addr());
    for (range, want) in [
        (None, &content[..]),
        (Some("1000-200000"), &content[1000..=200_000]),
        (Some("65536-65536"), &content[65536..=65536]),
        (Some("-70000"), &content[content.len() - 70000..]),
    ] {
        let mut args = vec![url.as_str()];
        if let Some(r) = range {
            args.extend(["-r", r]);
        }
        let out = util::curl_h2(&args);
        assert!(out.status.success(), "{range:?}");
        assert!(out.stdout == want, "{range:?}: {} bytes", out.stdout.len());
    }
}
