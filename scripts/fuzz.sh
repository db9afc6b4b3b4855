#!/usr/bin/env bash
# Fuzzes the station's change decoder and the ledger importer with cargo-fuzz (libFuzzer) for the
# given number of seconds each (default 300): `bash scripts/fuzz.sh [seconds]`. The test command runs
# it briefly. Needs the nightly toolchain (libFuzzer's instrumentation); without it, says so and
# stops (the stable replay of the corpus runs in the Rust tests either way). Findings (crashing
# inputs) are kept in fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-300}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain here (rustup toolchain install nightly); skipping libFuzzer runs" >&2
  exit 0
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
# Its own target directory: instrumented builds of every dependency, kept between runs.
export CARGO_TARGET_DIR="$HOME/.cache/doorstep/fuzz-target"
for target in change_decoder ledger_import; do
  echo "==> fuzzing $target for ${seconds}s"
  # Fresh inputs go to a scratch corpus; the committed seeds are read, not rewritten.
  scratch="$CARGO_TARGET_DIR/corpus/$target"
  mkdir -p "$scratch"
  (cd fuzz && cargo +nightly fuzz run --sanitizer none "$target" "$scratch" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tail -n 12)
done
