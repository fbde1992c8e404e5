//! Client addresses behind proxies: PROXY protocol v1/v2 headers on the listeners that require
//! them (over HTTP/1.1, h2c with prior knowledge and the h2c upgrade), malformed or missing
//! headers (closed unanswered, counted), and `X-Forwarded-For`/`Forwarded` from trusted
//! proxies only, as handlers see them (`Request::client_addr`, also in blocking handlers).

mod h2client;
mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use brisk_server::{ForwardedHeader, Handle, Method};

const QUIET: Duration = Duration::from_millis(300);

/// A server whose first listener is plain and whose second requires PROXY; `/who` answers
/// "peer client", `/who-blocking` the same from a blocking handler.
fn server(configure: impl FnOnce(&mut brisk_server::Builder)) -> (Handle, SocketAddr, SocketAddr) {
    let h = util::start(|b| {
        b.bind_proxy("127.0.0.1:0".parse().unwrap())
            .route(Method::Get, "/who", |req, res| {
                res.text(format!("{} {}", req.peer_addr(), req.client_addr()));
            })
            .route_blocking(Method::Get, "/who-blocking", |req, res| {
                res.text(format!("{} {}", req.peer_addr(), req.client_addr()));
            });
        configure(b);
    });
    let addrs = h.local_addrs().to_vec();
    assert_eq!(addrs.len(), 2);
    (h, addrs[0], addrs[1])
}

fn v2(cmd: u8, fam: u8, block: &[u8]) -> Vec<u8> {
    let mut h = brisk_server::proxy_protocol::V2_SIGNATURE.to_vec();
    h.push(0x20 | cmd);
    h.push(fam);
    h.extend_from_slice(&(block.len() as u16).to_be_bytes());
    h.extend_from_slice(block);
    h
}

fn v2_tcp4(src: [u8; 4], sport: u16) -> Vec<u8> {
    let mut b = src.to_vec();
    b.extend_from_slice(&[127, 0, 0, 1]);
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&80u16.to_be_bytes());
    v2(1, 0x11, &b)
}

fn v2_tcp6(src: &str, sport: u16) -> Vec<u8> {
    let mut b = src.parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec();
    b.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&443u16.to_be_bytes());
    // Two TLVs (ALPN "h2", authority "example.com"): skipped.
    b.extend_from_slice(&[0x01, 0, 2, b'h', b'2', 0x02, 0, 11]);
    b.extend_from_slice(b"example.com");
    v2(1, 0x21, &b)
}

/// The body of GET `path` (with `extra` header lines) after `prefix`, over HTTP/1.1; also the
/// socket's own address (what a LOCAL/UNKNOWN header leaves as the peer).
fn h1_get(addr: SocketAddr, prefix: &[u8], path: &str, extra: &str) -> (String, SocketAddr) {
    let mut s = TcpStream::connect(addr).unwrap();
    let me = s.local_addr().unwrap();
    let mut msg = prefix.to_vec();
    msg.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes());
    s.write_all(&msg).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (status, _, body) = util::read_response(&mut s);
    assert_eq!(status, 200, "{path} after {prefix:?}");
    (String::from_utf8(body).unwrap(), me)
}

/// The body of GET `path` after `prefix`, over h2c with prior knowledge.
fn h2_get(addr: SocketAddr, prefix: &[u8], path: &str, extra: &[(&str, &str)]) -> String {
    h2_get_from(addr, prefix, path, extra).0
}

fn h2_get_from(
    addr: SocketAddr,
    prefix: &[u8],
    path: &str,
    extra: &[(&str, &str)],
) -> (String, SocketAddr) {
    let mut c = h2client::Client::connect_after(addr, prefix, 65535, 65535);
    let me = c.sock.local_addr().unwrap();
    let id = c
        .try_request_with("GET", path, extra)
        .expect("stream opens");
    c.turn_within(Duration::from_secs(5), |c| c.replies[&id].ended);
    let r = &c.replies[&id];
    assert_eq!(r.status, 200, "{path} after {prefix:?}");
    (String::from_utf8(r.body.clone()).unwrap(), me)
}

