//! The HEAD->GET rule: a HEAD request goes where a GET request to the same path goes (one
//! lookup; the builder gives every GET route a HEAD entry unless a HEAD or any-method route
//! has the same pattern).

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use brisk_server::{Method, RouteMethod};
use util::read_until_quiet;

fn head(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "HEAD {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    String::from_utf8(read_until_quiet(&mut s, Duration::from_secs(5))).unwrap()
}

#[test]
fn head_goes_where_get_goes() {
    let server = util::start(|b| {
        b.route(Method::Get, "/x", |_, res| {
            res.header("x-from", "get x").text("x");
        });
        b.route(RouteMethod::Any, "/{y}", |_, res| {
            res.header("x-from", "any").text("any");
        });
        b.route(Method::Get, "/a/{x}", |_, res| {
            res.header("x-from", "get a").text("a");
        });
        b.route(Method::Head, "/{*rest}", |_, res| {
            res.header("x-from", "head rest");
        });
        b.route(Method::Get, "/same", |_, res| {
            res.header("x-from", "get same").text("same");
        });
        b.route(Method::Head, "/same", |_, res| {
            res.header("x-from", "head same");
        });
    });
    let addr = server.local_addr();
    // A more specific GET route wins over an any-method or HEAD route of another pattern.
    assert!(
        head(addr, "/x").contains("x-from: get x\r\n"),
        "{}",
        head(addr, "/x")
    );
    assert!(head(addr, "/a/b").contains("x-from: get a\r\n"));
    // Where the GET request goes to the any-method route, so does HEAD.
    assert!(head(addr, "/z").contains("x-from: any\r\n"));
    // A HEAD route of the same pattern answers HEAD itself.
    assert!(head(addr, "/same").contains("x-from: head same\r\n"));
    let x = head(addr, "/x");
    assert!(x.starts_with("HTTP/1.1 200 OK\r\n"), "{x}");
    assert!(
        x.contains("Content-Length: 1\r\n") && x.ends_with("\r\n\r\n"),
        "{x}"
    );
    server.shutdown();
    server.join();
}

#[test]
fn head_to_a_get_route_with_its_slash_toggled_is_redirected_as_get_is() {
    let server = util::start(|_| {});
    let r = head(server.local_addr(), "/plaintext/");
    assert!(r.starts_with("HTTP/1.1 308 "), "{r}");
    assert!(r.contains("location: /plaintext\r\n"), "{r}");
    server.shutdown();
    server.join();
}
