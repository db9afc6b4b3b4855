#!/usr/bin/env bash
# The fault suite at its long counts (about ten minutes here): every fault test of tests/faults runs
# ten times its bounded sample (200 syncs through cut connections, 100 station kills, 260 laptop
# kills), and prints its figures. The test command runs the bounded sample.
#   bash scripts/faults.sh [SCALE]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo build --quiet -p doorstep-cli -p doorstep-station
DOORSTEP_FAULT_SCALE="${1:-10}" cargo test --quiet -p doorstep-tests --test faults -- --nocapture --test-threads 1 2>&1 \
  | grep -E 'FAULTS|PHOTOS|test result|panicked|FAILED|a cut connection|run [0-9]+'
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
