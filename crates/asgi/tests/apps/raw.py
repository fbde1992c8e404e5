"""A raw ASGI app for the tests: one behaviour per path."""

import asyncio
import contextvars
import json
import os
import sys

request_id = contextvars.ContextVar("request_id", default=None)
# What /after-response saw from receive() once its response was complete.
seen_after = []
# Bytes /firehose handed to send() so far.
progress = {}


def describe(scope):
    """The scope as JSON-able values, with each field's type name."""
    out = {}
    for k, v in scope.items():
        if isinstance(v, bytes):
            val = v.decode("latin-1")
        elif k == "headers":
            val = [[n.decode("latin-1"), x.decode("latin-1")] for n, x in v]
        elif isinstance(v, tuple):
            val = list(v)
        else:
            val = v
        if k == "headers":
            kind = [[type(n).__name__, type(x).__name__] for n, x in v]
        elif isinstance(v, tuple):
            kind = ["tuple"] + [type(x).__name__ for x in v]
        else:
            kind = type(v).__name__
        out[k] = {"value": val, "type": kind}
    return out


async def reply(send, status, body, headers=((b"content-type", b"text/plain"),)):
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive):
    """The whole request body, from as many http.request messages as it takes."""
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            return body


async def lifespan(scope, receive, send):
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            scope["state"]["started"] = "yes"
            scope["state"]["counter"] = 0
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            print("lifespan shutdown ran", file=sys.stderr, flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await lifespan(scope, receive, send)
    path = scope["path"]
    if path == "/echo":
        return await reply(send, 200, await read_body(receive))
    if path == "/raise":
        raise RuntimeError("boom (expected by the test)")
    if path == "/raise-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("boom after start (expected by the test)")
    if path == "/no-response":
        return None
    if path == "/bad-header-value":
        return await reply(send, 200, b"x", [(b"x-bad", b"a\r\nInjected: yes")])
    if path == "/bad-header-name":
        return await reply(send, 200, b"x", [(b"bad name", b"v")])
    if path == "/chunks":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(100):
            await send({"type": "http.response.body", "body": b"%d," % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})
        return None
    if path == "/sleep":
        await asyncio.sleep(0.5)
        return await reply(send, 200, b"slept")
    if path == "/context":
        before = request_id.get()
        mine = scope["query_string"].decode()
        request_id.set(mine)
        await asyncio.sleep(0.05)
        after = request_id.get()
        return await reply(send, 200, json.dumps([before, after]).encode())
    if path == "/state":
        # A shallow copy per request: this change is not seen by the next request.
        scope["state"]["counter"] += 1
        body = json.dumps({k: scope["state"][k] for k in ("started", "counter")})
        return await reply(send, 200, body.encode())
    if path == "/after-response":
        await receive()  # the body
        await reply(send, 200, b"done")
        seen_after.append((await receive())["type"])
        return None
    if path == "/wait-disconnect":
        await receive()  # the body
        # No response: waits until the client goes.
        seen_after.append("waiting:" + (await receive())["type"])
        try:
            await reply(send, 200, b"too late")
        except OSError:
            seen_after.append("send raised OSError")
        return None
    if path == "/raise-after-body":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("boom after body (expected by the test)")
    if path == "/firehose":
        # 64 MiB in 64 KiB chunks as fast as send() lets it; progress counts what was handed.
        chunk = b"x" * 65536
        progress["firehose"] = 0
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(1024):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            progress["firehose"] += len(chunk)
        await send({"type": "http.response.body", "body": b""})
        return None
    if path == "/firehose-timeout":
        # Streams to a client that does not read until asyncio.timeout cancels the waiting
        # send(); the app then returns with the response incomplete (so it is aborted).
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            async with asyncio.timeout(0.5):
                while True:
                    await send({"type": "http.response.body", "body": b"y" * 65536,
                                "more_body": True})
        except TimeoutError:
            seen_after.append("send timed out")
        return None
    if path == "/progress":
        return await reply(send, 200, json.dumps(progress).encode())
    if path == "/stream-until-gone":
        # Streams until the client goes; a concurrent receive() must see http.disconnect and
        # the next send() raise OSError.
        async def listen():
            seen_after.append("listener:" + (await receive())["type"])

        await receive()  # the body
        listener = asyncio.ensure_future(listen())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"tick\n", "more_body": True})
                await asyncio.sleep(0.01)
        except OSError:
            seen_after.append("send raised OSError")
        await asyncio.wait_for(listener, 5)
        return None
    if path == "/timeout":
        try:
            async with asyncio.timeout(0.1):
                await asyncio.sleep(5)
        except TimeoutError:
            return await reply(send, 504, b"timed out")
        return await reply(send, 200, b"not timed out")
    if path == "/slow-reader":
        # Reads its body slowly; answers the sizes of the messages it got and the total.
        sizes, total = [], 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                seen_after.append("slow-reader:" + msg["type"])
                return None
            sizes.append(len(msg["body"]))
            total += len(msg["body"])
            if not msg.get("more_body"):
                break
            await asyncio.sleep(0.01)
        return await reply(send, 200, json.dumps({"total": total, "max": max(sizes),
                                                  "messages": len(sizes)}).encode())
    if path == "/read-later":
        # Its first receive() comes after a pause (100 Continue must wait for it).
        await asyncio.sleep(0.5)
        return await reply(send, 200, b"%d" % len(await read_body(receive)))
    if path == "/ignore-body":
        return await reply(send, 200, b"did not read")
    if path == "/upload-disconnect":
        msg = await receive()
        while msg["type"] == "http.request" and msg.get("more_body"):
            msg = await receive()
        seen_after.append("upload:" + msg["type"])
        return None
    if path == "/pid":
        return await reply(send, 200, str(os.getpid()).encode())
    if path == "/seen-after":
        return await reply(send, 200, json.dumps(seen_after).encode())
    if path == "/slow":
        await asyncio.sleep(1.0)
        return await reply(send, 200, b"slow done")
    return await reply(send, 200, json.dumps(describe(scope)).encode(),
                       [(b"content-type", b"application/json"), (b"X-Custom", b"1")])


async def startup_fails(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database (expected)"})
        return
    await reply(send, 200, b"never")
