#!/usr/bin/env bash
# Flame graphs of the benchmark's figures (issue 12), one SVG per figure in docs/perf/: builds the
# `profiling` binaries (release with line tables), runs parts of the benchmark under `perf record`
# sampling only while a figure is measured (`doorstep-bench --phases --perf-control`), and cuts the
# profile by each figure's stretches. Takes about 25 minutes the first time (the reports' station
# store of 100,000 households is filled once and kept beside the Cargo target directory).
#
#   bash scripts/flamegraphs.sh            # every figure
#   bash scripts/flamegraphs.sh sync       # one part: sync, incremental, reports or field
#
# Each graph is drawn as an icicle (its roots on top, where the page opens). Its root frames are
# the processes: `doorstep-bench` is the benchmark (the laptop's side of a sync, and everything
# measured in-process), `doorstep-station` the station.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
what=${1:-all}
case "$what" in
  all | sync | incremental | reports | field) ;;
  *)
    echo "usage: bash scripts/flamegraphs.sh [sync|incremental|reports|field]" >&2
    exit 2
    ;;
esac
source scripts/env.sh

if ! command -v perf >/dev/null; then
  apt-get update && apt-get install -y linux-perf
fi
if ! command -v inferno-flamegraph >/dev/null; then
  cargo install inferno --locked --version 0.12.8
fi
# perf reads the kernel's symbols and samples every process only with these.
sysctl -qw kernel.perf_event_paranoid=-1 kernel.kptr_restrict=0 2>/dev/null || true

bash scripts/build-web.sh
cargo build --profile profiling -p doorstep-bench -p doorstep-station
bin=$CARGO_TARGET_DIR/profiling
work=$CARGO_TARGET_DIR/../flame
mkdir -p "$work"
out=$root/docs/perf

# record NAME FREQUENCY BENCH-ARGS...: the benchmark under perf, sampling only in its figures.
record() {
  local name=$1 freq=$2
  shift 2
  local ctl=$work/$name.ctl ack=$work/$name.ack
  rm -f "$ctl" "$ack" "$work/$name.tsv"
  mkfifo "$ctl" "$ack"
  echo "==> $name: doorstep-bench $* (under perf)"
  perf record -q -k CLOCK_REALTIME -F "$freq" --call-graph dwarf,16384 -D -1 \
    --control "fifo:$ctl,$ack" -o "$work/$name.data" -- \
    "$bin/doorstep-bench" "$@" --phases "$work/$name.tsv" --perf-control "$ctl,$ack" \
    >"$work/$name.log" 2>&1 || { tail -20 "$work/$name.log"; exit 1; }
  rm -f "$ctl" "$ack"
}

# graph NAME LABEL FILE TITLE: every stretch marked LABEL in run NAME, as docs/perf/FILE.svg.
graph() {
  local name=$1 label=$2 file=$3 title=$4
  local stacks=$work/$name-$label.perf
  # All of the label's stretches in one pass over the profile ("start,end start,end …").
  local spans
  spans=$(awk -F'\t' -v l="$label" '$1 == l { printf "%s%s,%s", sep, $2, $3; sep = " " }' "$work/$name.tsv")
  perf script -i "$work/$name.data" --time "$spans" -F comm,pid,tid,time,period,event,ip,sym,dso \
    2>/dev/null >"$stacks"
  if [ ! -s "$stacks" ]; then
    echo "no samples for $label in $name" >&2
    return 1
  fi
  # Each sample's root frame names its process: threads started while perf was not sampling have
  # no name of their own in the profile.
  awk 'NR == FNR { if ($0 !~ /^[ \t]/ && $1 == "doorstep-bench") { split($2, p, "/"); bench[p[1]] = 1 }; next }
       /^[ \t]/ || NF == 0 { print; next }
       { for (i = 1; i < NF && $i !~ /^[0-9]+\/[0-9]+$/; i++) {}
         split($i, p, "/"); line = (p[1] in bench) ? "doorstep-bench" : "doorstep-station"
         for (j = i; j <= NF; j++) line = line " " $j
         print line }' "$stacks" "$stacks" >"$stacks.named"
  inferno-collapse-perf "$stacks.named" |
    inferno-flamegraph --inverted --title "$title" --subtitle "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; scripts/flamegraphs.sh" \
      --minwidth 0.2 --width 1400 >"$out/$file.svg"
  echo "    $out/$file.svg ($(grep -c . "$stacks") stack lines)"
}

if [ "$what" = all ] || [ "$what" = sync ]; then
  record sync 299 --ingest-only --station "$bin/doorstep-station" --station-households 20000
  graph sync ingest-https flame-3-ingest-https \
    "Item 3: station ingest of 200,000 pushed changes over HTTPS (the station, and the benchmark pushing)"
  graph sync ingest-in-process flame-3-ingest-in-process \
    "Item 3: the same batches into the station's store in-process"
  graph sync first-download flame-2-first-download \
    "Item 2: first download of a 20,000-household beat (laptop and station)"
  graph sync whole-sync flame-1-whole-sync \
    "Item 1: a laptop's whole sync of the CLI demo, HTTPS to the station (laptop and station)"
fi

if [ "$what" = all ] || [ "$what" = incremental ]; then
  # A sync of 50 edits takes about 10 ms: 200 of them give the graph a few thousand samples.
  record incremental 999 --station-only --station "$bin/doorstep-station" --station-households 2000 \
    --incremental-runs 200 --report-households 0 --out "$work/station.md"
  graph incremental incremental-1m flame-4-incremental-1m \
    "Item 4: incremental syncs of 50 edits on a station holding 1M changes (laptop and station)"
fi

if [ "$what" = all ] || [ "$what" = reports ]; then
  store=$work/reports-100k.sqlite
  if [ ! -f "$store" ]; then
    echo "==> filling the reports' station store once (minutes)"
    "$bin/doorstep-bench" --reports-only --report-households 100000 --reports-store "$store" \
      --out "$work/reports.md" >/dev/null
  fi
  record reports 999 --reports-only --report-households 100000 --reports-store "$store" \
    --out "$work/reports.md"
  graph reports overview flame-6-overview \
    "Item 6: the station's overview, first of the day and after late laptops (100,000 households)"
  graph reports summary flame-5-summary \
    "Item 5: the monthly summary with its figures (100,000 households, 2M visits)"
fi

if [ "$what" = all ] || [ "$what" = field ]; then
  record field 999 --out "$work/field.md"
  graph field save-visit flame-7-save-visit \
    "Item 7: saving a visit through the core, beside a raw one-row transaction (200,000 residents)"
fi
