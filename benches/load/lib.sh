# Helpers shared by the load scripts (compare.sh, tls.sh, files.sh): CPU time of a server process,
# medians, per-round ratios and the ratio table. Sourced, not run.
#
# The table reads the associative arrays RPS[server,mode] and CPU[server,mode] (space-separated
# values, one per round) and the arrays SERVERS and MODES; brisk is the first column's subject.

cpu_ticks() { # utime + stime of a process and all its threads, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

TCK=$(getconf CLK_TCK)

wrk_load() { # URL [wrk args...] -> "requests non2xx": wrk -t1 -c64 on CPU 1 for SECONDS_PER_RUN
  local url=$1 out
  shift
  out=$(taskset -c 1 wrk -t1 -c64 -d"${SECONDS_PER_RUN}s" "$@" "$url")
  echo "$(awk '/requests in/ { print $1 }' <<<"$out") $(awk '/Non-2xx/ { print $NF }' <<<"$out")"
}

h2load_load() { # URL [h2load args...] -> "requests non2xx": h2load on CPU 1
  local url=$1 out
  shift
  out=$(taskset -c 1 h2load "$@" "$url" 2>&1)
  echo "$(awk '/^requests:/ { print $8 }' <<<"$out") $(awk '/^status codes:/ { gsub(",", ""); print $5 + $7 + $9 }' <<<"$out")"
}

per_request() { # LABEL REQUESTS NON2XX TICKS [SECONDS] -> "reqs_per_sec cpu_us_per_req"
  local label=$1 reqs=$2 bad=$3 ticks=$4 secs=${5:-$SECONDS_PER_RUN}
  if [ -z "$reqs" ] || [ "$reqs" = 0 ]; then echo "0 0"; echo "warning: $label served nothing" >&2; return; fi
  [ -n "${bad:-}" ] && [ "${bad:-0}" != 0 ] && echo "warning: $label: $bad non-2xx responses" >&2
  awk -v r="$reqs" -v t="$secs" -v c="$ticks" -v tck="$TCK" \
    'BEGIN { printf "%.0f %.3f\n", r / t, c / tck * 1e6 / r }'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Brisk's CPU per request over the server's, round by round (the two runs of a round are
# seconds apart, so they share the machine's state more than runs of different rounds do).
paired() { # brisk-list other-list -> one ratio per round
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
    for (i = 1; i <= n; i++) if (x[i] > 0 && y[i] > 0) printf "%.4f ", x[i] / y[i] }'
}

ratio_table() { # -> markdown table on stdout
  echo "| mode | server | req/s (median) | CPU us/req (median) | brisk CPU/req ratio vs this server | median of per-round ratios (range) |"
  echo "|---|---|---:|---:|---:|---:|"
  local mode s bc r c ratio pr pm lo hi pcol
  for mode in "${MODES[@]}"; do
    bc=$(median <<<"${CPU[brisk,$mode]:-}")
    for s in "${SERVERS[@]}"; do
      r=$(median <<<"${RPS[$s,$mode]}"); c=$(median <<<"${CPU[$s,$mode]}")
      ratio=$(awk -v a="$bc" -v b="$c" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }')
      pr=$(paired "${CPU[brisk,$mode]:-}" "${CPU[$s,$mode]}")
      if [ -n "$pr" ]; then
        pm=$(median <<<"$pr")
        lo=$(tr ' ' '\n' <<<"$pr" | grep -v '^$' | sort -g | head -1)
        hi=$(tr ' ' '\n' <<<"$pr" | grep -v '^$' | sort -g | tail -1)
        pcol=$(awk -v m="$pm" -v l="$lo" -v h="$hi" 'BEGIN { printf "%.2fx (%.2f-%.2f)", m, l, h }')
      else
        pcol="-"
      fi
      echo "| $mode | $s | $r | $c | $ratio | $pcol |"
    done
  done
}
