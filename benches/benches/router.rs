//! Criterion group `router`: not written yet (see the issue for brisk-router).
fn main() {}
