//! The serializer's two targets: a `Vec<u8>` and a fixed `Region` give byte-identical output,
//! a region too small fails cleanly at every cut point, and validation is the same for both.

use brisk_http1::{
    reason_phrase, write_chunk, write_chunk_end, write_chunk_size, write_last_chunk, Error, Field,
    HeadWriter, Header, Method, Region, ResponseParser, Sink, Version,
};
use proptest::prelude::*;

/// One call on a head writer.
#[derive(Debug, Clone)]
enum Op {
    Field(String, Vec<u8>),
    Checked(String, Vec<u8>),
    Date(Vec<u8>),
    Length(u64),
    Chunked,
    Close,
    KeepAlive,
}

/// What starts the head.
#[derive(Debug, Clone)]
enum Start {
    Status(u16),
    Reason(u16, String),
    Request(String, String),
}

/// After the head.
#[derive(Debug, Clone)]
enum Body {
    Chunk(Vec<u8>),
    /// Size line, raw data, chunk end.
    Split(Vec<u8>),
    Raw(Vec<u8>),
    Last(Vec<(String, Vec<u8>)>),
}

#[derive(Debug, Clone)]
struct Message {
    v11: bool,
    start: Start,
    ops: Vec<Op>,
    body: Vec<Body>,
}

fn token() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}").unwrap()
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    // Visible ASCII, obs-text, inner SP/HTAB; no leading or trailing whitespace.
    proptest::collection::vec(
        prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff, Just(b' '), Just(b'\t')],
        0..40,
    )
    .prop_map(|mut v| {
        while matches!(v.first(), Some(b' ' | b'\t')) {
            v.remove(0);
        }
        while matches!(v.last(), Some(b' ' | b'\t')) {
            v.pop();
        }
        v
    })
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

fn message() -> impl Strategy<Value = Message> {
    let start = prop_oneof![
        prop_oneof![Just(200u16), Just(404), Just(304), 100u16..=999].prop_map(Start::Status),
        (100u16..=999, "[A-Za-z ]{0,20}").prop_map(|(s, r)| Start::Reason(s, r)),
        (
            prop_oneof![Just("GET".to_string()), token()],
            "/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,30}"
        )
            .prop_map(|(m, t)| Start::Request(m, t)),
    ];
    let op = prop_oneof![
        (token(), value()).prop_map(|(n, v)| Op::Field(n, v)),
        (token(), value()).prop_map(|(n, v)| Op::Checked(n, v)),
        value().prop_map(Op::Date),
        any::<u64>().prop_map(Op::Length),
        Just(Op::Chunked),
        Just(Op::Close),
        Just(Op::KeepAlive),
    ];
    let body = prop_oneof![
        data().prop_map(Body::Chunk),
        data().prop_map(Body::Split),
        data().prop_map(Body::Raw),
        proptest::collection::vec((token(), value()), 0..3).prop_map(Body::Last),
    ];
    (
        any::<bool>(),
        start,
        proptest::collection::vec(op, 0..12),
        proptest::collection::vec(body, 0..4),
    )
        .prop_map(|(v11, start, ops, body)| Message {
            v11,
            start,
            ops,
            body,
        })
}

/// Writes `m` into any sink; `put` copies raw body bytes (the caller's own data).
fn write<S: Sink>(out: &mut S, m: &Message, put: fn(&mut S, &[u8])) -> Result<(), Error> {
    let version = if m.v11 {
        Version::Http11
    } else {
        Version::Http10
    };
    let mut w = match &m.start {
        Start::Status(s) => HeadWriter::response_status(out, version, *s)?,
        Start::Reason(s, r) => HeadWriter::response(out, version, *s, r.as_bytes())?,
        Start::Request(meth, t) => HeadWriter::request(
            out,
            Method::from_bytes(meth.as_bytes()),
            t.as_bytes(),
            version,
        )?,
    };
    for op in &m.ops {
        match op {
            Op::Field(n, v) => {
                w.header(n.as_bytes(), v)?;
            }
            Op::Checked(n, v) => {
                w.field(&Field::new(n.as_bytes(), v)?);
            }
            Op::Date(d) => {
                w.date(d)?;
            }
            Op::Length(n) => {
                w.content_length(*n);
            }
            Op::Chunked => {
                w.chunked();
            }
            Op::Close => {
                w.connection_close();
            }
            Op::KeepAlive => {
                w.connection_keep_alive();
            }
        }
    }
    w.finish();
    for b in &m.body {
        match b {
            Body::Chunk(d) => {
                write_chunk(out, d);
            }
            Body::Split(d) => {
                write_chunk_size(out, d.len() as u64);
                if !d.is_empty() {
                    put(out, d);
                    write_chunk_end(out);
                }
            }
            Body::Raw(d) => put(out, d),
            Body::Last(t) => {
                let t: Vec<Header<'_>> = t
                    .iter()
                    .map(|(n, v)| Header {
                        name: n.as_bytes(),
                        value: v,
                    })
                    .collect();
                write_last_chunk(out, &t)?;
            }
        }
    }
    Ok(())
}

