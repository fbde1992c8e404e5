//! HTTP-version in start lines (RFC 9112 §2.3, RFC 9110 §6.2): 1.0 and 1.1 as sent, a higher
//! 1.x read as 1.1 (whole or trickled), another major version 505, a malformed one 400.

use brisk_http1::{Error, Header, RequestParser, ResponseParser, Status, Version};

/// Parses a request head, whole and then one byte at a time (both must agree).
fn parse_request(input: &[u8]) -> Result<(Version, bool), Error> {
    let mut h = [Header::EMPTY; 8];
    let whole = match RequestParser::new().parse(input, &mut h)? {
        Status::Complete(r) => (r.version, r.facts()?.keep_alive),
        Status::Partial => panic!("incomplete test input"),
    };
    let mut p = RequestParser::new();
    for end in 1..input.len() {
        let mut h = [Header::EMPTY; 8];
        match p.parse(&input[..end], &mut h) {
            Ok(Status::Partial) => {}
            other => panic!("trickled {end} bytes: {other:?}"),
        }
    }
    let mut h = [Header::EMPTY; 8];
    match p.parse(input, &mut h) {
        Ok(Status::Complete(r)) => assert_eq!((r.version, r.facts()?.keep_alive), whole),
        other => panic!("trickled whole: {other:?}"),
    }
    Ok(whole)
}

#[test]
fn a_higher_http_1x_request_is_read_as_http_1_1() {
    for minor in 2..=9 {
        let req = format!("GET / HTTP/1.{minor}\r\nHost: a\r\n\r\n");
        assert_eq!(
            parse_request(req.as_bytes()),
            Ok((Version::Http11, true)),
            "{req}"
        );
        // HTTP/1.1's rules apply: Host is required, `Connection: close` ends the connection.
        let no_host = format!("GET / HTTP/1.{minor}\r\n\r\n");
        assert_eq!(parse_request(no_host.as_bytes()), Err(Error::MissingHost));
        let close = format!("GET / HTTP/1.{minor}\r\nHost: a\r\nConnection: close\r\n\r\n");
        assert_eq!(
            parse_request(close.as_bytes()),
            Ok((Version::Http11, false))
        );
    }
    assert_eq!(
        parse_request(b"GET / HTTP/1.0\r\n\r\n"),
        Ok((Version::Http10, false))
    );
}

#[test]
fn other_major_versions_are_505_and_malformed_ones_400() {
    for v in ["2.0", "3.0", "0.9", "9.9"] {
        let req = format!("GET / HTTP/{v}\r\nHost: a\r\n\r\n");
        let e = parse_request(req.as_bytes()).unwrap_err();
        assert_eq!((e, e.status()), (Error::UnsupportedVersion, 505), "{v}");
    }
    for v in ["1.x", "1.10", "11.1", "1,2"] {
        let req = format!("GET / HTTP/{v}\r\nHost: a\r\n\r\n");
        let mut h = [Header::EMPTY; 8];
        let e = RequestParser::new()
            .parse(req.as_bytes(), &mut h)
            .unwrap_err();
        assert_eq!((e, e.status()), (Error::InvalidVersion, 400), "{v}");
    }
}

#[test]
fn a_higher_http_1x_response_is_read_as_http_1_1() {
    let mut h = [Header::EMPTY; 4];
    match ResponseParser::new().parse(b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", &mut h) {
        Ok(Status::Complete(r)) => assert_eq!((r.version, r.status), (Version::Http11, 200)),
        other => panic!("{other:?}"),
    }
    let mut h = [Header::EMPTY; 4];
    let e = ResponseParser::new()
        .parse(b"HTTP/2.0 200 OK\r\n\r\n", &mut h)
        .unwrap_err();
    assert_eq!(e, Error::UnsupportedVersion);
}