#[test]
fn proxy_headers_give_the_peer_over_http1_and_h2() {
    let (h, _, proxied) = server(|_| {});
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (
            b"PROXY TCP4 192.0.2.1 127.0.0.1 51234 80\r\n".to_vec(),
            Some("192.0.2.1:51234"),
        ),
        (
            b"PROXY TCP6 2001:db8::7 ::1 4711 443\r\n".to_vec(),
            Some("[2001:db8::7]:4711"),
        ),
        (b"PROXY UNKNOWN\r\n".to_vec(), None),
        (b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n".to_vec(), None),
        (
            v2_tcp4([198, 51, 100, 9], 40000),
            Some("198.51.100.9:40000"),
        ),
        (v2_tcp6("2001:db8::9", 4711), Some("[2001:db8::9]:4711")),
        (v2(0, 0x00, &[]), None),       // LOCAL (a health check)
        (v2(0, 0x11, &[9; 12]), None),  // LOCAL ignores the addresses
        (v2(1, 0x31, &[0; 216]), None), // Unix addresses: the socket's
    ];
    for (prefix, want) in &cases {
        let expect = |me: SocketAddr| {
            let a = want.map_or(me.to_string(), str::to_string);
            format!("{a} {a}")
        };
        let (body, me) = h1_get(proxied, prefix, "/who", "");
        assert_eq!(body, expect(me), "h1 {prefix:?}");
        let (body, me) = h2_get_from(proxied, prefix, "/who", &[]);
        assert_eq!(body, expect(me), "h2 {prefix:?}");
        let (body, me) = h1_get(proxied, prefix, "/who-blocking", "");
        assert_eq!(body, expect(me), "blocking {prefix:?}");
    }
    let c = h.counters();
    assert_eq!(c.proxy_errors, 0);
    assert_eq!(c.requests, 3 * cases.len() as u64);
    h.shutdown();
    h.join();
}

#[test]
fn a_header_in_pieces_and_requests_after_it_on_the_same_connection() {
    let (h, _, proxied) = server(|_| {});
    for header in [
        b"PROXY TCP4 192.0.2.1 127.0.0.1 51234 80\r\n".to_vec(),
        v2_tcp6("2001:db8::9", 4711),
    ] {
        let mut s = TcpStream::connect(proxied).unwrap();
        s.set_nodelay(true).unwrap();
        for b in &header {
            s.write_all(&[*b]).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        for _ in 0..3 {
            s.write_all(b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let (status, _, body) = util::read_response(&mut s);
            assert_eq!(status, 200);
            let body = String::from_utf8(body).unwrap();
            assert!(
                body == "192.0.2.1:51234 192.0.2.1:51234"
                    || body == "[2001:db8::9]:4711 [2001:db8::9]:4711",
                "{body}"
            );
        }
    }
    // The h2c upgrade after a header.
    let mut s = TcpStream::connect(proxied).unwrap();
    s.write_all(
        b"PROXY TCP4 192.0.2.1 127.0.0.1 51234 80\r\nGET /who HTTP/1.1\r\nHost: x\r\n\
          Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = util::read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    drop(s);
    assert_eq!(h.counters().proxy_errors, 0);
    h.shutdown();
    h.join();
}

/// Sends `data` (then, if `eof`, closes the write side); returns what came back and whether
/// the server closed the connection.
fn send_bad(addr: SocketAddr, data: &[u8], eof: bool) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(data).unwrap();
    if eof {
        s.shutdown(Shutdown::Write).unwrap();
    }
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(_) => return (got, false),
        }
    }
}

