//! Closing without resets (RFC 9112 section 9.6), with the real binary:
//!
//! * requests already in the sockets when SIGTERM arrives are all answered, with
//!   `Connection: close`, then each connection ends with EOF (no reset);
//! * an error answered while the client is still sending a body (413) can be read once the
//!   client has written it all: the server reads and discards instead of resetting.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use util::{read_response, Brisk};

/// What follows the last response: Ok on EOF, the error kind on a reset.
fn end_of_stream(s: &mut TcpStream) -> Result<usize, ErrorKind> {
    let mut extra = 0;
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(extra),
            Ok(n) => extra += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.kind()),
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn requests_in_the_sockets_at_sigterm_are_answered_with_close_then_eof() {
    // One worker: the process has one thread, so the stop/continue below makes it see every
    // request and the signal in the same turn.
    let mut b = Brisk::start(&["--workers", "1", "--shutdown-timeout", "5s"]);
    let mut conns: Vec<TcpStream> = (0..32)
        .map(|_| {
            let s = TcpStream::connect(b.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    // Keep-alive connections that have served a request.
    for s in &mut conns {
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (status, _, _) = read_response(s);
        assert_eq!(status, 200);
    }
    b.signal("-STOP");
    std::thread::sleep(Duration::from_millis(100));
    let body: Vec<u8> = (0..3000).map(|i| b'a' + (i % 26) as u8).collect();
    for (i, s) in conns.iter_mut().enumerate() {
        if i % 2 == 0 {
            s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
        } else {
            let mut req = format!(
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(&body);
            s.write_all(&req).unwrap();
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    b.signal("-TERM");
    b.signal("-CONT");
    for (i, s) in conns.iter_mut().enumerate() {
        let (status, headers, got) = read_response(s);
        assert_eq!(status, 200, "connection {i}");
        let want: &[u8] = if i % 2 == 0 { b"Hello, World!" } else { &body };
        assert!(got == want, "connection {i}: body differs");
        assert_eq!(
            header(&headers, "connection").map(str::to_ascii_lowercase),
            Some("close".to_string()),
            "connection {i}: {headers:?}"
        );
        assert_eq!(end_of_stream(s), Ok(0), "connection {i}: EOF, not a reset");
    }
    assert!(
        b.wait_exit(Duration::from_secs(10)).is_some(),
        "brisk did not exit"
    );
}

#[test]
fn a_413_sent_while_the_body_is_on_its_way_is_read_after_the_client_wrote_it_all() {
    let b = Brisk::start(&["--workers", "1", "--max-body", "1K"]);
    let mut s = TcpStream::connect(b.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let len = 2 << 20;
    s.write_all(
        format!("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {len}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    // More than the socket buffers hold: written only if the server goes on reading.
    let written = s.write_all(&vec![b'x'; len]);
    assert!(written.is_ok(), "writing the body: {written:?}");
    let (status, headers, _) = read_response(&mut s);
    assert_eq!(status, 413);
    assert_eq!(
        header(&headers, "connection").map(str::to_ascii_lowercase),
        Some("close".to_string())
    );
    assert_eq!(end_of_stream(&mut s), Ok(0), "EOF, not a reset");
}
