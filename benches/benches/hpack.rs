//! Criterion group `hpack`: not written yet (see the issue for brisk-hpack).
fn main() {}
