#!/usr/bin/env bash
# Times the whole `agentsim run` of each benchmark scenario (start-up, load,
# simulation and output writing included), best of N runs, in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release -q -p sim-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for scenario in scenarios/bench/agents_10k.toml scenarios/bench/replicas.toml; do
  best=""
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    ./target/release/agentsim run "$scenario" --out "$out/run" --force --quiet >/dev/null
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  metric() { awk -F, -v m="$1" '$2=="all" && $3==m {print $4}' "$out/run/summary.csv"; }
  echo "agentsim run $scenario: best of $runs = ${best} ms wall"
  awk -v r="$(metric requests)" -v t="$(metric tokens_output)" -v ms="$best" 'BEGIN {
    printf "  %.0f requests -> %.2f M simulated requests/s, %.0f output tokens -> %.1f M/s (whole run)\n",
      r, r / (ms / 1000) / 1e6, t, t / (ms / 1000) / 1e6 }'
done
