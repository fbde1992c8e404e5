//! Criterion groups `http1` and `http1_trickle`: brisk-http1 against httparse on the same
//! inputs, in the same run.
//!
//! `http1`: a 720-byte browser request (our own request of the shape httparse benchmarks with),
//! a 68-byte short request and a 40-header request. Both parsers fill caller slots and the
//! result is checked inside the timed loop (method and header count), so a broken fast path
//! fails instead of looking fast. `brisk_facts` adds framing/keep-alive/host computation, which
//! httparse does not do, to show its cost.
//!
//! `http1_trickle`: 4 KiB and 8 KiB heads fed one byte per call (brisk resumes; httparse can
//! only re-parse from byte 0), and the 8 KiB head fed in 512-byte pieces versus whole.
//!
//! `http1_head_write`: a typical 200 keep-alive head (Server, Date, Content-Length,
//! Content-Type) written into a fixed region of a 512-byte buffer by `HeadWriter` over a
//! `Region` (validating every field) versus the server's hand-written `copy_from_slice` cursor
//! (constant prefix, no validation), `HeadWriter` into a `Region` with `Server` and
//! `Content-Type` as `Field`s checked once and `Date` from `DateCache::field` (no per-byte check
//! per head), and `HeadWriter`
//! into a reused `Vec`. Each iteration
//! checks the written length; the outputs are checked equal once before timing.
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use brisk_benches::paired::Paired;
use brisk_http1::{
    Config, DateCache, Field, HeadWriter, Header, Method, Region, RequestParser, Status, Version,
};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

/// 720 bytes: a desktop browser fetching an image, cookies included.
const BROWSER: &[u8] = b"GET /wp-content/uploads/2024/03/kitten-in-a-teacup-on-a-pink-blanket.jpg HTTP/1.1\r\n\
Host: www.example-kittens.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:124.0) Gecko/20100101 Firefox/124.0\r\n\
Accept: image/avif,image/webp,*/*\r\n\
Accept-Language: en-US,en;q=0.7,ja;q=0.3\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Referer: https://www.example-kittens.com/2024/03/teacups/\r\n\
Connection: keep-alive\r\n\
Cookie: wp_visits=20000; wp_lasttime=1711111111; __utma=111111111.2222222222.3333333333.4444444444.5555555555.6; __utmz=111111111.2222222222.1.1.utmccn=(referral)|utmcsr=reader.example.com|utmcct=/r/|utmcmd=ref\r\n\
Sec-Fetch-Dest: image\r\n\
Sec-Fetch-Mode: no-cors\r\n\
Sec-GPC: 1\r\n\
DNT: 1\r\n\
Upgrade-Insecure-Requests: 1\r\n\
\r\n";

/// 68 bytes: a load-test client asking for a small resource.
const SHORT: &[u8] =
    b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/html\r\n\r\n";

fn forty_headers() -> Vec<u8> {
    let mut v =
        b"GET /api/v1/items?page=2&per_page=50 HTTP/1.1\r\nHost: api.example.com\r\n".to_vec();
    for i in 1..40 {
        v.extend_from_slice(
            format!("X-Custom-Header-{i:02}: value-{i:02}-abcdefghijklmnop\r\n").as_bytes(),
        );
    }
    v.extend_from_slice(b"\r\n");
    v
}

/// A head of about `size` bytes made of 100-byte fields.
fn big_head(size: usize) -> Vec<u8> {
    let mut v = b"GET /big HTTP/1.1\r\nHost: example.com\r\n".to_vec();
    let mut i = 0;
    while v.len() + 100 + 2 <= size {
        let line = format!("X-Field-{i:04}: {}\r\n", "v".repeat(100 - 14 - 2));
        assert_eq!(line.len(), 100);
        v.extend_from_slice(line.as_bytes());
        i += 1;
    }
    while v.len() + 2 < size {
        // Pad the last value so the head is exactly `size` bytes.
        v.extend_from_slice(b"P: ");
        let pad = size - 2 - v.len() - 2;
        v.extend_from_slice(&b"p".repeat(pad));
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    assert_eq!(v.len(), size);
    v
}

fn count_headers(buf: &[u8]) -> usize {
    let mut h = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut h);
    assert!(req.parse(buf).unwrap().is_complete());
    req.headers.len()
}

