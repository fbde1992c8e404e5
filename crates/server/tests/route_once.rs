//! Each request is routed exactly once, also when its body arrives after its head (HTTP/1.1
//! over several reads, a declared body past the buffered limit, HTTP/2 with upload routes):
//! the decision made on the head is kept and answered from. Counted by the route lookups the
//! server makes (`Counters::routings`, kept in debug builds, as the tests are built).

mod h2client;
mod util;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use brisk_http2::StreamId;
use brisk_server::{BodySink, Handle, Limits, Method, Request, Response};
use util::{read_response, start};

/// The buffered body limit of the test servers.
const MAX_BODY: usize = 1024;

/// Counts the body; answers with the route's param and the count.
struct Count(usize);

impl BodySink for Count {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        self.0 += piece.len();
        Ok(())
    }
    fn finish(&mut self, req: &mut Request<'_>, res: &mut Response) {
        res.text(format!(
            "up id={} bytes={}",
            req.param("id").unwrap_or("-"),
            self.0
        ));
    }
}

/// A server with a plain route with a param, an upload route, and (if `fallback`) a fallback.
fn server(fallback: bool) -> Handle {
    start(|b| {
        let mut limits = Limits::default();
        limits.max_body_size = MAX_BODY;
        limits.max_upload_size = 1 << 20;
        b.limits(limits);
        b.route(Method::Post, "/items/{id}", |req, res| {
            let s = format!(
                "item id={} bytes={}",
                req.param("id").unwrap_or("-"),
                req.body().len()
            );
            res.text(s);
        });
        b.upload(Method::Put, "/up/{id}", |_| Ok(Box::new(Count(0))));
        if fallback {
            b.fallback(|req, res| {
                let s = format!("fallback bytes={}", req.body().len());
                res.text(s);
            });
        }
    })
}

/// The route lookups the server made so far.
fn routings(server: &Handle) -> u64 {
    server
        .counters()
        .routings
        .expect("route lookups are counted in debug builds only: run these tests without --release")
}

/// Sends `head` then `body` over HTTP/1.1, the body in one write or (if `split`) in a second
/// write after a pause, so it arrives in a later read. Returns status, body and the lookups
/// made for the request.
fn h1(server: &Handle, head: &str, body: &[u8], split: bool) -> (u16, String, u64) {
    let before = routings(server);
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    if split {
        s.write_all(head.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        s.write_all(body).unwrap();
    } else {
        let mut all = head.as_bytes().to_vec();
        all.extend_from_slice(body);
        s.write_all(&all).unwrap();
    }
    let (status, _, b) = read_response(&mut s);
    let text = String::from_utf8_lossy(&b).into_owned();
    (status, text, routings(server) - before)
}

fn post(path: &str, method: &str, n: usize) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n")
}

#[test]
fn http1_a_body_in_later_reads_is_answered_from_the_route_its_head_got() {
    let server = server(false);
    let body = vec![b'x'; 300];
    // Sanity: the body with the head (the hot path) is one lookup too.
    let (st, b, n) = h1(&server, &post("/items/7", "POST", 300), &body, false);
    assert_eq!((st, b.as_str(), n), (200, "item id=7 bytes=300", 1));
    // The body in a later read: the head's decision (route and param) answers it.
    let (st, b, n) = h1(&server, &post("/items/8", "POST", 300), &body, true);
    assert_eq!((st, b.as_str(), n), (200, "item id=8 bytes=300", 1));
    // Chunked, in a later read.
    let head = "POST /items/9 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    let (st, b, n) = h1(&server, head, b"5\r\nhello\r\n0\r\n\r\n", true);
    assert_eq!((st, b.as_str(), n), (200, "item id=9 bytes=5", 1));
    // An upload route, in a later read (its sink kept the decision already).
    let (st, b, n) = h1(&server, &post("/up/3", "PUT", 300), &body, true);
    assert_eq!((st, b.as_str(), n), (200, "up id=3 bytes=300", 1));
}

