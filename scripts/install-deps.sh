#!/usr/bin/env bash
# Installs what a fresh Debian machine of this project's kind lacks: the Debian packages Tauri builds
# against, the packages the tests need (Xvfb, WebKitWebDriver, a CJK font), tauri-driver, and the UI's
# npm packages. Safe to run again: every step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
  libayatana-appindicator3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libxdo-dev)
test_pkgs=(xvfb xauth x11-utils x11-apps imagemagick webkit2gtk-driver dbus-x11 at-spi2-core xdotool
  fonts-dejavu-core fonts-noto-cjk sqlite3 curl chromium poppler-utils python3-venv faketime
  postgresql)

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "==> installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# `npm install` (not `npm ci`): the machines' npm is set to leave download addresses out of lock files,
# and `npm ci` then refuses the lock file for its platform-specific optional packages. `npm install`
# still installs the versions the lock file pins.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "==> installing UI packages"
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi

if [ ! -d crates/station/web/node_modules ] || [ crates/station/web/package-lock.json -nt crates/station/web/node_modules/.package-lock.json ]; then
  echo "==> installing the staff pages' packages (TypeScript, Vite, eslint, prettier)"
  (cd crates/station/web && npm install --no-audit --no-fund --loglevel=error)
fi

if [ ! -d tests/web/node_modules ] || [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
  echo "==> installing the browser tests' packages (playwright-core; the browser is Debian's chromium)"
  (cd tests/web && npm install --no-audit --no-fund --loglevel=error)
fi

# schemathesis, which fuzzes the station's OpenAPI document (tests/station/fuzz_api.rs), in a virtual
# environment of its own so the machine's Python stays as it was.
venv="$HOME/.cache/doorstep/venv"
if [ ! -x "$venv/bin/st" ]; then
  echo "==> installing schemathesis (Python, in $venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
