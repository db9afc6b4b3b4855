#!/usr/bin/env bash
# Installs what is missing, builds the app, puts a demo beat (2,000 households of 幸福社区 and
# 和平社区, officer 李警官) into the officer's database on first run, and opens the app on it.
# Without a screen (no $DISPLAY) the window opens on a virtual one and a screenshot is saved.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/install-deps.sh
(cd ui && npm run --silent build)
cargo build --quiet -p doorstep-app -p doorstep-cli

data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.field"
export DOORSTEP_DB="${DOORSTEP_DB:-$data_dir/doorstep.sqlite}"
mkdir -p "$(dirname "$DOORSTEP_DB")"
if [ ! -f "$DOORSTEP_DB" ]; then
  echo "==> creating the demo beat in $DOORSTEP_DB"
  "$CARGO_TARGET_DIR/debug/doorstep" init --officer 李警官 --beat 幸福社区 --beat 和平社区 >/dev/null
  "$CARGO_TARGET_DIR/debug/doorstep" demo --seed 1 --households 2000
fi

if [ -z "${DISPLAY:-}" ]; then
  ensure_display
  ( sleep 8 && xwd -root -silent -display "$DISPLAY" | convert xwd:- doorstep-demo.png &&
    echo "==> no screen here: the app runs on a virtual display; screenshot in $(pwd)/doorstep-demo.png" ) &
fi
echo "==> opening Doorstep (close the window or press Ctrl+C to stop)"
"$CARGO_TARGET_DIR/debug/doorstep-app"
