//! Criterion group `http1`: not written yet (see the issue for brisk-http1).
fn main() {}
