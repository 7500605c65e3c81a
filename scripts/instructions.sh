#!/usr/bin/env bash
# Counts the instructions the engine executes per simulated request, with
# valgrind's callgrind: unlike a time, the count is the same on every run of
# the same binary, whatever else the machine is doing, so two builds can be
# compared on a loaded machine. It counts work, not cache misses: a change
# that only moves memory traffic (a large run's cost) shows in times only.
# Needs valgrind (Debian: `apt-get install valgrind`). Usage:
#   scripts/instructions.sh [path/to/agentsim]   (default: a fresh release build)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p sim-cli
  bin=${CARGO_TARGET_DIR:-target}/release/agentsim
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions inside `simulate_replicate_with` (the replicate alone: no
# loading, folding or writing) for one replicate on one thread.
count() {
  local name=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.cg" \
    --toggle-collect='sim_core::engine::replicate::simulate_replicate_with' \
    "$bin" run "$@" --replicates 1 --threads 1 --no-charts --quiet --out "$out/$name" >/dev/null 2>"$out/$name.err" \
    || { cat "$out/$name.err" >&2; exit 1; }
  local ir requests
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out/$name.cg")
  # Nothing counted: the function was renamed or inlined away.
  if [ -z "$ir" ] || [ "$ir" -eq 0 ]; then
    echo "no instructions counted in simulate_replicate_with (renamed or inlined?)" >&2
    exit 1
  fi
  requests=$(awk -F, '$2=="all" && $3=="requests" {print $4; exit}' "$out/$name/summary.csv")
  awk -v n="$name" -v ir="$ir" -v r="$requests" 'BEGIN {
    printf "%-10s %12d instructions, %8d requests: %6.0f instructions per request\n", n, ir, r, ir / r }'
}

# The M/M/4 queue of the mmc benchmark, over 20,000 s (60,000 requests).
count mmc scenarios/validation/mmc.toml --set 'simulation.warmup="0s"' --set 'workloads[0].arrivals.horizon="20000s"'
# agents_10k with 2,000 of its sessions (40,000 requests).
count agents_10k scenarios/bench/agents_10k.toml --set 'workloads[0].arrivals.sessions=2000'
