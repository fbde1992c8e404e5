//! Property tests: serialize-then-parse round trips, split-input equivalence over the llhttp
//! corpus, and no panics on arbitrary bytes.

mod common;

use brisk_http1::{
    Chunk, ChunkedDecoder, Config, HeadWriter, Header, Method, RequestParser, ResponseParser,
    Status, Version,
};
use proptest::prelude::*;

const TCHAR: &str = "[!#$%&'*+.^_`|~0-9A-Za-z-]";

fn token() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{TCHAR}{{1,12}}")).unwrap()
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("PUT".to_string()),
        Just("DELETE".to_string()),
        Just("HEAD".to_string()),
        Just("PATCH".to_string()),
        token(),
    ]
}

fn target() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,40}(\\?[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,20})?",
    )
    .unwrap()
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

type Fields = Vec<(String, Vec<u8>)>;

fn parse_whole(input: &[u8], cfg: Config) -> String {
    let mut h = [Header::EMPTY; 256];
    format!("{:?}", RequestParser::with_config(cfg).parse(input, &mut h))
}

/// Feeds `input` in pieces ending at `cuts` (sorted), each call with a freshly copied buffer
/// (so slots from earlier calls point at dead memory, as with a reallocated read buffer).
fn parse_pieces(input: &[u8], cuts: &[usize], cfg: Config) -> String {
    let mut p = RequestParser::with_config(cfg);
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    ends.push(input.len());
    let mut last = String::new();
    for end in ends {
        let copy = input[..end].to_vec();
        let mut h = [Header::EMPTY; 256];
        let r = p.parse(&copy, &mut h);
        last = format!("{r:?}");
        if !matches!(r, Ok(Status::Partial)) {
            break;
        }
    }
    last
}

/// Decodes a chunked body in pieces ending at `cuts`; returns body, trailers and outcome.
fn chunked_pieces(input: &[u8], cuts: &[usize]) -> String {
    let mut dec = ChunkedDecoder::new();
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    ends.push(input.len());
    let (mut start, mut body, mut trailers) = (0, Vec::new(), Vec::new());
    for end in ends {
        loop {
            if start > end {
                break;
            }
            match dec.decode(&input[start..end]) {
                Err(e) => return format!("{body:?} {trailers:?} err {e:?}"),
                Ok((n, c)) => {
                    start += n;
                    match c {
                        Some(Chunk::Data(d)) => body.extend_from_slice(d),
                        Some(Chunk::Trailer(h)) => trailers.push(format!("{h:?}")),
                        Some(Chunk::End) => return format!("{body:?} {trailers:?} end {start}"),
                        None => break,
                    }
                }
            }
        }
    }
    format!("{body:?} {trailers:?} partial")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// (a) parse(serialize(request)) gives the request back.
    #[test]
    fn serialize_then_parse(m in method(), t in target(), v11 in any::<bool>(),
                            fields in proptest::collection::vec((token(), value()), 0..20)) {
        let version = if v11 { Version::Http11 } else { Version::Http10 };
        let mut out = Vec::new();
        let mut w = HeadWriter::request(&mut out, Method::from_bytes(m.as_bytes()), t.as_bytes(), version).unwrap();
        for (n, v) in &fields {
            w.header(n.as_bytes(), v).unwrap();
        }
        w.finish();
        let mut h = [Header::EMPTY; 32];
        let req = RequestParser::new().parse(&out, &mut h).unwrap().complete().unwrap();
        prop_assert_eq!(req.method.as_bytes(), m.as_bytes());
        prop_assert_eq!(req.target.as_bytes(), t.as_bytes());
        prop_assert_eq!(req.version, version);
        prop_assert_eq!(req.head_len, out.len());
        let got: Fields = req.headers.iter().map(|h| (h.name_str().to_string(), h.value.to_vec())).collect();
        prop_assert_eq!(got, fields);
    }

    /// Responses round-trip too, with chunked bodies written by the chunk writer.
    #[test]
    fn response_and_chunks_round_trip(status in 100u16..=999, reason in "[A-Za-z ]{0,20}",
                                      chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..6)) {
        let mut out = Vec::new();
        HeadWriter::response(&mut out, Version::Http11, status, reason.as_bytes()).unwrap().chunked().finish();
        let head_len = out.len();
        for c in &chunks {
            brisk_http1::write_chunk(&mut out, c);
        }
        brisk_http1::write_last_chunk(&mut out, &[Header { name: b"X-Sum", value: b"1" }]).unwrap();
        let mut h = [Header::EMPTY; 8];
        let res = ResponseParser::new().parse(&out, &mut h).unwrap().complete().unwrap();
        prop_assert_eq!((res.status, res.reason, res.head_len), (status, reason.as_bytes(), head_len));
        let want: Vec<u8> = chunks.concat();
        let got = chunked_pieces(&out[head_len..], &[]);
        prop_assert_eq!(got, format!("{want:?} [\"Header(\\\"X-Sum\\\": \\\"1\\\")\"] end {}", out.len() - head_len));
    }

    /// (c) arbitrary bytes never panic, alone or after a valid prefix, strict or lenient.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), lenient in any::<bool>(),
                                   prefix in 0usize..4) {
        let prefixes: [&[u8]; 4] = [b"", b"GET / HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n", b"5\r\nhello\r\n"];
        let input = [prefixes[prefix], &bytes].concat();
        let mut cfg = Config::default();
        cfg.allow_bare_lf = lenient;
        let mut h = [Header::EMPTY; 16];
        if let Ok(Status::Complete(r)) = RequestParser::with_config(cfg).parse(&input, &mut h) {
            prop_assert!(r.head_len <= input.len());
            let _ = r.facts();
        }
        if let Ok(Status::Complete(r)) = ResponseParser::with_config(cfg).parse(&input, &mut h) {
            prop_assert!(r.head_len <= input.len());
            let _ = r.facts(Method::Get);
        }
        let _ = chunked_pieces(&input, &[3, 7, 20]);
        prop_assert_eq!(parse_whole(&input, cfg), parse_pieces(&input, &[1, 5, 9, 40, 41], cfg));
    }
}

