#!/usr/bin/env python3
"""Malformed-input attack on one `brisk` worker, sampling its resident memory (issue 20, defect 8).

Sends --count bad requests to 127.0.0.1, each a seeded, deterministic mutation of a valid
request (request i is built from random.Random(seed * 1000003 + i), so a run is reproducible):

  bitflip     1-8 flipped bits in a valid GET, POST (Content-Length or chunked), Range GET or h2c
  dupheader   Host, Content-Length, Transfer-Encoding or a long header repeated 2-300 times
  longheader  one header, the target or the method of 4 KiB - 128 KiB; or 100-400 fields
  range       bad Range headers (reversed, overflowing, non-numeric, thousands of ranges)
  smuggle     CL+TE, double CL, TE variants, obs-fold, bare LF / bare CR, chunk-size overflow,
              huge chunk extensions, negative or signed Content-Length, trailers that never end
  method      invalid methods and targets (control bytes, spaces, absolute-form junk, CONNECT)
  h2c         the preface followed by garbage, a truncated preface, Upgrade: h2c with bad settings
  h2frames    after a valid preface: frames with bad lengths or flags, bad HPACK, CONTINUATION
              floods, oversized padding, bad SETTINGS, DATA on stream 0, streams opened and
              left with half a header block
  slow        a partial head sent in 2-4 pieces 30-150 ms apart, then dropped (or finished bad)

Connection shapes (also seeded): most get one bad request on a new connection; some send a
valid request pipelined in front of the bad one; some send a valid request, wait for its
answer (keep-alive), then the bad one. Each connection is closed after the server closes it,
or after --linger seconds. --conns connections are in flight at once.

Meanwhile a normal client keeps requesting GET /plaintext on a keep-alive connection and
checks every answer (200, body "Hello, World!"); any other answer, a reset or a timeout counts
as a failure (reconnecting after it).

At each count in --samples the attack pauses, lets in-flight connections finish, waits
--settle seconds and samples the server's VmRSS (/proc/PID/status), and, for a `count-alloc`
build (--allocations), the allocations so far and the live heap bytes (GET /__allocations,
/__allocations?live); VmRSS is also split by mapping kind ([heap], anonymous, files). It prints one line per sample and a
summary: normal requests ok / failed (must be 0 failed), the server's answers by status, and
whether RSS at the last sample is within --tolerance (10 %) of RSS at the --base sample (the
one after 20,000 bad requests).

Usage (the full run, a few minutes on this machine):
  cargo build --release -p brisk-server --bin brisk
  python3 benches/attack/bad_requests.py --bin target/release/brisk \
      --count 200000 --samples 20000,50000,100000,200000
Measured (BENCHMARKS.md, "Memory under malformed input"): before issue 20's fixes VmRSS went
from 4,240 KiB after 20,000 to 5,932 KiB after 200,000 (+39.9 %, the reactor's buffer arena);
after them 4,396 -> 4,680 KiB (+6.5 %), the live heap flat, 0 normal requests failed.
Against a running server:  --port P --pid PID  (instead of --bin).
Exit status: 0 if no normal request failed and RSS stayed within the tolerance, 1 otherwise.
Loopback only; bounded by --count and --max-seconds. The CI variant is
crates/server/tests/bad_input_memory.rs.
"""
import argparse
import base64
import errno
import os
import random
import re
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


# --- valid requests -------------------------------------------------------------------------

