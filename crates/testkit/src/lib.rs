//! What the Brisk crates' tests share (issue 23): a counting global allocator, the corpora
//! locator, the peer-tool check, a small deterministic RNG and a temporary directory. A dev-dependency by path only
//! (`publish = false`).
//!
//! Skipped tests are visible: each crate's `build.rs` probes the corpora and peers when the
//! crate is built and sets `cfg(brisk_missing = "…")` for what is absent, and a test that
//! needs it carries `#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]`, so
//! `cargo test` counts it as ignored. With `BRISK_REQUIRE_CORPORA=1` / `BRISK_REQUIRE_PEERS=1`
//! nothing is marked missing, the test runs, and the runtime checks here ([`corpora`],
//! [`have_peer`]) fail it.
//!
//! ```no_run
//! // In a test file:
//! #[global_allocator]
//! static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;
//!
//! # fn parse() {}
//! let before = brisk_testkit::allocations();
//! parse();
//! assert_eq!(brisk_testkit::allocations() - before, 0);
//! ```
#![deny(missing_docs, missing_debug_implementations)]

mod alloc;
mod corpora;
mod peers;
mod rng;
mod tempdir;

pub use alloc::{
    allocations, count_thread_globally, global_allocations, live_bytes, peak_bytes, reset_peak,
    CountingAlloc,
};
pub use corpora::{corpora, corpora_dir};
pub use peers::{have_peer, python, tool};
pub use rng::Rng;
pub use tempdir::TempDir;
