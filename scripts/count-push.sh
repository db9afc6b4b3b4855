#!/usr/bin/env bash
# Counts the instructions the station spends deciding and storing pushed changes (issue 12 items 1
# and 3), under valgrind's callgrind: a count, unlike a time, does not move with the machine's
# noise (the same binaries' times vary by a fifth here), so two builds can be told apart by a few
# percent. Runs the benchmark's `--ingest-only` (an ingest of 1,000 changes, the first download,
# two whole syncs of the CLI demo: 28,333 changes decided) against the station under callgrind,
# counting only inside the push (`StationStore::push`), and prints the total, per change, and the
# heaviest functions (inclusive). Takes about three minutes.
#
#   bash scripts/count-push.sh                 # the profiling build of the work tree
#   bash scripts/count-push.sh STATION_BINARY  # another build (A/B: run it for each)
#   CALLGRIND_OUT=FILE bash scripts/count-push.sh  # keeps the counts (callgrind_annotate FILE)
#
# Not part of the test command. docs/perf/README.md says what it measured.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if ! command -v valgrind >/dev/null; then
  apt-get update && apt-get install -y valgrind
fi
bash scripts/build-web.sh
cargo build --quiet --profile profiling -p doorstep-bench -p doorstep-station
station=${1:-$CARGO_TARGET_DIR/profiling/doorstep-station}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The benchmark starts the station as a binary and kills it when done; this stand-in runs it under
# callgrind in the background, so that it outlives the kill and can be ended with a signal that
# lets callgrind write its counts.
cat >"$work/station" <<EOF
#!/bin/sh
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \\
  --toggle-collect='*ingest*StationStore*push*' "$station" "\$@" 2>/dev/null &
echo \$! >"$work/pid"
wait
EOF
chmod +x "$work/station"
"$CARGO_TARGET_DIR/profiling/doorstep-bench" --station "$work/station" --ingest-only \
  --station-households 100 --sync-rounds 1 >"$work/bench.out"
kill -TERM "$(cat "$work/pid")"
while kill -0 "$(cat "$work/pid")" 2>/dev/null; do sleep 0.5; done

# The whole syncs' changes (printed as "(13508 up, …"), and the ingest's 1,000.
changes=$(grep -o '([0-9]* up' "$work/bench.out" | grep -o '[0-9]*' | awk '{ s += $1 } END { print s + 1000 }')
if [ -n "${CALLGRIND_OUT:-}" ]; then cp "$work/callgrind.out" "$CALLGRIND_OUT"; fi
total=$(sed -n 's/^totals: //p' "$work/callgrind.out")
echo "station: $station"
echo "instructions in the push: $total for $changes changes, $((total / changes)) per change"
callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
  grep -E 'doorstep_station::|sqlite3_step |rusqlite::cache' |
  sed -E 's/ +[^ ]*\.(rs|c):/ /; s/ \[[^]]*\] *$//' | head -"${TOP:-40}"
