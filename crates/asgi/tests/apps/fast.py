"""A FastAPI app for the tests."""

import asyncio

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.middleware("http")
async def add_header(request: Request, call_next):
    response = await call_next(request)
    response.headers["x-middleware"] = "ran"
    return response


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None, limit: int = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items")
async def create_item(item: Item):
    return {"name": item.name, "total": item.price * 2, "tags": item.tags}


@app.get("/plaintext")
async def plaintext():
    from fastapi.responses import PlainTextResponse

    return PlainTextResponse("Hello, World!")


@app.get("/sleep")
async def sleep():
    await asyncio.sleep(0.2)
    return {"slept": True}


@app.get("/sync")
def sync_endpoint():
    return {"thread": "pool"}


# Events /stream waits for after its first chunk, by token; /release sets them.
releases: dict[str, asyncio.Event] = {}
# What the background tasks did (by name).
background_done: list[str] = []


@app.get("/stream")
async def stream(token: str):
    """1,000 chunks: the first, then (once /release?token= came) the other 999."""
    ev = releases.setdefault(token, asyncio.Event())

    async def chunks():
        yield b"0\n"
        await ev.wait()
        for i in range(1, 1000):
            yield b"%d\n" % i

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/release")
async def release(token: str):
    releases.setdefault(token, asyncio.Event()).set()
    return {"released": token}


async def slow_task(name: str):
    await asyncio.sleep(1.0)
    background_done.append(name)


@app.get("/background")
async def background(name: str, tasks: BackgroundTasks):
    tasks.add_task(slow_task, name)
    return {"scheduled": name}


@app.get("/background-done")
async def background_status():
    return background_done


@app.post("/upload-stream")
async def upload_stream(request: Request):
    """Counts a streamed upload: bytes, pieces, largest piece and a SHA-256."""
    import hashlib

    h, n, pieces, largest = hashlib.sha256(), 0, 0, 0
    async for chunk in request.stream():
        h.update(chunk)
        n += len(chunk)
        pieces += 1
        largest = max(largest, len(chunk))
    return {"bytes": n, "sha256": h.hexdigest(), "pieces": pieces, "largest": largest}
