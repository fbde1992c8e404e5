//! Proves the parse path allocates nothing: every llhttp corpus request is parsed (head, facts,
//! chunked body, also byte by byte) under a counting global allocator. The one allocation a
//! parser may make, its resumed-head offset table on its first `Partial`, is made once (a
//! warmed, reused parser takes the byte-by-byte pass) and kept across `reset`.

mod common;

use brisk_http1::{Body, Chunk, ChunkedDecoder, Header, RequestParser, ResponseParser, Status};

#[global_allocator]
static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;

/// Parses one input completely; returns how many heads were parsed. `p` is a reused parser
/// (a server connection's) for the byte-by-byte pass.
fn parse_all(input: &[u8], p: &mut RequestParser) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < input.len() {
        let mut headers = [Header::EMPTY; 128];
        p.reset();
        let Ok(Status::Complete(req)) = p.parse(&input[pos..], &mut headers) else {
            break;
        };
        n += 1;
        let Ok(facts) = req.facts() else { break };
        let mut rest = &input[pos + req.head_len..];
        match facts.body {
            Body::Length(len) if (rest.len() as u64) >= len => rest = &rest[len as usize..],
            Body::Chunked => {
                let mut dec = ChunkedDecoder::new();
                while let Ok((k, Some(c))) = dec.decode(rest) {
                    rest = &rest[k..];
                    if c == Chunk::End {
                        break;
                    }
                }
            }
            Body::None => {}
            _ => break,
        }
        pos = input.len() - rest.len();
        if !facts.keep_alive {
            break;
        }
    }
    // The same head fed one byte at a time (the resumable path and the slot refill).
    p.reset();
    let mut headers = [Header::EMPTY; 128];
    for end in 1..=input.len() {
        if !matches!(p.parse(&input[..end], &mut headers), Ok(Status::Partial)) {
            break;
        }
    }
    let mut headers = [Header::EMPTY; 128];
    let _ = ResponseParser::new().parse(input, &mut headers);
    n
}

#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn parse_path_does_not_allocate() {
    let Some(dir) = common::corpora("parse_path_does_not_allocate") else {
        return;
    };
    let inputs: Vec<Vec<u8>> = common::load_all(&dir)
        .iter()
        .map(common::request_bytes)
        .collect();
    // The counter does count.
    let probe = brisk_testkit::allocations();
    drop(std::hint::black_box(Box::new(7u64)));
    assert!(brisk_testkit::allocations() > probe);
    // A parser that has resumed a head once holds its offset table from then on.
    let mut parser = RequestParser::new();
    let mut headers = [Header::EMPTY; 4];
    let warm = brisk_testkit::allocations();
    assert!(matches!(
        parser.parse(b"GET / HTTP/1.1\r\nA: b\r\n", &mut headers),
        Ok(Status::Partial)
    ));
    assert!(matches!(
        parser.parse(b"GET / HTTP/1.1\r\nA: b\r\nC: d\r\n", &mut headers),
        Ok(Status::Partial)
    ));
    assert_eq!(
        brisk_testkit::allocations() - warm,
        1,
        "one table on the first Partial"
    );

    let before = brisk_testkit::allocations();
    let mut accepted = 0;
    for input in &inputs {
        accepted += parse_all(input, &mut parser);
    }
    let after = brisk_testkit::allocations();
    assert!(
        accepted > 100,
        "only {accepted} heads parsed: the test would prove little"
    );
    assert_eq!(
        after - before,
        0,
        "the parse path allocated {} times over {} inputs",
        after - before,
        inputs.len()
    );
}
