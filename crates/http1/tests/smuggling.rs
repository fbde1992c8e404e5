//! One test per request-smuggling class: each asserts the exact error kind.

use brisk_http1::{Body, Chunk, ChunkedDecoder, Error, Header, RequestParser, Status, TargetForm};

/// Parses a head and computes its facts; returns the first error.
fn head(input: &[u8]) -> Result<Body, Error> {
    let mut headers = [Header::EMPTY; 32];
    match RequestParser::new().parse(input, &mut headers)? {
        Status::Complete(req) => Ok(req.facts()?.body),
        Status::Partial => panic!(
            "test input is incomplete: {:?}",
            input.escape_ascii().to_string()
        ),
    }
}

/// Decodes a whole chunked body; returns the first error.
fn chunked(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut dec = ChunkedDecoder::new();
    let mut rest = body;
    let mut out = Vec::new();
    loop {
        let (n, c) = dec.decode(rest)?;
        rest = &rest[n..];
        match c {
            Some(Chunk::Data(d)) => out.extend_from_slice(d),
            Some(Chunk::Trailer(_)) => {}
            Some(Chunk::End) => return Ok(out),
            None => {
                dec.finish()?;
                unreachable!("finish fails on an unfinished body");
            }
        }
    }
}

const POST: &str = "POST /x HTTP/1.1\r\nHost: a\r\n";

fn req(fields: &str) -> Vec<u8> {
    format!("{POST}{fields}\r\n").into_bytes()
}

