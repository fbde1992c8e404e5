"""Streaming responses: chunks leave as they come, send() waits for a slow client, a failure
after the start cuts the body, background tasks run after the response left."""

import socket
import time
import uuid

import pytest

from conftest import need, wait_seen



def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("http2", [False, True], ids=["h1", "h2"])
def test_1000_chunk_streaming_response_arrives_incrementally(serve, httpx, http2):
    need("fastapi")
    if http2:
        need("h2")
    s = serve("fast:app")
    token = uuid.uuid4().hex
    with httpx.Client(http1=not http2, http2=http2, timeout=10) as c:
        with c.stream("GET", s.url + f"/stream?token={token}") as r:
            assert r.status_code == 200
            assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            it = r.iter_raw()
            # The app sends the other 999 chunks only after /release: a buffered response
            # would never show this first one (the read times out).
            first = next(it)
            assert first.startswith(b"0\n")
            # HTTP/2: the same connection, another stream; HTTP/1.1: its own connection.
            rel = (c if http2 else httpx).get(s.url + f"/release?token={token}")
            assert rel.json() == {"released": token}
            body = first + b"".join(it)
    assert body == b"".join(b"%d\n" % i for i in range(1000))


def test_slow_http2_client_holds_back_a_fast_streaming_app(serve, httpx):
    need("h2")
    s = serve("raw:app")
    with httpx.Client(http1=False, http2=True, timeout=20) as c:
        with c.stream("GET", s.url + "/firehose") as r:
            it = r.iter_raw()
            total = len(next(it))
            time.sleep(1.0)  # the stream's window stays shut: the app must wait in send()
            handed = httpx.get(s.url + "/progress").json()["firehose"]
            assert handed < 16 * 2**20, f"the app handed {handed} bytes to a stalled stream"
            for b in it:
                total += len(b)
    assert total == 64 * 2**20


def test_asyncio_timeout_cancels_a_waiting_send_and_the_body_is_cut(serve, httpx):
    s = serve("raw:app")
    sock = socket.create_connection(s.hostport)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET /firehose-timeout HTTP/1.1\r\nHost: t\r\n\r\n")
    deadline = time.monotonic() + 5
    while "send timed out" not in httpx.get(s.url + "/seen-after").json():
        assert time.monotonic() < deadline, s.log
        time.sleep(0.05)
    sock.settimeout(10)
    tail = b""
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break  # closed by the server: the response was aborted
        tail = (tail + b)[-16:]
    assert not tail.endswith(b"0\r\n\r\n")
    assert s.logged("returned without completing response"), s.log
    assert httpx.get(s.url + "/chunks").status_code == 200


def test_slow_client_holds_back_a_fast_streaming_app(serve):
    s = serve("raw:app")
    import httpx

    sock = socket.create_connection(s.hostport)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    rss0 = _rss_kib(s.proc.pid)
    sock.sendall(b"GET /firehose HTTP/1.1\r\nHost: t\r\n\r\n")
    got = sock.recv(65536)
    assert got.startswith(b"HTTP/1.1 200 ")
    time.sleep(1.0)  # the client reads nothing: the app must wait in send()
    handed = httpx.get(s.url + "/progress").json()["firehose"]
    rss1 = _rss_kib(s.proc.pid)
    assert handed < 16 * 2**20, f"the app handed {handed} bytes of 64 MiB to a client not reading"
    assert rss1 - rss0 < 32 * 1024, f"server RSS grew {rss1 - rss0} KiB"
    # Now read it all: the app goes on and the body is whole.
    total = len(got)
    sock.settimeout(20)
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break
        total += len(b)
        got = got[-16:] + b
        if got.endswith(b"0\r\n\r\n"):
            break
    assert got.endswith(b"0\r\n\r\n")
    assert total > 64 * 2**20
    sock.close()
    assert httpx.get(s.url + "/progress").json()["firehose"] == 64 * 2**20


def _raw_get(s, path: str) -> bytes:
    sock = socket.create_connection(s.hostport)
    sock.settimeout(10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    data = b""
    while True:
        b = sock.recv(65536)
        if not b:
            break  # the server closed the connection
        data += b
    sock.close()
    return data


def test_exception_after_start_cuts_the_http1_body(serve, httpx):
    s = serve("raw:app")
    for path, part in (("/raise-after-start", b""), ("/raise-after-body", b"partial")):
        data = _raw_get(s, path)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), data
        assert b"transfer-encoding: chunked" in head.lower(), data
        assert part in body
        assert not body.endswith(b"0\r\n\r\n"), data  # no last chunk: the client sees a cut
    assert s.logged("boom after body (expected by the test)"), s.log
    assert httpx.get(s.url + "/chunks").status_code == 200  # the server goes on


def test_exception_after_start_resets_the_http2_stream(serve, httpx):
    need("h2")
    s = serve("raw:app")
    with httpx.Client(http1=False, http2=True, timeout=10) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(s.url + "/raise-after-body")
        # The connection lives on: only the stream was reset.
        r = c.get(s.url + "/chunks")
        assert r.status_code == 200 and r.http_version == "HTTP/2"


def test_fastapi_background_task_runs_after_the_response_left(serve, httpx):
    need("fastapi")
    s = serve("fast:app")
    name = uuid.uuid4().hex
    with httpx.Client(timeout=10) as c:
        t = time.monotonic()
        r = c.get(s.url + f"/background?name={name}")
        took = time.monotonic() - t
        assert r.json() == {"scheduled": name}
        assert took < 0.8, f"the response waited {took:.2f} s for the 1 s background task"
        assert name not in c.get(s.url + "/background-done").json()
        deadline = time.monotonic() + 5
        while name not in c.get(s.url + "/background-done").json():
            assert time.monotonic() < deadline, "the background task never finished"
            time.sleep(0.05)


def test_asyncio_timeout_fires_inside_a_handler(serve, httpx):
    s = serve("raw:app")
    t = time.monotonic()
    r = httpx.get(s.url + "/timeout", timeout=10)
    assert (r.status_code, r.text) == (504, "timed out")
    assert time.monotonic() - t < 2


def test_streaming_app_sees_the_client_disconnect(serve, httpx):
    s = serve("raw:app")
    sock = socket.create_connection(s.hostport)
    sock.sendall(b"GET /stream-until-gone HTTP/1.1\r\nHost: t\r\n\r\n")
    assert b"tick" in sock.recv(65536) or b"tick" in sock.recv(65536)
    sock.close()
    seen = wait_seen(httpx, s.url, 2)
    assert sorted(seen) == ["listener:http.disconnect", "send raised OSError"]


def test_head_request_to_a_streaming_app_gets_the_head_and_the_app_finishes(serve, httpx):
    need("h2")
    s = serve("raw:app")
    for http2 in (False, True):
        with httpx.Client(http1=not http2, http2=http2, timeout=10) as c:
            r = c.head(s.url + "/firehose")
            assert r.status_code == 200 and r.content == b""
            # The app's chunks were taken (and dropped): it ran to the end without an error.
            deadline = time.monotonic() + 5
            while c.get(s.url + "/progress").json()["firehose"] != 64 * 2**20:
                assert time.monotonic() < deadline, s.log
                time.sleep(0.05)
    assert "Exception in ASGI application" not in s.log, s.log
