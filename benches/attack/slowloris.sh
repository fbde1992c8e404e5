#!/usr/bin/env bash
# Slow-loris against one worker: wrk throughput on /plaintext with and without N trickling
# connections (benches/attack/slowloris_client.py), measured in the same run.
#
# The server (one worker) is pinned to CPU 0, wrk and the attacker to CPU 1. First a baseline
# `wrk -t1 -c16 -d S`; then wrk again, with the attacker started half a second after it (so
# wrk's 16 keep-alive connections are in before the attacker fills the worker's 10,000
# connection slots) and running S + 3 seconds. The header timeout is short (--header-timeout,
# default 4s), so every trickling connection gets its 408 and reconnects at least once during
# the run. Each round prints both req/s figures, their ratio, the server's CPU time per request
# in both phases, and the attacker's counts (see the client); the medians close the run. On a
# shared host the throughput ratio swings with other load: use several rounds.
#
# Usage: benches/attack/slowloris.sh [--conns N (10000)] [--seconds S (10)]
#        [--header-timeout T (4s)] [--first BYTES (10)] [--bin PATH (release build)]
#        [--attacker-cpu N (1): the attacker runs at nice 19 on this CPU] [--rounds R (1)]
# Needs: wrk, python3, taskset, a hard `ulimit -n` of at least N + 200 (server and attacker each hold N). Loopback only;
# bounded by about R x (2 x S + 5) + 10 seconds. Not part of CI (crates/reactor/tests/partial_heads.rs
# is the small variant).
set -euo pipefail

CONNS=10000
SECS=10
HEADER_TIMEOUT=4s
FIRST=10
ATTACKER_CPU=1
ROUNDS=1
BIN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) CONNS="$2"; shift 2 ;;
    --seconds) SECS="$2"; shift 2 ;;
    --header-timeout) HEADER_TIMEOUT="$2"; shift 2 ;;
    --first) FIRST="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --attacker-cpu) ATTACKER_CPU="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --conns, --seconds, --header-timeout, --first, --bin, --attacker-cpu, --rounds)" >&2; exit 2 ;;
  esac
done
for tool in wrk python3 taskset; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
need=$((CONNS + 200))
ulimit -n "$need" 2>/dev/null || { echo "cannot raise ulimit -n to $need (hard limit $(ulimit -Hn))" >&2; exit 1; }
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release -q -p brisk-server --bin brisk)
  BIN="$ROOT/target/release/brisk"
fi

WORK=$(mktemp -d /tmp/brisk-slowloris.XXXXXX)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

taskset -c 0 "$BIN" --bind 127.0.0.1:0 --workers 1 --header-timeout "$HEADER_TIMEOUT" \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
for _ in $(seq 100); do
  grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
  sleep 0.05
done
ADDR=$(sed -n 's|.*http://\([0-9.:]*\).*|\1|p' "$WORK/server.out" | head -1)
[ -n "$ADDR" ] || { echo "server did not start" >&2; cat "$WORK/server.err" >&2; exit 1; }
PORT=${ADDR##*:}
URL="http://$ADDR/plaintext"

rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
# Server CPU time so far, in clock ticks (utime + stime).
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

TICKS=$(getconf CLK_TCK)
reqs() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }
echo "server: $BIN --workers 1 --header-timeout $HEADER_TIMEOUT; attacker: $CONNS connections, first $FIRST bytes, then 1 byte / 2 s; $ROUNDS round(s)"
RATIOS=()
CAPS=()
for r in $(seq "$ROUNDS"); do
  C0=$(cpu)
  taskset -c 1 wrk -t1 -c16 -d"${SECS}s" "$URL" >"$WORK/base.txt"
  C1=$(cpu)
  BASE=$(rps "$WORK/base.txt")

  taskset -c 1 wrk -t1 -c16 -d"${SECS}s" "$URL" >"$WORK/attack.txt" &
  WRK=$!
  sleep 0.5
  nice -n 19 taskset -c "$ATTACKER_CPU" python3 "$ROOT/benches/attack/slowloris_client.py" \
    --port "$PORT" --conns "$CONNS" --duration "$((SECS + 3))" --first "$FIRST" >"$WORK/client.json" &
  CLIENT=$!
  wait "$WRK"
  C2=$(cpu)
  wait "$CLIENT"
  UNDER=$(rps "$WORK/attack.txt")
  # Server CPU per wrk request, the attack's work included: when the host is too busy for the
  # server to be the bottleneck, the ratio of these says what share of its capacity the
  # attack costs.
  LINE=$(python3 -c "
b = ($C1 - $C0) / $TICKS; a = ($C2 - $C1) / $TICKS
rb, ra = max($(reqs "$WORK/base.txt"), 1), max($(reqs "$WORK/attack.txt"), 1)
print('%.3f %.3f baseline %.0f req/s (server %.0f %% busy, %.2f us/req), under attack %.0f req/s (%.0f %% busy, %.2f us/req)' % (
    $UNDER / $BASE, (b / rb) / max(a / ra, 1e-9), $BASE, 100 * b / $SECS, 1e6 * b / rb,
    $UNDER, 100 * a / ($SECS + 0.5), 1e6 * a / ra))")
  RATIOS+=("${LINE%% *}")
  REST=${LINE#* }
  CAPS+=("${REST%% *}")
  echo "round $r: throughput ratio ${LINE%% *}, CPU capacity ratio ${REST%% *}: ${REST#* }"
  grep -E "Non-2xx|Socket errors" "$WORK/attack.txt" | sed 's/^/  wrk under attack: /' || true
  echo "  attacker: $(cat "$WORK/client.json")"
  sleep 1
done
python3 -c "
import statistics as s
r = [float(x) for x in '${RATIOS[*]}'.split()]; c = [float(x) for x in '${CAPS[*]}'.split()]
print('median throughput ratio %.3f (%.3f-%.3f), median CPU capacity ratio %.3f (%.3f-%.3f)' % (
    s.median(r), min(r), max(r), s.median(c), min(c), max(c)))"
