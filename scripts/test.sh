#!/usr/bin/env bash
# Runs every test: formatting, lints, the UI type check, the Rust tests (core, CLI, and the real
# desktop window under Xvfb), and the UI tests. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

# What git sees before the run: the run must leave the work tree as it found it (no rewritten lock
# file, no cache written into a tracked folder), checked at the end.
tree_before=$(git status --porcelain 2>/dev/null || true)

step "installing what is missing"
bash scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --all --check

step "UI type check"
(cd ui && npm run --silent typecheck)

step "UI lints (eslint: TypeScript, React hooks) and formatting (prettier)"
(cd ui && npm run --silent lint && npm run --silent format:check)

step "UI build (embedded in the desktop binary)"
(cd ui && npm run --silent build)

step "staff pages: type check, lints (eslint) and formatting (prettier), build (embedded in the station binary)"
(cd crates/station/web && npm run --silent typecheck && npm run --silent lint && npm run --silent format:check)
bash scripts/build-web.sh

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "building the desktop app, the CLI, the station and the bureau"
cargo build --quiet -p doorstep-app -p doorstep-cli -p doorstep-station -p doorstep-bureau

results=$(mktemp)
trap 'rm -f "$results"' EXIT

step "Rust tests (core, CLI, desktop window)"
cargo test --workspace --quiet 2>&1 | tee -a "$results"

step "TypeScript bindings match the Rust types"
bindings=(ui/src/bindings crates/station/web/src/bindings)
if ! git diff --quiet -- "${bindings[@]}" || [ -n "$(git ls-files --others --exclude-standard "${bindings[@]}")" ]; then
  git status --short "${bindings[@]}"
  echo "the TypeScript bindings changed when the Rust tests regenerated them: commit the new bindings" >&2
  exit 1
fi

step "UI tests"
(cd ui && NO_COLOR=1 npx vitest run) 2>&1 | tee -a "$results"

step "cargo-fuzz targets, 15 seconds each (nightly toolchain; skipped with a note without it)"
bash scripts/fuzz.sh 15

step "the work tree is as the run found it"
tree_after=$(git status --porcelain 2>/dev/null || true)
if [ "$tree_before" != "$tree_after" ]; then
  diff <(echo "$tree_before") <(echo "$tree_after") || true
  echo "the test run changed the work tree (above): keep caches out of git and lock files stable" >&2
  exit 1
fi

# One closing line over every runner: cargo's "test result: ok. N passed; M failed" lines and
# vitest's "Tests  N passed" (each runner has already failed the script if any test failed).
awk '/^test result:/ { p += $4; f += $6 } /^ +Tests +[0-9]+ passed/ { p += $2 }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' <(sed 's/\x1b\[[0-9;]*m//g' "$results")