fn into_vec(m: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, m, |o, d| o.extend_from_slice(d)).unwrap();
    out
}

/// Writes `m` into a region of `size` bytes (after a `prefix` already put there); the region's
/// verdict and the whole buffer.
fn into_region(m: &Message, prefix: &[u8], size: usize) -> (Result<usize, Error>, Vec<u8>) {
    let mut buf = vec![0xA5u8; size];
    let mut r = Region::new(&mut buf);
    let mut res = r.put(prefix);
    if res.is_ok() {
        res = write(&mut r, m, |o, d| {
            let _ = o.put(d);
        });
    }
    let verdict = res.and_then(|()| r.done(r.len()));
    if verdict.is_err() {
        assert_eq!(
            (r.len(), r.filled()),
            (0, &b""[..]),
            "a failed region holds nothing"
        );
        assert!(r.failed());
    } else {
        assert!(!r.failed());
    }
    (verdict, buf)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A region gives exactly the vector's bytes; every smaller region fails with
    /// `BufferFull`, counts nothing written, and holds at most a proper prefix of the output
    /// followed by its old bytes.
    #[test]
    fn region_matches_vec_and_fails_cleanly_at_every_cut(m in message(),
                                                        prefix in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut want = prefix.clone();
        want.extend_from_slice(&into_vec(&m));
        let (ok, buf) = into_region(&m, &prefix, want.len());
        prop_assert_eq!(ok, Ok(want.len()));
        prop_assert_eq!(&buf, &want);
        // Room to spare changes nothing.
        let (ok, buf) = into_region(&m, &prefix, want.len() + 7);
        prop_assert_eq!(ok, Ok(want.len()));
        prop_assert_eq!(&buf[..want.len()], &want[..]);
        for cut in 0..want.len() {
            let (ok, buf) = into_region(&m, &prefix, cut);
            prop_assert_eq!(ok, Err(Error::BufferFull), "cut {}", cut);
            let k = buf.iter().zip(&want).take_while(|(a, b)| a == b).count();
            prop_assert!(buf[k..].iter().all(|&b| b == 0xA5), "cut {}: bytes not of the output at {}", cut, k);
        }
    }

    /// Invalid input is refused identically by both targets and writes nothing into either.
    #[test]
    fn validation_is_the_same_for_both_targets(name in "[ -~]{0,6}",
                                             v in proptest::collection::vec(prop_oneof![any::<u8>(), 0x20u8..0x7f], 0..24)) {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        let mut r = Region::new(&mut buf);
        let a = HeadWriter::response_status(&mut out, Version::Http11, 200).unwrap().header(name.as_bytes(), &v).map(|_| ());
        let before = out.len();
        let b = HeadWriter::response_status(&mut r, Version::Http11, 200).unwrap().header(name.as_bytes(), &v).map(|_| ());
        prop_assert_eq!(a, b);
        // A `Field` checked at construction refuses exactly what `header` refuses.
        prop_assert_eq!(Field::new(name.as_bytes(), &v).map(|_| ()), a);
        if a.is_err() {
            prop_assert_eq!((before, r.len()), (17, 17));
        }
        let d1 = HeadWriter::response_status(&mut out, Version::Http11, 200).unwrap().date(&v).map(|_| ());
        let d2 = HeadWriter::response_status(&mut r, Version::Http11, 200).unwrap().date(&v).map(|_| ());
        prop_assert_eq!(d1, d2);
    }
}

