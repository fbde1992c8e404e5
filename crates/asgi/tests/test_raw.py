"""brisk-asgi against a raw ASGI app: the scope, receive/send, errors, lifespan, concurrency."""

import asyncio
import json
import signal
import time

from conftest import wait_exit, wait_seen


def test_every_scope_field_has_the_spec_type_and_value(serve, httpx):
    s = serve("raw:app")
    r = httpx.get(
        s.url + "/p%C3%A9/x%2Fy?a=1&b=%20",
        headers=[("X-Mixed-Case", "Value"), ("x-second", "2"), ("x-second", "3")],
    )
    assert r.status_code == 200
    assert r.headers["x-custom"] == "1"
    sc = r.json()
    port = int(s.url.rsplit(":", 1)[1])
    assert set(sc) == {
        "type", "asgi", "http_version", "method", "scheme", "path", "raw_path",
        "query_string", "root_path", "headers", "client", "server", "state",
    }
    assert sc["type"] == {"value": "http", "type": "str"}
    assert sc["asgi"] == {"value": {"version": "3.0", "spec_version": "2.4"}, "type": "dict"}
    assert sc["http_version"] == {"value": "1.1", "type": "str"}
    assert sc["method"] == {"value": "GET", "type": "str"}
    assert sc["scheme"] == {"value": "http", "type": "str"}
    assert sc["path"] == {"value": "/p\u00e9/x/y", "type": "str"}  # percent-decoded UTF-8
    assert sc["raw_path"] == {"value": "/p%C3%A9/x%2Fy", "type": "bytes"}
    assert sc["query_string"] == {"value": "a=1&b=%20", "type": "bytes"}
    assert sc["root_path"] == {"value": "", "type": "str"}
    assert sc["client"]["type"] == ["tuple", "str", "int"]
    assert sc["client"]["value"][0] == "127.0.0.1"
    assert sc["server"] == {"value": ["127.0.0.1", port], "type": ["tuple", "str", "int"]}
    assert sc["state"]["type"] == "dict"
    names = [n for n, _ in sc["headers"]["value"]]
    assert all(t == ["bytes", "bytes"] for t in sc["headers"]["type"])
    assert names == [n.lower() for n in names]  # lowercased
    assert ["x-mixed-case", "Value"] in sc["headers"]["value"]
    i = names.index("x-second")
    assert sc["headers"]["value"][i : i + 2] == [["x-second", "2"], ["x-second", "3"]]  # order


def test_path_decoding_keeps_plus_and_stray_percent_signs(serve, httpx):
    s = serve("raw:app")
    sc = httpx.get(s.url + "/a+b%zz%2/%E2%82%AC%FF").json()
    assert sc["path"]["value"] == "/a+b%zz%2/\u20ac\ufffd"  # invalid UTF-8 -> U+FFFD
    assert sc["raw_path"]["value"] == "/a+b%zz%2/%E2%82%AC%FF"


def test_http2_prior_knowledge_gives_http_version_2(serve, httpx):
    from conftest import need

    need("h2")
    s = serve("raw:app")
    with httpx.Client(http1=False, http2=True) as c:
        r = c.get(s.url + "/h2?x=1")
    assert r.http_version == "HTTP/2"
    sc = r.json()
    assert sc["http_version"]["value"] == "2"
    assert sc["query_string"]["value"] == "x=1"


def test_root_path_prefixes_path(serve, httpx):
    s = serve("raw:app", "--root-path", "/api")
    sc = httpx.get(s.url + "/thing").json()
    assert sc["root_path"]["value"] == "/api"
    assert sc["path"]["value"] == "/api/thing"
    assert sc["raw_path"]["value"] == "/thing"


def test_post_body_is_echoed_whole(serve, httpx):
    s = serve("raw:app")
    body = bytes(range(256)) * 400  # 100 KiB
    r = httpx.post(s.url + "/echo", content=body)
    assert r.status_code == 200
    assert r.content == body


def test_body_chunks_with_more_body_are_joined(serve, httpx):
    s = serve("raw:app")
    r = httpx.get(s.url + "/chunks")
    assert r.status_code == 200
    assert r.text == "".join("%d," % i for i in range(100)) + "end"


