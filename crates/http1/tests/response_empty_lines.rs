//! Issue 23: the response parser ignores empty lines before a status line (RFC 9112 §2.2), as
//! the request parser does for requests: servers send a stray CRLF after a body, and a client
//! reading the next response of a keep-alive connection meets it first. The strict rules
//! stay: a bare LF only with `allow_bare_lf`, a lone CR is an error, so is any other byte.

use brisk_http1::{Config, Error, Header, ResponseParser, Status};

/// The (status, head_len) of `input` parsed whole, after checking that feeding it one byte
/// at a time gives the same answer.
fn parse(config: Config, input: &[u8]) -> Result<(u16, usize), Error> {
    let mut h = [Header::EMPTY; 8];
    let whole = match ResponseParser::with_config(config).parse(input, &mut h)? {
        Status::Complete(r) => (r.status, r.head_len),
        Status::Partial => panic!("incomplete test input {input:?}"),
    };
    let mut p = ResponseParser::with_config(config);
    for end in 1..input.len() {
        let mut h = [Header::EMPTY; 8];
        match p.parse(&input[..end], &mut h) {
            Ok(Status::Partial) => {}
            other => panic!("{input:?} trickled to {end} bytes: {other:?}"),
        }
    }
    let mut h = [Header::EMPTY; 8];
    match p.parse(input, &mut h) {
        Ok(Status::Complete(r)) => assert_eq!((r.status, r.head_len), whole, "{input:?}"),
        other => panic!("{input:?} trickled whole: {other:?}"),
    }
    Ok(whole)
}

#[test]
fn empty_lines_before_the_status_line_are_skipped() {
    let lenient = {
        let mut c = Config::default();
        c.allow_bare_lf = true;
        c
    };
    // (name, config, input, expected (status, head_len) or error)
    type Row = (
        &'static str,
        Config,
        &'static [u8],
        Result<(u16, usize), Error>,
    );
    let rows: &[Row] = &[
        (
            "no empty line",
            Config::default(),
            b"HTTP/1.1 200 OK\r\n\r\n",
            Ok((200, 19)),
        ),
        (
            "one CRLF",
            Config::default(),
            b"\r\nHTTP/1.1 200 OK\r\n\r\n",
            Ok((200, 21)),
        ),
        (
            "three CRLFs",
            Config::default(),
            b"\r\n\r\n\r\nHTTP/1.1 204 No Content\r\nA: b\r\n\r\n",
            Ok((204, 39)),
        ),
        (
            "bare LF, strict",
            Config::default(),
            b"\nHTTP/1.1 200 OK\r\n\r\n",
            Err(Error::BareLf),
        ),
        (
            "bare LF, allowed",
            lenient,
            b"\n\r\nHTTP/1.1 200 OK\n\n",
            Ok((200, 20)),
        ),
        (
            "lone CR",
            Config::default(),
            b"\rHTTP/1.1 200 OK\r\n\r\n",
            Err(Error::BareCr),
        ),
        (
            "space first",
            Config::default(),
            b" HTTP/1.1 200 OK\r\n\r\n",
            Err(Error::InvalidVersion),
        ),
        (
            "tab first",
            Config::default(),
            b"\r\n\tHTTP/1.1 200 OK\r\n\r\n",
            Err(Error::InvalidVersion),
        ),
    ];
    for (name, config, input, want) in rows {
        assert_eq!(&parse(*config, input), want, "{name}");
    }
}

#[test]
fn a_crlf_between_two_responses_is_skipped() {
    let stream =
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\nHTTP/1.1 204 No Content\r\n\r\n";
    let mut p = ResponseParser::new();
    let mut h = [Header::EMPTY; 8];
    let Status::Complete(first) = p.parse(stream, &mut h).unwrap() else {
        panic!("first head")
    };
    assert_eq!(first.status, 200);
    let next = &stream[first.head_len + 2..];
    let mut h = [Header::EMPTY; 8];
    let Status::Complete(second) = p.parse(next, &mut h).unwrap() else {
        panic!("second head")
    };
    assert_eq!((second.status, second.head_len), (204, next.len()));
}

#[test]
fn empty_lines_alone_are_partial_and_count_against_the_head_limit() {
    let mut h = [Header::EMPTY; 8];
    assert_eq!(
        ResponseParser::new().parse(b"\r\n\r\n\r", &mut h),
        Ok(Status::Partial)
    );
    let mut c = Config::default();
    c.limits.max_head_size = 64;
    let flood = b"\r\n".repeat(64);
    let mut h = [Header::EMPTY; 8];
    assert_eq!(
        ResponseParser::with_config(c).parse(&flood, &mut h),
        Err(Error::HeadTooLarge)
    );
}
