"""``--workers N``: a supervisor process that runs N worker processes on one port.

    supervisor ──probe: a plain bind (no SO_REUSEPORT) of host:port; refused ──> "address in
        │      use", exit 1 (another server listens there; the workers would join it)
        ├─spawn──> worker 1..N (python -m brisk_asgi ... --workers 1 --join-reuse-port), each
        │                 binds the port with SO_REUSEPORT (the kernel spreads connections) and
        │                 writes one byte to its ready pipe once lifespan startup ran and it
        │                 listens
        ├─ a worker exits before it is ready (import error, lifespan startup failure, port in
        │  use): the others are stopped and the supervisor exits with that worker's code
        ├─ a ready worker dies: it is restarted after a back-off (0.1 s doubling to 5 s; back
        │  to 0.1 s once a worker ran 10 s)
        ├─ a ready worker exits with code 0 on its own (--limit-max-requests): another
        │  starts at once
        └─ SIGINT/SIGTERM: SIGTERM to every worker (each shuts down gracefully within
           --timeout-graceful-shutdown), SIGKILL to any still there after it (plus 5 s)

With ``--port 0`` the supervisor picks the port: it binds a socket with SO_REUSEPORT (never
listening, so it takes no connection) and keeps it while it runs, so the port stays reserved.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time

logger = logging.getLogger("brisk_asgi.error")
log = logging.getLogger("brisk_asgi")

READY_FD = "BRISK_ASGI_READY_FD"
BACKOFF_MIN = 0.1
BACKOFF_MAX = 5.0
# A worker that ran this long resets the back-off.
STABLE = 10.0


def notify_ready() -> None:
    """In a worker started by the supervisor: says that it serves (once)."""
    fd = os.environ.pop(READY_FD, None)
    if fd is None:
        return
    try:
        os.write(int(fd), b"1")
        os.close(int(fd))
    except OSError:
        pass


class Worker:
    """One worker process and its ready pipe."""

    def __init__(self, cmd: list[str]):
        r, w = os.pipe()
        env = dict(os.environ, **{READY_FD: str(w)})
        self.proc = subprocess.Popen(cmd, pass_fds=(w,), env=env)
        os.close(w)
        self.ready_fd = r
        os.set_blocking(r, False)
        self.ready = False
        self.started = time.monotonic()
        log.info("brisk-asgi: started worker pid %d", self.proc.pid)

    def check_ready(self) -> bool:
        if not self.ready:
            try:
                self.ready = os.read(self.ready_fd, 1) == b"1"
            except BlockingIOError:
                pass
            if self.ready:
                os.close(self.ready_fd)
        return self.ready

    def close(self) -> None:
        if not self.ready:
            try:
                os.close(self.ready_fd)
            except OSError:
                pass
            self.ready = True


def worker_command(args, port: int) -> list[str]:
    cmd = [sys.executable, "-m", "brisk_asgi", args.app, "--workers", "1", "--join-reuse-port"]
    cmd += ["--host", args.host, "--port", str(port)]
    cmd += ["--loop", args.loop, "--lifespan", args.lifespan, "--root-path", args.root_path]
    cmd += ["--timeout-keep-alive", str(args.timeout_keep_alive)]
    cmd += ["--timeout-graceful-shutdown", str(args.timeout_graceful_shutdown)]
    cmd += ["--log-level", args.log_level]
    if args.ssl_certfile is not None:
        cmd += ["--ssl-certfile", args.ssl_certfile, "--ssl-keyfile", args.ssl_keyfile]
    cmd.append("--access-log" if args.access_log else "--no-access-log")
    if args.limit_max_requests is not None:
        cmd += ["--limit-max-requests", str(args.limit_max_requests)]
    if args.limit_concurrency is not None:
        cmd += ["--limit-concurrency", str(args.limit_concurrency)]
    if args.factory:
        cmd.append("--factory")
    return cmd


def address_in_use(host: str, port: int) -> bool:
    """Whether another socket listens on ``host:port``: a plain bind (SO_REUSEADDR, so
    connections in TIME_WAIT do not count, but no SO_REUSEPORT, so it cannot join) fails.
    Another error (a host that is not an IP address here) is left to the workers to report."""
    host = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE
    finally:
        probe.close()
    return False


def supervise(args) -> int:
    """Runs ``args.workers`` workers until SIGINT/SIGTERM; returns the exit code."""
    reserve = None
    port = args.port
    if port != 0 and address_in_use(args.host, port):
        logger.error("brisk-asgi: address in use: %s:%d", args.host, port)
        return 1
    if port == 0:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        reserve = socket.socket(family, socket.SOCK_STREAM)
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        host = "127.0.0.1" if args.host == "localhost" else args.host
        reserve.bind((host, 0))
        port = reserve.getsockname()[1]
    cmd = worker_command(args, port)
    stop = []

    def on_signal(signum, _frame):
        stop.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    workers = [Worker(cmd) for _ in range(args.workers)]
    announced = False
    backoff = BACKOFF_MIN
    restart_at: float | None = None
    try:
        while not stop:
            for w in list(workers):
                w.check_ready()
                rc = w.proc.poll()
                if rc is None:
                    if w.ready and time.monotonic() - w.started > STABLE:
                        backoff = BACKOFF_MIN
                    continue
                served = w.ready
                w.close()
                workers.remove(w)
                if not announced and not served:
                    logger.error("brisk-asgi: worker %d failed to start (exit code %d)",
                                 w.proc.pid, rc)
                    return rc or 1
                if rc == 0 and served:
                    # Exited on its own after serving (--limit-max-requests): replaced at once.
                    log.info("brisk-asgi: worker %d exited; starting another", w.proc.pid)
                    if restart_at is None:
                        restart_at = time.monotonic()
                    continue
                logger.error("brisk-asgi: worker %d died (exit code %d); restarting in %.1f s",
                             w.proc.pid, rc, backoff)
                restart_at = time.monotonic() + backoff
                backoff = min(backoff * 2, BACKOFF_MAX)
            if restart_at is not None and time.monotonic() >= restart_at:
                restart_at = None
                while len(workers) < args.workers:
                    workers.append(Worker(cmd))
            if not announced and len(workers) == args.workers and all(w.ready for w in workers):
                announced = True
                log.info("brisk-asgi running on http://%s:%d (%d workers, supervisor pid %d)",
                         args.host, port, args.workers, os.getpid())
            time.sleep(0.05)
        log.info("brisk-asgi: shutting down %d workers", len(workers))
    finally:
        # Stopped by a signal: the workers get their graceful shutdown; after a failed
        # startup, the others only need to go.
        code = stop_all(workers, args.timeout_graceful_shutdown + 5.0 if stop else 5.0)
        if reserve is not None:
            reserve.close()
    return code


def stop_all(workers: list[Worker], grace: float) -> int:
    """SIGTERM to every worker, SIGKILL after ``grace`` seconds; 0 if all exited cleanly."""
    for w in workers:
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    code = 0
    for w in workers:
        try:
            rc = w.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.error("brisk-asgi: worker %d did not stop in time: killed", w.proc.pid)
            w.proc.kill()
            rc = w.proc.wait()
        w.close()
        if rc not in (0, -signal.SIGTERM, -signal.SIGINT):
            code = 1
    return code
