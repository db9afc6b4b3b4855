# Sourced by the scripts: one Cargo target directory outside the clone, so a fresh clone (CI) reuses
# what earlier builds compiled instead of building Tauri from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/doorstep/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# npm prints this for a config key the machine sets; it is harmless.
export npm_config_loglevel=error

# Background processes a script starts (a virtual display, a station) stop when it exits, and so do
# the PostgreSQL clusters it started (the server's own `pg_ctl stop`, after the bureau).
BACKGROUND_PIDS=()
PG_CLUSTERS=()
on_exit() {
  kill "${BACKGROUND_PIDS[@]}" 2>/dev/null || true
  for dir in "${PG_CLUSTERS[@]}"; do as_postgres "$(pg_bin)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true; done
}
trap on_exit EXIT
stop_on_exit() { BACKGROUND_PIDS+=("$1"); }

# Starts a virtual display (Xvfb) when there is no screen (CI, a server); it stops when the script
# exits. Xvfb picks a free display number itself.
ensure_display() {
  [ -n "${DISPLAY:-}" ] && return 0
  local number_file
  number_file=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$number_file" >/dev/null 2>&1 &
  stop_on_exit $!
  for _ in $(seq 100); do [ -s "$number_file" ] && break; sleep 0.1; done
  DISPLAY=":$(tr -d '[:space:]' < "$number_file")"
  export DISPLAY
  rm -f "$number_file"
}

# The newest installed PostgreSQL's programs (Debian keeps them under /usr/lib/postgresql/N/bin).
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# Runs one of PostgreSQL's programs as the `postgres` user when we are root (its server refuses to
# run as root), as ourselves otherwise.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a throw-away PostgreSQL cluster in DIR on 127.0.0.1:PORT (made on first use, with a
# database `bureau`), stopped when the script exits. For the demo; the bureau's own IT points the
# bureau at their server instead (README, "The bureau").
start_pg_cluster() {
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir" -A trust -U postgres -E UTF8 --no-locale >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k /tmp" start >/dev/null
  PG_CLUSTERS+=("$dir")
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'bureau'" \
    | grep -q 1 || as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bureau
}
