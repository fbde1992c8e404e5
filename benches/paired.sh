#!/usr/bin/env bash
# One table of paired ratios (peer time / brisk time, median and p10..p90 of per-round ratios)
# for every peer comparison the paired bench covers. BRISK_PAIRED_ROUNDS sets the rounds
# (default 200, 5 ms slices per side). Run it three times to see how stable each ratio is.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p brisk-benches --bench paired
