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

# Replicates on threads: 64 replicates of quickstart on 1 and on 2 worker
# threads (no charts: drawing them is one serial step after the replicates),
# best of N each, alternating so both see the same machine.
one=""; two=""
for _ in $(seq "$runs"); do
  for threads in 1 2; do
    start=$(date +%s%N)
    ./target/release/agentsim run scenarios/quickstart.toml --replicates 64 --threads "$threads" \
      --no-charts --out "$out/q$threads" --force --quiet >/dev/null
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    if [ "$threads" = 1 ]; then
      if [ -z "$one" ] || [ "$ms" -lt "$one" ]; then one=$ms; fi
    else
      if [ -z "$two" ] || [ "$ms" -lt "$two" ]; then two=$ms; fi
    fi
  done
done
cmp -s "$out/q1/summary.json" "$out/q2/summary.json" || { echo "1 and 2 threads disagree" >&2; exit 1; }
awk -v a="$one" -v b="$two" -v n="$runs" 'BEGIN {
  printf "quickstart, 64 replicates, whole run (best of %d): 1 thread %d ms, 2 threads %d ms: %.2fx\n", n, a, b, a / b }'
