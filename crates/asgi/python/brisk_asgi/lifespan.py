"""The ASGI lifespan protocol (startup and shutdown, with state), ``auto|on|off`` as uvicorn."""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger("brisk_asgi.error")


class Lifespan:
    """Runs the app's lifespan scope as a task beside the server.

    ``auto``: an app that raises before answering the startup is taken not to support
    lifespan (logged, serving goes on); ``on``: that is an error; ``off``: no lifespan.
    ``should_exit`` is true after startup when the server must not start.
    """

    def __init__(self, app, mode: str, state: dict) -> None:
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be auto, on or off, not {mode!r}")
        self.app = app
        self.mode = mode
        self.state = state
        self.should_exit = False
        self._error = False
        self._startup_failed = False
        self._shutdown_failed = False
        self._queue: asyncio.Queue | None = None
        self._startup_done: asyncio.Event | None = None
        self._shutdown_done: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    async def startup(self) -> None:
        if self.mode == "off":
            return
        self._queue = asyncio.Queue()
        self._startup_done = asyncio.Event()
        self._shutdown_done = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._main())
        await self._queue.put({"type": "lifespan.startup"})
        await self._startup_done.wait()
        if self._startup_failed or (self._error and self.mode == "on"):
            logger.error("Application startup failed. Exiting.")
            self.should_exit = True

    async def shutdown(self) -> None:
        if self.mode == "off" or self._error or self._queue is None:
            return
        await self._queue.put({"type": "lifespan.shutdown"})
        await self._shutdown_done.wait()
        if self._shutdown_failed:
            logger.error("Application shutdown failed.")

    async def _main(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as exc:
            self._error = True
            if self._startup_failed or self._shutdown_failed:
                return
            if self.mode == "auto":
                logger.info("ASGI 'lifespan' protocol appears unsupported.")
            else:
                logger.error("Exception in 'lifespan' protocol", exc_info=exc)
            if not isinstance(exc, Exception) and not isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._startup_done.set()
            self._shutdown_done.set()

    async def _receive(self) -> dict:
        return await self._queue.get()

    async def _send(self, message: dict) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self._startup_done.set()
        elif kind == "lifespan.startup.failed":
            self._startup_failed = True
            self._startup_done.set()
            if message.get("message"):
                logger.error(message["message"])
        elif kind == "lifespan.shutdown.complete":
            self._shutdown_done.set()
        elif kind == "lifespan.shutdown.failed":
            self._shutdown_failed = True
            self._shutdown_done.set()
            if message.get("message"):
                logger.error(message["message"])
        else:
            raise RuntimeError(f"Unexpected ASGI lifespan message type {kind!r}")
