"""uvicorn's flags: --limit-max-requests, --limit-concurrency, --access-log, --log-level."""

import logging
import re
import socket
import threading
import time

from conftest import wait_exit

ACCESS = re.compile(r'INFO:     127\.0\.0\.1:\d+ - "(\S+) (\S+) HTTP/([\d.]+)" (\d+)')


def _get_in_thread(httpx, url: str, out: list) -> threading.Thread:
    t = threading.Thread(target=lambda: out.append(httpx.get(url, timeout=10)))
    t.start()
    return t


def test_limit_max_requests_stops_one_process_gracefully(serve, httpx):
    s = serve("raw:app", "--limit-max-requests", "3")
    assert httpx.get(s.url + "/pid").status_code == 200
    assert httpx.get(s.url + "/pid").status_code == 200
    out = []
    t = _get_in_thread(httpx, s.url + "/slow", out)  # the third: in flight at the exit
    assert wait_exit(s.proc, 10) == 0, s.log
    t.join(10)
    assert out and out[0].status_code == 200 and out[0].text == "slow done"
    assert s.logged("Maximum request limit of 3 exceeded. Terminating process."), s.log
    assert s.logged("lifespan shutdown ran"), s.log


def test_limit_max_requests_under_the_supervisor_restarts_the_worker(serve, httpx):
    s = serve("raw:app", "--workers", "2", "--limit-max-requests", "2")
    assert s.logged("workers, supervisor pid", 20), s.log
    seen = set()
    deadline = time.monotonic() + 20
    while len(seen) < 4:
        assert time.monotonic() < deadline, f"only workers {seen} answered:\n" + s.log
        try:
            r = httpx.get(s.url + "/pid", timeout=5)
        except httpx.TransportError:
            # A worker that just reached its limit closed its listener (or both were
            # being replaced): the next connection goes to another.
            time.sleep(0.05)
            continue
        assert r.status_code == 200
        seen.add(int(r.text))
    assert s.proc.poll() is None, "the supervisor keeps running:\n" + s.log
    assert s.logged("Maximum request limit of 2 exceeded"), s.log
    assert s.logged("exited; starting another"), s.log
    assert "failed to start" not in s.log and "died" not in s.log, s.log
    assert s.stop() == 0, s.log


def test_limit_concurrency_answers_503_at_once_beyond_the_limit(serve, httpx):
    s = serve("raw:app", "--limit-concurrency", "2")
    out = []
    threads = [_get_in_thread(httpx, s.url + "/slow", out) for _ in range(2)]
    time.sleep(0.4)  # both are in the app (1 s each)
    t0 = time.monotonic()
    r = httpx.get(s.url + "/pid")
    assert r.status_code == 503 and r.text == "Service Unavailable"
    assert time.monotonic() - t0 < 0.5, "refused at once, not queued"
    for t in threads:
        t.join(10)
    assert [r.status_code for r in out] == [200, 200]
    # Back under the limit: served again (sequential requests never count against it).
    assert all(httpx.get(s.url + "/pid").status_code == 200 for _ in range(5))
    assert s.logged("Exceeded concurrency limit (1 requests refused)."), s.log
    assert s.logged('"GET /pid HTTP/1.1" 503'), s.log


def test_access_log_in_uvicorns_format(serve, httpx):
    from conftest import need

    s = serve("raw:app")
    httpx.get(s.url + "/pid?x=1&y=%20")
    httpx.post(s.url + "/echo", content=b"abc")
    httpx.get(s.url + "/raise")
    need("h2")
    with httpx.Client(http1=False, http2=True) as c:
        c.get(s.url + "/p%C3%A9")
    assert s.logged("HTTP/2"), s.log
    lines = ACCESS.findall(s.log)
    assert lines == [
        ("GET", "/pid?x=1&y=%20", "1.1", "200"),
        ("POST", "/echo", "1.1", "200"),
        ("GET", "/raise", "1.1", "500"),
        ("GET", "/p%C3%A9", "2", "200"),
    ], s.log


def test_no_access_log_and_log_level_warning_write_no_access_line(serve, httpx):
    for flags in (["--no-access-log"], ["--log-level", "warning"]):
        # At level warning the "running on" line is not written: wait for the port instead.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        s = serve("raw:app", *flags, "--port", str(port), ready=False)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(url + "/pid")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and s.proc.poll() is None, s.log
                time.sleep(0.05)
        assert r.status_code == 200
        assert httpx.get(url + "/raise").status_code == 500
        # Written after the (would-be) access lines of both requests.
        assert s.logged("Exception in ASGI application"), (flags, s.log)
        assert ' - "GET ' not in s.log, (flags, s.log)
        assert ("running on" in s.log) == (flags == ["--no-access-log"]), s.log


def test_access_log_does_nothing_per_request_when_not_enabled():
    from brisk_asgi.server import Config, _access_log

    access = logging.getLogger("brisk_asgi.access")
    old = access.level
    try:
        access.setLevel(logging.INFO)
        assert _access_log(Config("raw:app")) is not None
        assert _access_log(Config("raw:app", access_log=False)) is None
        access.setLevel(logging.WARNING)
        assert _access_log(Config("raw:app")) is None
    finally:
        access.setLevel(old)
