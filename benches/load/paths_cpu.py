#!/usr/bin/env python3
"""CPU time per keep-alive request of one `brisk` server for several paths, in the same run.

One server (one worker) is pinned to CPU 0; for each of ROUNDS rounds, each path in turn is
loaded by `wrk -t1 -c64 -d SECONDS` pinned to CPU 1, and the server's CPU time (utime + stime
from /proc/PID/stat, the whole process: worker, timer and pool threads) is divided by the
requests wrk completed. The paths alternate within a round, so a slow stretch of the host
touches all of them; the script prints the median CPU per request of each path and the median
of its per-round ratio to the first path.

Usage:
    benches/load/paths_cpu.py [--bin PATH] ROUNDS SECONDS PATH [PATH ...]
Example (issue 18: direct, deferred on the worker, completed by another thread, blocking pool):
    benches/load/paths_cpu.py 9 4 /plaintext /deferred /delay/0 /blocking

Needs wrk and taskset; binds 127.0.0.1:18390. Non-2xx answers abort the run.
"""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 18390


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    args = sys.argv[1:]
    binary = os.path.join(HERE, "..", "..", "target", "release", "brisk")
    if args[:1] == ["--bin"] and len(args) > 1:
        binary, args = args[1], args[2:]
    if len(args) < 3:
        sys.exit(__doc__)
    rounds, secs, paths = int(args[0]), int(args[1]), args[2:]
    hz = os.sysconf("SC_CLK_TCK")
    server = subprocess.Popen(
        ["taskset", "-c", "0", binary, "--bind", f"127.0.0.1:{PORT}", "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    per_round = []
    try:
        time.sleep(0.7)
        if server.poll() is not None:
            sys.exit(f"{binary} exited at start with {server.returncode}")
        for r in range(rounds):
            us = []
            for path in paths:
                before = cpu_ticks(server.pid)
                out = subprocess.run(
                    ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{secs}s",
                     f"http://127.0.0.1:{PORT}{path}"],
                    capture_output=True, text=True, timeout=secs + 30).stdout
                after = cpu_ticks(server.pid)
                m = re.search(r"(\d+) requests in", out)
                if not m or int(m.group(1)) == 0:
                    sys.exit(f"round {r + 1}: no requests counted for {path}:\n{out}")
                if "Non-2xx" in out:
                    sys.exit(f"round {r + 1}: {path} gave non-2xx answers:\n{out}")
                us.append((after - before) * 1e6 / hz / int(m.group(1)))
            per_round.append(us)
            print(f"round {r + 1}: " + ", ".join(
                f"{p} {u:.3f} us/req" for p, u in zip(paths, us)), flush=True)
    finally:
        server.kill()
        server.wait()
    for i, path in enumerate(paths):
        ratios = sorted(u[i] / u[0] for u in per_round)
        cpu = statistics.median(u[i] for u in per_round)
        print(f"{path}: median {cpu:.3f} us CPU/req, ratio vs {paths[0]} "
              f"{statistics.median(ratios):.3f}x ({ratios[0]:.3f}-{ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
