//! HTTP/1.1 over raw sockets against an in-process server: pipelining, every error status,
//! 100-continue, chunked request bodies, HEAD, keep-alive and `Connection: close`.

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use util::{exchange, read_response, read_until_quiet, start};

const QUIET: Duration = Duration::from_millis(300);

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn twenty_pipelined_requests_in_one_write_get_twenty_ordered_responses() {
    let server = start(|_| {});
    let mut batch = Vec::new();
    for i in 0..20 {
        write!(batch, "GET /hello/{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    }
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(&batch).unwrap();
    for i in 0..20 {
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200, "response {i}");
        assert_eq!(
            body,
            format!("Hello, {i}!").as_bytes(),
            "response {i} out of order"
        );
        assert!(header(&headers, "date").is_some() && header(&headers, "server") == Some("brisk"));
        assert_eq!(
            header(&headers, "connection"),
            None,
            "keep-alive by default on 1.1"
        );
    }
    server.shutdown();
}

/// Each error status of issue 9 item 4, with whether the connection must close.
#[test]
fn every_error_status_has_a_short_body_and_closes_when_it_must() {
    let server = start(|b| {
        b.max_body_size(1024 * 1024);
    });
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
        "X-A: b\r\n".repeat(200)
    );
    let rows: Vec<(&str, Vec<u8>, u16, bool)> = vec![
        ("malformed header line", b"GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n".to_vec(), 400, true),
        ("missing host", b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400, true),
        ("smuggling CL+TE", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(), 400, true),
        ("no route", b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), 404, false),
        ("wrong method", b"DELETE /plaintext HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), 405, false),
        ("body over the limit", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n".to_vec(), 413, true),
        ("target too long", long_target.into_bytes(), 414, true),
        ("too many header fields", many_headers.into_bytes(), 431, true),
        ("handler panic", b"GET /panic HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), 500, false),
        ("unknown method", b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), 501, true),
        ("http version 2.5", b"GET / HTTP/2.5\r\nHost: a\r\n\r\n".to_vec(), 505, true),
        ("http version 3.0", b"GET / HTTP/3.0\r\nHost: a\r\n\r\n".to_vec(), 505, true),
    ];
    for (name, req, want, closes) in rows {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.write_all(&req).unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, want, "{name}");
        assert!(
            body.starts_with(want.to_string().as_bytes()) && body.len() < 64,
            "{name}: {body:?}"
        );
        assert_eq!(
            header(&headers, "connection") == Some("close"),
            closes,
            "{name}"
        );
        if want == 405 {
            assert_eq!(header(&headers, "allow"), Some("GET, HEAD"), "{name}");
        }
        // The connection either closes, or serves the next request.
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .ok();
        let rest = read_until_quiet(&mut s, QUIET);
        if closes {
            assert!(
                rest.is_empty(),
                "{name}: connection should be closed, got {:?}",
                String::from_utf8_lossy(&rest)
            );
        } else {
            assert!(
                rest.starts_with(b"HTTP/1.1 200 OK"),
                "{name}: connection should continue"
            );
        }
    }
    let c = server.counters();
    assert_eq!(c.panics, 1);
    server.shutdown();
}

#[test]
fn header_read_timeout_answers_408_and_closes() {
    let server = start(|b| {
        b.header_timeout(Duration::from_millis(300));
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHo").unwrap();
    let got = read_until_quiet(&mut s, Duration::from_secs(3));
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text}"
    );
    assert!(text.contains("Connection: close\r\n"), "{text}");
    assert!(text.ends_with("408 request timeout\n"), "{text}");
    server.shutdown();
}

#[test]
fn continue_100_is_sent_only_when_a_handler_will_read_the_body() {
    let server = start(|_| {});
    // A route that reads the body: 100 Continue, then the answer.
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let interim = read_until_quiet(&mut s, QUIET);
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"hello").unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));

    // No route: the final answer comes at once, without 100, and the body is never read.
    let got = exchange(
        server.local_addr(),
        b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        QUIET,
    );
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");

    // Too large: 413 at once, no 100.
    let got = exchange(
        server.local_addr(),
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\nExpect: 100-continue\r\n\r\n",
        QUIET,
    );
    assert!(
        got.starts_with(b"HTTP/1.1 413 "),
        "{}",
        String::from_utf8_lossy(&got)
    );
    server.shutdown();
}

