"""The ``brisk-asgi`` command (and ``python -m brisk_asgi``): uvicorn's flags where they apply."""

from __future__ import annotations

import argparse
import logging
import sys

from .server import run


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="brisk-asgi",
        description="Serve an ASGI 3.0 application (HTTP/1.1 and h2c on one port) on Brisk.",
    )
    p.add_argument("app", help='the application, as "module:attribute" (e.g. main:app)')
    p.add_argument("--host", default="127.0.0.1", help="IP address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    p.add_argument(
        "--uds",
        default=None,
        metavar="PATH",
        help="bind to this Unix domain socket instead of --host/--port (a stale socket file "
        "is replaced; the file is removed on shutdown)",
    )
    p.add_argument(
        "--ssl-certfile",
        default=None,
        metavar="FILE",
        help="serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN, TLS 1.3 and 1.2) with this PEM "
        "certificate chain; needs --ssl-keyfile",
    )
    p.add_argument(
        "--ssl-keyfile",
        default=None,
        metavar="FILE",
        help="the PEM private key of --ssl-certfile",
    )
    # Given by the supervisor to its worker processes: share the port it checked is free.
    p.add_argument("--join-reuse-port", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="event loop: uvloop when installed (auto), or asyncio",
    )
    p.add_argument(
        "--lifespan",
        choices=["auto", "on", "off"],
        default="auto",
        help="lifespan protocol: auto (used if the app supports it), on (required), off",
    )
    p.add_argument("--root-path", default="", help="ASGI root_path (the app is mounted below it)")
    p.add_argument(
        "--factory",
        action="store_true",
        help="APP is a callable that returns the ASGI application",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the port (SO_REUSEPORT) under a supervisor that "
        "restarts one that dies (default 1: no supervisor)",
    )
    p.add_argument(
        "--timeout-keep-alive",
        type=float,
        default=5.0,
        help="close keep-alive connections idle this many seconds (default 5)",
    )
    p.add_argument(
        "--timeout-graceful-shutdown",
        type=float,
        default=30.0,
        help="on SIGINT/SIGTERM, wait this long for in-flight requests (default 30)",
    )
    p.add_argument(
        "--limit-max-requests",
        type=int,
        default=None,
        help="a worker exits gracefully after this many requests (a supervisor restarts it; "
        "with one process the server stops)",
    )
    p.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="more requests than this in flight in a worker are answered 503 at once",
    )
    p.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log each request (logger brisk_asgi.access, uvicorn's format; default on)",
    )
    p.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default="info",
        help="log level (default info)",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(levelname)s:     %(message)s",
    )
    if args.workers < 1:
        sys.exit("brisk-asgi: --workers must be at least 1")
    for flag in ("limit_max_requests", "limit_concurrency"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            sys.exit(f"brisk-asgi: --{flag.replace('_', '-')} must be at least 1")
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        sys.exit("brisk-asgi: --ssl-certfile and --ssl-keyfile go together")
    if args.workers > 1 and args.uds is not None:
        sys.exit("brisk-asgi: --uds with --workers above 1 is not supported yet")
    if args.workers > 1:
        from .supervisor import supervise  # noqa: PLC0415

        sys.exit(supervise(args))
    try:
        run(
            args.app,
            host=args.host,
            port=args.port,
            uds=args.uds,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            join_reuse_port=args.join_reuse_port,
            loop=args.loop,
            lifespan=args.lifespan,
            root_path=args.root_path,
            factory=args.factory,
            timeout_keep_alive=args.timeout_keep_alive,
            timeout_graceful_shutdown=args.timeout_graceful_shutdown,
            limit_max_requests=args.limit_max_requests,
            limit_concurrency=args.limit_concurrency,
            access_log=args.access_log,
            log_level=args.log_level,
        )
    except (ImportError, TypeError, OSError, ValueError) as exc:
        logging.getLogger("brisk_asgi.error").error("%s", exc)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
