"""The in-process floor of benches/asgi/compare.sh: the app awaited directly, no server.

    python floor.py MODULE:ATTR PATH [--rounds N] [--seconds S]

Awaits ``app(scope, receive, send)`` in a loop inside one coroutine on a uvloop loop (asyncio's
when uvloop is missing), with a fresh copy of a GET scope per call (the apps mutate it: Starlette
adds "app", "router", "endpoint", "path_params") and a receive/send pair that do nothing but
hand over one empty request body and count the messages. Each round runs for about S seconds of
CPU; prints one line per round, "<calls> <CPU microseconds per call>" (process CPU time, user +
system), and checks that every call sent a 200 start and a body.
"""

import argparse
import asyncio
import importlib
import time


def load(spec):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def scope_for(path):
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def main(app, path, rounds, seconds):
    template = scope_for(path)
    request = {"type": "http.request", "body": b"", "more_body": False}
    sent = [0, 0]  # 200 starts, final bodies

    async def receive():
        return request

    async def send(message):
        if message["type"] == "http.response.start":
            sent[0] += message["status"] == 200
        elif not message.get("more_body", False):
            sent[1] += 1

    async def batch(n):
        for _ in range(n):
            scope = dict(template)
            scope["state"] = {}
            await app(scope, receive, send)

    await batch(1000)  # warm-up; also sizes the batches to about 0.1 s each
    t0 = time.process_time()
    await batch(1000)
    per_call = max(time.process_time() - t0, 1e-6) / 1000
    n = max(1000, int(0.1 / per_call))
    made = 2000
    for _ in range(rounds):
        calls = 0
        t0 = time.process_time()
        while time.process_time() - t0 < seconds:
            await batch(n)
            calls += n
        cpu = time.process_time() - t0
        made += calls
        print(f"{calls} {cpu * 1e6 / calls:.3f}", flush=True)
    if sent[0] != made or sent[1] != made:
        raise SystemExit(f"floor: {sent[0]} 200 starts and {sent[1]} final bodies: the app did not answer every call")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("app")
    ap.add_argument("path")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(main(load(a.app), a.path, a.rounds, a.seconds))
