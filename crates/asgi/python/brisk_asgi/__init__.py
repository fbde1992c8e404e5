"""brisk-asgi: serve ASGI 3.0 applications (FastAPI, Starlette, raw ASGI) on Brisk.

    import brisk_asgi
    brisk_asgi.run("myapp.main:app", host="127.0.0.1", port=8000)

or from a shell: ``brisk-asgi myapp.main:app --port 8000`` (``python -m brisk_asgi`` too).
"""

import collections.abc

from ._brisk_asgi import Ready as _Ready
from ._brisk_asgi import __version__
from .server import Config, run, serve

# What `send()` and a ready `receive()` return speaks the coroutine protocol: let
# `asyncio.ensure_future(receive())` and friends accept it.
collections.abc.Coroutine.register(_Ready)

__all__ = ["Config", "run", "serve", "__version__"]
