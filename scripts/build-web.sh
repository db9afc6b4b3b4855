#!/usr/bin/env bash
# Builds the station's staff pages (crates/station/web, TypeScript with Vite) into web/dist, which
# the station binary embeds: run before building the station. Installs their npm packages if missing.
set -euo pipefail
cd "$(dirname "$0")/../crates/station/web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing the staff pages' packages"
  npm install --no-audit --no-fund --loglevel=error
fi
npm run --silent build >/dev/null
