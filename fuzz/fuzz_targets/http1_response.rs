//! Fuzz target `http1_response`: not written yet.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = data;
});
