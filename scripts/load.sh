#!/usr/bin/env bash
# The load command: one station and 1, 50, 200, 500 and 1,000 laptops syncing with it at once on
# loopback, in waves of 50 edits each (see crates/bench/src/bin/doorstep-load.rs). Writes the table
# to the "Reliability: many laptops at once" section of BENCHMARKS.md. Not part of the test
# command: it measures, it never fails on timing.
#   bash scripts/load.sh [--seconds 600] [--laptops 1,50,200,500,1000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/build-web.sh
cargo build --quiet --release -p doorstep-bench -p doorstep-station
# A thousand laptops each hold a database and a few connections.
ulimit -n 65536 2>/dev/null || true
"$CARGO_TARGET_DIR/release/doorstep-load" --station "$CARGO_TARGET_DIR/release/doorstep-station" \
  --command "bash scripts/load.sh $*" "$@"
