#!/usr/bin/env bash
# Load comparison: brisk vs nginx, h2o and hyper on loopback, same machine, same run.
#
# Each server runs pinned to CPU 0 (`taskset -c 0`), the load tool to CPU 1. Rounds alternate over
# the servers; each round runs: wrk keep-alive (-t1 -c64), wrk pipelining 16 requests per write
# (pipeline.lua), and h2load h2c prior knowledge (-c64 -m32). For every run we record req/s and the
# server's CPU time per request (utime + stime from /proc/PID/stat, before and after). The table of
# medians, the ratios of those medians against each peer, and the median (and range) of the
# per-round ratios go to stdout and, with --write, into BENCHMARKS.md.
#
# Usage: benches/load/compare.sh [--rounds N (9)] [--seconds S (4)] [--servers "brisk nginx h2o hyper"]
#        [--modes "keepalive pipelined h2c"] [--write]
# Needs: wrk, h2load (nghttp2-client), nginx (nginx-light), h2o, taskset; builds brisk and the
# hyper peer in release mode. Not part of CI: every run is bounded by --seconds, and the whole
# script by rounds x servers x 3 runs.
set -euo pipefail

# Nine rounds by default: on a shared host single rounds swing by +-10 %, and the median of
# three has been seen 5 % off the median of nine (keep-alive, brisk vs hyper: 0.94x in a
# three-round run, 0.86-0.88x in nine- and fifteen-round runs of the same build that day).
ROUNDS=9
SECONDS_PER_RUN=4
WRITE=0
SERVERS=(brisk nginx h2o hyper)
MODES=(keepalive pipelined h2c)
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --write) WRITE=1; shift ;;
    --servers) read -r -a SERVERS <<<"$2"; shift 2 ;;
    --modes) read -r -a MODES <<<"$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --rounds N, --seconds S, --servers LIST, --modes LIST, --write)" >&2; exit 2 ;;
  esac
done

for m in "${MODES[@]}"; do
  case "$m" in keepalive|pipelined|h2c) ;; *) echo "unknown mode: $m (allowed: keepalive pipelined h2c)" >&2; exit 2 ;; esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/benches/load"
WORK=$(mktemp -d /tmp/brisk-load.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk h2load nginx h2o taskset; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y wrk nghttp2-client nginx-light h2o)" >&2; exit 1; }
done

echo "== building brisk and the hyper peer (release)" >&2
has() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
if has brisk; then (cd "$ROOT" && cargo build --release -q -p brisk-server --bin brisk); fi
if has hyper; then (cd "$ROOT/benches/peers/hyper-hello" && cargo build --release -q); fi
BRISK="$ROOT/target/release/brisk"
HYPER="$ROOT/benches/peers/hyper-hello/target/release/hyper-hello"

# Ports: one per server, h2c on the same port as HTTP/1.1 except for nginx, whose cleartext
# HTTP/2 listener speaks prior knowledge only.
P_BRISK=18080; P_NGINX=18081; P_NGINX_H2=18082; P_H2O=18083; P_HYPER=18084

mkdir -p "$WORK/www" "$WORK/nginx"
printf 'Hello, World!' > "$WORK/www/plaintext"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log crit;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$P_NGINX;
    listen 127.0.0.1:$P_NGINX_H2 http2;
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
}
CONF
cat > "$WORK/h2o.conf" <<CONF
num-threads: 1
access-log: /dev/null
error-log: $WORK/h2o-error.log
user: root
listen:
  host: 127.0.0.1
  port: $P_H2O
hosts:
  default:
    paths:
      /:
        file.dir: $WORK/www
CONF

start() { # name port cmd... ; sets PID[name] and PORT[name]
  local name=$1 port=$2; shift 2
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use: stop whatever listens there first" >&2; exit 1
  fi
  taskset -c 0 "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  PID[$name]=$pid; PORT[$name]=$port; H2PORT[$name]=$port
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -s -o /dev/null "http://127.0.0.1:$port/plaintext"; then return; fi
    sleep 0.1
  done
  echo "server $name did not come up on port $port; log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}

declare -A PID PORT H2PORT
if has brisk; then start brisk $P_BRISK "$BRISK" --bind 127.0.0.1:$P_BRISK --workers 1; fi
if has nginx; then start nginx $P_NGINX nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"; H2PORT[nginx]=$P_NGINX_H2; fi
if has h2o; then start h2o $P_H2O h2o -c "$WORK/h2o.conf"; fi
if has hyper; then start hyper $P_HYPER "$HYPER" 127.0.0.1:$P_HYPER; fi

source "$HERE/lib.sh"

run_one() { # server mode -> "reqs_per_sec cpu_us_per_req"
  local s=$1 mode=$2 pid=${PID[$1]} before after reqs bad
  before=$(cpu_ticks "$pid")
  case "$mode" in
    keepalive) read -r reqs bad < <(wrk_load "http://127.0.0.1:${PORT[$s]}/plaintext") ;;
    pipelined) read -r reqs bad < <(wrk_load "http://127.0.0.1:${PORT[$s]}/plaintext" -s "$HERE/pipeline.lua") ;;
    h2c) read -r reqs bad < <(h2load_load "http://127.0.0.1:${H2PORT[$s]}/plaintext" -c64 -m32 -D "$SECONDS_PER_RUN") ;;
  esac
  after=$(cpu_ticks "$pid")
  per_request "$s $mode" "$reqs" "$bad" $((after - before))
}

declare -A RPS CPU
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${MODES[@]}"; do
    for s in "${SERVERS[@]}"; do
      read -r rps cpu < <(run_one "$s" "$mode")
      RPS[$s,$mode]+="$rps "; CPU[$s,$mode]+="$cpu "
      echo "round $round $mode $s: $rps req/s, $cpu us CPU/req" >&2
    done
  done
done

ratio_table > "$WORK/table.md"
cat "$WORK/table.md"

if [ "$WRITE" = 1 ]; then
  {
    echo
    echo "## Server load comparison, $(date -u +%Y-%m-%d)"
    echo
    echo "Command: \`benches/load/compare.sh --rounds $ROUNDS --seconds $SECONDS_PER_RUN --servers \"${SERVERS[*]}\" --modes \"${MODES[*]}\" --write\` on $(nproc) cores;"
    echo "servers pinned to CPU 0, load tool to CPU 1; medians of $ROUNDS rounds."
    echo
    cat "$WORK/table.md"
  } >> "$ROOT/BENCHMARKS.md"
  echo "appended to BENCHMARKS.md" >&2
fi
