#!/usr/bin/env bash
# Instructions per call of both sides of one paired case, by callgrind (deterministic, unlike
# times): each side runs N and 2N calls, and (Ir(2N) - Ir(N)) / N removes the setup.
#
#   benches/paired_instr.sh BENCH GROUP/CASE [N]      e.g. benches/paired_instr.sh router router/github_api 200
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$1 case=$2 n=${3:-200}
cargo bench -q -p brisk-benches --bench "$bench" --no-run 2>/dev/null
bin=$(ls -t target/release/deps/"$bench"-* | grep -v '\.d$' | head -1)
ir() { # side calls
  local out; out=$(mktemp)
  BRISK_PAIRED=1 BRISK_PAIRED_CASE="$case" BRISK_PAIRED_SIDE=$1 BRISK_PAIRED_CALLS=$2 \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" >/dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}'
  rm -f "$out"
}
for side in brisk peer; do
  a=$(ir "$side" "$n"); b=$(ir "$side" $((2 * n)))
  echo "$case $side: $(( (b - a) / n )) instructions per call"
done
