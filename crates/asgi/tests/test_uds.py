"""--uds PATH (as uvicorn), and a second brisk-asgi on an address in use exits non-zero."""

import os
import socket
import stat
import tempfile

from conftest import wait_exit


def _uds_path(name: str) -> str:
    d = tempfile.mkdtemp(prefix="brisk-asgi-uds-")
    return os.path.join(d, name)


def _client(httpx, path: str):
    return httpx.Client(transport=httpx.HTTPTransport(uds=path), timeout=5.0)


def test_uds_serves_with_uvicorns_scope_and_removes_its_file(serve, httpx):
    path = _uds_path("app.sock")
    # A stale socket file (its server is gone): replaced.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    os.chmod(path, 0o600)
    s = serve("raw:app", "--uds", path, ready=False)
    assert s.logged(f"brisk-asgi running on unix socket {path}", 20), s.log
    with _client(httpx, path) as c:
        r = c.get("http://localhost/scope?x=1")
        assert r.status_code == 200
        scope = r.json()
        # uvicorn on a Unix socket: no server and no client address.
        assert scope["server"] == {"value": None, "type": "NoneType"}
        assert scope["client"] == {"value": None, "type": "NoneType"}
        assert scope["path"]["value"] == "/scope"
        assert scope["query_string"]["value"] == "x=1"
        assert c.post("http://localhost/echo", content=b"ping").content == b"ping"
    # As uvicorn: the new file keeps the mode of the one it replaced.
    mode = os.stat(path).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600, oct(mode)
    assert s.stop() == 0, s.log
    assert not os.path.exists(path), "socket file left after shutdown"


def test_a_second_server_on_the_same_uds_exits_non_zero(serve, httpx):
    path = _uds_path("busy.sock")
    first = serve("raw:app", "--uds", path, ready=False)
    assert first.logged("running on unix socket", 20), first.log
    # A new file: 0o666, as uvicorn.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
    second = serve("raw:app", "--uds", path, ready=False)
    code = wait_exit(second.proc, 20)
    assert code not in (None, 0), second.log
    assert second.logged(f"address in use: unix:{path}"), second.log
    with _client(httpx, path) as c:
        assert c.get("http://localhost/pid").status_code == 200
    assert first.stop() == 0, first.log
    assert not os.path.exists(path)


def test_a_second_server_on_the_same_port_exits_non_zero(serve, httpx):
    first = serve("raw:app")
    port = first.url.rsplit(":", 1)[1]
    for workers in ("1", "2"):
        second = serve("raw:app", "--port", port, "--workers", workers, ready=False)
        code = wait_exit(second.proc, 20)
        assert code not in (None, 0), (workers, second.log)
        assert second.logged(f"address in use: 127.0.0.1:{port}"), (workers, second.log)
        # The first still serves every connection (the second joined no port group).
        for _ in range(8):
            assert int(httpx.get(first.url + "/pid").text) == first.proc.pid
    assert first.stop() == 0, first.log


def test_a_second_supervisor_on_the_same_port_exits_non_zero(serve, httpx):
    first = serve("raw:app", "--workers", "2", ready=False)
    assert first.logged("workers, supervisor pid", 30), first.log
    port = first.url.rsplit(":", 1)[1]
    second = serve("raw:app", "--port", port, "--workers", "2", ready=False)
    code = wait_exit(second.proc, 20)
    assert code not in (None, 0), second.log
    assert second.logged(f"address in use: 127.0.0.1:{port}"), second.log
    assert "started worker pid" not in second.log, second.log
    url = f"http://127.0.0.1:{port}"
    for _ in range(4):
        assert httpx.get(url + "/pid").status_code == 200
    assert first.stop() == 0, first.log
