#!/usr/bin/env bash
# Benchmarks of the field app at 200,000 residents, written to BENCHMARKS.md with the machine they
# ran on. Builds the benchmark (release) and the desktop app, and runs the app on a virtual display
# to time its first screen. Not part of the test command: timings are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/install-deps.sh

# The bureau's figures alone: a throw-away PostgreSQL primary and standby, 50 stations replicating.
if [ "${1:-}" = "--bureau-only" ]; then
  cargo build --quiet --release -p doorstep-bench -p doorstep-bureau
  "$CARGO_TARGET_DIR/release/doorstep-bureau-bench" --bureau "$CARGO_TARGET_DIR/release/doorstep-bureau" \
    --out BENCHMARKS.md "${@:2}"
  exit
fi
(cd ui && npm run --silent build)
bash scripts/build-web.sh
cargo build --quiet --release -p doorstep-bench -p doorstep-station
cargo build --quiet --release -p doorstep-app

# The PouchDB peer (shared/peers/pouchdb is read-only): a writable copy with its npm packages.
peer="$HOME/.cache/doorstep/pouchdb-peer"
if [ -d ../shared/peers/pouchdb ] && [ ! -d "$peer/node_modules" ]; then
  mkdir -p "$peer" && cp -r ../shared/peers/pouchdb/. "$peer/" && chmod -R u+w "$peer"
  (cd "$peer" && npm install --no-audit --no-fund --loglevel=error) || echo "PouchDB peer could not be installed; its row will say so"
fi
export PEER_WORKDIR="${PEER_WORKDIR:-$(mktemp -d)}"

ensure_display
"$CARGO_TARGET_DIR/release/doorstep-bench" --app "$CARGO_TARGET_DIR/release/doorstep-app" \
  --station "$CARGO_TARGET_DIR/release/doorstep-station" --pouchdb "$peer" --out BENCHMARKS.md \
  --command "bash scripts/bench.sh${*:+ $*}" "$@"
cat BENCHMARKS.md
