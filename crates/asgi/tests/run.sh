#!/usr/bin/env bash
# Builds brisk-asgi into a virtual environment per Python version and runs its pytest suite
# (raw ASGI, FastAPI and Starlette apps served by `python -m brisk_asgi`).
#
#   crates/asgi/tests/run.sh                         # Python 3.11, 3.12, 3.13 (PATH or pyenv)
#   BRISK_ASGI_PYTHONS="3.11" crates/asgi/tests/run.sh
#   BRISK_REQUIRE_PEERS=1 crates/asgi/tests/run.sh   # a missing Python or PyPI is a failure
#
# Virtual environments and build caches live under target/ (target/asgi-py<version>/), so a
# second run installs and compiles nothing new. Packages come from PyPI with pip:
# maturin, pytest, httpx[http2], fastapi, starlette. Without a Python (or PyPI) the run says
# SKIPPED and exits 0, unless BRISK_REQUIRE_PEERS=1 (then it exits 1).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
crate=$(dirname "$here")
root=$(cd "$crate/../.." && pwd)
require=${BRISK_REQUIRE_PEERS:-0}
pythons=${BRISK_ASGI_PYTHONS:-"3.11 3.12 3.13"}
packages=(maturin pytest "httpx[http2]" fastapi starlette)
status=0

skip() {
    echo "SKIPPED brisk-asgi Python tests: $*"
    if [ "$require" = 1 ]; then
        echo "BRISK_REQUIRE_PEERS=1: a skipped peer is a failure"
        status=1
    fi
}

# The interpreter for version $1 (3.11, 3.12, ...): pythonX.Y on PATH, else pyenv's newest.
find_python() {
    local v=$1 p
    if p=$(command -v "python$v" 2>/dev/null) && "$p" -c 'import venv' 2>/dev/null; then
        echo "$p"
        return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        local full
        full=$(pyenv versions --bare 2>/dev/null | grep -E "^$v(\.[0-9]+)?$" | sort -V | tail -1)
        if [ -n "$full" ] && [ -x "$(pyenv root)/versions/$full/bin/python$v" ]; then
            echo "$(pyenv root)/versions/$full/bin/python$v"
            return 0
        fi
    fi
    return 1
}

for v in $pythons; do
    if ! py=$(find_python "$v"); then
        skip "Python $v not found"
        continue
    fi
    env="$root/target/asgi-py$v"
    venv="$env/venv"
    if [ ! -x "$venv/bin/python" ]; then
        "$py" -m venv "$venv" || { skip "could not create a venv with $py"; continue; }
    fi
    stamp="$venv/.brisk-packages"
    if [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
        if ! "$venv/bin/pip" install -q --disable-pip-version-check "${packages[@]}"; then
            skip "pip could not install ${packages[*]} for Python $v (no PyPI?)"
            continue
        fi
        echo "${packages[*]}" >"$stamp"
    fi
    echo "== brisk-asgi: Python $("$venv/bin/python" -V 2>&1 | cut -d' ' -f2): build"
    if ! (cd "$crate" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
        CARGO_TARGET_DIR="$env/cargo" maturin develop --release -q); then
        echo "FAILED: maturin develop for Python $v"
        status=1
        continue
    fi
    echo "== brisk-asgi: Python $v: pytest"
    if ! (cd "$crate" && "$venv/bin/python" -m pytest -q -rs tests); then
        status=1
    fi
done
exit $status
