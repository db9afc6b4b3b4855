#!/usr/bin/env bash
# Installs what is missing, builds the app and the station, puts a demo beat (2,000 households of
# 幸福社区 and 和平社区, officer 李警官) into the officer's database on first run, starts a local
# station (http://127.0.0.1:8470, password doorstep-demo) that the laptop enrols with and syncs to,
# and opens the app. Without a screen (no $DISPLAY) the window opens on a virtual one and a
# screenshot is saved.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/install-deps.sh
(cd ui && npm run --silent build)
cargo build --quiet -p doorstep-app -p doorstep-cli -p doorstep-station

data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.field"
export DOORSTEP_DB="${DOORSTEP_DB:-$data_dir/doorstep.sqlite}"
mkdir -p "$(dirname "$DOORSTEP_DB")"
if [ ! -f "$DOORSTEP_DB" ]; then
  echo "==> creating the demo beat in $DOORSTEP_DB"
  "$CARGO_TARGET_DIR/debug/doorstep" init --officer 李警官 --beat 幸福社区 --beat 和平社区 >/dev/null
  "$CARGO_TARGET_DIR/debug/doorstep" demo --seed 1 --households 2000
fi

station_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.station"
station_url="http://127.0.0.1:${DOORSTEP_STATION_PORT:-8470}"
mkdir -p "$station_dir"
[ -f "$station_dir/station.json" ] || echo '{"password": "doorstep-demo"}' > "$station_dir/station.json"
"$CARGO_TARGET_DIR/debug/doorstep-station" serve --listen "${station_url#http://}" --data "$station_dir" &
stop_on_exit $!
for _ in $(seq 50); do curl -sf "$station_url/api/v1/health" >/dev/null && break; sleep 0.2; done
if ! "$CARGO_TARGET_DIR/debug/doorstep" status | grep -q '"last_sync_at": "'; then
  echo "==> enrolling the demo laptop with the local station and syncing the demo beat"
  "$CARGO_TARGET_DIR/debug/doorstep" enroll --station "$station_url" \
    --password "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$station_dir/station.json")" >/dev/null
  "$CARGO_TARGET_DIR/debug/doorstep" sync 2>/dev/null
fi
echo "==> station running at $station_url (data in $station_dir)"

if [ -z "${DISPLAY:-}" ]; then
  ensure_display
  ( sleep 8 && xwd -root -silent -display "$DISPLAY" | convert xwd:- doorstep-demo.png &&
    echo "==> no screen here: the app runs on a virtual display; screenshot in $(pwd)/doorstep-demo.png" ) &
fi
echo "==> opening Doorstep (close the window or press Ctrl+C to stop)"
"$CARGO_TARGET_DIR/debug/doorstep-app"
