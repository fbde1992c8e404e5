#!/usr/bin/env bash
# Idle-connection cost of the `brisk` server against nginx, in the same run: resident memory
# growth of the server while a separate process holds N idle, used connections to it.
#
#   benches/idle/idle_connections.sh [N]      (default N=8000; one worker / one nginx process)
#
#   PEERS="brisk nginx"  servers to measure (default both; nginx is skipped, visibly, if absent)
#   MODES="http h2c"     http: HTTP/1.1 keep-alive after one GET /plaintext;
#                        h2c: HTTP/2 prior knowledge after the preface, the SETTINGS exchange and
#                        one GET /plaintext (see idle_client.py); echo: the reactor's echo example
#                        (examples/echo.rs, one 1-byte echo), the reactor's own cost
#   BRISK=path           the brisk binary to measure (default: built here, release)
#   REQUESTS=k           requests per connection before it idles (default 1; the limits below
#                        are for 1)
#
# Each (server, mode) pair gets a fresh server process. RSS is read from /proc/PID/status
# (VmRSS) before the clients connect and after all N are established and settled. Limits
# (issue 17): brisk at most 512 B per idle HTTP/1.1 connection and 4096 B per idle h2c
# connection; the script exits non-zero if brisk exceeds one. Needs python3; nginx for the
# comparison (its h2c uses `listen ... http2` on a cleartext port: prior knowledge only).
# Only the loopback interface is used.
set -euo pipefail
N=${1:-8000}
PEERS=${PEERS:-brisk nginx}
MODES=${MODES:-http h2c}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Each side needs N descriptors plus a few: raise the soft limit up to the hard one.
want=$((N + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "ulimit -n: $(ulimit -n) (need $want)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want" ] || { echo "ulimit -n too low for N=$N" >&2; exit 1; }

tmp=$(mktemp -d)
server=
client=
stop() {
  exec 4>&- 2>/dev/null || true
  [ -n "$client" ] && { kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; }
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  client=
  server=
}
trap 'stop; rm -rf "$tmp"' EXIT

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
need_brisk=0
need_echo=0
for p in $PEERS; do
  for m in $MODES; do
    if [ "$p" = brisk ] && [ "$m" = echo ]; then need_echo=1; elif [ "$p" = brisk ]; then need_brisk=1; fi
  done
done
if [ "$need_brisk" = 1 ] && [ -z "${BRISK:-}" ]; then
  cargo build -q --release -p brisk-server --bin brisk --manifest-path "$root/Cargo.toml"
  BRISK=$CARGO_TARGET_DIR/release/brisk
fi
if [ "$need_echo" = 1 ]; then
  cargo build -q --release -p brisk-reactor --example echo --manifest-path "$root/Cargo.toml"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server did not listen on $1" >&2
  return 1
}

start_nginx() { # mode port
  local h2=""
  [ "$1" = h2c ] && h2=" http2"
  # One nginx process (no master) so its RSS is the whole server; keep-alive idle for 10 min.
  cat >"$tmp/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $want;
error_log $tmp/error.log;
pid $tmp/nginx.pid;
events { worker_connections $want; }
http {
  access_log off;
  client_header_timeout 600s;
  keepalive_timeout 600s;
  keepalive_requests 1000;
  http2_idle_timeout 600s;
  client_body_temp_path $tmp;
  proxy_temp_path $tmp;
  fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp;
  scgi_temp_path $tmp;
  server {
    listen 127.0.0.1:$2$h2;
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
}
CONF
  nginx -p "$tmp" -c "$tmp/nginx.conf" >"$tmp/server_out" 2>&1 &
  server=$!
}

# Prints "before after" in KiB, or "skip REASON".
measure() { # peer mode
  local peer=$1 mode=$2 port
  port=$(free_port)
  if [ "$peer" = nginx ]; then
    command -v nginx >/dev/null || { echo "skip (nginx not installed)"; return; }
    start_nginx "$mode" "$port"
  elif [ "$mode" = echo ]; then
    "$CARGO_TARGET_DIR/release/examples/echo" --addr "127.0.0.1:$port" --workers 1 \
      --idle-timeout-ms 600000 >"$tmp/server_out" 2>&1 &
    server=$!
  else
    "$BRISK" --bind "127.0.0.1:$port" --workers 1 --idle-timeout 10m --header-timeout 10m \
      >"$tmp/server_out" 2>&1 &
    server=$!
  fi
  wait_port "$port" >&2
  local cmode=$mode
  sleep 0.5
  local before after
  before=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
  rm -f "$tmp/client_in"
  mkfifo "$tmp/client_in"
  python3 "$here/idle_client.py" "$port" "$N" "$cmode" <"$tmp/client_in" >"$tmp/client_out" 2>&1 &
  client=$!
  exec 4>"$tmp/client_in"
  for _ in $(seq 2400); do grep -q READY "$tmp/client_out" && break; kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
  grep -q READY "$tmp/client_out" || { echo "client did not finish: $(cat "$tmp/client_out")" >&2; stop; exit 1; }
  sleep 1
  after=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
  stop
  echo "$before $after"
}

status=0
printf '%-6s %-5s %8s %14s %14s %12s %s\n' server mode N "VmRSS before" "VmRSS after" "B per conn" limit
for mode in $MODES; do
  for peer in $PEERS; do
    read -r before after <<<"$(measure "$peer" "$mode")"
    if [ "$before" = skip ]; then
      printf '%-6s %-5s %8s %s\n' "$peer" "$mode" "$N" "skipped: $after"
      continue
    fi
    if ! [[ "$before" =~ ^[0-9]+$ && "$after" =~ ^[0-9]+$ ]]; then
      printf '%-6s %-5s %8s %s\n' "$peer" "$mode" "$N" "FAILED (see above)"
      status=1
      continue
    fi
    per=$(((after - before) * 1024 / N))
    limit=-
    if [ "$peer" = brisk ]; then
      case $mode in http) limit=512 ;; h2c) limit=4096 ;; esac
      if [ "$limit" != - ] && [ "$per" -gt "$limit" ]; then limit="$limit FAIL"; status=1; fi
    fi
    printf '%-6s %-5s %8s %11s KiB %11s KiB %12s %s\n' "$peer" "$mode" "$N" "$before" "$after" "$per" "$limit"
  done
done
exit $status
