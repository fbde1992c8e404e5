#!/bin/bash
# Instructions per request of `brisk` builds, counted by callgrind: deterministic where CPU time
# on a shared host is not (repeated runs of one build agree within about 0.1 %), so a change of
# a few instructions per request on a hot path shows.
#
# Each build serves N requests of PATH (one worker, under valgrind --tool=callgrind) from
# h2load: MODE h1 (16 connections, one request at a time) or h2c (16 connections, 8 streams
# each). Prints the program's total instructions; subtract two builds and divide by N (startup
# is the same for both, about 1.7 M instructions).
#
# Usage: benches/load/instr_ab.sh MODE N PATH BINARY...
# Example: benches/load/instr_ab.sh h2c 20000 /plaintext /tmp/brisk-old target/release/brisk
# Needs valgrind, h2load and curl; binds 127.0.0.1 ports from 18700 on; each run takes ~10 s.
set -eu
MODE=$1 N=$2 P=$3
shift 3
PORT=18700
for BIN in "$@"; do
  OUT=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" --workers 1 \
    --bind 127.0.0.1:$PORT >/dev/null 2>&1 &
  SP=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/plaintext" && break
    sleep 0.2
  done
  if [ "$MODE" = h2c ]; then
    h2load -n "$N" -c 16 -m 8 "http://127.0.0.1:$PORT$P" >/dev/null
  else
    h2load --h1 -n "$N" -c 16 -m 1 "http://127.0.0.1:$PORT$P" >/dev/null
  fi
  kill -INT $SP
  wait $SP || true
  echo "$BIN $MODE $P: $(grep -m1 -oP '^summary: \K\d+' "$OUT") instructions"
  rm -f "$OUT"
  PORT=$((PORT + 1))
done
