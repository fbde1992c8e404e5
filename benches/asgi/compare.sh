#!/usr/bin/env bash
# ASGI server comparison (issue 19): brisk-asgi vs uvicorn (uvloop + httptools) vs granian, one
# worker each, serving the raw ASGI app in app.py (GET /plaintext) or, with --app fastapi,
# fastapi_app.py (GET /plaintext, or --path /json), on loopback, same machine, same run.
#
# Same shape as benches/load/compare.sh: each server pinned to CPU 0 (`taskset -c 0`), wrk on
# CPU 1 (-t1 -c64 keep-alive, --latency), rounds alternating over the servers; per run, req/s,
# wrk's p99 latency and the server's CPU microseconds per request (utime + stime of the whole
# process tree, from /proc/PID/stat before and after). Prints a markdown table of the medians over
# the rounds with brisk-asgi's CPU/request ratio to each peer (ratio of medians, and the median and
# range of the per-round ratios), then, with --floor, the in-process floor (floor.py: the app
# awaited directly in a loop, no server, pinned to CPU 0; median CPU us per call).
#
# --memory: instead of the comparison, starts brisk-asgi alone (first server of --servers must be
# brisk) and sends at least N1 keep-alive requests (wrk -t1 -c16 runs of 2 s until the count is
# reached), reads the server's VmRSS, sends more up to at least N2 in total, reads VmRSS again;
# prints both and their ratio.
#
# Usage: benches/asgi/compare.sh [--rounds N (9)] [--seconds S (4)] [--python 3.12]
#        [--servers "brisk brisk-asyncio uvicorn granian"] [--app raw|fastapi] [--path /plaintext]
#        [--floor] [--no-build] [--memory "100000 1000000"]
# Needs: wrk, taskset; a venv made by crates/asgi/tests/run.sh (target/asgi-py<version>/venv);
# installs uvicorn, uvloop, httptools and granian into it with pip, and builds brisk-asgi there
# (maturin develop --release) unless --no-build. Not part of CI: every run is bounded by --seconds
# (the memory run by at most 300 wrk runs of 2 s per phase).
set -euo pipefail

