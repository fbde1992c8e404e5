#!/usr/bin/env python3
"""Deferred answers do not hold up a worker: the issue 18 acceptance point.

With one worker, 200 concurrent `GET /delay/1000` plus `wrk -t1 -c16 -d5s /plaintext` at the
same time: every delay answers within 1.2 s, and /plaintext throughput stays within 20 % of
the same wrk run without the delays.

The release `brisk` binary (built first unless --bin is given) runs with `--workers 1`,
pinned to CPU 0. Each round runs wrk alone, then wrk again while an asyncio client on raw
sockets keeps 200 keep-alive connections each asking `GET /delay/MS` one request after the
other (waves of 200 every MS milliseconds), from before wrk starts until it ends; every
delay's latency (request written to response read in full) is recorded. wrk and the delay
client are pinned to CPU 1 (the client side; the delay client costs little CPU next to wrk,
but some: the ratio is a little pessimistic for the server).

Prints per round: wrk req/s alone, with the delays, their ratio, the delay latencies, and the
server's CPU time (utime + stime of the whole process, /proc/PID/stat) per wrk request in
each half (a check that holds on a busy host where throughput does not); then the delay
latencies over all rounds (count, p50, p99, max) and PASS/FAIL for each target (with several
rounds, the median ratio and the worst latency over all rounds count).

Usage:
    benches/load/delay_mix.py [--bin PATH] [--rounds N] [--seconds S] [--delays N] [--ms MS]
Defaults: 1 round, 5 s, 200 delays, 1000 ms (the acceptance point).

Needs wrk and taskset; binds 127.0.0.1:18391. Non-2xx answers abort the run.
"""
import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
PORT = 18391
CLIENT_CPU = 1


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wrk(secs):
    """(req/s, requests) of `wrk -t1 -c16` on /plaintext, pinned to the client CPU."""
    out = subprocess.run(
        ["taskset", "-c", str(CLIENT_CPU), "wrk", "-t1", "-c16", f"-d{secs}s",
         f"http://127.0.0.1:{PORT}/plaintext"],
        capture_output=True, text=True, timeout=secs + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    if not m or not n or "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk failed or saw errors:\n{out}")
    return float(m.group(1)), int(n.group(1))


async def one_connection(path, stop, latencies, errors):
    """Asks `path` again and again on one keep-alive connection until `stop` is set."""
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    req = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    try:
        while not stop.is_set():
            t0 = time.monotonic()
            writer.write(req)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            latencies.append(time.monotonic() - t0)
            if status != 200:
                errors.append(f"{path}: status {status}")
                return
    except (OSError, asyncio.IncompleteReadError) as e:
        errors.append(f"{path}: {e!r}")
    finally:
        writer.close()


def delay_client(n, path, started, stop, latencies, errors, cpu):
    """Runs `n` connections of `one_connection` in this thread's own event loop; appends the
    thread's CPU seconds and the wall seconds it ran to `cpu`."""
    t0, w0 = time.thread_time(), time.monotonic()

    async def main():
        astop = asyncio.Event()
        tasks = [asyncio.create_task(one_connection(path, astop, latencies, errors))
                 for _ in range(n)]
        await asyncio.sleep(0.2)  # every connection has its first request out
        started.set()
        while not stop.is_set():
            await asyncio.sleep(0.01)
        astop.set()  # no new requests; the ones in flight finish and are counted
        await asyncio.gather(*tasks)
    asyncio.run(main())
    cpu += [time.thread_time() - t0, time.monotonic() - w0]


def percentile(sorted_xs, p):
    return sorted_xs[min(len(sorted_xs) - 1, int(p / 100 * len(sorted_xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--delays", type=int, default=200)
    ap.add_argument("--ms", type=int, default=1000)
    a = ap.parse_args()
    if not 1 <= a.rounds <= 20 or not 1 <= a.seconds <= 60 or not 1 <= a.delays <= 2000:
        sys.exit("rounds 1-20, seconds 1-60, delays 1-2000")
    binary = a.bin
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "brisk-server", "--bin",
                        "brisk"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "brisk")
    limit = a.ms / 1000 * 1.2
    hz = os.sysconf("SC_CLK_TCK")
    os.sched_setaffinity(0, {CLIENT_CPU})  # the delay client's thread runs on the client CPU
    server = subprocess.Popen(
        ["taskset", "-c", "0", binary, "--bind", f"127.0.0.1:{PORT}", "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ratios, all_lat = [], []
    try:
        time.sleep(0.7)
        if server.poll() is not None:
            sys.exit(f"{binary} exited at start with {server.returncode}")
        for r in range(a.rounds):
            c0 = cpu_ticks(server.pid)
            alone, n_alone = wrk(a.seconds)
            c1 = cpu_ticks(server.pid)
            latencies, errors, cpu = [], [], []
            started, stop = threading.Event(), threading.Event()
            t = threading.Thread(target=delay_client, args=(
                a.delays, f"/delay/{a.ms}", started, stop, latencies, errors, cpu))
            t.start()
            if not started.wait(10):
                stop.set()
                sys.exit("the delay client did not start")
            c2 = cpu_ticks(server.pid)
            mixed, n_mixed = wrk(a.seconds)
            c3 = cpu_ticks(server.pid)
            stop.set()
            t.join(timeout=a.ms / 1000 + 10)
            if errors:
                sys.exit(f"round {r + 1}: delay errors: {errors[:5]}")
            ratios.append(mixed / alone)
            all_lat += latencies
            lat = sorted(latencies)
            print(f"round {r + 1}: wrk alone {alone:.0f} req/s, with {a.delays} delays "
                  f"{mixed:.0f} req/s, ratio {mixed / alone:.3f}; delays: {len(lat)} answered, "
                  f"p50 {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f} "
                  f"ms, max {lat[-1] * 1000:.0f} ms; server CPU per wrk request "
                  f"{(c1 - c0) * 1e6 / hz / n_alone:.2f} us alone, "
                  f"{(c3 - c2) * 1e6 / hz / n_mixed:.2f} us with the delays; the delay client "
                  f"used {100 * cpu[0] / cpu[1]:.1f} % of CPU {CLIENT_CPU}", flush=True)
    finally:
        server.kill()
        server.wait()
    lat = sorted(all_lat)
    ratio = statistics.median(ratios)
    print(f"delay latency: count {len(lat)}, p50 {percentile(lat, 50) * 1000:.0f} ms, "
          f"p99 {percentile(lat, 99) * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    print(f"{'PASS' if lat[-1] <= limit else 'FAIL'}: every delay answered within "
          f"{limit:.2f} s (max {lat[-1]:.3f} s)")
    print(f"{'PASS' if ratio >= 0.8 else 'FAIL'}: /plaintext with delays at least 80 % of "
          f"alone (median ratio {ratio:.3f})")


if __name__ == "__main__":
    main()
