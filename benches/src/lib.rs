//! brisk-benches: criterion benchmarks comparing each Brisk crate with its best-known peer in the
//! same run (`cargo bench -p brisk-benches -- GROUP`), and the server load scripts in `load/`.
//! The library itself is empty; the benchmarks live in `benches/`.

pub mod paired;
