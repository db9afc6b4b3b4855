# Sourced by the scripts: one Cargo target directory outside the clone, so a fresh clone (CI) reuses
# what earlier builds compiled instead of building Tauri from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/doorstep/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# npm prints this for a config key the machine sets; it is harmless.
export npm_config_loglevel=error

# Background processes a script starts (a virtual display, a station) stop when it exits.
BACKGROUND_PIDS=()
trap 'kill "${BACKGROUND_PIDS[@]}" 2>/dev/null || true' EXIT
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
