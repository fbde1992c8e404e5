//! Memory of a pushed body: 100 MiB pushed to a slowly reading client must not grow the
//! server's resident set by more than a few pipe and output buffers. Alone in its own test
//! binary, since resident memory is the whole process's.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk_server::{Method, Response};
use util::{read_head, read_response, send_get, start};

/// Byte `i` of the patterned body (a period that no chunk size divides).
fn pat(i: usize) -> u8 {
    (i % 251) as u8
}

/// A head for a pushed answer.
fn head() -> Response {
    let mut h = Response::new();
    h.content_type("application/octet-stream");
    h
}

/// This process's resident set (VmRSS), in bytes.
fn rss() -> usize {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number");
    kb * 1024
}

#[test]
fn a_100_mib_pushed_body_to_a_slow_client_keeps_server_memory_bounded() {
    const TOTAL: usize = 100 << 20;
    const CHUNK: usize = 256 * 1024;
    let server = start(|b| {
        b.route(Method::Get, "/huge", |_, res| {
            let r = res.defer();
            std::thread::spawn(move || {
                let body = r.start(head()).expect("started");
                let mut piece = vec![0u8; CHUNK];
                let mut sent = 0;
                while sent < TOTAL {
                    for (j, b) in piece.iter_mut().enumerate() {
                        *b = pat(sent + j);
                    }
                    // Blocks while the pipe is full.
                    body.write(&piece).expect("written");
                    sent += CHUNK;
                }
                body.finish().expect("finished");
            });
        });
    });
    // Warm up (thread stacks, pools), then measure.
    let mut s = send_get(server.local_addr(), "/plaintext");
    let _ = read_response(&mut s);
    let before = rss();
    let peak = Arc::new(AtomicUsize::new(before));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let t0 = Instant::now();
    s.write_all(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    // A slow client: small reads with pauses; the body is checked on the fly (not kept).
    let mut got = 0usize;
    let mut buf = vec![0u8; 32 * 1024];
    let mut chunk_left = 0usize;
    let mut line = Vec::new();
    'outer: loop {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "too slow: {got} bytes"
        );
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "closed after {got} bytes");
        // At most 32 KiB a millisecond: a fifth or less of what the producer could push.
        std::thread::sleep(Duration::from_millis(1));
        let mut at = 0;
        while at < n {
            if chunk_left > 0 {
                let take = chunk_left.min(n - at);
                for (j, &b) in buf[at..at + take].iter().enumerate() {
                    assert_eq!(b, pat(got + j), "byte {}", got + j);
                }
                got += take;
                chunk_left -= take;
                at += take;
                if chunk_left == 0 {
                    line.clear();
                }
                continue;
            }
            // Between chunks: "\r\n" after data, then the size line.
            line.push(buf[at]);
            at += 1;
            if line.ends_with(b"\r\n") {
                let text = std::str::from_utf8(&line).unwrap().trim().to_string();
                line.clear();
                if text.is_empty() {
                    continue;
                }
                let size = usize::from_str_radix(&text, 16).expect("size");
                if size == 0 {
                    break 'outer;
                }
                chunk_left = size;
            }
        }
    }
    let elapsed = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!(got, TOTAL);
    let growth = peak.load(Ordering::Relaxed).saturating_sub(before);
    eprintln!(
        "100 MiB pushed in {:.1} s: RSS before {} KiB, peak growth {} KiB",
        elapsed.as_secs_f64(),
        before / 1024,
        growth / 1024
    );
    assert!(growth < 32 << 20, "RSS grew by {} KiB", growth / 1024);
    server.shutdown();
    server.join();
}
