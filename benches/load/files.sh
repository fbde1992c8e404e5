#!/usr/bin/env bash
# Static files: brisk --dir vs nginx (sendfile on; open_file_cache max=1000) over HTTP/1.1 and
# vs h2o (file.dir) over h2c, for files of 1 KiB, 64 KiB and 1 MiB (issue 22's table).
#
# As benches/load/compare.sh: each server pinned to CPU 0 (`taskset -c 0`), the load tool to
# CPU 1; rounds alternate over the servers; for every run we record req/s and the server's CPU
# time per request (utime + stime from /proc/PID/stat, before and after). HTTP/1.1 is
# `wrk -t1 -c64`, h2c `h2load -c8 -m8` (prior knowledge). The table gives medians, and the
# ratio of brisk's median CPU/request to the peer's with the range of per-round ratios;
# --write appends it to BENCHMARKS.md.
#
# Usage: benches/load/files.sh [--rounds N (9)] [--seconds S (4)] [--sizes "1k 64k 1m"] [--write]
# Needs: wrk, h2load, nginx, h2o, taskset. Not part of CI: every run is bounded by --seconds.
set -euo pipefail

ROUNDS=9
SECONDS_PER_RUN=4
WRITE=0
SIZES=(1k 64k 1m)
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --sizes) read -r -a SIZES <<<"$2"; shift 2 ;;
    --write) WRITE=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --rounds N, --seconds S, --sizes LIST, --write)" >&2; exit 2 ;;
  esac
done
for z in "${SIZES[@]}"; do
  case "$z" in 1k|64k|1m) ;; *) echo "unknown size: $z (allowed: 1k 64k 1m)" >&2; exit 2 ;; esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/brisk-files.XXXXXX)
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

echo "== building brisk (release)" >&2
(cd "$ROOT" && cargo build --release -q -p brisk-server --bin brisk)
BRISK="$ROOT/target/release/brisk"

P_BRISK=18090; P_NGINX=18091; P_H2O=18093
mkdir -p "$WORK/www" "$WORK/nginx"
head -c 1024 /dev/urandom > "$WORK/www/1k.bin"
head -c 65536 /dev/urandom > "$WORK/www/64k.bin"
head -c 1048576 /dev/urandom > "$WORK/www/1m.bin"
printf 'ok' > "$WORK/www/ready"

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
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$P_NGINX;
    root $WORK/www;
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

declare -A PID PORT
start() { # name port cmd...
  local name=$1 port=$2; shift 2
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use: stop whatever listens there first" >&2; exit 1
  fi
  taskset -c 0 "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  PID[$name]=$pid; PORT[$name]=$port
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; then return; fi
    sleep 0.1
  done
  echo "server $name did not come up on port $port; log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}
start brisk $P_BRISK "$BRISK" --bind 127.0.0.1:$P_BRISK --workers 1 --dir "$WORK/www" --demo-routes off
start nginx $P_NGINX nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"
start h2o $P_H2O h2o -c "$WORK/h2o.conf"

# The same bytes from every server.
for z in "${SIZES[@]}"; do
  for s in brisk nginx h2o; do
    curl -sf "http://127.0.0.1:${PORT[$s]}/$z.bin" | cmp -s - "$WORK/www/$z.bin" \
      || { echo "$s serves $z.bin wrong" >&2; exit 1; }
  done
done

source "$ROOT/benches/load/lib.sh"

run_one() { # server mode size -> "reqs_per_sec cpu_us_per_req"
  local s=$1 mode=$2 z=$3 pid=${PID[$1]} before after reqs bad
  before=$(cpu_ticks "$pid")
  case "$mode" in
    h1) read -r reqs bad < <(wrk_load "http://127.0.0.1:${PORT[$s]}/$z.bin") ;;
    h2c) read -r reqs bad < <(h2load_load "http://127.0.0.1:${PORT[$s]}/$z.bin" -c8 -m8 -D "$SECONDS_PER_RUN") ;;
  esac
  after=$(cpu_ticks "$pid")
  per_request "$s $mode $z" "$reqs" "$bad" $((after - before))
}

declare -A RPS CPU
for round in $(seq 1 "$ROUNDS"); do
  for z in "${SIZES[@]}"; do
    for pair in "h1 brisk" "h1 nginx" "h2c brisk" "h2c h2o"; do
      read -r mode s <<<"$pair"
      read -r rps cpu < <(run_one "$s" "$mode" "$z")
      RPS[$s,$mode,$z]+="$rps "; CPU[$s,$mode,$z]+="$cpu "
      echo "round $round $z $mode $s: $rps req/s, $cpu us CPU/req" >&2
    done
  done
done

# The ratio of brisk's median CPU/request to the peer's, then the range of the per-round
# ratios (lib.sh's `paired`): "0.56x (0.50-0.60)".
ratio_col() { # brisk-list other-list
  local a b
  a=$(median <<<"$1"); b=$(median <<<"$2")
  awk -v a="$a" -v b="$b" -v pr="$(paired "$1" "$2")" 'BEGIN {
    if (!(a > 0 && b > 0)) { print "-"; exit }
    printf "%.2fx", a / b
    n = split(pr, r, " "); lo = r[1]; hi = r[1]
    for (i = 2; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
    if (n) printf " (%.2f-%.2f)", lo, hi }'
}

{
  echo "| file | HTTP/1.1 brisk us/req | nginx us/req | ratio of medians (per-round range) | h2c brisk us/req | h2o us/req | ratio of medians (per-round range) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for z in "${SIZES[@]}"; do
    b1=$(median <<<"${CPU[brisk,h1,$z]}"); n1=$(median <<<"${CPU[nginx,h1,$z]}")
    b2=$(median <<<"${CPU[brisk,h2c,$z]}"); h2=$(median <<<"${CPU[h2o,h2c,$z]}")
    r1=$(ratio_col "${CPU[brisk,h1,$z]}" "${CPU[nginx,h1,$z]}")
    r2=$(ratio_col "${CPU[brisk,h2c,$z]}" "${CPU[h2o,h2c,$z]}")
    echo "| $z | $b1 | $n1 | $r1 | $b2 | $h2 | $r2 |"
  done
  echo
  echo "| file | req/s: brisk h1 | nginx h1 | brisk h2c | h2o h2c |"
  echo "|---|---:|---:|---:|---:|"
  for z in "${SIZES[@]}"; do
    echo "| $z | $(median <<<"${RPS[brisk,h1,$z]}") | $(median <<<"${RPS[nginx,h1,$z]}") | $(median <<<"${RPS[brisk,h2c,$z]}") | $(median <<<"${RPS[h2o,h2c,$z]}") |"
  done
} > "$WORK/table.md"
cat "$WORK/table.md"

if [ "$WRITE" = 1 ]; then
  {
    echo
    echo "## Static files (issue 22), $(date -u +%Y-%m-%d)"
    echo
    echo "Command: \`benches/load/files.sh --rounds $ROUNDS --seconds $SECONDS_PER_RUN --sizes \"${SIZES[*]}\" --write\` on $(nproc) cores;"
    echo "servers pinned to CPU 0, load tool to CPU 1; server CPU microseconds per request, medians of $ROUNDS rounds."
    echo "nginx: sendfile on, open_file_cache max=1000; h2o: file.dir; brisk: --dir --demo-routes off."
    echo
    cat "$WORK/table.md"
  } >> "$ROOT/BENCHMARKS.md"
  echo "appended to BENCHMARKS.md" >&2
fi
