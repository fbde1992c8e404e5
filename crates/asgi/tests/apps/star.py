"""A Starlette app for the tests."""

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route


@asynccontextmanager
async def lifespan(app):
    yield {"greeting": "hello from lifespan"}


async def homepage(request: Request):
    return PlainTextResponse(request.state.greeting)


async def user(request: Request):
    return JSONResponse({"user": request.path_params["name"], "q": dict(request.query_params)})


async def upload(request: Request):
    body = await request.body()
    return JSONResponse({"len": len(body), "head": body[:5].decode()})


async def stream(request: Request):
    async def gen():
        for i in range(1000):
            yield b"%d\n" % i

    return StreamingResponse(gen(), media_type="text/plain")


app = Starlette(
    routes=[
        Route("/", homepage),
        Route("/users/{name}", user),
        Route("/upload", upload, methods=["POST"]),
        Route("/stream", stream),
    ],
    lifespan=lifespan,
)
