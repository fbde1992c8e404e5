"""Runs brisk-asgi in a subprocess per test (``python -m brisk_asgi``) on a free port.

A test that needs a package that is not installed is skipped, visibly; with
BRISK_REQUIRE_PEERS=1 it fails instead.
"""

import importlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
REQUIRE = os.environ.get("BRISK_REQUIRE_PEERS") == "1"


def need(module: str):
    """Imports `module`, or skips the test (fails under BRISK_REQUIRE_PEERS=1)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if REQUIRE:
            pytest.fail(f"{module} is not installed and BRISK_REQUIRE_PEERS=1")
        pytest.skip(f"{module} is not installed")


class Server:
    """One brisk-asgi process; `url` once it is listening."""

    def __init__(self, target: str, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "brisk_asgi", target, "--port", "0", *args],
            cwd=APPS,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            m = re.search(r"running on (https?://[\d.]+:\d+)", line)
            if m:
                self.url = m.group(1)
                self._ready.set()
        self._ready.set()

    @property
    def hostport(self) -> tuple[str, int]:
        """(host, port) of `url`, for raw sockets."""
        host, port = self.url.split("://", 1)[1].split(":")
        return host, int(port)

    def wait_ready(self, timeout: float = 20.0) -> "Server":
        self._ready.wait(timeout)
        if self.url is None:
            self.stop()
            raise AssertionError("server did not start:\n" + self.log)
        return self

    def logged(self, text: str, timeout: float = 5.0) -> bool:
        """Whether `text` appears in the server's log within `timeout` (it is read by a
        thread, so a line may land just after the response that followed it)."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not stop on SIGINT:\n" + self.log)


@pytest.fixture
def serve():
    servers = []

    def start(target: str, *args: str, ready: bool = True) -> Server:
        s = Server(target, *args)
        servers.append(s)
        return s.wait_ready() if ready else s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def httpx():
    return need("httpx")


def wait_exit(proc: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc.poll()


def wait_seen(httpx, url: str, n: int, timeout: float = 5.0) -> list:
    """What the test app recorded at `url` + "/seen-after", once it holds `n` entries (or
    `timeout` seconds have passed: the caller's assertion then says what was missing)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = httpx.get(url + "/seen-after").json()
        if len(seen) >= n or time.monotonic() > deadline:
            return seen
        time.sleep(0.02)
