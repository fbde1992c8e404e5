//! Regression tests for issue 20, defects 3 to 6: a handler's status never closes the
//! connection by itself; a custom fallback answers only what would have been 404 (405 and 501
//! stay); HTTP/1.x versions above 1.1 are served as HTTP/1.1; `+` in a path is not a space.

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brisk_server::{BodySink, Method, Request, Response};
use util::{read_response, read_until_quiet, start, Brisk};

const QUIET: Duration = Duration::from_millis(300);

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Answers with the status in the route's `{code}`.
fn status_from_path(req: &mut Request<'_>, res: &mut Response) {
    let code = req
        .param("code")
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    res.status(code).text("from the handler");
}

/// A sink that refuses the body's first piece with 413 (an application limit).
struct Refuse;

impl BodySink for Refuse {
    fn data(&mut self, _: &[u8]) -> Result<(), u16> {
        Ok(())
    }
    fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
        res.status(413).text("too much for this app");
    }
}

/// Reads one response on `s` and checks it has `want` and no `Connection: close`, then that
/// the connection serves another request.
fn assert_kept(s: &mut TcpStream, want: u16, what: &str) {
    let (status, headers, _) = read_response(s);
    assert_eq!(status, want, "{what}");
    assert_eq!(
        header(&headers, "connection"),
        None,
        "{what}: the handler's status closed the connection"
    );
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(s);
    assert_eq!(
        (status, &body[..]),
        (200, &b"Hello, World!"[..]),
        "{what}: next request"
    );
}

/// Defect 3: a handler answering 400, 413, 422 (or any status the server also uses for its own
/// protocol errors) keeps the HTTP/1.1 connection, whether the body came with the head, over
/// several reads (chunked), or the answer was deferred.
#[test]
fn a_handlers_error_status_keeps_the_connection() {
    let server = start(|b| {
        b.route(Method::Get, "/status/{code}", status_from_path)
            .route(Method::Post, "/status/{code}", status_from_path)
            .route(Method::Get, "/later/{code}", |req, res| {
                let code: u16 = req
                    .param("code")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(500);
                let r = res.defer();
                std::thread::spawn(move || {
                    let mut answer = Response::new();
                    answer.status(code).text("later");
                    let _ = r.send(answer);
                });
            })
            .upload(Method::Put, "/up", |_| Ok(Box::new(Refuse)));
    });
    let addr = server.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    for code in [400u16, 408, 413, 414, 422, 431, 501, 505] {
        write!(s, "GET /status/{code} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_kept(&mut s, code, &format!("GET {code}"));
        // A sized body in the same read.
        write!(
            s,
            "POST /status/{code} HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        )
        .unwrap();
        assert_kept(&mut s, code, &format!("POST {code} sized"));
        // A chunked body (collected, then answered).
        write!(
            s,
            "POST /status/{code} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        )
        .unwrap();
        assert_kept(&mut s, code, &format!("POST {code} chunked"));
        // A sized body over two reads.
        write!(
            s,
            "POST /status/{code} HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc"
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        s.write_all(b"def").unwrap();
        assert_kept(&mut s, code, &format!("POST {code} in two reads"));
        write!(s, "GET /later/{code} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_kept(&mut s, code, &format!("deferred {code}"));
    }
    // An upload's sink answering 413 once it has the whole body.
    s.write_all(b"PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    assert_kept(&mut s, 413, "upload sink 413");
    server.shutdown();
}

/// Defect 3, what must stay: an answer sent while the request's body is unread (a 405 on the
/// head, an upload start refusing) still closes, and so do the server's own protocol errors.
#[test]
fn an_answer_before_the_body_still_closes_and_protocol_errors_close() {
    let server = start(|b| {
        b.upload(Method::Put, "/up", |_| Err(422)).route(
            Method::Get,
            "/status/{code}",
            status_from_path,
        );
    });
    let addr = server.local_addr();
    let rows: [(&str, &[u8], u16); 4] = [
        (
            "405 with the body unread",
            b"POST /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n",
            405,
        ),
        (
            "upload refused with the body unread",
            b"PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n",
            422,
        ),
        (
            "bad request line",
            b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            400,
        ),
        (
            "unknown method on a routed path",
            b"BREW /status/200 HTTP/1.1\r\nHost: a\r\n\r\n",
            501,
        ),
    ];
    for (what, req, want) in rows {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(req).unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, want, "{what}");
        assert_eq!(header(&headers, "connection"), Some("close"), "{what}");
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .ok();
        assert!(
            read_until_quiet(&mut s, QUIET).is_empty(),
            "{what}: not closed"
        );
    }
    server.shutdown();
}

/// Defect 4: with a custom fallback, a path routed for other methods still gets 405 with
/// `Allow` (501 for an unknown method); the fallback answers what would have been 404, for any
/// method, and sees the method and the path.
#[test]
fn a_fallback_answers_only_what_would_have_been_404() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let server = start(|b| {
        b.route(Method::Get, "/users/{id}", |_, res| {
            res.text("user");
        })
        .fallback(move |req, res| {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.path()));
            res.status(404).text("fallback");
        });
    });
    let addr = server.local_addr();
    let rows: [(&str, u16, Option<&str>, bool); 8] = [
        ("DELETE /users/1", 405, Some("GET, HEAD"), false),
        ("POST /users/1", 405, Some("GET, HEAD"), false),
        ("BREW /users/1", 501, None, false),
        ("GET /users/1", 200, None, false),
        ("GET /nothing", 404, None, true),
        ("DELETE /nothing", 404, None, true),
        ("PROPFIND /nothing", 404, None, true),
        // The trailing-slash twin of a route: the fallback's, as before (no 308 with a fallback).
        ("GET /users/1/", 404, None, true),
    ];
    for (line, want, allow, by_fallback) in rows {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "{line} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, want, "{line}");
        assert_eq!(header(&headers, "allow"), allow, "{line}");
        assert_eq!(body == b"fallback", by_fallback, "{line}: {body:?}");
        let last = seen.lock().unwrap().last().cloned();
        assert_eq!(
            last.as_deref() == Some(line),
            by_fallback,
            "{line}: fallback saw {last:?}"
        );
    }
    server.shutdown();
}

/// Defect 4, the brisk-asgi shape: no routes, only a fallback, which sees every method (also
/// extension and unknown ones) and every target.
#[test]
fn a_fallback_without_routes_sees_every_method_and_path() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let mut b = brisk_server::Server::builder();
    b.bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .fallback(move |req, res| {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.path()));
            res.status(200).text("app");
        });
    let server = b.start().unwrap();
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let lines = [
        "GET /",
        "DELETE /users/1",
        "PROPFIND /dav/",
        "BREW /pot",
        "OPTIONS *",
        "PATCH /a/b/",
    ];
    for line in lines {
        write!(s, "{line} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!((status, &body[..]), (200, &b"app"[..]), "{line}");
        assert_eq!(header(&headers, "connection"), None, "{line}");
    }
    assert_eq!(*seen.lock().unwrap(), lines);
    server.shutdown();
}