#[test]
fn cl_then_te() {
    assert_eq!(
        head(&req("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
        Err(Error::ConflictingFraming)
    );
}

#[test]
fn te_then_cl() {
    assert_eq!(
        head(&req("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
        Err(Error::ConflictingFraming)
    );
}

#[test]
fn duplicate_differing_cl() {
    assert_eq!(
        head(&req("Content-Length: 5\r\nContent-Length: 6\r\n")),
        Err(Error::DifferingContentLength)
    );
    assert_eq!(
        head(&req("Content-Length: 5, 6\r\n")),
        Err(Error::DifferingContentLength)
    );
    // Identical duplicates are folded (RFC 9110 §8.6 allows it).
    assert_eq!(
        head(&req("Content-Length: 5\r\nContent-Length: 5\r\n")),
        Ok(Body::Length(5))
    );
}

#[test]
fn cl_with_sign() {
    assert_eq!(
        head(&req("Content-Length: +5\r\n")),
        Err(Error::InvalidContentLength)
    );
    assert_eq!(
        head(&req("Content-Length: -5\r\n")),
        Err(Error::InvalidContentLength)
    );
}

#[test]
fn cl_with_inner_space() {
    assert_eq!(
        head(&req("Content-Length:  5 6\r\n")),
        Err(Error::InvalidContentLength)
    );
}

#[test]
fn cl_hex_and_overflow() {
    assert_eq!(
        head(&req("Content-Length: 0x5\r\n")),
        Err(Error::InvalidContentLength)
    );
    assert_eq!(
        head(&req("Content-Length: 18446744073709551616\r\n")),
        Err(Error::InvalidContentLength)
    );
}

#[test]
fn te_chunked_then_gzip() {
    assert_eq!(
        head(&req("Transfer-Encoding: chunked, gzip\r\n")),
        Err(Error::ChunkedNotFinal)
    );
}

#[test]
fn te_gzip_only() {
    assert_eq!(
        head(&req("Transfer-Encoding: gzip\r\n")),
        Err(Error::ChunkedNotFinal)
    );
}

#[test]
fn te_chunked_twice() {
    assert_eq!(
        head(&req("Transfer-Encoding: chunked, chunked\r\n")),
        Err(Error::ChunkedTwice)
    );
    assert_eq!(
        head(&req(
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
        )),
        Err(Error::ChunkedTwice)
    );
}

#[test]
fn te_with_obs_fold() {
    assert_eq!(
        head(&req("Transfer-Encoding: gzip,\r\n chunked\r\n")),
        Err(Error::ObsFold)
    );
    assert_eq!(
        head(&req("Transfer-Encoding:\r\n\tchunked\r\n")),
        Err(Error::ObsFold)
    );
}

#[test]
fn chunk_size_0x5() {
    assert_eq!(
        chunked(b"0x5\r\nhello\r\n0\r\n\r\n"),
        Err(Error::InvalidChunkSize)
    );
}

#[test]
fn chunk_size_17_hex_digits() {
    assert_eq!(
        chunked(b"10000000000000000\r\n"),
        Err(Error::ChunkSizeOverflow)
    );
    assert_eq!(
        chunked(b"00000000000000005\r\nhello\r\n0\r\n\r\n"),
        Err(Error::ChunkSizeOverflow)
    );
    // 16 digits is the most a u64 holds, and is accepted as a size.
    let mut d = ChunkedDecoder::new();
    assert_eq!(
        d.decode(b"ffffffffffffffff\r\nab"),
        Ok((20, Some(Chunk::Data(&b"ab"[..]))))
    );
}

#[test]
fn chunk_ext_with_bare_lf() {
    assert_eq!(
        chunked(b"5;ext=a\nb\r\nhello\r\n0\r\n\r\n"),
        Err(Error::BareLf)
    );
    assert_eq!(
        chunked(b"5;ext=\"a\nb\"\r\nhello\r\n0\r\n\r\n"),
        Err(Error::BareLf)
    );
}

#[test]
fn chunk_ext_with_bare_cr() {
    assert_eq!(
        chunked(b"5;ext=a\rb\r\nhello\r\n0\r\n\r\n"),
        Err(Error::BareCr)
    );
}

#[test]
fn missing_final_crlf_after_last_chunk() {
    // The last chunk without the empty line that ends the trailer section.
    assert_eq!(chunked(b"5\r\nhello\r\n0\r\n"), Err(Error::IncompleteBody));
    // Something other than CRLF after the last chunk's line is taken as a trailer line and
    // must obey field rules: a smuggled request line does not.
    assert_eq!(
        chunked(b"0\r\nGET /admin HTTP/1.1\r\n\r\n"),
        Err(Error::WhitespaceBeforeColon)
    );
    // Chunk data not followed by CRLF.
    assert_eq!(
        chunked(b"5\r\nhelloX\r\n0\r\n\r\n"),
        Err(Error::MissingChunkCrlf)
    );
    assert_eq!(chunked(b"5\r\nhello\r\n0\r\n\r\n"), Ok(b"hello".to_vec()));
}

#[test]
fn header_name_with_space_before_colon() {
    assert_eq!(
        head(&req("Transfer-Encoding : chunked\r\n")),
        Err(Error::WhitespaceBeforeColon)
    );
}

#[test]
fn nul_in_value() {
    assert_eq!(head(&req("X-A: a\0b\r\n")), Err(Error::InvalidHeaderValue));
}

#[test]
fn bare_cr() {
    assert_eq!(head(&req("X-A: a\rb\r\n")), Err(Error::BareCr));
    assert_eq!(head(b"GET / HTTP/1.1\rHost: a\r\n\r\n"), Err(Error::BareCr));
}

#[test]
fn bare_lf() {
    assert_eq!(head(&req("X-A: a\nX-B: b\r\n")), Err(Error::BareLf));
}

#[test]
fn http11_without_host() {
    assert_eq!(head(b"GET / HTTP/1.1\r\n\r\n"), Err(Error::MissingHost));
    // HTTP/1.0 does not require Host.
    assert_eq!(head(b"GET / HTTP/1.0\r\n\r\n"), Ok(Body::None));
}

#[test]
fn two_host_headers() {
    assert_eq!(
        head(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        Err(Error::DuplicateHost)
    );
    assert_eq!(
        head(b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
        Err(Error::DuplicateHost)
    );
}

#[test]
fn absolute_form_authority_wins_over_host() {
    // RFC 9112 §3.2.2: not an error; the target's authority is the host.
    let input = b"GET http://real.example:8080/p?q HTTP/1.1\r\nHost: other.example\r\n\r\n";
    let mut headers = [Header::EMPTY; 8];
    let req = RequestParser::new()
        .parse(input, &mut headers)
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.target.form(), TargetForm::Absolute);
    let facts = req.facts().unwrap();
    assert_eq!(facts.host, b"real.example:8080");
    assert_eq!(req.header(b"host"), Some(&b"other.example"[..]));
}

#[test]
fn te_in_http10_closes_after_message() {
    // RFC 9112 §6.1: faulty framing; processed, then the connection closes.
    let mut headers = [Header::EMPTY; 8];
    let input = b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n";
    let req = RequestParser::new()
        .parse(input, &mut headers)
        .unwrap()
        .complete()
        .unwrap();
    let facts = req.facts().unwrap();
    assert_eq!(facts.body, Body::Chunked);
    assert!(!facts.keep_alive);
}

#[test]
fn error_status_mapping() {
    let mut cfg = brisk_http1::Config::default();
    cfg.limits.max_target_len = 8;
    let mut h = [Header::EMPTY; 4];
    let e = RequestParser::with_config(cfg)
        .parse(b"GET /123456789 HTTP/1.1\r\n", &mut h)
        .unwrap_err();
    assert_eq!((e, e.status()), (Error::TargetTooLong, 414));
    let e = RequestParser::new()
        .parse(b"GET / HTTP/2.0\r\n", &mut h)
        .unwrap_err();
    assert_eq!((e, e.status()), (Error::UnsupportedVersion, 505));
    let e = RequestParser::new()
        .parse(
            b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",
            &mut h,
        )
        .unwrap_err();
    assert_eq!((e, e.status()), (Error::TooManyHeaders, 431));
    let mut cfg = brisk_http1::Config::default();
    cfg.limits.max_head_size = 32;
    let e = RequestParser::with_config(cfg)
        .parse(&[b'a'; 40], &mut h)
        .unwrap_err();
    assert_eq!((e, e.status()), (Error::HeadTooLarge, 431));
}
