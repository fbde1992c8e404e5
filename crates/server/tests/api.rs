//! The handler-facing API over a real connection: query parameters, route params, headers,
//! redirects, cookies, the trailing-slash redirect, a fallback handler and counters.

mod util;

use std::io::Write;
use std::net::TcpStream;

use brisk_server::{Method, RouteMethod};
use util::{read_response, start};

fn get(s: &mut TcpStream, req: &str) -> (u16, Vec<(String, String)>, String) {
    s.write_all(req.as_bytes()).unwrap();
    let (status, headers, body) = read_response(s);
    (status, headers, String::from_utf8(body).unwrap())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    h.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn query_params_headers_redirects_cookies_and_trailing_slash() {
    let server = start(|b| {
        b.route(Method::Get, "/search", |req, res| {
            let q = req.query_param("q").unwrap_or_default().into_owned();
            let pairs = req.query_pairs().count();
            let agent = req
                .headers()
                .get_str("user-agent")
                .unwrap_or("-")
                .to_string();
            res.text(format!(
                "q={q} pairs={pairs} agent={agent} version={}",
                req.version().as_str()
            ));
        })
        .route(Method::Get, "/files/{*path}", |req, res| {
            res.text(format!("path={}", req.param("path").unwrap_or("")));
        })
        .route(Method::Get, "/old", |_, res| {
            res.redirect(301, "/new")
                .set_cookie("a=1; HttpOnly")
                .set_cookie("b=2");
        })
        .route(Method::Get, "/dir/", |_, res| {
            res.text("dir");
        })
        .route(RouteMethod::Any, "/any", |req, res| {
            res.text(req.method().to_string());
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let (st, _, body) = get(
        &mut s,
        "GET /search?q=caf%C3%A9+au+lait&x=1&&y HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\n\r\n",
    );
    assert_eq!(
        (st, body.as_str()),
        (200, "q=café au lait pairs=3 agent=t/1 version=HTTP/1.1")
    );
    let (st, _, body) = get(&mut s, "GET /files/a/b/c.txt HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!((st, body.as_str()), (200, "path=a/b/c.txt"));
    let (st, h, _) = get(&mut s, "GET /old HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(st, 301);
    assert_eq!(header(&h, "location"), ["/new"]);
    assert_eq!(header(&h, "set-cookie"), ["a=1; HttpOnly", "b=2"]);
    let (st, h, _) = get(&mut s, "GET /dir?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!((st, header(&h, "location")), (308, vec!["/dir/?x=1"]));
    let (st, _, body) = get(
        &mut s,
        "PATCH /any HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!((st, body.as_str()), (200, "PATCH"));
    let c = server.counters();
    assert_eq!(c.requests, 5);
    assert_eq!(c.by_class[1..4], [3, 2, 0]);
    assert!(
        c.connections >= 1 && c.bytes_in > 0 && c.bytes_out > 0,
        "{c:?}"
    );
    server.shutdown();
    server.join();
}

#[test]
fn a_fallback_answers_what_no_route_matches() {
    let server = start(|b| {
        b.fallback(|req, res| {
            res.status(404)
                .text(format!("custom miss for {} {}", req.method(), req.path()));
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let (st, _, body) = get(&mut s, "GET /nothing/here HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        (st, body.as_str()),
        (404, "custom miss for GET /nothing/here")
    );
    // Unknown methods reach the fallback too (instead of 501).
    let (st, _, body) = get(&mut s, "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!((st, body.as_str()), (404, "custom miss for BREW /pot"));
    server.shutdown();
}
