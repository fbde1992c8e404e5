"""Request bodies streamed to the app as they arrive: request.stream() over HTTP/1.1 and
HTTP/2, backpressure on a slow reader, `100 Continue` on the first receive(), an app that
answers without reading, and a client that goes mid-upload."""

import hashlib
import socket
import time

import pytest

from conftest import need, wait_seen

MIB = 1 << 20



def _read_response(sock):
    """Status and body of one HTTP/1.1 response with a content-length."""
    data = b""
    while b"\r\n\r\n" not in data:
        b = sock.recv(65536)
        assert b, data
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    while len(body) < length:
        b = sock.recv(65536)
        assert b, body
        body += b
    return int(lines[0].split()[1]), lines, body


@pytest.mark.parametrize("http2", [False, True], ids=["h1", "h2"])
def test_a_5_mib_upload_streams_through_request_stream(serve, httpx, http2):
    need("fastapi")
    if http2:
        need("h2")
    s = serve("fast:app")
    data = bytes(i * 7 % 251 for i in range(5 * MIB))
    with httpx.Client(http1=not http2, http2=http2, timeout=20) as c:
        r = c.post(s.url + "/upload-stream", content=data)
        assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
    got = r.json()
    assert got["bytes"] == len(data)
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    # Streamed in pieces as it arrived, not handed over whole.
    assert got["pieces"] > 4, got
    assert got["largest"] < 2 * MIB, got


def test_a_slow_reader_holds_the_upload_back(serve):
    s = serve("raw:app")
    body = b"x" * (4 * MIB)
    sock = socket.create_connection(s.hostport)
    sock.sendall(b"POST /slow-reader HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                 % len(body))
    sock.sendall(body)  # the kernel buffers take most of it at once
    sock.settimeout(30)
    status, _, answer = _read_response(sock)
    assert status == 200
    import json

    got = json.loads(answer)
    assert got["total"] == len(body)
    # The reader sleeps 10 ms between messages: without backpressure the body piles up and
    # comes in a few huge messages; with it, each holds about the 64 KiB queue.
    assert got["max"] <= 192 * 1024, got
    assert got["messages"] >= 20, got


def test_100_continue_is_sent_on_the_first_receive(serve):
    s = serve("raw:app")
    sock = socket.create_connection(s.hostport)
    sock.sendall(b"POST /read-later HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n"
                 b"Expect: 100-continue\r\n\r\n")
    t0 = time.monotonic()
    sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        sock.recv(100)  # the app has not asked for the body yet
    sock.settimeout(5)
    got = b""
    while b"\r\n\r\n" not in got:
        b = sock.recv(100)
        assert b
        got += b
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n"), got
    assert time.monotonic() - t0 >= 0.4
    sock.sendall(b"y" * 300000)
    status, _, answer = _read_response(sock)
    assert (status, answer) == (200, b"300000")


def test_an_app_that_answers_without_reading_the_body_is_answered(serve, httpx):
    s = serve("raw:app")
    sock = socket.create_connection(s.hostport)
    sock.sendall(b"POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                 % (3 * MIB))
    sock.sendall(b"z" * 100_000)
    sock.settimeout(5)
    t0 = time.monotonic()
    status, lines, answer = _read_response(sock)
    assert time.monotonic() - t0 < 2
    assert (status, answer) == (200, b"did not read")
    assert "connection: close" in [line.lower() for line in lines]
    # The server goes on serving.
    assert httpx.get(s.url + "/pid").status_code == 200


def test_a_client_that_goes_mid_upload_is_a_disconnect_for_the_app(serve, httpx):
    s = serve("raw:app")
    sock = socket.create_connection(s.hostport)
    sock.sendall(b"POST /upload-disconnect HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
    sock.sendall(b"a" * 200_000)
    time.sleep(0.2)
    sock.close()
    assert wait_seen(httpx, s.url, 1) == ["upload:http.disconnect"]
