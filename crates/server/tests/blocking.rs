//! `Builder::route_blocking`: handlers on a bounded pool, answered through the deferred path;
//! a full queue answers 503 at once, a panic 500, and the worker keeps serving meanwhile.

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::Method;
use util::{assert_within, read_response, start};

#[test]
fn a_full_blocking_pool_answers_503_at_once_and_the_others_complete() {
    let (started_tx, started) = mpsc::channel::<String>();
    let (release, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(started_tx);
    let release_rx = Mutex::new(release_rx);
    let server = start(move |b| {
        b.blocking_pool(1, 1);
        b.route_blocking(Method::Get, "/block/{id}", move |req, res| {
            let id = req.param("id").unwrap_or("").to_string();
            started_tx.lock().unwrap().send(id.clone()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
            res.header("x-q", req.query().unwrap_or(""))
                .text(format!("done {id}"));
        });
        b.route_blocking(Method::Get, "/boom", |_, _| {
            panic!("blocking panic (expected)")
        });
    });
    let addr = server.local_addr();
    let send = |path: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    };
    // The one thread takes the first request ...
    let mut first = send("/block/1?a=b");
    assert_eq!(started.recv_timeout(Duration::from_secs(5)).unwrap(), "1");
    // ... the second waits in the queue of one ...
    let mut second = send("/block/2");
    std::thread::sleep(Duration::from_millis(50));
    // ... and the third finds the queue full: 503 without waiting.
    let t0 = Instant::now();
    let mut third = send("/block/3");
    let (status, _, _) = read_response(&mut third);
    assert_eq!(status, 503);
    assert_within("503", t0, Duration::from_millis(500));
    // The worker is not blocked meanwhile.
    let mut p = send("/plaintext");
    assert_eq!(read_response(&mut p).2, b"Hello, World!");
    release.send(()).unwrap();
    let (status, headers, body) = read_response(&mut first);
    assert_eq!((status, &body[..]), (200, &b"done 1"[..]));
    assert!(headers.iter().any(|(k, v)| k == "x-q" && v == "a=b"));
    assert_eq!(started.recv_timeout(Duration::from_secs(5)).unwrap(), "2");
    release.send(()).unwrap();
    assert_eq!(read_response(&mut second).2, b"done 2");
    let mut boom = send("/boom");
    assert_eq!(read_response(&mut boom).0, 500);
    server.shutdown();
}

#[test]
fn blocking_handlers_run_in_parallel_off_the_worker() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    let server = start(move |b| {
        b.blocking_pool(8, 64);
        b.route_blocking(Method::Post, "/sleep", move |req, res| {
            s2.lock()
                .unwrap()
                .push(std::thread::current().name().unwrap_or("").to_string());
            std::thread::sleep(Duration::from_millis(200));
            res.body_mut().extend_from_slice(req.body());
        });
    });
    let t0 = Instant::now();
    let mut conns: Vec<TcpStream> = (0..8)
        .map(|i| {
            let mut s = TcpStream::connect(server.local_addr()).unwrap();
            write!(
                s,
                "POST /sleep HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n{i}"
            )
            .unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s
        })
        .collect();
    for (i, s) in conns.iter_mut().enumerate() {
        assert_eq!(read_response(s).2, i.to_string().as_bytes());
    }
    assert!(
        t0.elapsed() < Duration::from_millis(1000),
        "8 x 200 ms took {:?}",
        t0.elapsed()
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|n| n.starts_with("brisk-blocking-")));
    server.shutdown();
}