#[test]
fn chunked_request_bodies_are_decoded() {
    let server = start(|_| {});
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n",
    )
    .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, body.as_slice()), (200, &b"abcdefg"[..]));
    // Trickled chunked body over several writes, then the connection is reused.
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"lo\r\n6\r\n world\r\n0\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, body.as_slice()), (200, &b"hello world"[..]));
    // Chunked body over the limit: 413 and close.
    let server2 = start(|b| {
        b.max_body_size(10);
    });
    let got = exchange(
        server2.local_addr(),
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
        QUIET,
    );
    assert!(
        got.starts_with(b"HTTP/1.1 413 "),
        "{}",
        String::from_utf8_lossy(&got)
    );
    server.shutdown();
    server2.shutdown();
}

/// Writes `data` on a new connection and reads until the server closes it, for at most
/// `limit`. Returns what came back and whether the server closed (rather than `limit` passing).
fn until_closed(addr: std::net::SocketAddr, data: &[u8], limit: Duration) -> (String, bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(data).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match std::io::Read::read(&mut s, &mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
        if start.elapsed() >= limit {
            break false;
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// Issue 17 item 6.1: a chunked body whose declared chunk size (alone, or added to what came
/// before) exceeds the limit is answered 413 with `Connection: close` as soon as the
/// chunk-size line is read, without waiting for the data (before: 408 after the body
/// timeout), and the connection closes. A size that cannot fit in 64 bits is a 400.
#[test]
fn a_declared_chunk_size_past_the_limit_is_answered_413_at_once_and_closes() {
    let server = start(|b| {
        b.max_body_size(1024);
        b.body_timeout(Duration::from_secs(30));
    });
    let head = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    let total = format!("200\r\n{}\r\n201\r\n", "x".repeat(512));
    let rows: [(&str, &str, u16); 6] = [
        ("2^64-1", "FFFFFFFFFFFFFFFF\r\n", 413),
        ("2^64-1 with data", "ffffffffffffffff;a=b\r\nabc", 413),
        ("one byte past the limit", "401\r\n", 413),
        ("running total past the limit", &total, 413),
        ("17 hex digits", "10000000000000000\r\n", 400),
        ("17 hex digits, split", "1000000000000000", 0),
    ];
    for (name, body, want) in rows {
        // A row that expects no answer waits a short while; the others get theirs at once.
        let limit = Duration::from_millis(if want == 0 { 300 } else { 3000 });
        let (text, closed) = until_closed(
            server.local_addr(),
            format!("{head}{body}").as_bytes(),
            limit,
        );
        if want == 0 {
            // 16 digits and no line end yet: nothing to answer, the server waits.
            assert!(!closed && text.is_empty(), "{name}: {text}");
            continue;
        }
        assert!(
            text.starts_with(&format!("HTTP/1.1 {want} ")),
            "{name}: {text:?}"
        );
        assert!(text.contains("\r\nConnection: close\r\n"), "{name}: {text}");
        assert!(closed, "{name}: the connection must close after the answer");
    }
    // Exactly the limit, over two chunks: served.
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    write!(
        s,
        "{head}200\r\n{a}\r\n200\r\n{a}\r\n0\r\n\r\n",
        a = "y".repeat(512)
    )
    .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, body.len()), (200, 1024));
    server.shutdown();
}

#[test]
fn head_gets_the_headers_of_get_without_a_body() {
    let server = start(|_| {});
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(
        b"HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
    )
    .unwrap();
    let got = read_until_quiet(&mut s, QUIET);
    let text = String::from_utf8_lossy(&got);
    let (head, get) = text.split_at(text.rfind("HTTP/1.1 200").unwrap());
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Length: 13\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    assert!(get.ends_with("\r\n\r\nHello, World!"), "{get}");
    server.shutdown();
}

#[test]
fn keep_alive_follows_the_version_rules_and_connection_close_both_ways() {
    let server = start(|_| {});
    let rows: &[(&str, &[u8], bool)] = &[
        (
            "1.1 default keeps",
            b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
            false,
        ),
        (
            "1.1 close",
            b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            true,
        ),
        (
            "1.0 default closes",
            b"GET /plaintext HTTP/1.0\r\n\r\n",
            true,
        ),
        (
            "1.0 keep-alive keeps",
            b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            false,
        ),
    ];
    for (name, req, closes) in rows {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.write_all(req).unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(
            (status, body.as_slice()),
            (200, &b"Hello, World!"[..]),
            "{name}"
        );
        let conn = header(&headers, "connection");
        if *closes {
            assert_eq!(conn, Some("close"), "{name}");
            assert!(
                read_until_quiet(&mut s, QUIET).is_empty(),
                "{name}: must close"
            );
        } else {
            s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            let (status, _, _) = read_response(&mut s);
            assert_eq!(status, 200, "{name}: second request");
        }
    }
    server.shutdown();
}

#[test]
fn large_bodies_both_ways_and_streamed_responses() {
    let server = start(|_| {});
    // 900 KB request body: larger than the reactor's input, collected across reads.
    let body: Vec<u8> = (0..900 * 1024).map(|i| (i % 251) as u8).collect();
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    write!(
        s,
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body).unwrap();
    let (status, _, echoed) = read_response(&mut s);
    assert_eq!(status, 200);
    assert!(echoed == body, "echoed body differs");
    // 3 MiB response: larger than the output limit, written as the socket drains.
    s.write_all(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, big) = read_response(&mut s);
    assert_eq!((status, big.len()), (200, 3 * 1024 * 1024));
    // Streamed: chunked transfer coding.
    s.write_all(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, headers, body) = read_response(&mut s);
    assert_eq!(header(&headers, "transfer-encoding"), Some("chunked"));
    assert_eq!(status, 200);
    assert_eq!(body, b"chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
    server.shutdown();
}

#[test]
fn heads_with_many_fields_are_parsed_whole_or_trickled() {
    let server = start(|_| {});
    let head = |n: usize| {
        let mut h = String::from("GET /plaintext HTTP/1.1\r\nHost: a\r\n");
        for i in 0..n {
            h.push_str(&format!("X-Field-{i}: value {i}\r\n"));
        }
        h.push_str("\r\n");
        h.into_bytes()
    };
    // 40 fields (more than the first slot array, within the default limit of 64).
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(&head(40)).unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    // The same head trickled in 7-byte pieces on the same connection.
    for piece in head(40).chunks(7) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(read_response(&mut s).0, 200);
    // 70 fields: over the limit.
    let got = exchange(server.local_addr(), &head(70), QUIET);
    assert!(
        got.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&got)
    );
    server.shutdown();
}

#[test]
fn idle_keep_alive_connections_close_after_the_idle_timeout_busy_ones_do_not() {
    let server = start(|b| {
        b.idle_timeout(Duration::from_millis(500));
    });
    // Busy: a request every 150 ms for 1.5 s on one connection (three idle periods' worth).
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    for i in 0..10 {
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut s).0, 200, "request {i}");
        std::thread::sleep(Duration::from_millis(150));
    }
    // Then quiet: closed within the timeout plus a tick or two, without any answer.
    let t = std::time::Instant::now();
    let rest = read_until_quiet(&mut s, Duration::from_secs(3));
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_millis(1500),
        "closed after {waited:?}"
    );
    server.shutdown();
}

