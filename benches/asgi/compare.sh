#!/usr/bin/env bash
# ASGI server comparison: brisk-asgi vs uvicorn (uvloop + httptools) vs granian, one worker each,
# serving the raw ASGI app in app.py (GET /plaintext) or, with --app fastapi, fastapi_app.py
# (GET /plaintext, or --path /json), on loopback, same machine, same run.
#
# Same shape as benches/load/compare.sh: each server pinned to CPU 0 (`taskset -c 0`), wrk on
# CPU 1 (-t1 -c64 keep-alive), rounds alternating over the servers; per run, req/s and the
# server's CPU microseconds per request (utime + stime of the whole process tree, from
# /proc/PID/stat before and after). Prints the medians over the rounds and brisk-asgi's ratio
# to each peer (ratio of medians, and the median of the per-round ratios).
#
# Usage: benches/asgi/compare.sh [--rounds N (9)] [--seconds S (4)] [--python 3.12]
#        [--servers "brisk brisk-asyncio uvicorn granian"] [--app raw|fastapi] [--path /plaintext]
# Needs: wrk, taskset; a venv made by crates/asgi/tests/run.sh (target/asgi-py<version>/venv);
# installs uvicorn, uvloop, httptools and granian into it with pip, and builds brisk-asgi there
# (maturin develop --release). Not part of CI: every run is bounded by --seconds.
# Still to come (issue 19): the in-process floor, p99 latency, writing BENCHMARKS.md.
set -euo pipefail

ROUNDS=9
SECONDS_PER_RUN=4
PYV=3.12
SERVERS=(brisk uvicorn granian)
APP=raw
URLPATH=/plaintext
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --python) PYV="$2"; shift 2 ;;
    --servers) read -r -a SERVERS <<<"$2"; shift 2 ;;
    --app) APP="$2"; shift 2 ;;
    --path) URLPATH="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --rounds N, --seconds S, --python V, --servers LIST, --app raw|fastapi, --path P)" >&2; exit 2 ;;
  esac
done

case "$APP" in
  raw) MODULE=app:app ;;
  fastapi) MODULE=fastapi_app:app ;;
  *) echo "unknown app: $APP (allowed: raw fastapi)" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/benches/asgi"
ENVDIR="$ROOT/target/asgi-py$PYV"
VENV="$ENVDIR/venv"
PY="$VENV/bin/python"
for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
if [ ! -x "$PY" ]; then
  echo "== no venv at $VENV: running crates/asgi/tests/run.sh for Python $PYV first" >&2
  BRISK_ASGI_PYTHONS=$PYV "$ROOT/crates/asgi/tests/run.sh" >&2
fi
echo "== installing the peers and building brisk-asgi (release) in $VENV" >&2
"$VENV/bin/pip" install -q --disable-pip-version-check uvicorn uvloop httptools granian maturin fastapi
(cd "$ROOT/crates/asgi" && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" \
  CARGO_TARGET_DIR="$ENVDIR/cargo" maturin develop --release -q)

WORK=$(mktemp -d /tmp/brisk-asgi-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

declare -A PID PORT
start() { # name port cmd...
  local name=$1 port=$2; shift 2
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use: stop whatever listens there first" >&2; exit 1
  fi
  (cd "$HERE" && exec taskset -c 0 "$@") >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid"); PID[$name]=$pid; PORT[$name]=$port
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -sf -o /dev/null "http://127.0.0.1:$port$URLPATH"; then return; fi
    sleep 0.1
  done
  echo "server $name did not come up on port $port; log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}

P=18180
for s in "${SERVERS[@]}"; do
  P=$((P + 1))
  case "$s" in
    brisk) start brisk $P "$PY" -m brisk_asgi $MODULE --port $P --loop uvloop --lifespan off --log-level warning ;;
    brisk-asyncio) start brisk-asyncio $P "$PY" -m brisk_asgi $MODULE --port $P --loop asyncio --lifespan off --log-level warning ;;
    uvicorn) start uvicorn $P "$PY" -m uvicorn $MODULE --port $P --loop uvloop --http httptools \
      --lifespan off --no-access-log --log-level warning ;;
    granian) start granian $P "$VENV/bin/granian" --interface asgi --workers 1 --runtime-threads 1 \
      --loop uvloop --host 127.0.0.1 --port $P --no-ws --log-level warning $MODULE ;;
    *) echo "unknown server: $s (allowed: brisk brisk-asyncio uvicorn granian)" >&2; exit 2 ;;
  esac
done

tree_ticks() { # utime + stime of a process and all its descendants, in clock ticks
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null || true); do
    if [ "$p" != "$1" ]; then total=$((total + $(tree_ticks "$p"))); continue; fi
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
TCK=$(getconf CLK_TCK)

run_one() { # server -> "reqs_per_sec cpu_us_per_req"
  local s=$1 before after out reqs
  before=$(tree_ticks "${PID[$s]}")
  out=$(taskset -c 1 wrk -t1 -c64 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:${PORT[$s]}$URLPATH")
  after=$(tree_ticks "${PID[$s]}")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  if grep -q Non-2xx <<<"$out"; then echo "warning: $s answered non-2xx" >&2; fi
  if [ -z "$reqs" ] || [ "$reqs" = 0 ]; then echo "0 0"; return; fi
  awk -v r="$reqs" -v d="$SECONDS_PER_RUN" -v t=$((after - before)) -v hz="$TCK" \
    'BEGIN { printf "%.0f %.2f\n", r / d, t * 1e6 / hz / r }'
}

for s in "${SERVERS[@]}"; do taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:${PORT[$s]}$URLPATH" >/dev/null; done
for r in $(seq 1 "$ROUNDS"); do
  for s in "${SERVERS[@]}"; do
    read -r rps us <<<"$(run_one "$s")"
    echo "$r $s $rps $us" >>"$WORK/results"
    echo "round $r $s: $rps req/s, $us us CPU/request" >&2
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "$APP ASGI app, GET $URLPATH, wrk -t1 -c64 keep-alive, ${ROUNDS} rounds x ${SECONDS_PER_RUN}s, medians"
printf '%-14s %12s %16s\n' server "req/s" "CPU us/request"
declare -A MUS
for s in "${SERVERS[@]}"; do
  rps=$(awk -v s="$s" '$2 == s { print $3 }' "$WORK/results" | median)
  us=$(awk -v s="$s" '$2 == s { print $4 }' "$WORK/results" | median)
  MUS[$s]=$us
  printf '%-14s %12s %16s\n' "$s" "$rps" "$us"
done
B=${SERVERS[0]}
for s in "${SERVERS[@]:1}"; do
  per=$(awk -v b="$B" -v s="$s" '$2 == b { x[$1] = $4 } $2 == s { y[$1] = $4 }
    END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$WORK/results" | median)
  awk -v a="${MUS[$B]}" -v b="${MUS[$s]}" -v n="$s" -v m="$B" -v p="$per" \
    'BEGIN { printf "%s CPU/request vs %s: %.2fx (ratio of medians), %.2fx (median of per-round ratios)\n", m, n, a / b, p }'
done
