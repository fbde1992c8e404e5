#!/usr/bin/env python3
"""Slow-loris attacker for benches/attack/slowloris.sh (loopback only).

Keeps --conns connections open to 127.0.0.1:--port. Each sends the first --first bytes of a
request head, then one more byte every --interval seconds, never finishing the head. When the
server answers (408) and closes, or resets, the connection is replaced by a new one. Runs for
--duration seconds, then prints one JSON line of counts:

  connects   connections opened (including replacements)
  closed_408 connections that got a 408 answer and then EOF
  closed     connections closed by the server without any answer
  answered   connections that got an answer other than 408 (should stay 0)
  reset      connections that failed with a reset or another error
  open       connections still open at the end (within their header timeout)
"""
import argparse
import errno
import heapq
import json
import selectors
import socket
import sys
import time

HEAD = b"GET /plaintext HTTP/1.1\r\nHost: attacker\r\nX-Slow: " + b"a" * 60000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=10)
    a = ap.parse_args()

    sel = selectors.EpollSelector()
    counts = dict(connects=0, closed_408=0, closed=0, answered=0, reset=0)
    # fd -> [sock, bytes sent, bytes received (first 16), connected]
    conns = {}
    due = []  # heap of (time, fd, generation)
    gen = 0
    end = time.monotonic() + a.duration

    def opened():
        nonlocal gen
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", a.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            counts["reset"] += 1
            return
        counts["connects"] += 1
        gen += 1
        conns[s.fileno()] = [s, 0, b"", False, gen]
        sel.register(s, selectors.EVENT_WRITE)

    def finish(fd, kind):
        c = conns.pop(fd)
        sel.unregister(c[0])
        c[0].close()
        counts[kind] += 1

    def send(fd, n):
        c = conns[fd]
        try:
            k = c[0].send(HEAD[c[1]:c[1] + n])
            c[1] += k
        except BlockingIOError:
            pass
        except OSError:
            finish(fd, "reset")
            return False
        return True

    ramp = 0
    while time.monotonic() < end:
        # Open up to 2,000 connections per loop turn until --conns are open.
        while len(conns) < a.conns and ramp < 2000:
            opened()
            ramp += 1
        ramp = 0
        now = time.monotonic()
        timeout = 0.05
        if due:
            timeout = max(0.0, min(timeout, due[0][0] - now))
        for key, ev in sel.select(timeout):
            fd = key.fd
            c = conns.get(fd)
            if c is None:
                continue
            s = c[0]
            if not c[3]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    finish(fd, "reset")
                    continue
                c[3] = True
                sel.modify(s, selectors.EVENT_READ)
                if send(fd, a.first):
                    heapq.heappush(due, (time.monotonic() + a.interval, fd, c[4]))
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                finish(fd, "reset")
                continue
            if data:
                if len(c[2]) < 16:
                    c[2] += data[:16]
                continue
            if not c[2]:
                finish(fd, "closed")
            elif c[2].startswith(b"HTTP/1.1 408"):
                finish(fd, "closed_408")
            else:
                finish(fd, "answered")
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, fd, g = heapq.heappop(due)
            c = conns.get(fd)
            if c is None or c[4] != g or c[2]:
                continue
            if send(fd, 1):
                heapq.heappush(due, (now + a.interval, fd, g))
    counts["open"] = len(conns)
    for c in conns.values():
        c[0].close()
    print(json.dumps(counts))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
