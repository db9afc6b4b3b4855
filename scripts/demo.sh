#!/usr/bin/env bash
# Installs what is missing, builds the app and the station, puts a demo beat (2,000 households of
# 幸福社区 and 和平社区, officer 李警官) into the officer's database on first run, starts a local
# station (https://127.0.0.1:8470; accounts admin / doorstep-demo-admin and staff / doorstep-demo-staff)
# that the laptop enrols with (a one-time code for 李警官's account) and syncs to, starts the bureau
# above it on a throw-away PostgreSQL (https://127.0.0.1:8480; admin / doorstep-demo-admin, inspector
# / doorstep-demo-inspector) with the demo station enrolled and replicating to it, and opens the app.
# Without a screen (no $DISPLAY) the window opens on a virtual one and a screenshot is saved.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/install-deps.sh
(cd ui && npm run --silent build)
bash scripts/build-web.sh
cargo build --quiet -p doorstep-app -p doorstep-cli -p doorstep-station -p doorstep-bureau

data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.field"
# The laptop's database is encrypted; the demo's passphrase (the app's lock screen asks for it).
export DOORSTEP_PASSPHRASE="${DOORSTEP_PASSPHRASE:-doorstep-demo}"
export DOORSTEP_DB="${DOORSTEP_DB:-$data_dir/doorstep.sqlite}"
mkdir -p "$(dirname "$DOORSTEP_DB")"
if [ ! -f "$DOORSTEP_DB" ]; then
  echo "==> creating the demo beat in $DOORSTEP_DB"
  "$CARGO_TARGET_DIR/debug/doorstep" init --officer 李警官 --beat 幸福社区 --beat 和平社区 >/dev/null
  "$CARGO_TARGET_DIR/debug/doorstep" demo --seed 1 --households 2000
fi

station_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.station"
station_url="https://127.0.0.1:${DOORSTEP_STATION_PORT:-8470}"
station="$CARGO_TARGET_DIR/debug/doorstep-station"
mkdir -p "$station_dir"
# The first administrator's password, used once when the station has no account yet.
[ -f "$station_dir/station.json" ] || echo '{"admin_password": "doorstep-demo-admin"}' > "$station_dir/station.json"
if [ ! -f "$station_dir/demo-accounts" ]; then
  echo "==> creating the demo station's accounts (staff 李所长, officer 李警官)"
  # The first command on a new station creates the administrator account, then the demo's others.
  "$station" add-account --data "$station_dir" --username staff --name 李所长 --role staff --role chief \
    <<< "doorstep-demo-staff" >/dev/null
  DOORSTEP_ACCOUNT_PASSWORD=doorstep-demo-officer "$station" add-account --data "$station_dir" --username li \
    --name 李警官 --role officer --beat 幸福社区 --beat 和平社区 >/dev/null
  touch "$station_dir/demo-accounts"
fi
"$station" serve --listen "${station_url#https://}" --data "$station_dir" &
stop_on_exit $!
# -k: this only asks whether the station is up; the laptop itself pins the station's certificate.
for _ in $(seq 50); do curl -ksf "$station_url/api/v1/health" >/dev/null && break; sleep 0.2; done
# Enrolled once per laptop database (a database from before accounts enrols again).
if [ ! -f "$DOORSTEP_DB.enrolled" ]; then
  echo "==> enrolling the demo laptop with the local station (one-time code for 李警官) and syncing"
  code=$("$station" enrollment-code --data "$station_dir" --username li)
  "$CARGO_TARGET_DIR/debug/doorstep" enroll --station "$station_url" --code "$code" >/dev/null
  "$CARGO_TARGET_DIR/debug/doorstep" sync 2>/dev/null
  touch "$DOORSTEP_DB.enrolled"
fi
echo "==> station running at $station_url (data in $station_dir)"

# The bureau above the station, on a throw-away PostgreSQL cluster of its own (kept between runs in a
# folder the postgres user can reach; the server refuses to run as root).
bureau_dir="${XDG_DATA_HOME:-$HOME/.local/share}/cn.doorstep.bureau"
bureau_url="https://127.0.0.1:${DOORSTEP_BUREAU_PORT:-8480}"
bureau="$CARGO_TARGET_DIR/debug/doorstep-bureau"
pg_port="${DOORSTEP_PG_PORT:-54329}"
start_pg_cluster /var/tmp/doorstep-demo-pg "$pg_port"
export DOORSTEP_BUREAU_DATABASE="host=127.0.0.1 port=$pg_port user=postgres dbname=bureau"
mkdir -p "$bureau_dir"
[ -f "$bureau_dir/bureau.json" ] ||
  echo '{"admin_password": "doorstep-demo-admin", "name": "示范市公安局"}' > "$bureau_dir/bureau.json"
"$bureau" serve --listen "${bureau_url#https://}" --data "$bureau_dir" &
stop_on_exit $!
for _ in $(seq 50); do curl -ksf "$bureau_url/api/v1/health" >/dev/null && break; sleep 0.2; done
if [ ! -f "$station_dir/bureau-enrolled" ]; then
  echo "==> enrolling the demo station with the bureau, and an inspector's account"
  DOORSTEP_ACCOUNT_PASSWORD=doorstep-demo-inspector "$bureau" add-account --username inspector \
    --name 王督察 --role inspector --role analyst >/dev/null 2>&1 || true
  code=$("$bureau" station-code --station-name 幸福派出所)
  "$station" bureau enroll --data "$station_dir" --url "$bureau_url" --code "$code" >/dev/null
  "$station" bureau send --data "$station_dir" >/dev/null
  touch "$station_dir/bureau-enrolled"
fi
echo "==> bureau running at $bureau_url with the demo station in it (inspector / doorstep-demo-inspector)"

if [ -z "${DISPLAY:-}" ]; then
  ensure_display
  ( sleep 8 && xwd -root -silent -display "$DISPLAY" | convert xwd:- doorstep-demo.png &&
    echo "==> no screen here: the app runs on a virtual display; screenshot in $(pwd)/doorstep-demo.png" ) &
fi
echo "==> opening Doorstep: unlock it with the passphrase $DOORSTEP_PASSPHRASE (close the window or press Ctrl+C to stop)"
"$CARGO_TARGET_DIR/debug/doorstep-app"
