"""The FastAPI app of benches/asgi/compare.sh --app fastapi: GET /plaintext and GET /json."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

app = FastAPI()


@app.get("/plaintext")
async def plaintext():
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json():
    return JSONResponse({"message": "Hello, World!"})
