#!/usr/bin/env bash
# Every test of the workspace: the Rust tests (`cargo test --workspace`), then brisk-asgi's Python
# suite (crates/asgi/tests/run.sh: a virtual environment per Python version under target/, the
# extension built into it with maturin, pytest against raw ASGI, FastAPI and Starlette apps).
#
#   scripts/test-all.sh                               # everything
#   BRISK_ASGI_PYTHONS="3.12" scripts/test-all.sh     # the Python suite on one version only
#
# Tests that need the corpora in ../shared/corpora or a peer tool (curl, nghttp, Python packages
# from PyPI) say SKIPPED when those are missing; BRISK_REQUIRE_CORPORA=1 and BRISK_REQUIRE_PEERS=1
# make them fail instead (CI sets both). Exits non-zero if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
echo "== Rust: cargo test --workspace"
cargo test --workspace || status=1

echo "== Python: crates/asgi/tests/run.sh"
crates/asgi/tests/run.sh || status=1

if [ "$status" = 0 ]; then
    echo "== all tests passed"
else
    echo "== some tests FAILED"
fi
exit $status
