//! Upload routes (`Builder::upload`): the request body streams to a `BodySink` piece by piece,
//! past the buffered limit, over HTTP/1.1 (Content-Length and chunked, with 100-continue) and
//! HTTP/2; refusals, sink errors, panics and the upload limit each get their answer.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use brisk_server::{BodySink, Limits, Method, Request, Response};
use util::{read_response, start};

const MIB: usize = 1024 * 1024;

/// Counts what it is given; answers with the count, the number of pieces and a checksum.
#[derive(Default)]
struct Count {
    bytes: u64,
    pieces: u64,
    sum: u64,
}

impl BodySink for Count {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        assert!(!piece.is_empty(), "empty piece");
        self.bytes += piece.len() as u64;
        self.pieces += 1;
        for &b in piece {
            self.sum = self.sum.wrapping_mul(31).wrapping_add(u64::from(b));
        }
        Ok(())
    }

    fn finish(&mut self, req: &mut Request<'_>, res: &mut Response) {
        assert!(req.body().is_empty());
        res.text(format!(
            "id={} bytes={} pieces={} sum={}",
            req.param("id").unwrap_or("-"),
            self.bytes,
            self.pieces,
            self.sum
        ));
    }
}

/// Takes up to a mebibyte, then says 507.
struct Small(usize);

impl BodySink for Small {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        self.0 += piece.len();
        if self.0 > MIB {
            Err(507)
        } else {
            Ok(())
        }
    }
    fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
        res.text("small enough");
    }
}

struct Panics;

