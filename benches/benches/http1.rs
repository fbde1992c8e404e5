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
use std::hint::black_box;

use brisk_http1::{Config, Header, Method, RequestParser, Status};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

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

criterion_group!(benches, http1, trickle);
criterion_main!(benches);
