#!/usr/bin/env bash
# TLS load comparison: server CPU per request over TLS for brisk (rustls, ring) vs nginx
# (Debian's nginx-light, OpenSSL) and h2o (its own OpenSSL build), same run, on loopback.
#
# Method as compare.sh (whose helpers it shares, lib.sh): each server pinned to CPU 0, the load
# tool to CPU 1, rounds alternating over the servers, the server's CPU time (utime + stime from
# /proc/PID/stat) per request, medians and per-round ratios. Modes:
#   keepalive  HTTP/1.1 keep-alive over TLS: wrk -t1 -c64 https://
#   h2         HTTP/2 over TLS (ALPN h2): h2load -c64 -m32 https://
#   handshake  a full TLS 1.3 handshake per request: batches of `h2load --h1 -n 256 -c 256`
#              (256 clients, each one new connection and one request) for the run's seconds.
#              Not wrk with `Connection: close`: wrk reconnects with SSL_clear on the same SSL
#              object, which keeps the session, so it resumes (seen: 622 of 625 handshakes
#              resumed against openssl s_server). Checked before the rounds against
#              `openssl s_server -www`, whose status page counts session cache hits (tickets
#              included): must be 0; and per run by the TCP connections accepted meanwhile
#              (PassiveOpens in /proc/net/snmp, machine-wide: about one per request).
# All servers use the same ECDSA P-256 certificate made by openssl at start. The negotiated
# protocol and cipher of each server are printed (openssl s_client, as wrk's OpenSSL offers, and
# h2load's own line for h2).
#
# Usage: benches/load/tls.sh [--rounds N (9)] [--seconds S (4)] [--servers "brisk nginx h2o"]
#        [--modes "keepalive h2 handshake"] [--write]
# Targets (issue 21): keepalive <= 0.9x nginx, h2 <= 0.75x h2o, handshake <= 0.8x nginx.
# Needs: wrk, h2load, nginx (nginx-light), h2o, openssl, taskset. Not part of CI.
set -euo pipefail

ROUNDS=9
SECONDS_PER_RUN=4
WRITE=0
SERVERS=(brisk nginx h2o)
MODES=(keepalive h2 handshake)
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --write) WRITE=1; shift ;;
    --servers) read -r -a SERVERS <<<"$2"; shift 2 ;;
    --modes) read -r -a MODES <<<"$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (allowed: --rounds N, --seconds S, --servers LIST, --modes LIST, --write)" >&2; exit 2 ;;
  esac
done
for m in "${MODES[@]}"; do
  case "$m" in keepalive|h2|handshake) ;; *) echo "unknown mode: $m (allowed: keepalive h2 handshake)" >&2; exit 2 ;; esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/benches/load"
WORK=$(mktemp -d /tmp/brisk-tls-load.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$HERE/lib.sh"

for tool in wrk h2load nginx h2o openssl taskset curl; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y wrk nghttp2-client nginx-light h2o openssl)" >&2; exit 1; }
done
has() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }

echo "== building brisk (release)" >&2
if has brisk; then (cd "$ROOT" && cargo build --release -q -p brisk-server --bin brisk); fi
BRISK="$ROOT/target/release/brisk"

mkdir -p "$WORK/www" "$WORK/nginx"
printf 'Hello, World!' > "$WORK/www/plaintext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

