"""``python -m brisk_asgi module:app [options]``: the same as the ``brisk-asgi`` command."""

from .cli import main

if __name__ == "__main__":
    main()
