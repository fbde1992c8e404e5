//! `Builder::on_app_error`: every error in application code is reported once, with its kind,
//! the request's method and the route's pattern; a request answered normally is not.

mod h2client;
mod util;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::Method;
use util::{read_response, start};

/// What the hook saw, one `METHOD ROUTE: KIND` line per report.
type Seen = Arc<Mutex<Vec<String>>>;

/// Starts a server whose `on_app_error` hook logs each report's Display line, configured
/// further by `configure`.
fn start_logging(
    configure: impl FnOnce(&mut brisk_server::Builder),
) -> (brisk_server::Handle, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let server = start(move |b| {
        b.on_app_error(move |e| log.lock().unwrap().push(e.to_string()));
        configure(b);
    });
    (server, seen)
}

/// Waits (up to 5 s) until the hook saw `n` reports.
fn wait_for(seen: &Seen, n: usize) -> Vec<String> {
    let t0 = Instant::now();
    loop {
        let now = seen.lock().unwrap().clone();
        if now.len() >= n || t0.elapsed() > Duration::from_secs(5) {
            return now;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn panics_dropped_responders_a_full_pool_and_invalid_responses_are_reported_with_the_route() {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let (started_tx, started) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(started_tx);
    let release_rx = Mutex::new(release_rx);
    let server = start(move |b| {
        b.on_app_error(move |e| {
            let line = format!(
                "{} {}: {:?} -> {}",
                e.method,
                e.route,
                e.kind,
                e.kind.status()
            );
            log.lock().unwrap().push(line);
        });
        b.route(Method::Get, "/drop/{id}", |_, res| {
            // Taken out of the exchange and dropped on another thread without an answer.
            let r = res.defer();
            std::thread::spawn(move || drop(r));
        });
        b.route(Method::Post, "/invalid", |_, res| {
            res.header("x-bad", "a\r\nb").text("never sent");
        });
        b.route(Method::Get, "/later/invalid", |_, res| {
            // Deferred, and answered from another thread with a header that would split it.
            let r = res.defer();
            std::thread::spawn(move || {
                let mut bad = brisk_server::Response::new();
                bad.header("x-bad", "a\r\nb").text("never sent");
                let _ = r.send(bad);
            });
        });
        b.blocking_pool(1, 1);
        b.route_blocking(Method::Get, "/block/{n}", move |_, res| {
            started_tx.lock().unwrap().send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
            res.text("done");
        });
    });
    let addr = server.local_addr();
    let send = |req: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    };
    let get = |path: &str| send(&format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n"));

    // A good request is not reported.
    assert_eq!(read_response(&mut get("/hello/x")).0, 200);

    assert_eq!(read_response(&mut get("/panic")).0, 500);
    assert_eq!(
        wait_for(&seen, 1),
        ["GET /panic: Panic(Some(\"handler panic (expected by the test)\")) -> 500"]
    );
    // HEAD runs the GET route's handler: the report names the request's method.
    let mut head = send("HEAD /panic HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut line = [0u8; 12];
    std::io::Read::read_exact(&mut head, &mut line).unwrap();
    assert_eq!(&line, b"HTTP/1.1 500");

    assert_eq!(read_response(&mut get("/drop/7")).0, 500);
    let body = "{}";
    let mut inv = send(&format!(
        "POST /invalid HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(read_response(&mut inv).0, 500);
    assert_eq!(read_response(&mut get("/later/invalid")).0, 500);

    // The pool's one thread takes the first request, the queue of one the second; the third
    // finds it full.
    let mut first = get("/block/1");
    started.recv_timeout(Duration::from_secs(5)).unwrap();
    let mut second = get("/block/2");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(read_response(&mut get("/block/3")).0, 503);
    release.send(()).unwrap();
    assert_eq!(read_response(&mut first).0, 200);
    started.recv_timeout(Duration::from_secs(5)).unwrap();
    release.send(()).unwrap();
    assert_eq!(read_response(&mut second).0, 200);

    let seen = wait_for(&seen, 6);
    assert_eq!(
        seen,
        [
            "GET /panic: Panic(Some(\"handler panic (expected by the test)\")) -> 500",
            "HEAD /panic: Panic(Some(\"handler panic (expected by the test)\")) -> 500",
            "GET /drop/{id}: Dropped -> 500",
            "POST /invalid: InvalidResponse -> 500",
            "GET /later/invalid: InvalidResponse -> 500",
            "GET /block/{n}: PoolFull -> 503",
        ]
    );
    server.shutdown();
}

#[test]
fn the_fallback_and_an_upload_sink_are_named_too() {
    let (server, seen) = start_logging(|b| {
        b.fallback(|_, _| panic!("fallback panic (expected)"));
        b.upload(Method::Put, "/up/{name}", |_| {
            struct Boom;
            impl brisk_server::BodySink for Boom {
                fn data(&mut self, _: &[u8]) -> Result<(), u16> {
                    panic!("sink panic (expected)")
                }
                fn finish(
                    &mut self,
                    _: &mut brisk_server::Request<'_>,
                    _: &mut brisk_server::Response,
                ) {
                }
            }
            Ok(Box::new(Boom))
        });
    });
    let addr = server.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"DELETE /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 500);
    // The body comes after the head (streamed to the sink, not run as a buffered handler).
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"PUT /up/f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"abc").unwrap();
    assert_eq!(read_response(&mut s).0, 500);

    assert_eq!(
        wait_for(&seen, 2),
        [
            "DELETE (fallback): handler panicked: fallback panic (expected) (answered 500)",
            "PUT /up/{name}: handler panicked: sink panic (expected) (answered 500)",
        ]
    );
    server.shutdown();
}

#[test]
fn a_handler_timeout_is_reported_with_the_route_on_http1_and_http2() {
    let (keep_tx, keep) = mpsc::channel();
    let keep_tx = Mutex::new(keep_tx);
    let (server, seen) = start_logging(move |b| {
        b.handler_timeout(Duration::from_millis(100));
        b.route(Method::Get, "/slow/{n}", move |_, res| {
            // Deferred and kept (never answered) until the test ends.
            keep_tx.lock().unwrap().send(res.defer()).unwrap();
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /slow/1 HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 503);
    assert_eq!(
        wait_for(&seen, 1),
        ["GET /slow/{n}: handler timeout (answered 503)"]
    );
    let mut c = h2client::Client::connect(server.local_addr(), 65535, 65535);
    let id = c.get("/slow/2");
    c.flush();
    let t0 = Instant::now();
    while !c.replies[&id].ended && t0.elapsed() < Duration::from_secs(5) {
        assert!(c.turn(usize::MAX), "the h2 connection closed");
    }
    assert_eq!(c.replies[&id].status, 503);
    assert_eq!(
        wait_for(&seen, 2)[1..],
        ["GET /slow/{n}: handler timeout (answered 503)"]
    );
    drop(keep);
    server.shutdown();
}