#[test]
fn crlf_injection_is_refused_in_a_region() {
    let mut buf = [0u8; 128];
    let mut r = Region::new(&mut buf);
    let mut w = HeadWriter::response_status(&mut r, Version::Http11, 200).unwrap();
    assert_eq!(
        w.header(b"X", b"a\r\nSet-Cookie: evil").unwrap_err(),
        Error::InvalidHeaderValue
    );
    assert_eq!(
        w.date(b"Sun\r\n\r\n<html>").unwrap_err(),
        Error::InvalidHeaderValue
    );
    assert_eq!(
        w.header(b"X\n", b"a").unwrap_err(),
        Error::InvalidHeaderName
    );
    assert_eq!(w.finish(), Ok(19));
    assert_eq!(r.filled(), b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(
        HeadWriter::response(&mut r, Version::Http11, 200, b"O\nK").unwrap_err(),
        Error::InvalidReason
    );
    assert_eq!(
        HeadWriter::response_status(&mut r, Version::Http11, 99).unwrap_err(),
        Error::InvalidStatus
    );
    assert_eq!(
        HeadWriter::response_status(&mut r, Version::Http11, 1000).unwrap_err(),
        Error::InvalidStatus
    );
    assert_eq!(r.len(), 19, "refused status lines wrote nothing");
}

#[test]
fn a_bad_trailer_writes_nothing_into_either_target() {
    let bad = [
        Header {
            name: b"A",
            value: b"1",
        },
        Header {
            name: b"B",
            value: b"x\r\n\r\nGET / HTTP/1.1",
        },
    ];
    let mut out = b"5\r\nhello\r\n".to_vec();
    assert_eq!(
        write_last_chunk(&mut out, &bad),
        Err(Error::InvalidHeaderValue)
    );
    assert_eq!(out, b"5\r\nhello\r\n");
    let mut buf = [0u8; 64];
    let mut r = Region::new(&mut buf);
    assert_eq!(
        write_last_chunk(&mut r, &bad),
        Err(Error::InvalidHeaderValue)
    );
    assert!(r.is_empty() && !r.failed());
    assert_eq!(write_last_chunk(&mut r, &bad[..1]), Ok(()));
    assert_eq!(r.filled(), b"0\r\nA: 1\r\n\r\n");
    let mut small = [0u8; 10];
    let mut r = Region::new(&mut small);
    assert_eq!(write_last_chunk(&mut r, &bad[..1]), Err(Error::BufferFull));
}

#[test]
fn chunk_size_line_and_end_frame_data_written_separately() {
    let mut out = Vec::new();
    write_chunk_size(&mut out, 0);
    assert!(out.is_empty(), "a zero size would end the body");
    write_chunk_size(&mut out, u64::MAX);
    assert_eq!(out, b"ffffffffffffffff\r\n");
    out.clear();
    write_chunk_size(&mut out, 26);
    out.extend_from_slice(b"abcdefghijklmnopqrstuvwxyz");
    write_chunk_end(&mut out);
    let mut same = Vec::new();
    write_chunk(&mut same, b"abcdefghijklmnopqrstuvwxyz");
    assert_eq!(out, same);
    assert_eq!(out, b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n");
    // Into a region: the size line is one piece, all or nothing.
    let mut buf = [0u8; 3];
    let mut r = Region::new(&mut buf);
    assert_eq!(write_chunk_size(&mut r, 0x100), Err(Error::BufferFull));
    assert_eq!(buf, [0, 0, 0]);
}

#[test]
fn response_status_writes_the_table_phrase_and_parses_back() {
    for code in [100u16, 200, 204, 299, 304, 404, 418, 431, 503, 599, 999] {
        for version in [Version::Http10, Version::Http11] {
            let mut out = Vec::new();
            HeadWriter::response_status(&mut out, version, code)
                .unwrap()
                .finish();
            let mut via_reason = Vec::new();
            HeadWriter::response(
                &mut via_reason,
                version,
                code,
                reason_phrase(code).as_bytes(),
            )
            .unwrap()
            .finish();
            assert_eq!(out, via_reason, "{code}");
            let mut h = [Header::EMPTY; 1];
            let res = ResponseParser::new()
                .parse(&out, &mut h)
                .unwrap()
                .complete()
                .unwrap();
            assert_eq!((res.status, res.version), (code, version));
            assert_eq!(res.reason, reason_phrase(code).as_bytes());
        }
    }
}

#[test]
fn a_typical_server_head_into_a_region() {
    let date = b"Sun, 06 Nov 1994 08:49:37 GMT";
    let want: &[u8] =
        b"HTTP/1.1 200 OK\r\nServer: brisk\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
Content-Length: 13\r\nConnection: close\r\ncontent-type: text/plain\r\n\r\nHello, World!";
    for size in [want.len(), want.len() - 1, 64, 0] {
        let mut buf = vec![0u8; size];
        let mut r = Region::new(&mut buf);
        let mut w = HeadWriter::response_status(&mut r, Version::Http11, 200).unwrap();
        w.header(b"Server", b"brisk")
            .unwrap()
            .date(date)
            .unwrap()
            .content_length(13)
            .connection_close()
            .header(b"content-type", b"text/plain")
            .unwrap();
        let head = w.finish();
        let body = r.put(b"Hello, World!");
        if size == want.len() {
            assert_eq!((head, body), (Ok(want.len() - 13), Ok(())));
            assert_eq!(r.filled(), want);
        } else {
            assert_eq!(body, Err(Error::BufferFull), "{size}");
            assert_eq!(r.len(), 0);
        }
    }
}
