//! Steady state allocates nothing per request on HTTP/1.1 keep-alive for /plaintext and for
//! /deferred (answered through a Responder on the worker thread): the
//! `brisk` binary built with the `count-alloc` feature counts every heap allocation (a
//! counting global allocator) and reports the count at `GET /__allocations`.

mod util;

use std::io::Write;
use std::net::TcpStream;

use util::{allocations, count_alloc_brisk, read_response};

#[test]
fn keep_alive_plaintext_allocates_nothing_per_request() {
    steady_state_allocates_nothing("/plaintext");
}

/// `/deferred` defers and completes through its Responder on the worker thread (static body):
/// the thread-local inbox and `notify_local` path, which must not allocate either.
#[test]
fn keep_alive_deferred_answers_on_the_worker_thread_allocate_nothing_per_request() {
    steady_state_allocates_nothing("/deferred");
}

/// 10,000 keep-alive requests for `path` (single and pipelined) after a warm-up cost no
/// allocation, and the counter is live (a large body moves it).
fn steady_state_allocates_nothing(path: &str) {
    let b = count_alloc_brisk(&["--workers", "1"]);

    let mut s = TcpStream::connect(b.addr).unwrap();
    let one = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes();
    let one = one.as_slice();
    let batch: Vec<u8> = one.repeat(16);
    let round = |s: &mut TcpStream, n: usize| {
        for _ in 0..n {
            s.write_all(one).unwrap();
            let (status, _, body) = read_response(s);
            assert_eq!((status, body.as_slice()), (200, &b"Hello, World!"[..]));
        }
        // Pipelined batches too.
        for _ in 0..n / 16 {
            s.write_all(&batch).unwrap();
            for _ in 0..16 {
                let (status, _, _) = read_response(s);
                assert_eq!(status, 200);
            }
        }
    };
    // Warm up: buffers grow to their working size, the Date cache is filled.
    round(&mut s, 500);
    // The first call grows the handler's reusable body buffer after reading the counter.
    allocations(&mut s);
    let before = allocations(&mut s);
    round(&mut s, 5000);
    let after = allocations(&mut s);
    assert_eq!(
        after - before,
        0,
        "{} allocations over 10,000 keep-alive requests",
        after - before
    );
    // The counter is live: a 200 KB body (collected over several reads) does allocate.
    let body = vec![b'x'; 200 * 1024];
    write!(
        s,
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body).unwrap();
    let (status, _, echoed) = read_response(&mut s);
    assert_eq!((status, echoed.len()), (200, body.len()));
    let third = allocations(&mut s);
    assert!(third > after, "counter did not move for a large body");
}
