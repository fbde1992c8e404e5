#!/usr/bin/env python3
"""Opens N connections to 127.0.0.1:PORT, makes each a used keep-alive connection, prints READY,
and holds them open, idle, until stdin closes. Usage: idle_client.py PORT N [echo|http|h2c]
Environment: REQUESTS=k makes k requests per connection (one after the other; default 1).

  echo  one 1-byte echo (the reactor's echo example)
  http  one HTTP/1.1 GET /plaintext, answered in full
  h2c   HTTP/2 with prior knowledge: the preface, an empty SETTINGS, the ACK of the server's
        SETTINGS and one GET /plaintext (stream 1) answered in full (END_STREAM seen). The
        request's :path, :authority and user-agent use literals with incremental indexing, as
        nghttp2 and h2load send them, so the server's HPACK decoder table is in use.
"""
import os
import resource
import socket
import struct
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
requests = int(os.environ.get("REQUESTS", "1"))
mode = sys.argv[3] if len(sys.argv) > 3 else "echo"
GET = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal_indexed(index, value):
    """Literal header field with incremental indexing, indexed name (index < 63), raw value."""
    assert index < 63 and len(value) < 127
    return bytes([0x40 | index, len(value)]) + value


def h2c_request():
    block = (
        b"\x82"  # :method GET
        + b"\x86"  # :scheme http
        + literal_indexed(4, b"/plaintext")  # :path
        + literal_indexed(1, b"127.0.0.1:%d" % port)  # :authority
        + literal_indexed(58, b"idle-client/1")  # user-agent
    )
    return PREFACE + frame(4, 0, 0) + frame(1, 0x5, 1, block)  # HEADERS: END_STREAM|END_HEADERS


def recv_exact(s, k, i):
    data = b""
    while len(data) < k:
        chunk = s.recv(k - len(data))
        if not chunk:
            sys.exit(f"connection {i}: closed")
        data += chunk
    return data


def h2c_one(s, i, stream=1):
    if stream == 1:
        s.sendall(h2c_request())
    else:  # the same request, :path (64), :authority (63), user-agent (62) now indexed
        s.sendall(frame(1, 0x5, stream, b"\x82\x86\xc0\xbf\xbe"))
    while True:
        head = recv_exact(s, 9, i)
        length = int.from_bytes(head[:3], "big")
        kind, flags = head[3], head[4]
        sid = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        recv_exact(s, length, i)
        if kind == 4 and not flags & 1:  # the server's SETTINGS: acknowledge it
            s.sendall(frame(4, 1, 0))
        elif kind == 7:
            sys.exit(f"connection {i}: GOAWAY")
        elif kind == 3 and sid == stream:
            sys.exit(f"connection {i}: RST_STREAM")
        elif kind in (0, 1) and sid == stream and flags & 1:  # END_STREAM on our stream
            return


def http_one(s, i):
    s.sendall(GET)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(f"connection {i}: closed")
        got += chunk
        head, sep, body = got.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(body) >= length:
                return


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if mode == "http":
        for _ in range(requests):
            http_one(s, i)
    elif mode == "h2c":
        for k in range(requests):
            h2c_one(s, i, 2 * k + 1)
    else:
        s.sendall(b"x")
        if s.recv(1) != b"x":
            sys.exit(f"connection {i}: bad echo")
    socks.append(s)
print(f"READY {len(socks)}", flush=True)
sys.stdin.read()
for s in socks:
    s.close()
