"""--workers N: worker processes on one port under a supervisor."""

import os
import re
import signal
import socket
import threading
import time

from conftest import wait_exit

READY = "workers, supervisor pid"


def _pids(s) -> list[int]:
    return [int(p) for p in re.findall(r"started worker pid (\d+)", s.log)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_workers_share_the_port_and_a_killed_worker_is_restarted(serve, httpx):
    s = serve("raw:app", "--workers", "2")
    assert s.logged(READY, 20), s.log
    first = _pids(s)
    assert len(first) == 2
    seen = set()
    deadline = time.monotonic() + 10
    while seen != set(first) and time.monotonic() < deadline:
        seen.add(int(httpx.get(s.url + "/pid").text))  # a new connection each time
    assert seen == set(first), "both workers serve the port"
    os.kill(first[0], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while len(_pids(s)) < 3:
        assert time.monotonic() < deadline, "no worker was restarted:\n" + s.log
        time.sleep(0.05)
    new = _pids(s)[2]
    assert s.logged(f"worker {first[0]} died"), s.log
    deadline = time.monotonic() + 10
    seen = set()
    while new not in seen:
        assert time.monotonic() < deadline, "the restarted worker never answered:\n" + s.log
        r = httpx.get(s.url + "/pid")
        assert r.status_code == 200
        seen.add(int(r.text))
    assert first[0] not in seen and _alive(first[1]) and _alive(new)
    assert s.stop() == 0, s.log


def test_startup_failures_exit_the_supervisor_non_zero(serve):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()  # no SO_REUSEPORT: the workers cannot bind it
    port = str(busy.getsockname()[1])
    cases = [
        (("raw:startup_fails", "--lifespan", "on"), "no database (expected)"),
        (("no_such_module:app",), "No module named 'no_such_module'"),
        # The supervisor finds the port in use before it starts any worker.
        (("raw:app", "--port", port), f"address in use: 127.0.0.1:{port}"),
    ]
    try:
        for args, message in cases:
            s = serve(args[0], *args[1:], "--workers", "2", ready=False)
            code = wait_exit(s.proc, 20)
            assert code not in (None, 0), (args, s.log)
            assert s.logged(message), (args, s.log)
            if "--port" not in args:
                assert s.logged("failed to start (exit code"), (args, s.log)
    finally:
        busy.close()


def test_sigterm_shuts_the_workers_down_gracefully(serve, httpx):
    s = serve("raw:app", "--workers", "2")
    assert s.logged(READY, 20), s.log
    pids = _pids(s)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", httpx.get(s.url + "/slow", timeout=10)))
    t.start()
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    t.join(10)
    assert out["r"].status_code == 200 and out["r"].text == "slow done"
    assert wait_exit(s.proc, 10) == 0, s.log
    assert s.log.count("lifespan shutdown ran") == 2, s.log
    assert not any(_alive(p) for p in pids)
