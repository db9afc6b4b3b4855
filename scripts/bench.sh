#!/usr/bin/env bash
# Benchmarks of the field app at 200,000 residents, written to BENCHMARKS.md with the machine they
# ran on. Builds the benchmark (release) and the desktop app, and runs the app on a virtual display
# to time its first screen. Not part of the test command: timings are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/install-deps.sh
(cd ui && npm run --silent build)
cargo build --quiet --release -p doorstep-bench
cargo build --quiet --release -p doorstep-app

ensure_display
"$CARGO_TARGET_DIR/release/doorstep-bench" --app "$CARGO_TARGET_DIR/release/doorstep-app" --out BENCHMARKS.md "$@"
cat BENCHMARKS.md
