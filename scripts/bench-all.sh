#!/usr/bin/env bash
# Every benchmark figure of docs/performance.md in one command: the engine
# benchmarks (one replicate each, thread CPU time, best and median) and the
# whole CLI runs (start-up, load, simulation and output writing), then the
# instructions per simulated request when valgrind is installed.
# `AGENTSIM_BENCH_1M=1 scripts/bench-all.sh` adds the 1M-session run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p agentsim-bench --bench engine
scripts/bench-cli.sh "${1:-10}"
# Instructions per simulated request: the one figure the machine's load does not move.
if command -v valgrind >/dev/null; then
  scripts/instructions.sh
else
  echo "instructions per request: skipped (valgrind is not installed)"
fi
