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
    benches/load/same_core_ab.py [--mode keepalive|pipelined|h2c] ROUNDS SECONDS NAME=BINARY ...
Example:
    benches/load/same_core_ab.py 8 4 old=/tmp/brisk-old new=target/release/brisk
    benches/load/same_core_ab.py --mode h2c 8 4 old=/tmp/brisk-old new=target/release/brisk
    benches/load/same_core_ab.py 9 4 off=target/release/brisk \
        "on=target/release/brisk --access-log /tmp/brisk-ab.log"

NAME=BINARY may carry extra server arguments after the binary, split as a shell would (one
build with and without a flag, say: the access log on and off).

Modes, as in compare.sh: keepalive (wrk -t1 -c64, the default), pipelined (the same with
pipeline.lua, 16 requests per write) and h2c (h2load -c64 -m32, prior knowledge).
Needs wrk (and h2load for h2c) and taskset; binds 127.0.0.1 ports from 18400 on.
"""
import os
import re
import shlex
import statistics
import subprocess
import sys
import time


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


HERE = os.path.dirname(os.path.abspath(__file__))


def load_command(mode, secs, port):
    """The load tool's command line for one build in one round."""
    url = f"http://127.0.0.1:{port}/plaintext"
    if mode == "keepalive":
        return ["wrk", "-t1", "-c64", f"-d{secs}s", url]
    if mode == "pipelined":
        return ["wrk", "-t1", "-c64", f"-d{secs}s", "-s", os.path.join(HERE, "pipeline.lua"), url]
    return ["h2load", "-c64", "-m32", "-D", str(secs), url]


def requests_done(mode, out):
    """Requests the load tool completed, from its output (None if it printed no count)."""
    if mode == "h2c":
        m = re.search(r"^requests: \d+ total, \d+ started, (\d+) done", out, re.M)
    else:
        m = re.search(r"(\d+) requests in", out)
    return int(m.group(1)) if m else None


def main():
    args = sys.argv[1:]
    mode = "keepalive"
    if args[:1] == ["--mode"] and len(args) > 1:
        mode, args = args[1], args[2:]
    if mode not in ("keepalive", "pipelined", "h2c") or len(args) < 3:
        sys.exit(__doc__)
    rounds, secs = int(args[0]), int(args[1])
    builds = [a.split("=", 1) for a in args[2:]]
    commands = [shlex.split(cmd) for _, cmd in builds]
    hz = 100  # USER_HZ: /proc/PID/stat counts clock ticks of 10 ms
    per_round = []
    for r in range(rounds):
        base_port = 18400 + 10 * (r % 50)
        servers = [
            subprocess.Popen(
                ["taskset", "-c", "0", cmd[0], "--bind", f"127.0.0.1:{base_port + i}",
                 "--workers", "1"] + cmd[1:],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i, cmd in enumerate(commands)
        ]
        try:
            time.sleep(0.7)
            before = [cpu_ticks(s.pid) for s in servers]
            loads = [
                subprocess.Popen(
                    ["taskset", "-c", "1"] + load_command(mode, secs, base_port + i),
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
            done = requests_done(mode, out)
            if not done:
                sys.exit(f"round {r + 1}: no requests counted for {builds[i][0]}:\n{out}")
            us.append((after[i] - before[i]) * 1e6 / hz / done)
        per_round.append(us)
        print(f"round {r + 1}: " + ", ".join(
            f"{name} {u:.3f} us/req" for (name, _), u in zip(builds, us)), flush=True)
    first = builds[0][0]
    for i, (name, _) in enumerate(builds):
        ratios = sorted(u[i] / u[0] for u in per_round)
        cpu = statistics.median(u[i] for u in per_round)
        print(f"{name} ({mode}): median {cpu:.3f} us CPU/req, ratio vs {first} "
              f"{statistics.median(ratios):.3f}x ({ratios[0]:.3f}-{ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
