#!/usr/bin/env python3
"""Opens N connections to an echo server on 127.0.0.1:PORT, does one 1-byte echo on each (so
each is a used keep-alive connection, now idle), prints READY, and holds them open until
stdin closes. Usage: idle_client.py PORT N"""
import resource
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit(f"connection {i}: bad echo")
    socks.append(s)
print(f"READY {len(socks)}", flush=True)
sys.stdin.read()
for s in socks:
    s.close()
