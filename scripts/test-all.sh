#!/usr/bin/env bash
# Every test of the workspace: the Rust tests (`cargo test`: the default members, which leave
# out `benches`, so criterion and the nghttp2 C build are not built), then brisk-asgi's Python
# suite (crates/asgi/tests/run.sh: a virtual environment per Python version under target/, the
# extension built into it with maturin, pytest against raw ASGI, FastAPI and Starlette apps).
#
#   scripts/test-all.sh                               # everything
#   BRISK_ASGI_PYTHONS="3.12" scripts/test-all.sh     # the Python suite on one version only
#
# Tests that need the corpora in ../shared/corpora or a peer tool (curl, nghttp, Python packages
# from PyPI) are counted as ignored ("ignored, needs curl") when those are missing: each crate's
# build.rs probes for them; BRISK_REQUIRE_CORPORA=1 and BRISK_REQUIRE_PEERS=1 make them run and
# fail instead (CI sets both). Exits non-zero if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
echo "== Rust: cargo test (default members: everything but benches)"
cargo test || status=1

echo "== Python: crates/asgi/tests/run.sh"
crates/asgi/tests/run.sh || status=1

if [ "$status" = 0 ]; then
    echo "== all tests passed"
else
    echo "== some tests FAILED"
fi
exit $status