#[test]
fn malformed_or_missing_headers_close_the_connection_unanswered_and_are_counted() {
    let (h, plain, proxied) = server(|_| {});
    let tcp4 = v2_tcp4([192, 0, 2, 1], 1);
    let mut bad_sig = tcp4.clone();
    bad_sig[5] = b'X';
    let mut short_len = v2(1, 0x11, &tcp4[16..27]); // 11 bytes for 12 of addresses
    short_len.extend_from_slice(b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut bad_tlv = tcp4[16..].to_vec();
    bad_tlv.extend_from_slice(&[0x01, 0, 9, b'h']);
    let mut too_big = tcp4.clone();
    too_big[14..16].copy_from_slice(&60000u16.to_be_bytes());
    let mut bad_version = tcp4.clone();
    bad_version[12] = 0x11;
    let mut bad_family = tcp4.clone();
    bad_family[13] = 0x41;
    let get = b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("plain HTTP/1.1", get.clone(), false),
        (
            "h2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            false,
        ),
        (
            "garbage",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            false,
        ),
        ("bad v2 signature", [bad_sig, get.clone()].concat(), false),
        ("v2 length short of the addresses", short_len, false),
        (
            "v2 TLV past the length",
            [v2(1, 0x11, &bad_tlv), get.clone()].concat(),
            false,
        ),
        ("v2 length above the limit", too_big, false),
        ("v2 version 1", bad_version, false),
        ("v2 family 4", bad_family, false),
        (
            "v1 too long",
            format!("PROXY UNKNOWN {}\r\n", "x".repeat(100)).into_bytes(),
            false,
        ),
        (
            "v1 bare LF",
            [&b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"[..], &get].concat(),
            false,
        ),
        (
            "v1 bad address",
            [&b"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"[..], &get].concat(),
            false,
        ),
        (
            "v1 lowercase",
            [&b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"[..], &get].concat(),
            false,
        ),
        ("v1 truncated", b"PROXY TCP4 1.2.3.4 5.6".to_vec(), true),
        ("v2 truncated", tcp4[..20].to_vec(), true),
    ];
    for (i, (what, data, eof)) in cases.iter().enumerate() {
        let t = Instant::now();
        let (got, closed) = send_bad(proxied, data, *eof);
        assert!(closed, "{what}: not closed");
        assert!(
            got.is_empty(),
            "{what}: answered {:?}",
            String::from_utf8_lossy(&got)
        );
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{what}: took {:?}",
            t.elapsed()
        );
        // The counter may trail the close by a moment.
        let t = Instant::now();
        while h.counters().proxy_errors < i as u64 + 1 && t.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            h.counters().proxy_errors,
            i as u64 + 1,
            "{what}: not counted"
        );
    }
    // Nothing was served on those; a bare connect (a health check) is not an error.
    drop(TcpStream::connect(proxied).unwrap());
    assert_eq!(h.counters().requests, 0);
    // The plain listener does not want a header: one is a bad request there.
    let got = util::exchange(plain, b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n\r\n", QUIET);
    assert!(
        got.starts_with(b"HTTP/1.1 400 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    let (body, me) = h1_get(plain, b"", "/who", "");
    assert_eq!(body, format!("{me} {me}"));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(h.counters().proxy_errors, cases.len() as u64);
    h.shutdown();
    h.join();
}

#[test]
fn a_header_that_never_completes_is_closed_at_the_header_timeout_unanswered() {
    let (h, _, proxied) = server(|b| {
        b.header_timeout(Duration::from_millis(300));
    });
    for partial in [
        &b""[..],
        b"PROXY TCP4 1.2.3.4",
        &v2_tcp4([1, 2, 3, 4], 5)[..20],
    ] {
        let t = Instant::now();
        let (got, closed) = send_bad(proxied, partial, false);
        assert!(closed && got.is_empty(), "{partial:?}: {got:?}");
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
    let c = h.counters();
    assert_eq!((c.timeouts, c.proxy_errors, c.requests), (3, 0, 0));
    h.shutdown();
    h.join();
}

#[test]
fn proxy_protocol_on_applies_to_every_listener() {
    let h = util::start(|b| {
        b.proxy_protocol(true);
    });
    let (got, closed) = send_bad(
        h.local_addr(),
        b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
        false,
    );
    assert!(closed && got.is_empty());
    let mut s = TcpStream::connect(h.local_addr()).unwrap();
    s.write_all(
        b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\nGET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    util::assert_plaintext(&mut s);
    h.shutdown();
    h.join();
}

#[test]
fn forwarded_for_is_believed_from_trusted_proxies_only() {
    let (h, plain, proxied) = server(|b| {
        b.trusted_proxies(["127.0.0.1", "10.0.0.0/8", "2001:db8:1::/48"]);
    });
    let xff = |addr, prefix: &[u8], v: &str| {
        h1_get(addr, prefix, "/who", &format!("X-Forwarded-For: {v}\r\n")).0
    };
    let local = |peer: &str| format!("PROXY TCP4 {peer} 127.0.0.1 1111 80\r\n").into_bytes();
    // Trusted direct peer (127.0.0.1 on the plain listener): the rightmost untrusted.
    let body = xff(plain, b"", "6.6.6.6, 203.0.113.7, 10.1.1.1");
    assert!(
        body.starts_with("127.0.0.1:") && body.ends_with(" 203.0.113.7:0"),
        "{body}"
    );
    // Through PROXY: the header's source is the peer that must be trusted.
    assert_eq!(
        xff(proxied, &local("10.9.9.9"), "203.0.113.7"),
        "10.9.9.9:1111 203.0.113.7:0"
    );
    assert_eq!(
        xff(proxied, &local("192.0.2.50"), "203.0.113.7"),
        "192.0.2.50:1111 192.0.2.50:1111"
    );
    // All trusted: the leftmost. Malformed where the answer would be: the peer.
    assert_eq!(
        xff(proxied, &local("10.9.9.9"), "10.0.0.1, 127.0.0.1"),
        "10.9.9.9:1111 10.0.0.1:0"
    );
    assert_eq!(
        xff(proxied, &local("10.9.9.9"), "203.0.113.7, bogus"),
        "10.9.9.9:1111 10.9.9.9:1111"
    );
    assert_eq!(
        xff(proxied, &local("10.9.9.9"), "bogus, 203.0.113.7"),
        "10.9.9.9:1111 203.0.113.7:0"
    );
    // IPv6 with a port, behind an IPv6 proxy.
    let v6 = b"PROXY TCP6 2001:db8:1::5 ::1 2222 80\r\n";
    assert_eq!(
        xff(proxied, v6, "[2001:db8::1]:4711, 2001:db8:1::9"),
        "[2001:db8:1::5]:2222 [2001:db8::1]:4711"
    );
    // Forwarded is not read in the default mode.
    let body = h1_get(
        proxied,
        &local("10.9.9.9"),
        "/who",
        "Forwarded: for=203.0.113.7\r\n",
    )
    .0;
    assert_eq!(body, "10.9.9.9:1111 10.9.9.9:1111");
    // Over HTTP/2, and in a blocking handler.
    let body = h2_get(
        proxied,
        &local("10.9.9.9"),
        "/who",
        &[("x-forwarded-for", "203.0.113.8")],
    );
    assert_eq!(body, "10.9.9.9:1111 203.0.113.8:0");
    let body = h1_get(
        proxied,
        &local("10.9.9.9"),
        "/who-blocking",
        "X-Forwarded-For: 203.0.113.9\r\n",
    )
    .0;
    assert_eq!(body, "10.9.9.9:1111 203.0.113.9:0");
    h.shutdown();
    h.join();
}

#[test]
fn forwarded_rfc7239_from_trusted_proxies() {
    let (h, plain, _) = server(|b| {
        b.trusted_proxies(["127.0.0.0/8"])
            .forwarded_header(ForwardedHeader::Forwarded);
    });
    let fwd = |v: &str| {
        let body = h1_get(plain, b"", "/who", &format!("Forwarded: {v}\r\n")).0;
        body.split_once(' ').unwrap().1.to_string()
    };
    assert_eq!(fwd("for=\"[2001:db8::1]:4711\""), "[2001:db8::1]:4711");
    assert_eq!(
        fwd("for=192.0.2.60;proto=http;by=203.0.113.43"),
        "192.0.2.60:0"
    );
    assert_eq!(
        fwd("for=6.6.6.6, for=198.51.100.17, for=127.0.0.2"),
        "198.51.100.17:0"
    );
    // Malformed: the peer.
    for bad in [
        "for=[2001:db8::1]:4711",
        "for=\"192.0.2.60",
        "for=unknown",
        "for=1.2.3.4;for=5.6.7.8",
    ] {
        assert!(fwd(bad).starts_with("127.0.0.1:"), "{bad}");
    }
    // X-Forwarded-For is not read in this mode.
    let body = h1_get(plain, b"", "/who", "X-Forwarded-For: 203.0.113.7\r\n").0;
    assert!(!body.contains("203.0.113.7"), "{body}");
    h.shutdown();
    h.join();
}

#[test]
fn an_invalid_trusted_proxy_fails_the_start() {
    let err = brisk_server::Server::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .trusted_proxies(["10.0.0.0/8", "10.0.0.0/40"])
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("trusted_proxies"), "{err}");
}

/// The binary with `--bind-proxy` only, driven by curl's `--haproxy-protocol` (a real v1
/// sender): served over HTTP/1.1 and h2c with the header, closed unanswered without it.
#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn the_binary_serves_curl_haproxy_protocol_on_bind_proxy() {
    if !util::tool(
        "the_binary_serves_curl_haproxy_protocol_on_bind_proxy",
        "curl",
    ) {
        return;
    }
    // Not util::Brisk::start, which adds a plain --bind: only the PROXY listener here.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["--workers", "1", "--bind-proxy", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("first line {line:?}"));
    let b = util::Brisk { child, addr };
    let curl = |extra: &[&str]| {
        let out = std::process::Command::new("curl")
            .args(["-s", "--max-time", "5"])
            .args(extra)
            .arg(b.url("/plaintext"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(
        curl(&["--haproxy-protocol"]),
        (Some(0), "Hello, World!".to_string())
    );
    let h2 = curl(&["--haproxy-protocol", "--http2-prior-knowledge"]);
    assert_eq!(h2, (Some(0), "Hello, World!".to_string()));
    // Without the header: closed, nothing served (curl: "empty reply from server", 52).
    assert_eq!(curl(&[]), (Some(52), String::new()));
}
