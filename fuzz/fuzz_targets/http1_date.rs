//! Fuzz target `http1_date`: the HTTP-date parser (`If-Modified-Since`, `If-Range`, ...).
//!
//! Invariants checked: no panic on any bytes; a parsed date lies between 1970 and the end of
//! year 9999; formatting it and parsing the result gives the same time back.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use brisk_http1::{parse_date, DateCache};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(t) = parse_date(data) else {
        return;
    };
    let secs = t.duration_since(UNIX_EPOCH).expect("after the epoch").as_secs();
    // Day 31 of any month and second 60 may run a little past 9999-12-31T23:59:59.
    assert!(secs < 253_402_300_800 + 2 * 86_400, "{secs}");
    if secs < 253_402_300_800 {
        let mut dates = DateCache::new();
        let again = parse_date(dates.bytes(t));
        assert_eq!(again, Some(UNIX_EPOCH + Duration::from_secs(secs)));
    }
});