P_BRISK=18443; P_NGINX=18444; P_H2O=18445; P_CHECK=18446
fill() { sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$2|g" "$HERE/tls/$1.conf.in" > "$WORK/$1.conf"; }
fill nginx $P_NGINX
fill h2o $P_H2O

declare -A PID PORT
start() { # name port cmd...
  local name=$1 port=$2; shift 2
  if curl -sk -o /dev/null "https://127.0.0.1:$port/"; then
    echo "port $port is already in use: stop whatever listens there first" >&2; exit 1
  fi
  taskset -c 0 "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid"); PID[$name]=$pid; PORT[$name]=$port
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -sk -o /dev/null "https://127.0.0.1:$port/plaintext"; then return; fi
    sleep 0.1
  done
  echo "server $name did not come up on port $port; log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}
if has brisk; then
  start brisk $P_BRISK "$BRISK" --bind-tls 127.0.0.1:$P_BRISK --cert "$WORK/cert.pem" --key "$WORK/key.pem" --workers 1
fi
if has nginx; then start nginx $P_NGINX nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"; fi
if has h2o; then start h2o $P_H2O h2o -c "$WORK/h2o.conf"; fi

# What each server negotiates with OpenSSL's default client offer (wrk's).
echo "== negotiated (openssl s_client, OpenSSL's default offer)" >&2
declare -A NEGOTIATED
for s in "${SERVERS[@]}"; do
  out=$(timeout 10 openssl s_client -connect "127.0.0.1:${PORT[$s]}" -alpn h2,http/1.1 </dev/null 2>/dev/null | tr -d '\0' || true)
  proto=$(awk '/^New, / { print $2 }' <<<"$out" | tr -d ,)
  cipher=$(awk '/^New, / { print $NF }' <<<"$out")
  kx=$(awk -F': ' '/^Server Temp Key/ { print $2 }' <<<"$out")
  alpn=$(awk -F': ' '/^ALPN protocol/ { print $2 }' <<<"$out")
  NEGOTIATED[$s]="$proto $cipher, key exchange ${kx:-?}, ALPN ${alpn:-none}"
  echo "$s: ${NEGOTIATED[$s]}" >&2
  # And what h2load (the h2 mode's client) gets.
  out=$(timeout 10 h2load -n 10 -c 1 "https://127.0.0.1:${PORT[$s]}/plaintext" 2>&1 || true)
  NEGOTIATED[$s,h2]="$(awk -F': ' '/^TLS Protocol|^Cipher|^Server Temp Key|^Application protocol/ { printf "%s%s", (n++ ? ", " : ""), $2 }' <<<"$out")"
  echo "$s (h2load): ${NEGOTIATED[$s,h2]}" >&2
done

passive_opens() { awk '/^Tcp: [0-9]/ { print $7 }' /proc/net/snmp; }

# The handshake mode's client never resumes: checked against openssl s_server, whose status
# page counts session cache hits (stateless tickets included).
if [[ " ${MODES[*]} " == *" handshake "* ]]; then
  openssl s_server -accept $P_CHECK -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet >/dev/null 2>&1 &
  PIDS+=("$!"); CHECK_PID=$!
  for _ in $(seq 1 50); do curl -sk -o /dev/null "https://127.0.0.1:$P_CHECK/" && break; sleep 0.1; done
  taskset -c 1 h2load --h1 -n 256 -c 256 "https://127.0.0.1:$P_CHECK/" >/dev/null 2>&1 || true
  stats=$(curl -sk "https://127.0.0.1:$P_CHECK/")
  hits=$(grep -o '[0-9]* session cache hits' <<<"$stats" | awk '{ print $1 }')
  accepts=$(grep -o '[0-9]* server accepts that finished' <<<"$stats" | awk '{ print $1 }')
  echo "handshake check (openssl s_server): $accepts full handshakes, ${hits:-?} session cache hits" >&2
  if [ "${hits:-1}" != 0 ]; then echo "wrk resumed sessions: the handshake mode would not measure full handshakes" >&2; exit 1; fi
  kill "$CHECK_PID" 2>/dev/null || true
fi

declare -A HANDSHAKES
run_one() { # server mode -> "reqs_per_sec cpu_us_per_req"
  local s=$1 mode=$2 pid=${PID[$1]} before after reqs out bad opens0 opens1 elapsed=
  local url="https://127.0.0.1:${PORT[$s]}/plaintext"
  before=$(cpu_ticks "$pid"); opens0=$(passive_opens)
  case "$mode" in
    keepalive) read -r reqs bad < <(wrk_load "$url") ;;
    handshake)
      reqs=0; bad=0
      local t0 t1 n
      t0=$(date +%s%N)
      while [ $(( $(date +%s%N) - t0 )) -lt $((SECONDS_PER_RUN * 1000000000)) ]; do
        out=$(taskset -c 1 h2load --h1 -n 256 -c 256 "$url" 2>&1)
        n=$(awk '/^requests:/ { print $8 }' <<<"$out")
        reqs=$((reqs + ${n:-0}))
        bad=$((bad + $(awk '/^status codes:/ { gsub(",", ""); print $5 + $7 + $9 }' <<<"$out")))
      done
      t1=$(date +%s%N)
      elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') ;;
    h2) read -r reqs bad < <(h2load_load "$url" -c64 -m32 -D "$SECONDS_PER_RUN") ;;
  esac
  after=$(cpu_ticks "$pid"); opens1=$(passive_opens)
  if [ "$mode" = handshake ]; then
    echo "  $s handshake: $((opens1 - opens0)) connections accepted for $reqs requests" >&2
  fi
  per_request "$s $mode" "$reqs" "$bad" $((after - before)) "${elapsed:-$SECONDS_PER_RUN}"
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

{
  ratio_table
  echo
  echo "Negotiated (openssl s_client with OpenSSL's default offer, as wrk):"
  for s in "${SERVERS[@]}"; do echo "- $s: ${NEGOTIATED[$s]}"; done
  echo "Negotiated by h2load (the h2 and handshake modes' client):"
  for s in "${SERVERS[@]}"; do echo "- $s: ${NEGOTIATED[$s,h2]:-?}"; done
} > "$WORK/table.md"
cat "$WORK/table.md"

if [ "$WRITE" = 1 ]; then
  {
    echo
    echo "## TLS load comparison, $(date -u +%Y-%m-%d)"
    echo
    echo "Command: \`benches/load/tls.sh --rounds $ROUNDS --seconds $SECONDS_PER_RUN --servers \"${SERVERS[*]}\" --modes \"${MODES[*]}\" --write\` on $(nproc) cores;"
    echo "servers pinned to CPU 0, load tool to CPU 1; medians of $ROUNDS rounds; ECDSA P-256 certificate."
    echo
    cat "$WORK/table.md"
  } >> "$ROOT/BENCHMARKS.md"
  echo "appended to BENCHMARKS.md" >&2
fi