impl BodySink for Panics {
    fn data(&mut self, _: &[u8]) -> Result<(), u16> {
        panic!("sink panics on purpose");
    }
    fn finish(&mut self, _: &mut Request<'_>, _: &mut Response) {}
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn checksum(b: &[u8]) -> u64 {
    b.iter()
        .fold(0u64, |s, &x| s.wrapping_mul(31).wrapping_add(u64::from(x)))
}

fn server() -> brisk_server::Handle {
    start(|b| {
        let mut limits = Limits::default();
        limits.max_upload_size = 8 * MIB as u64;
        b.limits(limits);
        b.upload(Method::Put, "/up/{id}", |req| {
            if req.header("x-deny").is_some() {
                return Err(403);
            }
            Ok(Box::new(Count::default()))
        });
        b.upload(Method::Post, "/small", |_| Ok(Box::new(Small(0))));
        b.upload(Method::Post, "/panics", |_| Ok(Box::new(Panics)));
    })
}

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_large_body_streams_to_the_sink_with_content_length_and_chunked() {
    let server = server();
    let mut s = connect(server.local_addr());
    // 5 MiB with Content-Length: five times the buffered limit, in many pieces.
    let data = body(5 * MIB);
    let head = format!(
        "PUT /up/7 HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    for piece in data.chunks(64 * 1024) {
        s.write_all(piece).unwrap();
    }
    let (st, _, b) = read_response(&mut s);
    let b = text(&b);
    assert_eq!(st, 200, "{b}");
    assert!(
        b.starts_with(&format!("id=7 bytes={} pieces=", data.len())),
        "{b}"
    );
    assert!(b.ends_with(&format!(" sum={}", checksum(&data))), "{b}");
    let pieces: u64 = b
        .split("pieces=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pieces > 1, "{b}");

    // Chunked, 3 MiB in 100 KiB chunks, on the same connection.
    let data = body(3 * MIB);
    s.write_all(b"PUT /up/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for piece in data.chunks(100 * 1024) {
        s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .unwrap();
        s.write_all(piece).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let (st, _, b) = read_response(&mut s);
    let b = text(&b);
    assert_eq!(st, 200, "{b}");
    assert!(b.starts_with(&format!("id=c bytes={} ", data.len())), "{b}");
    assert!(b.ends_with(&format!(" sum={}", checksum(&data))), "{b}");

    // A small body that comes with the head: start, one piece, finish.
    s.write_all(b"PUT /up/s HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    let (st, _, b) = read_response(&mut s);
    assert_eq!(
        (st, text(&b)),
        (
            200,
            format!("id=s bytes=5 pieces=1 sum={}", checksum(b"hello"))
        )
    );
    // The connection goes on.
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let (st, _, b) = read_response(&mut s);
    assert_eq!((st, &b[..]), (200, &b"Hello, World!"[..]));
}

#[test]
fn continue_refusal_limits_sink_errors_and_panics() {
    let server = server();
    let addr = server.local_addr();

    // 100-continue: sent once the route took the request, then the body.
    let mut s = connect(addr);
    s.write_all(
        b"PUT /up/e HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let mut line = [0u8; 25];
    s.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"HTTP/1.1 100 Continue\r\n\r\n");
    let data = body(2 * MIB);
    s.write_all(&data).unwrap();
    let (st, _, b) = read_response(&mut s);
    assert_eq!(st, 200, "{}", text(&b));

    // Refused on the head: no 100, the refusal, the connection closes unread.
    let mut s = connect(addr);
    s.write_all(b"PUT /up/x HTTP/1.1\r\nHost: t\r\nX-Deny: 1\r\nContent-Length: 5242880\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let (st, h, _) = read_response(&mut s);
    assert_eq!(st, 403);
    assert!(h.iter().any(|(k, v)| k == "connection" && v == "close"));
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{}", text(&rest));

    // Declared past the upload limit: 413 before the body.
    let mut s = connect(addr);
    s.write_all(b"PUT /up/big HTTP/1.1\r\nHost: t\r\nContent-Length: 9437184\r\n\r\n")
        .unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 413);
    // Past the limit in chunks: 413 when the limit is crossed. (The byte that crosses it is
    // the last one sent: the server closes after an error answer, and unread input would make
    // that close a reset that could eat the answer.)
    let mut s = connect(addr);
    s.write_all(b"PUT /up/big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let piece = body(MIB);
    for _ in 0..8 {
        s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .unwrap();
        s.write_all(&piece).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"1\r\nX").unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 413);
    // A route without upload keeps the buffered limit.
    let mut s = connect(addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n")
        .unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 413);

    // The sink's own error status (on the last byte, for the reason above).
    let mut s = connect(addr);
    let head = format!(
        "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        MIB + 1
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body(MIB + 1)).unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 507);

    // A panicking sink: 500, and the server serves on. (The body follows the head after a
    // pause, so it streams rather than arriving with the head.)
    let mut s = connect(addr);
    s.write_all(b"POST /panics HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"0123456789").unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 500);
    assert!(server.counters().panics >= 1);
    let mut s = connect(addr);
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let (st, _, _) = read_response(&mut s);
    assert_eq!(st, 200);
}

/// Issue 17 item 6.1 on an upload route: a chunk whose declared size takes the body past
/// `max_upload_size` (8 MiB here) is answered 413 with `Connection: close` as soon as its
/// size line is read, before its data, alone or added to the chunks before it. A declared size
/// past `max_body_size` but within the upload limit is taken.
#[test]
fn a_chunk_declared_past_the_upload_limit_is_answered_413_before_its_data() {
    let server = server();
    let addr = server.local_addr();
    let head = "PUT /up/d HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    let four = body(4 * MIB);
    for (name, first) in [("alone", &[][..]), ("with the chunks before", &four[..])] {
        let mut s = connect(addr);
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let mut declared = 8 * MIB + 1;
        if !first.is_empty() {
            s.write_all(format!("{:x}\r\n", first.len()).as_bytes())
                .unwrap();
            s.write_all(first).unwrap();
            s.write_all(b"\r\n").unwrap();
            declared -= first.len();
        }
        // The size line alone: no data follows it.
        s.write_all(format!("{declared:x}\r\n").as_bytes()).unwrap();
        let (st, h, _) = read_response(&mut s);
        assert_eq!(st, 413, "{name}");
        assert!(
            h.iter().any(|(k, v)| k == "connection" && v == "close"),
            "{name}"
        );
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{name}: {}", text(&rest));
    }
    // Past the buffered limit (1 MiB), within the upload limit: the sink takes it.
    let mut s = connect(addr);
    let data = body(MIB + 1);
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(&data).unwrap();
    s.write_all(b"\r\n0\r\n\r\n").unwrap();
    let (st, _, b) = read_response(&mut s);
    let b = text(&b);
    assert_eq!(st, 200, "{b}");
    assert!(b.starts_with(&format!("id=d bytes={} ", data.len())), "{b}");
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn uploads_stream_over_h2c() {
    if !util::tool("uploads_stream_over_h2c", "curl") {
        return;
    }
    let server = server();
    let file = std::env::temp_dir().join(format!("brisk-upload-{}", std::process::id()));
    let data = body(5 * MIB);
    std::fs::write(&file, &data).unwrap();
    let url = |p: &str| format!("http://{}{p}", server.local_addr());
    let curl = util::curl_h2;
    let f = file.to_str().unwrap();
    let out = curl(&["-T", f, &url("/up/h2")]);
    let b = text(&out.stdout);
    assert!(
        b.starts_with(&format!("id=h2 bytes={} pieces=", data.len()))
            && b.ends_with(&format!(" sum={}", checksum(&data))),
        "{b}"
    );
    let out = curl(&[
        "-T",
        f,
        "-H",
        "x-deny: 1",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url("/up/no"),
    ]);
    assert_eq!(text(&out.stdout), "403");
    let out = curl(&[
        "--data-binary",
        "@-",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url("/small"),
    ]);
    assert_eq!(text(&out.stdout), "200");
    let at = format!("@{f}");
    let out = curl(&[
        "--data-binary",
        &at,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url("/small"),
    ]);
    assert_eq!(text(&out.stdout), "507");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_sink_whose_body_never_completes_is_dropped_without_finish() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Watch(Arc<[AtomicUsize; 3]>);
    impl BodySink for Watch {
        fn data(&mut self, _: &[u8]) -> Result<(), u16> {
            self.0[0].fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
            self.0[1].fetch_add(1, Ordering::SeqCst);
            res.text("done");
        }
    }
    impl Drop for Watch {
        fn drop(&mut self) {
            self.0[2].fetch_add(1, Ordering::SeqCst);
        }
    }

    let seen: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
    let counts = Arc::clone(&seen);
    let server = start(move |b| {
        let counts = Arc::clone(&counts);
        b.upload(Method::Put, "/w", move |_| {
            Ok(Box::new(Watch(Arc::clone(&counts))))
        });
    });
    let mut s = connect(server.local_addr());
    s.write_all(b"PUT /w HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(&[b'x'; 10]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(s); // 990 bytes short
    let t = std::time::Instant::now();
    while seen[2].load(Ordering::SeqCst) == 0 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen[0].load(Ordering::SeqCst) >= 1, "the piece arrived");
    assert_eq!(seen[1].load(Ordering::SeqCst), 0, "no finish");
    assert_eq!(seen[2].load(Ordering::SeqCst), 1, "dropped once");
}