#[test]
fn http1_a_body_in_later_reads_for_the_fallback_is_routed_once() {
    let server = server(true);
    let body = vec![b'x'; 200];
    let (st, b, n) = h1(&server, &post("/nowhere", "POST", 200), &body, true);
    assert_eq!((st, b.as_str(), n), (200, "fallback bytes=200", 1));
    // A path routed for other methods is a 405 even with a fallback (issue 20), after one
    // lookup.
    let (st, b, n) = h1(&server, &post("/items/1", "PUT", 200), &body, true);
    assert_eq!((st, b.as_str(), n), (405, "405 method not allowed\n", 1));
}

#[test]
fn http1_a_body_past_the_buffered_limit_is_routed_once() {
    let server = server(false);
    let body = vec![b'y'; 4 * MAX_BODY];
    let len = body.len();
    // To an upload route, in the same read as the head and in a later one.
    let (st, b, n) = h1(&server, &post("/up/4", "PUT", len), &body, false);
    assert_eq!((st, b.as_str(), n), (200, "up id=4 bytes=4096", 1));
    let (st, b, n) = h1(&server, &post("/up/5", "PUT", len), &body, true);
    assert_eq!((st, b.as_str(), n), (200, "up id=5 bytes=4096", 1));
    // To a plain route: 413 after one lookup.
    let (st, _, n) = h1(&server, &post("/items/1", "POST", len), &body, false);
    assert_eq!((st, n), (413, 1));
    // A server answer keeps the connection usable: a later request on a new one works.
    let (st, b, n) = h1(&server, &post("/items/2", "POST", 3), b"abc", false);
    assert_eq!((st, b.as_str(), n), (200, "item id=2 bytes=3", 1));
}

/// Sends `method path` with `body` in DATA frames after the HEADERS over h2c; returns status,
/// body and the lookups made for the request.
fn h2(server: &Handle, method: &str, path: &str, body: &[u8]) -> (u16, String, u64) {
    let before = routings(server);
    let mut c = h2client::Client::connect(server.local_addr(), 65535, 65535);
    let fields = [
        (":method", method),
        (":scheme", "http"),
        (":path", path),
        (":authority", "localhost"),
    ];
    let id = c.conn.send_request(&fields, false).unwrap();
    c.replies.insert(
        id.value(),
        h2client::Reply {
            path: path.to_string(),
            ..Default::default()
        },
    );
    let sent = c
        .conn
        .send_data(StreamId::new(id.value()), body, true)
        .unwrap();
    assert_eq!(sent, body.len(), "the body fits the initial window");
    c.flush();
    let end = Instant::now() + Duration::from_secs(10);
    while !c.all_done() && Instant::now() < end {
        assert!(c.turn(65536), "the server closed the connection");
    }
    let r = &c.replies[&id.value()];
    assert!(r.ended, "no whole response in time for {method} {path}");
    let text = String::from_utf8_lossy(&r.body).into_owned();
    (r.status, text, routings(server) - before)
}

#[test]
fn http2_a_body_with_upload_routes_is_routed_once_at_the_head() {
    let server = server(false);
    let body = vec![b'z'; 700];
    let (st, b, n) = h2(&server, "POST", "/items/6", &body);
    assert_eq!((st, b.as_str(), n), (200, "item id=6 bytes=700", 1));
    let (st, b, n) = h2(&server, "PUT", "/up/2", &body);
    assert_eq!((st, b.as_str(), n), (200, "up id=2 bytes=700", 1));
    // Misses decided at the head answer the same as before, from the kept decision.
    let (st, _, n) = h2(&server, "PUT", "/items/6", &body);
    assert_eq!((st, n), (405, 1));
    let (st, _, n) = h2(&server, "POST", "/nowhere", &body);
    assert_eq!((st, n), (404, 1));
    let (st, _, n) = h2(&server, "POST", "/items/6", &vec![b'z'; 2 * MAX_BODY]);
    assert_eq!((st, n), (413, 1));
}

#[test]
fn http2_a_body_for_the_fallback_is_routed_once() {
    let server = server(true);
    let (st, b, n) = h2(&server, "POST", "/nowhere", b"abc");
    assert_eq!((st, b.as_str(), n), (200, "fallback bytes=3", 1));
    // A path routed for other methods: 405 with a fallback too (issue 20).
    let (st, _, n) = h2(&server, "PUT", "/items/6", b"abc");
    assert_eq!((st, n), (405, 1));
}
