#!/usr/bin/env bash
# Builds the Linux installer (.deb) that a station's IT hands out, through the Tauri bundler (release
# build, ~6 minutes on 2 cores). Not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
(cd ui && npm run --silent build)
(cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb)
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb
