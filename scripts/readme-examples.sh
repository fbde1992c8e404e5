#!/usr/bin/env bash
# Builds and runs each crate's README example as a new user would: a fresh crate (outside the
# workspace) that depends on the Brisk crate by path, with the README's first Rust block as its
# main. The doctests compile the same blocks; this checks the crate as a dependency.
#
#   scripts/readme-examples.sh [CRATE...]     (default: http1 hpack http2 router reactor server)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
crates=("$@")
[ ${#crates[@]} -eq 0 ] && crates=(http1 hpack http2 router reactor server)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/readme-examples}
for c in "${crates[@]}"; do
  dir="$work/try-$c"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "try-$c"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
brisk-$c = { path = "$root/crates/$c" }

[workspace]
TOML
  # The first ```rust block, hidden lines (`# `) shown, run inside a closure so `?` works.
  awk '/^```rust/{on=1; next} on && /^```/{exit} on {sub(/^# /, ""); sub(/^#$/, ""); print}' \
    "$root/crates/$c/README.md" > "$dir/body.rs"
  { echo "#[allow(unreachable_code, clippy::needless_return)]"
    echo "fn main() {"
    echo "    let run = || {"
    sed 's/^/        /' "$dir/body.rs"
    echo "    };"
    echo "    run().expect(\"the README example failed\");"
    echo "    println!(\"brisk-$c README example: ok\");"
    echo "}"; } > "$dir/src/main.rs"
  cargo run -q --manifest-path "$dir/Cargo.toml"
done