#[test]
fn thousands_of_pipelined_requests_outrunning_the_output_limit_all_get_answers() {
    let server = start(|_| {});
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let n = 4000;
    let batch = b"GET /hello/pipelined-client HTTP/1.1\r\nHost: a\r\n\r\n".repeat(n);
    let mut w = s.try_clone().unwrap();
    // Write from another thread: the server's answers (about 700 KB) outrun its output limit
    // and the socket buffers, so it must pause and resume reading.
    let writer = std::thread::spawn(move || w.write_all(&batch).unwrap());
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for i in 0..n {
        let (status, _, body) = read_response(&mut s);
        assert_eq!(
            (status, body.as_slice()),
            (200, &b"Hello, pipelined-client!"[..]),
            "response {i}"
        );
    }
    writer.join().unwrap();
    server.shutdown();
}

#[test]
fn echoed_bodies_around_the_buffer_size_come_back_whole_in_order() {
    // Responses of every size class: inside one free region of the output, across two or
    // more of its 16 KiB blocks, and past the pending-output limit into the spill. Pipelined
    // in one write, so each response starts wherever the previous one ended.
    let server = start(|_| {});
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let sizes = [
        0usize, 1, 100, 16_000, 16_384, 16_500, 40_000, 70_000, 16_200, 5, 300_000, 2,
    ];
    let bodies: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| (0..n).map(|i| ((i * 7 + k) % 251) as u8).collect())
        .collect();
    let mut batch = Vec::new();
    for b in &bodies {
        write!(
            batch,
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
            b.len()
        )
        .unwrap();
        batch.extend_from_slice(b);
    }
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&batch).unwrap());
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for (k, b) in bodies.iter().enumerate() {
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200, "response {k}");
        let length = b.len().to_string();
        assert_eq!(header(&headers, "content-length"), Some(length.as_str()));
        assert!(
            body == *b,
            "response {k}: body of {} bytes differs",
            b.len()
        );
    }
    writer.join().unwrap();
    server.shutdown();
}