fn brisk_parse<const SLOTS: usize>(buf: &[u8], n: usize) {
    let mut headers = [Header::EMPTY; SLOTS];
    let Ok(Status::Complete(req)) = RequestParser::new().parse(black_box(buf), &mut headers) else {
        panic!("brisk failed")
    };
    assert!(req.method == Method::Get && req.headers.len() == n && req.head_len == buf.len());
    black_box(&req);
}

fn brisk_facts<const SLOTS: usize>(buf: &[u8], n: usize) {
    let mut headers = [Header::EMPTY; SLOTS];
    let Ok(Status::Complete(req)) = RequestParser::new().parse(black_box(buf), &mut headers) else {
        panic!("brisk failed")
    };
    assert!(req.method == Method::Get && req.headers.len() == n);
    let facts = req.facts().expect("facts");
    assert!(facts.keep_alive);
    black_box(&facts);
}

fn httparse_parse<const SLOTS: usize>(buf: &[u8], n: usize) {
    let mut headers = [httparse::EMPTY_HEADER; SLOTS];
    let mut req = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(len)) = req.parse(black_box(buf)) else {
        panic!("httparse failed")
    };
    assert!(req.method == Some("GET") && req.headers.len() == n && len == buf.len());
    black_box(&req);
}

fn http1(c: &mut Criterion) {
    let forty = forty_headers();
    assert_eq!(BROWSER.len(), 720);
    assert_eq!(SHORT.len(), 68);
    let mut g = c.benchmark_group("http1");
    // Both parsers get the same slot arrays: 16 slots (as httparse's own benchmark), 64 for the
    // 40-header request.
    macro_rules! input {
        ($name:expr, $buf:expr, $slots:expr) => {{
            let buf: &[u8] = $buf;
            let n = count_headers(buf);
            g.throughput(Throughput::Bytes(buf.len() as u64));
            g.bench_with_input(BenchmarkId::new("brisk", $name), buf, |b, buf| {
                b.iter(|| brisk_parse::<$slots>(buf, n))
            });
            g.bench_with_input(BenchmarkId::new("httparse", $name), buf, |b, buf| {
                b.iter(|| httparse_parse::<$slots>(buf, n))
            });
            g.bench_with_input(BenchmarkId::new("brisk_facts", $name), buf, |b, buf| {
                b.iter(|| brisk_facts::<$slots>(buf, n))
            });
        }};
    }
    input!("browser_720b", BROWSER, 16);
    input!("short_68b", SHORT, 16);
    input!("headers_40", &forty, 64);
    g.finish();
}

