//! `GET /delay/{ms}` of the `brisk` binary: answered by a timer thread through a `Responder`,
//! so one worker keeps serving while many delays are outstanding.

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use util::{read_response, Brisk};

#[test]
fn one_worker_answers_two_hundred_concurrent_one_second_delays_within_1_2_s() {
    let b = Brisk::start(&["--workers", "1"]);
    let t0 = Instant::now();
    let mut conns: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(b.addr).unwrap();
            s.write_all(b"GET /delay/1000 HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            s
        })
        .collect();
    // Meanwhile the worker answers at once.
    let mut p = TcpStream::connect(b.addr).unwrap();
    p.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut p).2, b"Hello, World!");
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "plaintext waited behind the delays: {:?}",
        t0.elapsed()
    );
    for (i, s) in conns.iter_mut().enumerate() {
        let (status, _, body) = read_response(s);
        assert_eq!(
            (status, &body[..]),
            (200, &b"Hello, World!"[..]),
            "delay {i}"
        );
    }
    let all = t0.elapsed();
    assert!(
        all >= Duration::from_millis(1000) && all < Duration::from_millis(1200),
        "200 delays of 1 s took {all:?}"
    );
    // The cap: an absurd delay is not a parse error, and the worker still serves.
    let mut s = TcpStream::connect(b.addr).unwrap();
    s.write_all(b"GET /delay/x HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 400);
}

#[test]
fn a_deferred_answer_on_the_worker_thread_is_exact() {
    let b = Brisk::start(&["--workers", "1"]);
    let mut s = TcpStream::connect(b.addr).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /deferred HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!((status, &body[..]), (200, &b"Hello, World!"[..]));
        assert!(headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain")));
    }
}
