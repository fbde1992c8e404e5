"""brisk-asgi serving real FastAPI and Starlette apps."""

from conftest import need


def test_fastapi_path_and_query_params_json_in_and_out(serve, httpx):
    need("fastapi")
    s = serve("fast:app")
    with httpx.Client() as c:
        r = c.get(s.url + "/items/42?q=hello%20world&limit=3")
        assert r.status_code == 200
        assert r.json() == {"item_id": 42, "q": "hello world", "limit": 3}
        assert r.headers["x-middleware"] == "ran"  # @app.middleware("http") (anyio task group)
        r = c.post(s.url + "/items", json={"name": "pen", "price": 1.5, "tags": ["a"]})
        assert r.status_code == 200
        assert r.json() == {"name": "pen", "total": 3.0, "tags": ["a"]}
        assert r.headers["content-type"] == "application/json"
        assert c.get(s.url + "/items/not-a-number").status_code == 422
        assert c.post(s.url + "/items", json={"name": "x"}).status_code == 422
        assert c.get(s.url + "/plaintext").text == "Hello, World!"
        assert c.get(s.url + "/sleep").json() == {"slept": True}
        assert c.get(s.url + "/sync").json() == {"thread": "pool"}
        assert c.get(s.url + "/missing").status_code == 404


def test_starlette_routes_lifespan_state_body_and_streaming(serve, httpx):
    need("starlette")
    s = serve("star:app")
    with httpx.Client() as c:
        assert c.get(s.url + "/").text == "hello from lifespan"
        r = c.get(s.url + "/users/ana?x=1&y=2")
        assert r.json() == {"user": "ana", "q": {"x": "1", "y": "2"}}
        r = c.post(s.url + "/upload", content=b"hello" + b"x" * 100_000)
        assert r.json() == {"len": 100_005, "head": "hello"}
        r = c.get(s.url + "/stream")
        assert r.status_code == 200
        assert r.text == "".join("%d\n" % i for i in range(1000))
