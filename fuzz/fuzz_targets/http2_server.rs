//! Fuzz target `http2_server`: not written yet.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = data;
});