/// (b) Any split of any corpus request gives the same result as the whole input.
#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn corpus_splits_equal_whole() {
    let Some(dir) = common::corpora("corpus_splits_equal_whole") else {
        return;
    };
    let inputs: Vec<Vec<u8>> = common::load_all(&dir)
        .iter()
        .map(common::request_bytes)
        .collect();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 3000,
        ..ProptestConfig::default()
    });
    let strategy = (
        0..inputs.len(),
        proptest::collection::vec(0usize..400, 0..12),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(i, mut cuts, lenient)| {
            let input = &inputs[i];
            cuts.sort_unstable();
            let mut cfg = Config::default();
            cfg.allow_bare_lf = lenient;
            prop_assert_eq!(
                parse_whole(input, cfg),
                parse_pieces(input, &cuts, cfg),
                "case {}",
                i
            );
            // The body after a complete head, split the same way.
            let mut h = [Header::EMPTY; 256];
            if let Ok(Status::Complete(r)) = RequestParser::with_config(cfg).parse(input, &mut h) {
                let body = &input[r.head_len..];
                prop_assert_eq!(
                    chunked_pieces(body, &[]),
                    chunked_pieces(body, &cuts),
                    "case {} body",
                    i
                );
            }
            Ok(())
        })
        .unwrap();
    // Every case also fed one byte at a time.
    for input in &inputs {
        let cuts: Vec<usize> = (1..input.len()).collect();
        assert_eq!(
            parse_whole(input, Config::default()),
            parse_pieces(input, &cuts, Config::default())
        );
    }
}

/// Heads beyond the remembered-offsets capacity (more than 128 fields, or longer than 64 KiB)
/// still give the whole-input result when fed in pieces.
#[test]
fn large_heads_split_equal_whole() {
    let mut cfg = Config::default();
    cfg.limits.max_headers = 1000;
    cfg.limits.max_head_size = 1 << 20;
    let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..150 {
        many.extend_from_slice(format!("X-F{i}: v{i}\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let mut long = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..40 {
        long.extend_from_slice(format!("X-L{i}: {}\r\n", "v".repeat(2000)).as_bytes());
    }
    long.extend_from_slice(b"\r\n");
    assert!(long.len() > 70_000);
    for input in [&many, &long] {
        let whole = parse_whole(input, cfg);
        assert!(
            whole.starts_with("Ok(Complete("),
            "{}",
            &whole[..whole.len().min(80)]
        );
        for step in [1usize, 7, 512, 4096] {
            let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
            assert_eq!(whole, parse_pieces(input, &cuts, cfg), "step {step}");
        }
    }
}