/// Defect 5: `HTTP/1.2` (any 1.x above 1.1) is served as HTTP/1.1 (RFC 9112 §2.3), keep-alive
/// included; HTTP/2.0 and 0.9 in a request line are still 505.
#[test]
fn http_1x_above_1_1_is_served_as_http_1_1() {
    let server = start(|_| {});
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    for v in ["1.2", "1.9", "1.1"] {
        write!(s, "GET /plaintext HTTP/{v}\r\nHost: a\r\n\r\n").unwrap();
        let got = util::read_head(&mut s);
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "HTTP/{v}: {got}");
        assert!(
            !got.to_ascii_lowercase().contains("connection:"),
            "HTTP/{v}: {got}"
        );
        let mut body = [0u8; 13];
        std::io::Read::read_exact(&mut s, &mut body).unwrap();
        assert_eq!(&body, b"Hello, World!");
    }
    for v in ["2.0", "0.9"] {
        let got = util::exchange(
            server.local_addr(),
            format!("GET /plaintext HTTP/{v}\r\nHost: a\r\n\r\n").as_bytes(),
            QUIET,
        );
        assert!(
            got.starts_with(b"HTTP/1.1 505 "),
            "HTTP/{v}: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
    server.shutdown();
}

/// Defect 6: path decoding keeps `+` (only form decoding, in query strings, makes it a space).
#[test]
fn plus_in_a_path_is_not_a_space() {
    assert_eq!(brisk_server::percent_decode("C++").unwrap(), "C++");
    assert_eq!(
        brisk_server::percent_decode("a%2Bb+c%20d").unwrap(),
        "a+b+c d"
    );
    let q = brisk_server::Query::new("q=C%2B%2B+rocks").next().unwrap();
    assert_eq!(q.value(), "C++ rocks");
}

/// Defect 6 through the `brisk` binary's `/hello/{name}` route.
#[test]
fn the_binary_greets_c_plus_plus() {
    let brisk = Brisk::start(&[]);
    for (path, want) in [
        ("/hello/C++", "Hello, C++!"),
        ("/hello/a%20b+c", "Hello, a b+c!"),
    ] {
        let got = util::exchange(
            brisk.addr,
            format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").as_bytes(),
            QUIET,
        );
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with(want),
            "{path}: {text}"
        );
    }
}
