//! Criterion group `http2`: not written yet (see the issue for brisk-http2).
fn main() {}
