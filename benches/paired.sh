#!/usr/bin/env bash
# Paired ratio table: each Brisk crate against its peer, alternating in 5 ms slices for 300
# rounds inside one process (benches/src/paired.rs), medians of the per-round ratios.
#
#   benches/paired.sh [RUNS]        # RUNS tables (default 1), then the spread across runs
#
# A ratio is peer time / Brisk time: above 1.0 means Brisk is faster. Env: BRISK_PAIRED_ROUNDS,
# BRISK_PAIRED_SLICE_US (<= 10000), PAIRED_CPU (pin to this CPU, default 1 when taskset exists).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
cpu=${PAIRED_CPU:-1}
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c "$cpu")

cargo bench -q -p brisk-benches --no-run 2>/dev/null || cargo bench -p brisk-benches --no-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$runs"); do
  for b in http1 hpack router http2; do
    BRISK_PAIRED=1 "${pin[@]}" cargo bench -q -p brisk-benches --bench "$b" 2>/dev/null \
      | grep '^paired' >> "$tmp/run$r"
  done
  echo "== run $r of $runs (median peer/brisk per round; p10-p90; ns per call)"
  awk -F'\t' '{printf "%-7s %-17s %6.3fx  (%5.3f-%5.3f)  brisk %10.1f ns  peer %10.1f ns\n", $2, $3, $4, $5, $6, $7, $8}' "$tmp/run$r"
done
if [ "$runs" -gt 1 ]; then
  echo "== across $runs runs: median ratio per run, and max/min - 1"
  cat "$tmp"/run* | awk -F'\t' '{k=$2" "$3; v[k]=v[k]" "sprintf("%.3f",$4); if(!(k in lo)||$4<lo[k])lo[k]=$4; if(!(k in hi)||$4>hi[k])hi[k]=$4; if(!(k in seen)){seen[k]=1; order[++n]=k}}
    END{for(i=1;i<=n;i++){k=order[i]; printf "%-26s %s   spread %4.1f%%\n", k, v[k], (hi[k]/lo[k]-1)*100}}'
fi
