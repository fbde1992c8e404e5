"""A FastAPI app for the tests."""

import asyncio

from fastapi import FastAPI, Request
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