/// Feeds `buf` to one brisk parser in pieces of `step` bytes (a growing prefix, as a socket
/// read loop would), checking the final result.
fn brisk_trickle(buf: &[u8], step: usize, n: usize) {
    let mut cfg = Config::default();
    cfg.limits.max_head_size = 64 * 1024;
    cfg.limits.max_headers = 128;
    let mut p = RequestParser::with_config(cfg);
    let mut headers = [Header::EMPTY; 128];
    let mut end = 0;
    loop {
        end = (end + step).min(buf.len());
        match p.parse(black_box(&buf[..end]), &mut headers) {
            Ok(Status::Partial) => assert!(end < buf.len()),
            Ok(Status::Complete(req)) => {
                assert_eq!(req.headers.len(), n);
                return;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// httparse has no resumable state: each piece means parsing again from byte 0.
fn httparse_trickle(buf: &[u8], step: usize, n: usize) {
    let mut end = 0;
    loop {
        end = (end + step).min(buf.len());
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(black_box(&buf[..end])) {
            Ok(httparse::Status::Partial) => assert!(end < buf.len()),
            Ok(httparse::Status::Complete(_)) => {
                assert_eq!(req.headers.len(), n);
                return;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn trickle(c: &mut Criterion) {
    let h4 = big_head(4096);
    let h8 = big_head(8192);
    let (n4, n8) = (count_headers(&h4), count_headers(&h8));
    let mut g = c.benchmark_group("http1_trickle");
    g.sample_size(10);
    g.bench_function("brisk/4k_by_1", |b| b.iter(|| brisk_trickle(&h4, 1, n4)));
    g.bench_function("brisk/8k_by_1", |b| b.iter(|| brisk_trickle(&h8, 1, n8)));
    g.bench_function("brisk/8k_by_512", |b| {
        b.iter(|| brisk_trickle(&h8, 512, n8))
    });
    g.bench_function("brisk/8k_whole", |b| {
        b.iter(|| brisk_trickle(&h8, h8.len(), n8))
    });
    g.bench_function("httparse/4k_by_1", |b| {
        b.iter(|| httparse_trickle(&h4, 1, n4))
    });
    g.bench_function("httparse/8k_by_1", |b| {
        b.iter(|| httparse_trickle(&h8, 1, n8))
    });
    g.bench_function("httparse/8k_by_512", |b| {
        b.iter(|| httparse_trickle(&h8, 512, n8))
    });
    g.bench_function("httparse/8k_whole", |b| {
        b.iter(|| httparse_trickle(&h8, h8.len(), n8))
    });
    g.finish();
}

/// The head's variable parts, as the server has them.
struct HeadParts<'a> {
    date: &'a [u8; 29],
    length: u64,
    content_type: &'a [u8],
}

/// `HeadWriter` into a `Region` over `buf`; the head's length.
#[inline(never)]
fn head_writer_region(buf: &mut [u8], p: &HeadParts<'_>) -> usize {
    let mut r = Region::new(buf);
    let Ok(mut w) = HeadWriter::response_status(&mut r, Version::Http11, 200) else {
        return 0;
    };
    let ok = w
        .header(b"Server", b"brisk")
        .and_then(|w| w.date(p.date))
        .map(|w| w.content_length(p.length))
        .and_then(|w| w.header(b"Content-Type", p.content_type));
    match ok {
        Ok(_) => w.finish().unwrap_or(0),
        Err(_) => 0,
    }
}

/// The server's constant field, checked at compile time.
const SERVER: Field<'static> = match Field::new(b"Server", b"brisk") {
    Ok(f) => f,
    Err(_) => panic!("invalid field"),
};

/// `HeadWriter` into a `Region` with `Server` and `Content-Type` as [`Field`]s checked once
/// (the content type's when the server's table of types is built) and `Date` from
/// `DateCache::field`: no per-byte check per head.
#[inline(never)]
fn head_writer_region_fields(
    buf: &mut [u8],
    p: &HeadParts<'_>,
    date: &Field<'_>,
    ctype: &Field<'_>,
) -> usize {
    let mut r = Region::new(buf);
    let Ok(mut w) = HeadWriter::response_status(&mut r, Version::Http11, 200) else {
        return 0;
    };
    w.field(&SERVER)
        .field(date)
        .content_length(p.length)
        .field(ctype);
    w.finish().unwrap_or(0)
}

/// `HeadWriter` into a reused `Vec`; the head's length.
#[inline(never)]
fn head_writer_vec(out: &mut Vec<u8>, p: &HeadParts<'_>) -> usize {
    out.clear();
    let Ok(mut w) = HeadWriter::response_status(out, Version::Http11, 200) else {
        return 0;
    };
    let ok = w
        .header(b"Server", b"brisk")
        .and_then(|w| w.date(p.date))
        .map(|w| w.content_length(p.length))
        .and_then(|w| w.header(b"Content-Type", p.content_type));
    match ok {
        Ok(_) => w.finish(),
        Err(_) => 0,
    }
}

/// The server's own fast path (crates/server/src/h1.rs `Head::write` over its `Cursor`): one
/// constant for status line, `Server` and `Date: `, then `copy_from_slice` per piece.
#[inline(never)]
fn cursor_copy(buf: &mut [u8], p: &HeadParts<'_>) -> usize {
    struct Cursor<'a> {
        buf: &'a mut [u8],
        at: usize,
    }
    impl Cursor<'_> {
        #[inline(always)]
        fn put(&mut self, bytes: &[u8]) -> bool {
            match self.buf.get_mut(self.at..self.at + bytes.len()) {
                Some(dst) => {
                    dst.copy_from_slice(bytes);
                    self.at += bytes.len();
                    true
                }
                None => false,
            }
        }
    }
    let mut c = Cursor { buf, at: 0 };
    let mut digits = [0u8; 20];
    let ok = c.put(b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: ")
        && c.put(p.date)
        && c.put(b"\r\n")
        && c.put(b"Content-Length: ")
        && c.put(decimal(p.length, &mut digits))
        && c.put(b"\r\n")
        && c.put(b"Content-Type: ")
        && c.put(p.content_type)
        && c.put(b"\r\n")
        && c.put(b"\r\n");
    if ok {
        c.at
    } else {
        0
    }
}

/// `n` in decimal at the end of `buf` (the server's `status::decimal`).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

fn head_write(c: &mut Criterion) {
    let date = *b"Sun, 06 Nov 1994 08:49:37 GMT";
    let parts = HeadParts {
        date: &date,
        length: 13,
        content_type: b"text/plain; charset=utf-8",
    };
    let (mut a, mut b) = ([0u8; 512], [0u8; 512]);
    let n = head_writer_region(&mut a, &parts);
    assert!(n > 0 && n == cursor_copy(&mut b, &parts));
    assert_eq!(a[..n], b[..n]);
    let ctype = Field::new(b"Content-Type", parts.content_type).expect("valid");
    let mut dates = DateCache::new();
    let date_field = dates.field(UNIX_EPOCH + Duration::from_secs(784_111_777));
    assert_eq!(
        head_writer_region_fields(&mut b, &parts, &date_field, &ctype),
        n
    );
    assert_eq!(a[..n], b[..n]);
    let mut v = Vec::with_capacity(512);
    assert_eq!(head_writer_vec(&mut v, &parts), n);
    assert_eq!(v, a[..n]);

    let mut g = c.benchmark_group("http1_head_write");
    g.throughput(Throughput::Bytes(n as u64));
    let mut buf = [0u8; 512];
    g.bench_function("head_writer_region", |bch| {
        bch.iter(|| {
            let got = head_writer_region(black_box(&mut buf), black_box(&parts));
            assert_eq!(got, n);
        })
    });
    g.bench_function("head_writer_region_fields", |bch| {
        bch.iter(|| {
            let got = head_writer_region_fields(
                black_box(&mut buf),
                black_box(&parts),
                &date_field,
                &ctype,
            );
            assert_eq!(got, n);
        })
    });
    g.bench_function("cursor_copy", |bch| {
        bch.iter(|| {
            let got = cursor_copy(black_box(&mut buf), black_box(&parts));
            assert_eq!(got, n);
        })
    });
    g.bench_function("head_writer_vec", |bch| {
        bch.iter(|| {
            let got = head_writer_vec(black_box(&mut v), black_box(&parts));
            assert_eq!(got, n);
        })
    });
    g.finish();
}

/// The parser pairs of group `http1` under the paired harness (`BRISK_PAIRED=1`).
fn paired(p: &mut Paired) {
    let forty = forty_headers();
    for (name, buf) in [("browser_720b", BROWSER), ("short_68b", SHORT)] {
        let n = count_headers(buf);
        p.compare(
            "http1",
            name,
            || brisk_parse::<16>(buf, n),
            || httparse_parse::<16>(buf, n),
        );
    }
    let n = count_headers(&forty);
    p.compare(
        "http1",
        "headers_40",
        || brisk_parse::<64>(&forty, n),
        || httparse_parse::<64>(&forty, n),
    );
}

criterion_group!(benches, http1, trickle, head_write);

fn main() {
    if let Some(mut p) = Paired::from_env() {
        paired(&mut p);
        p.rows().iter().for_each(|r| println!("{}", r.line()));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
