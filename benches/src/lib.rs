//! brisk-benches: criterion benchmarks comparing each Brisk crate with its best-known peer in the
//! same run (`cargo bench -p brisk-benches -- GROUP`), the paired harness the same benches run
//! under with `BRISK_PAIRED=1` ([`paired`], `benches/paired.sh` prints the ratio table), and the
//! server load scripts in `load/`.

pub mod paired;
