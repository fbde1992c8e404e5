#!/usr/bin/env bash
# Idle-connection cost of brisk-reactor: resident memory growth of the echo example server
# (examples/echo.rs) while a separate process holds N idle keep-alive connections to it.
#
#   benches/idle/idle_connections.sh [N]        (default N=8000; WORKERS=1 by default)
#
# Each connection does one 1-byte echo, then stays idle. RSS is read from /proc/PID/status
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

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build -q --release -p brisk-reactor --example echo --manifest-path "$root/Cargo.toml"
bin=$CARGO_TARGET_DIR/release/examples/echo

tmp=$(mktemp -d)
cleanup() {
  exec 3>&- 4>&- 2>/dev/null || true
  [ -n "${client:-}" ] && kill "$client" 2>/dev/null || true
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/server_in" "$tmp/client_in"

"$bin" --addr 127.0.0.1:0 --workers "$WORKERS" --idle-timeout-ms 600000 --stdin-shutdown \
  <"$tmp/server_in" >"$tmp/server_out" 2>&1 &
server=$!
exec 3>"$tmp/server_in"
for _ in $(seq 100); do grep -q "listening on" "$tmp/server_out" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server_out")
[ -n "$port" ] || { cat "$tmp/server_out"; exit 1; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

sleep 0.3
before=$(rss)
python3 "$here/idle_client.py" "$port" "$N" <"$tmp/client_in" >"$tmp/client_out" &
client=$!
exec 4>"$tmp/client_in"
for _ in $(seq 1200); do grep -q READY "$tmp/client_out" && break; sleep 0.05; done
grep -q READY "$tmp/client_out" || { echo "client did not finish: $(cat "$tmp/client_out")" >&2; exit 1; }
sleep 1
after=$(rss)
open=$(ls "/proc/$server/fd" | wc -l)
growth_kib=$((after - before))
per_conn=$((growth_kib * 1024 / N))
echo "server pid $server, port $port, workers $WORKERS, open fds $open"
echo "VmRSS before: ${before} KiB, with $N idle connections: ${after} KiB"
echo "growth: ${growth_kib} KiB total, ${per_conn} bytes per connection (limit 1024)"

exec 4>&-   # client closes its connections
wait "$client" || true
client=
exec 3>&-   # server shuts down gracefully and prints its totals
wait "$server" || true
server=
tail -n 1 "$tmp/server_out"
[ "$per_conn" -le 1024 ]