def test_exception_before_start_is_500_and_the_server_goes_on(serve, httpx):
    s = serve("raw:app")
    with httpx.Client() as c:
        assert c.get(s.url + "/raise").status_code == 500
        assert c.post(s.url + "/echo", content=b"still here").content == b"still here"
    assert s.logged("Exception in ASGI application"), s.log
    assert s.logged("boom (expected by the test)"), s.log


def test_app_returning_without_response_is_500(serve, httpx):
    s = serve("raw:app")
    assert httpx.get(s.url + "/no-response").status_code == 500
    assert s.logged("returned without completing response"), s.log


def test_invalid_response_headers_are_500(serve, httpx):
    s = serve("raw:app")
    for path in ("/bad-header-value", "/bad-header-name"):
        r = httpx.get(s.url + path)
        assert r.status_code == 500, path
        assert "injected" not in r.headers
    assert s.logged("invalid value for header"), s.log
    assert s.logged("invalid header name"), s.log


def test_receive_gives_disconnect_after_the_response(serve, httpx):
    s = serve("raw:app")
    with httpx.Client() as c:
        assert c.get(s.url + "/after-response").text == "done"
        seen = wait_seen(c, s.url, 1)
    assert seen == ["http.disconnect"]


def test_a_waiting_receive_sees_the_client_disconnect_and_send_then_raises(serve, httpx):
    import socket

    s = serve("raw:app")
    host, port = s.url[len("http://"):].split(":")
    c = socket.create_connection((host, int(port)))
    c.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.3)
    c.close()
    seen = wait_seen(httpx, s.url, 2)
    assert seen == ["waiting:http.disconnect", "send raised OSError"]


def test_lifespan_state_is_copied_into_each_request(serve, httpx):
    s = serve("raw:app")
    with httpx.Client() as c:
        for _ in range(3):
            # Each request sees the startup value (0) and increments its own copy.
            assert c.get(s.url + "/state").json() == {"started": "yes", "counter": 1}
    assert s.stop() == 0
    assert s.logged("lifespan shutdown ran"), s.log


def test_lifespan_startup_failure_exits_non_zero(serve):
    s = serve("raw:startup_fails", "--lifespan", "on", ready=False)
    code = wait_exit(s.proc, 20)
    assert code not in (None, 0), s.log
    assert s.logged("no database (expected)"), s.log


def test_lifespan_off_skips_startup(serve, httpx):
    s = serve("raw:app", "--lifespan", "off")
    r = httpx.get(s.url + "/")
    assert r.json()["state"]["value"] == {}


async def _get(host: str, port: int, path: str) -> bytes:
    """One HTTP/1.1 request on its own connection (a bare client: httpx's pool is too slow to
    open 1,000 connections at once)."""
    r, w = await asyncio.open_connection(host, port)
    w.write(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
    data = await r.read()
    w.close()
    return data


def test_1000_concurrent_sleeping_requests_finish_together_on_one_worker(serve):
    s = serve("raw:app")
    host, port = s.url[len("http://"):].split(":")

    async def main():
        t = time.monotonic()
        rs = await asyncio.gather(*(_get(host, int(port), "/sleep") for _ in range(1000)))
        return time.monotonic() - t, rs

    took, rs = asyncio.run(main())
    assert all(r.startswith(b"HTTP/1.1 200 ") and r.endswith(b"slept") for r in rs)
    assert took < 2.0, f"1000 requests of 0.5 s took {took:.2f} s"


def test_contextvars_do_not_leak_between_requests(serve, httpx):
    s = serve("raw:app")

    async def main():
        async with httpx.AsyncClient(timeout=10) as c:
            return await asyncio.gather(*(c.get(s.url + f"/context?{i}") for i in range(50)))

    for i, r in enumerate(asyncio.run(main())):
        assert r.json() == [None, str(i)]


def test_graceful_shutdown_finishes_the_request_in_flight(serve, httpx):
    s = serve("raw:app")
    import threading

    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", httpx.get(s.url + "/slow", timeout=10)))
    t.start()
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGINT)
    t.join(10)
    assert out["r"].status_code == 200
    assert out["r"].text == "slow done"
    assert wait_exit(s.proc, 10) == 0, s.log
    assert s.logged("lifespan shutdown ran"), s.log
