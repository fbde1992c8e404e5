#!/usr/bin/env python3
"""Opens N connections to 127.0.0.1:PORT, makes each a used keep-alive connection (mode echo:
one 1-byte echo; mode http: one GET answered with the 1-byte body "x"), prints READY, and holds
them open, idle, until stdin closes. Usage: idle_client.py PORT N [echo|http]"""
import resource
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "echo"
GET = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if mode == "http":
        s.sendall(GET)
        got = b""
        while not (b"\r\n\r\n" in got and got.endswith(b"x")):
            chunk = s.recv(4096)
            if not chunk:
                sys.exit(f"connection {i}: closed")
            got += chunk
    else:
        s.sendall(b"x")
        if s.recv(1) != b"x":
            sys.exit(f"connection {i}: bad echo")
    socks.append(s)
print(f"READY {len(socks)}", flush=True)
sys.stdin.read()
for s in socks:
    s.close()
