"""Running an ASGI app: the event loop, lifespan, the brisk worker, signals.

One process, one thread: the asyncio loop owns the thread and turns the brisk worker when
its descriptor is readable or its next deadline comes (see the extension's ``Worker``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import logging
import os
import signal
import sys
import urllib.parse
from typing import Any, Callable

from ._brisk_asgi import Worker
from .lifespan import Lifespan
from .supervisor import notify_ready

logger = logging.getLogger("brisk_asgi.error")
access_logger = logging.getLogger("brisk_asgi.access")


@dataclasses.dataclass
class Config:
    """What ``run``/``serve`` and the CLI accept (names and meanings as uvicorn's)."""

    app: Any
    host: str = "127.0.0.1"
    port: int = 8000
    # A Unix domain socket to bind instead of host/port (as uvicorn's --uds).
    uds: str | None = None
    # HTTPS (as uvicorn's --ssl-certfile/--ssl-keyfile): PEM chain and key; the scope's
    # scheme is then "https".
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    # Share the port with the supervisor's other worker processes (SO_REUSEPORT); without
    # it a port another socket listens on is an error ("address in use").
    join_reuse_port: bool = False
    loop: str = "auto"  # auto | asyncio | uvloop
    lifespan: str = "auto"  # auto | on | off
    root_path: str = ""
    factory: bool = False
    timeout_keep_alive: float = 5.0
    timeout_graceful_shutdown: float = 30.0
    # Largest request body buffered for the app (None: brisk's default, 1 MiB).
    max_body_size: int | None = None
    # A worker exits gracefully after this many requests (None: never).
    limit_max_requests: int | None = None
    # More app tasks than this in flight in a worker: 503 at once (None: no limit).
    limit_concurrency: int | None = None
    # The access log (logger "brisk_asgi.access", at INFO; its level is read at start).
    access_log: bool = True
    # Level of the "brisk_asgi" loggers (critical|error|warning|info|debug); None: as set.
    log_level: str | None = None

    def load_app(self) -> Callable:
        """The ASGI callable: ``app`` itself, or imported from ``"module:attr"``."""
        app = self.app
        if isinstance(app, str):
            module_name, _, attrs = app.partition(":")
            if not module_name or not attrs:
                raise ImportError(f'app must be given as "module:attribute", got "{app}"')
            if "" not in sys.path and "." not in sys.path:
                sys.path.insert(0, "")
            module = importlib.import_module(module_name)
            app = module
            for attr in attrs.split("."):
                try:
                    app = getattr(app, attr)
                except AttributeError:
                    raise ImportError(f'attribute "{attrs}" not found in module "{module_name}"')
        if self.factory:
            app = app()
        if not callable(app):
            raise TypeError(f"the ASGI app must be callable, got {app!r}")
        return app


def _access_log(config: Config) -> Callable | None:
    """``log(scope, status)`` for the worker, or None when no line would be written (the
    access log is off, or its logger is not enabled for INFO): then nothing is done per
    request. The line is uvicorn's: ``127.0.0.1:54321 - "GET /path?q=1 HTTP/1.1" 200``,
    formatted by ``logging`` only when a handler writes it."""
    if not config.access_log or not access_logger.isEnabledFor(logging.INFO):
        return None
    info = access_logger.info
    quote = urllib.parse.quote

    def log(scope: dict, status: int) -> None:
        client = scope.get("client")
        addr = "%s:%d" % client if client else ""
        path = quote(scope["path"])
        if scope["query_string"]:
            path += "?" + scope["query_string"].decode("ascii", "replace")
        info('%s - "%s %s HTTP/%s" %d', addr, scope["method"], path, scope["http_version"],
             status)

    return log


async def _run(app, scope, receive, send):
    """Awaits the app for one request; a response it did not complete becomes a 500."""
    try:
        await app(scope, receive, send)
    except BaseException as exc:
        send._finish()
        if isinstance(exc, Exception):
            logger.error("Exception in ASGI application", exc_info=exc)
        elif not isinstance(exc, asyncio.CancelledError):
            raise
    else:
        if send._finish():
            logger.error("ASGI callable returned without completing response.")


def _task_starter(loop: asyncio.AbstractEventLoop) -> Callable:
    """``start(coro) -> task``: an eager Task on 3.12+ (its first step runs at once, inside the
    worker's turn), ``loop.create_task`` on 3.11."""
    if sys.version_info >= (3, 12):
        return functools.partial(asyncio.Task, loop=loop, eager_start=True)
    return loop.create_task


async def serve(config: Config, *, ready: Callable[[tuple | str], None] | None = None) -> None:
    """Serves ``config.app`` on the running loop until SIGINT/SIGTERM (or ``ready``'s caller
    cancels). Lifespan startup runs first; a startup failure raises ``SystemExit(3)``.
    ``ready`` gets the bound ``(host, port)``, or the socket's path with ``uds``."""
    loop = asyncio.get_running_loop()
    if config.log_level is not None:
        logging.getLogger("brisk_asgi").setLevel(config.log_level.upper())
    app = config.load_app()
    state: dict = {}
    lifespan = Lifespan(app, config.lifespan, state)
    await lifespan.startup()
    if lifespan.should_exit:
        raise SystemExit(3)
    finished = loop.create_future()

    def on_finished() -> None:
        if not finished.done():
            finished.set_result(None)

    # As uvicorn: the socket file keeps the mode of the one it replaces, else 0o666.
    uds_mode = 0o666
    if config.uds is not None and os.path.exists(config.uds):
        uds_mode = os.stat(config.uds).st_mode
    worker = Worker(
        app,
        loop,
        _run,
        _task_starter(loop),
        logger.error,
        config.host,
        config.port,
        uds=config.uds,
        ssl_certfile=config.ssl_certfile,
        ssl_keyfile=config.ssl_keyfile,
        join_reuse_port=config.join_reuse_port,
        root_path=config.root_path,
        state=state,
        max_body_size=config.max_body_size,
        timeout_keep_alive=config.timeout_keep_alive,
        timeout_graceful_shutdown=config.timeout_graceful_shutdown,
        on_finished=on_finished,
        log_warning=logger.warning,
        access=_access_log(config),
        limit_max_requests=config.limit_max_requests,
        limit_concurrency=config.limit_concurrency,
    )
    worker.start()
    host, port = worker.address
    if config.uds is not None:
        os.chmod(config.uds, uds_mode)
        logging.getLogger("brisk_asgi").info("brisk-asgi running on unix socket %s", config.uds)
    else:
        scheme = "https" if config.ssl_certfile is not None else "http"
        logging.getLogger("brisk_asgi").info("brisk-asgi running on %s://%s:%d", scheme, host, port)
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, worker.shutdown)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread
    if ready is not None:
        ready(config.uds if config.uds is not None else (host, port))
    notify_ready()
    try:
        await finished
    except asyncio.CancelledError:
        worker.shutdown()
        await asyncio.shield(finished)
        raise
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await lifespan.shutdown()


def _loop_factory(name: str) -> Callable | None:
    if name == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        if name == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def run(app: Any, **options: Any) -> None:
    """Serves ``app`` (a callable or ``"module:attr"``) in this process until SIGINT or
    SIGTERM. Options are the fields of :class:`Config`."""
    config = Config(app, **options)
    with asyncio.Runner(loop_factory=_loop_factory(config.loop)) as runner:
        runner.run(serve(config))
