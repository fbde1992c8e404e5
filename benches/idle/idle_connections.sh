#!/usr/bin/env bash
# Idle-connection cost of brisk-reactor: resident memory growth of the echo example server
# (examples/echo.rs) while a separate process holds N idle keep-alive connections to it.
#
#   benches/idle/idle_connections.sh [N]              (default N=8000; WORKERS=1 by default)
#   PEER=nginx benches/idle/idle_connections.sh [N]   (the same against nginx, for comparison)
#
# Each connection does one 1-byte echo (nginx: one GET with a 1-byte answer), then stays idle. RSS is read from /proc/PID/status
# (VmRSS) before the clients connect and after all N are established. Passes if the growth is
# at most 1 KiB per connection. Needs python3. Only the loopback interface is used.
set -euo pipefail
N=${1:-8000}
WORKERS=${WORKERS:-1}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Each side needs N descriptors plus a few: raise the soft limit up to the hard one.
want=$((N + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "ulimit -n: $(ulimit -n) (need $want)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want" ] || { echo "ulimit -n too low for N=$N" >&2; exit 1; }

PEER=${PEER:-brisk}
tmp=$(mktemp -d)
cleanup() {
  exec 3>&- 4>&- 2>/dev/null || true
  [ -n "${client:-}" ] && kill "$client" 2>/dev/null || true
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/server_in" "$tmp/client_in"

if [ "$PEER" = nginx ]; then
  # One nginx process (no master) so its RSS is the whole server; keep-alive idle for 10 min.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
  client_body_temp_path $tmp;
  proxy_temp_path $tmp;
  fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp;
  scgi_temp_path $tmp;
  server { listen 127.0.0.1:$port; location / { return 200 "x"; } }
}
CONF
  nginx -p "$tmp" -c "$tmp/nginx.conf" >"$tmp/server_out" 2>&1 &
  server=$!
  for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null && break; sleep 0.05; done
  mode=http
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
  cargo build -q --release -p brisk-reactor --example echo --manifest-path "$root/Cargo.toml"
  bin=$CARGO_TARGET_DIR/release/examples/echo
  "$bin" --addr 127.0.0.1:0 --workers "$WORKERS" --idle-timeout-ms 600000 --stdin-shutdown \
    <"$tmp/server_in" >"$tmp/server_out" 2>&1 &
  server=$!
  exec 3>"$tmp/server_in"
  for _ in $(seq 100); do grep -q "listening on" "$tmp/server_out" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server_out")
  [ -n "$port" ] || { cat "$tmp/server_out"; exit 1; }
  mode=echo
fi
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

sleep 0.3
before=$(rss)
python3 "$here/idle_client.py" "$port" "$N" "$mode" <"$tmp/client_in" >"$tmp/client_out" &
client=$!
exec 4>"$tmp/client_in"
for _ in $(seq 1200); do grep -q READY "$tmp/client_out" && break; sleep 0.05; done
grep -q READY "$tmp/client_out" || { echo "client did not finish: $(cat "$tmp/client_out")" >&2; exit 1; }
sleep 1
after=$(rss)
open=$(ls "/proc/$server/fd" | wc -l)
growth_kib=$((after - before))
per_conn=$((growth_kib * 1024 / N))
echo "server $PEER pid $server, port $port, workers $WORKERS, open fds $open"
echo "VmRSS before: ${before} KiB, with $N idle connections: ${after} KiB"
echo "growth: ${growth_kib} KiB total, ${per_conn} bytes per connection (limit 1024)"

exec 4>&-   # client closes its connections
wait "$client" || true
client=
if [ "$PEER" = nginx ]; then
  kill "$server"; wait "$server" 2>/dev/null || true
else
  exec 3>&-   # server shuts down gracefully and prints its totals
  wait "$server" || true
  tail -n 1 "$tmp/server_out"
fi
server=
[ "$per_conn" -le 1024 ]
