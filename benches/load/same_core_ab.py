#!/usr/bin/env python3
"""A/B of two or more `brisk` builds by CPU time per keep-alive request, with the host's noise
mostly cancelled out.

All builds serve at the same time, pinned to CPU 0, each loaded by its own `wrk -t1 -c64`
pinned to CPU 1, for ROUNDS rounds of SECONDS each. Each round gives every build's CPU
microseconds per request (utime + stime from /proc/PID/stat, before and after) and its ratio to
the first build's in that same round; the script prints the median ratio and its spread.

Because the builds share the same moments of the run, a slow stretch of the host slows them
alike: two copies of one binary gave median ratios of 1.001x and 0.999x (single rounds within
+-1.2 %), where alternating single-server rounds (`compare.sh`) spread by +-10 % on a busy host. The regime differs from
`compare.sh` (the servers share CPU 0, so neither idles much), so use this to rank builds, and
`compare.sh` for figures against peers.

Usage:
    benches/load/same_core_ab.py ROUNDS SECONDS NAME=BINARY NAME=BINARY [...]
Example:
    benches/load/same_core_ab.py 8 4 old=/tmp/brisk-old new=target/release/brisk

Needs wrk and taskset; binds 127.0.0.1 ports from 18400 on.
"""
import re
import statistics
import subprocess
import sys
import time


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    rounds, secs = int(sys.argv[1]), int(sys.argv[2])
    builds = [a.split("=", 1) for a in sys.argv[3:]]
    hz = 100  # USER_HZ: /proc/PID/stat counts clock ticks of 10 ms
    per_round = []
    for r in range(rounds):
        base_port = 18400 + 10 * (r % 50)
        servers = [
            subprocess.Popen(
                ["taskset", "-c", "0", binary, "--bind", f"127.0.0.1:{base_port + i}",
                 "--workers", "1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i, (_, binary) in enumerate(builds)
        ]
        try:
            time.sleep(0.7)
            before = [cpu_ticks(s.pid) for s in servers]
            loads = [
                subprocess.Popen(
                    ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{secs}s",
                     f"http://127.0.0.1:{base_port + i}/plaintext"],
                    stdout=subprocess.PIPE, text=True)
                for i in range(len(builds))
            ]
            outputs = [w.communicate(timeout=secs + 30)[0] for w in loads]
            after = [cpu_ticks(s.pid) for s in servers]
        finally:
            for s in servers:
                s.kill()
                s.wait()
        us = []
        for i, out in enumerate(outputs):
            m = re.search(r"(\d+) requests in", out)
            if not m or int(m.group(1)) == 0:
                sys.exit(f"round {r + 1}: no requests counted for {builds[i][0]}:\n{out}")
            us.append((after[i] - before[i]) * 1e6 / hz / int(m.group(1)))
        per_round.append(us)
        print(f"round {r + 1}: " + ", ".join(
            f"{name} {u:.3f} us/req" for (name, _), u in zip(builds, us)), flush=True)
    first = builds[0][0]
    for i, (name, _) in enumerate(builds):
        ratios = sorted(u[i] / u[0] for u in per_round)
        cpu = statistics.median(u[i] for u in per_round)
        print(f"{name}: median {cpu:.3f} us CPU/req, ratio vs {first} "
              f"{statistics.median(ratios):.3f}x ({ratios[0]:.3f}-{ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
