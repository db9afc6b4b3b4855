# Sourced by the scripts: one Cargo target directory outside the clone, so a fresh clone (CI) reuses
# what earlier builds compiled instead of building Tauri from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/doorstep/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# npm prints this for a config key the machine sets; it is harmless.
export npm_config_loglevel=error