ROUNDS=9
SECONDS_PER_RUN=4
PYV=3.12
SERVERS=(brisk uvicorn granian)
APP=raw
URLPATH=/plaintext
FLOOR=0
BUILD=1
MEMORY=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --python) PYV="$2"; shift 2 ;;
    --servers) read -r -a SERVERS <<<"$2"; shift 2 ;;
    --app) APP="$2"; shift 2 ;;
    --path) URLPATH="$2"; shift 2 ;;
    --floor) FLOOR=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --memory) MEMORY="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --rounds N, --seconds S, --python V, --servers LIST, --app raw|fastapi, --path P, --floor, --no-build, --memory \"N1 N2\")" >&2; exit 2 ;;
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
if [ "$BUILD" = 1 ]; then
  echo "== installing the peers and building brisk-asgi (release) in $VENV" >&2
  # python -m pip, not bin/pip: a venv copied from another checkout keeps that checkout's
  # interpreter in its scripts' shebangs.
  "$PY" -m pip install -q --disable-pip-version-check uvicorn uvloop httptools granian maturin fastapi
  (cd "$ROOT/crates/asgi" && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" \
    CARGO_TARGET_DIR="$ENVDIR/cargo" maturin develop --release -q)
fi
if [ -n "$MEMORY" ]; then
  read -r MEM1 MEM2 <<<"$MEMORY"
  [ "${SERVERS[0]}" = brisk ] || { echo "--memory measures brisk-asgi: put brisk first in --servers" >&2; exit 2; }
  SERVERS=(brisk)
fi

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
  local s=$1 before after out reqs p99
  before=$(tree_ticks "${PID[$s]}")
  out=$(taskset -c 1 wrk -t1 -c64 -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:${PORT[$s]}$URLPATH")
  after=$(tree_ticks "${PID[$s]}")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  # "     99%    1.23ms" in the latency distribution, in ms whatever wrk's unit
  p99=$(awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
    f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f }' <<<"$out")
  if grep -q Non-2xx <<<"$out"; then echo "warning: $s answered non-2xx" >&2; fi
  if [ -z "$reqs" ] || [ "$reqs" = 0 ]; then echo "0 0 0"; return; fi
  awk -v r="$reqs" -v d="$SECONDS_PER_RUN" -v t=$((after - before)) -v hz="$TCK" -v p="${p99:-0}" \
    'BEGIN { printf "%.0f %.2f %s\n", r / d, t * 1e6 / hz / r, p }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
send_until() { # server total-so-far target -> total after keep-alive wrk runs of 2 s (-t1 -c16)
  local total=$2 out n
  for _ in $(seq 1 300); do
    [ "$total" -ge "$3" ] && break
    out=$(taskset -c 1 wrk -t1 -c16 -d2s "http://127.0.0.1:${PORT[$1]}$URLPATH")
    if grep -q Non-2xx <<<"$out"; then echo "warning: $1 answered non-2xx" >&2; fi
    n=$(awk '/requests in/ { print $1 }' <<<"$out")
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
if [ -n "$MEMORY" ]; then
  r0=$(rss_kib "${PID[brisk]}")
  n1=$(send_until brisk 0 "$MEM1"); r1=$(rss_kib "${PID[brisk]}")
  n2=$(send_until brisk "$n1" "$MEM2"); r2=$(rss_kib "${PID[brisk]}")
  echo "brisk-asgi, $APP ASGI app, GET $URLPATH, wrk -t1 -c16 keep-alive (runs of 2 s), pid ${PID[brisk]}"
  echo "VmRSS after start (one curl request): $r0 KiB"
  echo "VmRSS after $n1 requests: $r1 KiB"
  echo "VmRSS after $n2 requests: $r2 KiB"
  awk -v a="$r1" -v b="$r2" 'BEGIN { printf "ratio: %.4f (%+.2f %%)\n", b / a, (b / a - 1) * 100 }'
  exit 0
fi

for s in "${SERVERS[@]}"; do taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:${PORT[$s]}$URLPATH" >/dev/null; done
for r in $(seq 1 "$ROUNDS"); do
  for s in "${SERVERS[@]}"; do
    read -r rps us p99 <<<"$(run_one "$s")"
    echo "$r $s $rps $us $p99" >>"$WORK/results"
    echo "round $r $s: $rps req/s, $us us CPU/request, p99 $p99 ms" >&2
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v s="$1" -v c="$2" '$2 == s { print $c }' "$WORK/results" | median; }
B=${SERVERS[0]}
echo
echo "$APP ASGI app, GET $URLPATH, wrk -t1 -c64 keep-alive, ${ROUNDS} rounds x ${SECONDS_PER_RUN}s, medians; server on CPU 0, wrk on CPU 1"
echo
echo "| app | server | req/s | p99 ms | CPU us/req | $B CPU/req vs this server (ratio of medians) | median of per-round ratios (range) |"
echo "|---|---|---:|---:|---:|---:|---:|"
BUS=$(col "$B" 4)
for s in "${SERVERS[@]}"; do
  us=$(col "$s" 4)
  per=$(awk -v b="$B" -v s="$s" '$2 == b { x[$1] = $4 } $2 == s { y[$1] = $4 }
    END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$WORK/results" | sort -g)
  pcol=$(awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
    printf "%.2fx (%.2f-%.2f)", m, a[1], a[NR] }' <<<"$per")
  ratio=$(awk -v a="$BUS" -v b="$us" 'BEGIN { printf "%.2fx", a / b }')
  echo "| $APP $URLPATH | $s | $(col "$s" 3) | $(col "$s" 5) | $us | $ratio | $pcol |"
done
if [ "$FLOOR" = 1 ]; then
  floor=$(cd "$HERE" && taskset -c 0 "$PY" floor.py "$MODULE" "$URLPATH" --rounds "$ROUNDS" --seconds 1 \
    | awk '{ print $2 }' | median)
  echo "| $APP $URLPATH | in-process floor (floor.py, no server) | - | - | $floor | - | - |"
fi
