//! Fuzz target `http1_response`: the strict response head parser and its framing facts.
//!
//! Invariants checked: `head_len <= input.len()`; the status is 100..=999; a head fed byte by
//! byte gives exactly the whole-input result; a HEAD response never has a body; 1xx/204/304
//! responses never have a body.
#![no_main]
use brisk_http1::{Body, Header, Method, ResponseParser, Status};

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let mut slots = [Header::EMPTY; 32];
    let whole = ResponseParser::new().parse(input, &mut slots);
    let whole_s = format!("{whole:?}");

    let mut p = ResponseParser::new();
    let mut slots2 = [Header::EMPTY; 32];
    let mut trickled = String::new();
    for end in 1..=input.len() {
        let r = p.parse(&input[..end], &mut slots2);
        if !matches!(r, Ok(Status::Partial)) || end == input.len() {
            trickled = format!("{r:?}");
            break;
        }
    }
    if !input.is_empty() {
        assert_eq!(whole_s, trickled, "byte-by-byte parse differs");
    }

    if let Ok(Status::Complete(res)) = whole {
        assert!(res.head_len <= input.len());
        assert!((100..=999).contains(&res.status));
        if let Ok(f) = res.facts(Method::Head) {
            assert_eq!(f.body, Body::None);
        }
        if let Ok(f) = res.facts(Method::Get) {
            if (100..200).contains(&res.status) || res.status == 204 || res.status == 304 {
                assert_eq!(f.body, Body::None);
            }
            if f.body == Body::CloseDelimited {
                assert!(!f.keep_alive);
            }
        }
    }
});