def get(path=b"/plaintext", extra=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bad/1\r\n" + extra + b"\r\n"


def post_cl(body=b"hello=world"):
    return (b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def post_chunked():
    return (b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")


def range_get():
    return get(b"/file.bin", b"Range: bytes=0-99\r\n")


def frame(kind, flags, stream, payload, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">I", n)[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def h2_headers_block(path=b"/plaintext"):
    # :method GET, :scheme http, :path (literal, indexed name 4), :authority (literal, name 1)
    return (b"\x82\x86\x44" + bytes([len(path)]) + path + b"\x41\x09localhost")


def h2_valid():
    return PREFACE + frame(4, 0, 0, b"") + frame(1, 5, 1, h2_headers_block())


VALID = [lambda r: get(), lambda r: post_cl(), lambda r: post_chunked(), lambda r: range_get(),
         lambda r: get(b"/hello/" + b"x" * r.randint(1, 40)), lambda r: h2_valid()]


# --- mutations ------------------------------------------------------------------------------

def bitflip(r):
    b = bytearray(r.choice(VALID)(r))
    for _ in range(r.randint(1, 8)):
        i = r.randrange(len(b))
        b[i] ^= 1 << r.randrange(8)
    return bytes(b)


def rand_token(r, n):
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz-") for _ in range(n))


def dupheader(r):
    k = r.randint(2, 300)
    kind = r.randrange(5)
    if kind == 0:
        extra = b"Host: localhost\r\n" * k
    elif kind == 1:
        extra = b"".join(b"Content-Length: %d\r\n" % r.choice([0, 5, 11]) for _ in range(k))
        return b"POST /echo HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\nhello"
    elif kind == 2:
        extra = b"Transfer-Encoding: chunked\r\n" * k
        return b"POST /echo HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\n5\r\nhello\r\n0\r\n\r\n"
    elif kind == 3:
        v = b"v" * r.randint(100, 2000)
        extra = (b"X-Dup: " + v + b"\r\n") * min(k, 60)
    else:
        extra = b"Cookie: " + rand_token(r, 30) + b"\r\n"
        extra *= k
    return get(extra=extra)


def longheader(r):
    n = r.choice([4096, 8192, 16384, 65536, 131072]) + r.randint(0, 999)
    kind = r.randrange(5)
    if kind == 0:
        return get(extra=b"X-Long: " + b"a" * n + b"\r\n")
    if kind == 1:
        return get(path=b"/" + b"p" * n)
    if kind == 2:
        return b"G" * n + b" / HTTP/1.1\r\nHost: a\r\n\r\n"
    if kind == 3:
        return get(extra=b"".join(b"X-F%d: %s\r\n" % (i, rand_token(r, 8))
                                  for i in range(r.randint(100, 400))))
    return get(extra=rand_token(r, n) + b": v\r\n")


def bad_range(r):
    specs = [b"bytes=abc", b"bytes=5-1", b"bytes=-", b"bytes=-0", b"bytes=99999999999999999999-",
             b"bytes=0-18446744073709551616", b"lines=0-1", b"bytes 0-1", b"bytes=0-1,",
             b"bytes=" + b",".join(b"%d-%d" % (i, i) for i in range(r.randint(100, 3000))),
             b"bytes=" + b"0-1," * r.randint(500, 4000) + b"2-3", b"bytes=--1", b"bytes=1--2",
             b"bytes=\x00-1", b"bytes=0-1\r\nRange: bytes=2-3"]
    return get(b"/file.bin", b"Range: " + r.choice(specs) + b"\r\n")


def smuggle(r):
    shapes = [
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhelloX",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhelloX",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n\tb\r\n\r\n",
        b"GET /plaintext HTTP/1.1\nHost: a\nX: y\n\n",
        b"GET /plaintext HTTP/1.1\rHost: a\r\r",
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"ffffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;" + b"e" * r.randint(1000, 70000) + b"\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5" + b";a=b" * r.randint(100, 5000) + b"\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n" + b"X-Trailer: " + b"t" * r.randint(100, 9000) + b"\r\n" * r.randint(0, 1),
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"1\r\nx\r\n" * r.randint(10, 3000) + b"zz\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 900000\r\n\r\n" + b"b" * r.randint(0, 60000),
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\nhello",
        b"POST /echo HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\n\r\n",
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
    ]
    return r.choice(shapes)


def bad_method(r):
    shapes = [b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n", b"get /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET  /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /pla intext HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", b"GET http://a:b:c/ HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", b"CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\n",
              b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", b"OPTIONS ** HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET /plaintext HTTP/9.9\r\nHost: a\r\n\r\n", b"GET /plaintext HTTP/1.1x\r\n\r\n",
              b"GET /plaintext\r\n\r\n", b"\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
              b"GET /hello/%00%ff HTTP/1.1\r\nHost: a\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
              rand_token(r, r.randint(1, 200)) + b" / HTTP/1.1\r\nHost: a\r\n\r\n",
              bytes(r.randrange(256) for _ in range(r.randint(1, 2000)))]
    return r.choice(shapes)


def h2c(r):
    kind = r.randrange(5)
    if kind == 0:
        return PREFACE + bytes(r.randrange(256) for _ in range(r.randint(1, 4000)))
    if kind == 1:
        return PREFACE[:r.randint(1, len(PREFACE) - 1)] + b"XX\r\n\r\n"
    if kind == 2:
        s = r.choice([b"!!!", b"AAMAAABkAAQAAP__", b"", base64.urlsafe_b64encode(b"\x00" * r.randint(1, 40)),
                      b"A" * r.randint(100, 9000)])
        return (b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                b"Upgrade: h2c\r\nHTTP2-Settings: " + s + b"\r\n\r\n" + PREFACE + r.choice([b"", b"junk"]))
    if kind == 3:
        return (b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n" + b"GET / HTTP/1.1\r\n\r\n")
    return PREFACE + frame(r.randrange(256), r.randrange(256), r.randrange(1 << 31),
                           bytes(r.randrange(256) for _ in range(r.randint(0, 100))))


def h2frames(r):
    s = PREFACE + frame(4, 0, 0, b"")
    kind = r.randrange(16)
    hb = h2_headers_block()
    if kind == 0:  # length says more than is sent
        s += frame(1, 5, 1, hb, length=r.randint(len(hb) + 1, 16384))
    elif kind == 1:  # frame larger than SETTINGS_MAX_FRAME_SIZE
        s += frame(0, 0, 1, b"", length=r.randint(16385, (1 << 24) - 1)) + b"d" * r.randint(0, 30000)
    elif kind == 2:  # CONTINUATION flood, never END_HEADERS
        s += frame(1, 1, 1, hb[:3]) + b"".join(frame(9, 0, 1, b"\x40\x01a\x01b" * 50)
                                               for _ in range(r.randint(10, 400)))
    elif kind == 3:  # padding longer than the payload
        s += frame(1, 0x0d, 1, bytes([200]) + hb)
    elif kind == 4:  # bad HPACK: index out of range, huge table size update, bad Huffman
        s += frame(1, 5, 1, r.choice([b"\xff\xff\xff\xff\x0f", b"\x3f\xe1\xff\xff\xff\x0f" + hb,
                                      b"\x82\x86\x44\x85\xff\xff\xff\xff\xff", b"\xbe",
                                      b"\x40\x7f\xff\xff\xff\x0f" + b"n" * 50]))
    elif kind == 5:  # SETTINGS: bad length, bad values, on a stream
        s += r.choice([frame(4, 0, 0, b"\x00\x04\x80\x00\x00\x00"), frame(4, 0, 0, b"\x00\x05\x00\x00\x00\x01"),
                       frame(4, 0, 0, b"\x00\x02\x00\x00\x00\x02"), frame(4, 0, 0, b"\x00" * 5),
                       frame(4, 1, 0, b"\x00" * 6), frame(4, 0, 3, b""),
                       frame(4, 0, 0, b"\x00\x01\xff\xff\xff\xff" * r.randint(1, 2000))])
    elif kind == 6:  # DATA on stream 0 / idle stream, WINDOW_UPDATE 0 / overflow
        s += r.choice([frame(0, 1, 0, b"x"), frame(0, 1, 7, b"x"), frame(8, 0, 0, b"\x00\x00\x00\x00"),
                       frame(8, 0, 0, b"\x7f\xff\xff\xff") * 2, frame(8, 0, 1, b"\x00\x00\x01")])
    elif kind == 7:  # PRIORITY / RST_STREAM / PING / GOAWAY with bad lengths
        s += frame(r.choice([2, 3, 6, 7]), r.randrange(256), r.randrange(4), b"z" * r.choice([0, 1, 3, 7, 9, 100]))
    elif kind == 8:  # many streams opened, each with half a header block
        s += b"".join(frame(1, 0, 2 * i + 1, hb) for i in range(r.randint(10, 200)))
    elif kind == 9:  # request then a body far larger than announced / than the window
        s += frame(1, 4, 1, b"\x83\x86\x44\x05/echo\x41\x09localhost\x5c\x015") + \
            b"".join(frame(0, 0, 1, b"b" * 16000) for _ in range(r.randint(1, 8)))
    elif kind == 10:  # stream ids going backwards, even ids
        s += frame(1, 5, 5, hb) + frame(1, 5, 3, hb) + frame(1, 5, 2, hb)
    elif kind == 11:  # huge header list via literal fields
        s += frame(1, 4, 1, hb + b"".join(b"\x40\x05x-big\x7f\x81\x7f" + b"v" * 16384
                                           for _ in range(r.randint(1, 4))), length=None)
    elif kind == 12:  # unknown frame types, some huge
        s += b"".join(frame(r.randint(10, 255), r.randrange(256), r.randrange(100), b"u" * r.randint(0, 16000))
                      for _ in range(r.randint(1, 10)))
    elif kind == 13:  # PUSH_PROMISE from a client
        s += frame(5, 4, 1, b"\x00\x00\x00\x02" + hb)
    elif kind == 14:  # a valid request, then bit flips in later frames
        tail = bytearray(frame(1, 5, 3, hb) + frame(8, 0, 0, b"\x00\x01\x00\x00"))
        for _ in range(r.randint(1, 6)):
            i = r.randrange(len(tail))
            tail[i] ^= 1 << r.randrange(8)
        s += frame(1, 5, 1, hb) + bytes(tail)
    else:  # RST flood on open streams
        s += b"".join(frame(1, 5, 2 * i + 1, hb) + frame(3, 0, 2 * i + 1, b"\x00\x00\x00\x08")
                      for i in range(r.randint(10, 300)))
    return s


def slow_head(r):
    """A partial head in pieces 30-150 ms apart; returns a list of (delay, bytes)."""
    head = r.choice([get(extra=b"X-Slow: " + b"s" * r.randint(10, 6000) + b"\r\n"), post_cl(), h2_valid()])
    cut = sorted(r.sample(range(1, len(head) - 1), r.randint(1, 3)))
    pieces, last = [], 0
    for c in cut:
        pieces.append(head[last:c])
        last = c
    if r.random() < 0.5:
        pieces.append(b"\r\n\x00bad\r\n\r\n")  # finished, badly
    return [(0.0 if i == 0 else r.uniform(0.03, 0.15), p) for i, p in enumerate(pieces)]


KINDS = [("bitflip", bitflip, 20), ("dupheader", dupheader, 10), ("longheader", longheader, 10),
         ("range", bad_range, 8), ("smuggle", smuggle, 16), ("method", bad_method, 8),
         ("h2c", h2c, 8), ("h2frames", h2frames, 16), ("slow", None, 4)]
WEIGHTS = [k[2] for k in KINDS]


def plan(seed, i):
    """The deterministic plan of bad request i: (kind, [(delay, bytes)], wait_first)."""
    r = random.Random(seed * 1000003 + i)
    name, fn, _ = r.choices(KINDS, WEIGHTS)[0]
    if fn is None:
        return name, slow_head(r), False
    bad = fn(r)
    shape = r.random()
    if shape < 0.15 and not bad.startswith(PREFACE):   # pipelined behind a valid request
        return name, [(0.0, get() + bad)], False
    if shape < 0.30 and not bad.startswith(PREFACE):   # keep-alive, then the bad request
        return name, [(0.0, get()), (0.0, bad)], True
    return name, [(0.0, bad)], False


# --- the attack loop ------------------------------------------------------------------------

class Conn:
    __slots__ = ("sock", "steps", "step", "sent", "due", "wait_first", "got", "deadline", "kind", "idx")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def rss_parts(pid):
    """Resident KiB by kind of mapping (/proc/PID/smaps): the brk heap, anonymous mappings
    (the reactor's buffer arena, glibc's thread arenas, large allocations, stacks) and files
    (the binary and libraries)."""
    parts = dict(heap=0, anon=0, file=0)
    kind = "anon"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                f6 = line.split()
                name = f6[5] if len(f6) > 5 else ""
                kind = "heap" if name == "[heap]" else "file" if name.startswith("/") else "anon"
            elif line.startswith("Rss:"):
                parts[kind] += int(line.split()[1])
    return parts


def allocations(port, live=False):
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            q = b"?live" if live else b""
            s.sendall(b"GET /__allocations" + q + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
        head, _, body = data.partition(b"\r\n\r\n")
        return int(body) if head.startswith(b"HTTP/1.1 200") else None
    except (OSError, ValueError):
        return None


class Normal(threading.Thread):
    """Keeps requesting GET /plaintext and checks each answer."""

    def __init__(self, port, interval):
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.ok = self.failed = 0
        self.errors = []
        self.stop = threading.Event()

    def one(self, s, buf):
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: normal\r\n\r\n")
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            buf += d
        head, _, rest = buf.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        n = int(m.group(1)) if m else -1
        while n >= 0 and len(rest) < n:
            d = s.recv(65536)
            if not d:
                raise ConnectionError("closed in body")
            rest += d
        body, buf = rest[:n], rest[n:]
        if not head.startswith(b"HTTP/1.1 200 ") or body != b"Hello, World!":
            raise ValueError(f"unexpected answer {head[:40]!r} {body[:40]!r}")
        return buf

    def run(self):
        s, buf = None, b""
        while not self.stop.is_set():
            try:
                if s is None:
                    s = socket.create_connection((HOST, self.port), timeout=5)
                    buf = b""
                buf = self.one(s, buf)
                self.ok += 1
            except (OSError, ValueError) as e:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(repr(e))
                if s is not None:
                    s.close()
                s = None
            self.stop.wait(self.interval)
        if s is not None:
            s.close()


def attack(a, port, pid):
    sel = selectors.DefaultSelector()
    live = {}
    statuses = {}
    kinds = {}
    counts = dict(resets=0, connect_errors=0)
    samples = sorted(set(a.samples))
    normal = Normal(port, a.normal_interval)
    normal.start()
    t0 = time.monotonic()
    end = t0 + a.max_seconds
    i = 0
    rows = []

    def close(c, why=None):
        sel.unregister(c.sock)
        c.sock.close()
        del live[id(c)]
        first = c.got[:12]
        if first.startswith(b"HTTP/1.1 ") or first.startswith(b"HTTP/1.0 "):
            # The status of the last answer (the bad request's, after a valid one's 200).
            st = re.findall(rb"HTTP/1\.[01] (\d{3})", c.got)
            key = st[-1].decode() if st else "?"
        elif c.got[3:4] == b"\x04":
            key = "h2"
        elif why:
            key = why
        else:
            key = "closed" if c.got == b"" else "other"
        statuses[key] = statuses.get(key, 0) + 1

    def start(idx):
        kind, steps, wait_first = plan(a.seed, idx)
        kinds[kind] = kinds.get(kind, 0) + 1
        c = Conn()
        c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.sock.setblocking(False)
        err = c.sock.connect_ex((HOST, port))
        if err not in (0, errno.EINPROGRESS):
            counts["connect_errors"] += 1
            c.sock.close()
            return
        c.steps, c.step, c.sent, c.wait_first = steps, 0, 0, wait_first
        c.due = time.monotonic() + steps[0][0]
        c.got, c.deadline, c.kind, c.idx = b"", None, kind, idx
        live[id(c)] = c
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    def pump(timeout):
        now = time.monotonic()
        for key, ev in sel.select(timeout):
            c = key.data
            if ev & selectors.EVENT_READ:
                try:
                    d = c.sock.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    close(c, "reset")
                    counts["resets"] += 1
                    continue
                except BlockingIOError:
                    d = None
                if d == b"":
                    close(c)
                    continue
                if d:
                    if len(c.got) < 4096:
                        c.got += d[:4096]
                    if c.wait_first and b"\r\n\r\n" in c.got and c.step == 1:
                        c.wait_first = False
            if ev & selectors.EVENT_WRITE and c.step < len(c.steps):
                if now < c.due or (c.step == 1 and c.wait_first):
                    continue
                data = c.steps[c.step][1]
                try:
                    n = c.sock.send(data[c.sent:c.sent + 262144])
                except BlockingIOError:
                    n = 0
                except OSError:
                    close(c, "reset")
                    counts["resets"] += 1
                    continue
                c.sent += n
                if c.sent >= len(data):
                    c.step += 1
                    c.sent = 0
                    if c.step < len(c.steps):
                        c.due = now + c.steps[c.step][0]
                    else:
                        c.deadline = now + a.linger
                        sel.modify(c.sock, selectors.EVENT_READ, c)
        # Connections done sending that the server keeps open: drop them after --linger.
        for c in [c for c in live.values() if c.deadline is not None and now > c.deadline]:
            close(c, "open")
        # Keep-alive-then-bad connections that never got their first answer.
        for c in [c for c in live.values() if c.deadline is None and now > c.due + 5]:
            close(c, "stuck")

    for target in samples:
        while i < min(target, a.count) and time.monotonic() < end:
            while len(live) < a.conns and i < target:
                start(i)
                i += 1
            pump(0.01)
        while live and time.monotonic() < end:
            pump(0.01)
        time.sleep(a.settle)
        rss = vm_rss_kib(pid)
        parts = rss_parts(pid)
        al = allocations(port) if a.allocations else None
        live_heap = allocations(port, live=True) if a.allocations else None
        el = time.monotonic() - t0
        rows.append((i, rss, al, el))
        print(f"after {i:>7} bad requests  {el:7.1f} s  VmRSS {rss:6d} KiB "
              f"([heap] {parts['heap']}, anon {parts['anon']}, file {parts['file']})"
              + (f"  allocations {al} live heap {live_heap // 1024} KiB" if al is not None else "")
              + f"  normal ok {normal.ok} failed {normal.failed}", flush=True)
        if time.monotonic() >= end:
            print(f"stopped by --max-seconds {a.max_seconds}", flush=True)
            break
    normal.stop.set()
    normal.join(10)
    print("kinds:", " ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print("server answers (status of the last HTTP/1 answer; h2 = HTTP/2 frames; closed = closed "
          "without a byte; open = still open after --linger):",
          " ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
          f"resets={counts['resets']} connect_errors={counts['connect_errors']}")
    print(f"normal client: {normal.ok} ok, {normal.failed} failed" +
          (f" ({'; '.join(normal.errors)})" if normal.errors else ""))
    ok = normal.failed == 0 and normal.ok > 0
    base = next((r for r in rows if r[0] >= a.base), rows[0] if rows else None)
    if base is not None and base is not rows[-1]:
        first, last = base[1], rows[-1][1]
        growth = (last - first) / first
        within = abs(growth) <= a.tolerance
        print(f"VmRSS {first} KiB after {base[0]} -> {last} KiB after {rows[-1][0]}: "
              f"{100 * growth:+.1f} % ({'within' if within else 'OUTSIDE'} {100 * a.tolerance:.0f} %)")
        ok = ok and within
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="start this brisk binary with --workers 1 (else --port and --pid)")
    ap.add_argument("--port", type=int)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--samples", default="20000,50000,100000,200000",
                    type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--conns", type=int, default=64, help="connections in flight at once")
    ap.add_argument("--linger", type=float, default=0.3, help="seconds a finished connection waits for the server")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds between draining and sampling")
    ap.add_argument("--normal-interval", type=float, default=0.002)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--tolerance", type=float, default=0.10,
                    help="most relative VmRSS change from the --base sample to the last")
    ap.add_argument("--base", type=int, default=20000,
                    help="the sample (first at or after this count) the last is compared with")
    ap.add_argument("--allocations", action="store_true", help="also sample GET /__allocations (count-alloc build)")
    ap.add_argument("--server-arg", action="append", default=[], help="extra brisk argument (repeatable)")
    a = ap.parse_args()
    a.samples = [min(s, a.count) for s in a.samples]
    proc = None
    tmp = None
    if a.bin:
        tmp = tempfile.TemporaryDirectory(prefix="brisk-bad-")
        with open(os.path.join(tmp.name, "file.bin"), "wb") as f:
            f.write(bytes(range(256)) * 64)
        proc = subprocess.Popen([a.bin, "--bind", f"{HOST}:0", "--workers", "1", "--dir", tmp.name,
                                 *a.server_arg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not m:
            proc.kill()
            sys.exit(f"server did not start: {line!r}")
        a.port, a.pid = int(m.group(1)), proc.pid
        threading.Thread(target=proc.stdout.read, daemon=True).start()
    elif a.port is None or a.pid is None:
        sys.exit("give --bin, or --port and --pid")
    time.sleep(0.3)
    print(f"server pid {a.pid} port {a.port}; start VmRSS {vm_rss_kib(a.pid)} KiB; seed {a.seed}; "
          f"{a.count} bad requests, {a.conns} connections in flight", flush=True)
    try:
        ok = attack(a, a.port, a.pid)
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp:
            tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
