//! Fuzz target `proxy_protocol`: the PROXY protocol v1/v2 header parser of brisk-server.
//!
//! Invariants checked: no panic; a complete header never claims more bytes than the input,
//! and says version 1 or 2; the answer is the same when more bytes follow the header; every
//! shorter prefix of a complete header is `Partial` (a header is recognised as soon as it is
//! whole, never earlier); an error on a prefix stays an error on the whole input.
#![no_main]
use brisk_server::proxy_protocol::{parse, Status, DEFAULT_MAX_LEN};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let max = match data.first() {
        Some(&b) if b & 1 == 1 => usize::from(b) * 300,
        _ => DEFAULT_MAX_LEN,
    };
    let whole = parse(data, max);
    if let Ok(Status::Complete(h)) = whole {
        assert!(h.len <= data.len() && (h.version == 1 || h.version == 2));
        assert_eq!(parse(&data[..h.len], max), whole);
        for i in 0..h.len {
            assert_eq!(parse(&data[..i], max), Ok(Status::Partial), "prefix {i}");
        }
    }
    for i in 0..data.len().min(300) {
        if parse(&data[..i], max).is_err() {
            assert!(whole.is_err(), "prefix {i} is an error, the whole is {whole:?}");
            break;
        }
    }
});
