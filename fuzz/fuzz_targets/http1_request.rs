//! Fuzz target `http1_request`: the strict request head parser, its facts and chunked body.
//!
//! Invariants checked: `head_len <= input.len()`; fields fit the slots; a head fed in pieces
//! gives exactly the whole-input result; whatever strict mode accepts, lenient mode accepts
//! identically; an accepted target is ASCII (`Target::as_str` relies on it); a chunked body
//! never reports consuming more than it was given.
#![no_main]
use brisk_http1::{Body, Chunk, ChunkedDecoder, Config, Header, RequestParser, Status};

fn summary(r: &Result<Status<brisk_http1::Request<'_, '_>>, brisk_http1::Error>) -> String {
    format!("{r:?}")
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (step, input) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s % 64) + 1, rest),
        None => return,
    };
    let mut slots = [Header::EMPTY; 32];
    let whole = RequestParser::new().parse(input, &mut slots);
    let whole_s = summary(&whole);

    // Same bytes in pieces of `step`, growing buffer.
    let mut p = RequestParser::new();
    let mut slots2 = [Header::EMPTY; 32];
    let mut end = 0;
    let pieces = loop {
        end = (end + step).min(input.len());
        let r = p.parse(&input[..end], &mut slots2);
        let done = !matches!(r, Ok(Status::Partial)) || end == input.len();
        if done {
            break summary(&r);
        }
    };
    assert_eq!(whole_s, pieces, "split parse differs");

    // Strict acceptance implies identical lenient acceptance.
    if let Ok(Status::Complete(_)) = &whole {
        let mut cfg = Config::default();
        cfg.allow_bare_lf = true;
        let mut slots3 = [Header::EMPTY; 32];
        let lenient = RequestParser::with_config(cfg).parse(input, &mut slots3);
        assert_eq!(
            whole_s,
            summary(&lenient),
            "lenient differs on strict-valid input"
        );
    }

    if let Ok(Status::Complete(req)) = whole {
        assert!(req.head_len <= input.len());
        // `Target::as_str` skips the UTF-8 check: the target must be ASCII.
        assert!(req.target.as_bytes().is_ascii(), "non-ASCII target");
        assert_eq!(req.target.as_str().as_bytes(), req.target.as_bytes());
        assert!(req.headers.len() <= 32);
        for h in req.headers {
            assert!(!h.name.is_empty());
            assert!(!h.value.contains(&b'\r') && !h.value.contains(&b'\n'));
        }
        if let Ok(facts) = req.facts() {
            if facts.body == Body::Chunked {
                let mut rest = &input[req.head_len..];
                let mut dec = ChunkedDecoder::new();
                loop {
                    match dec.decode(rest) {
                        Ok((n, c)) => {
                            assert!(n <= rest.len());
                            rest = &rest[n..];
                            match c {
                                Some(Chunk::Data(d)) => assert!(d.len() <= n),
                                Some(Chunk::Trailer(_)) => {}
                                Some(Chunk::End) => {
                                    assert!(dec.is_done());
                                    break;
                                }
                                None => break,
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
        }
    }
});
