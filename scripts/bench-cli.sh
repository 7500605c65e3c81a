#!/usr/bin/env bash
# Times the whole `agentsim run` of each benchmark scenario (start-up, load,
# simulation and output writing included), best of N runs, in release mode;
# then the replicates' scaling from 1 to 2 worker threads.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release -q -p sim-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Wall-clock milliseconds of one `agentsim run` with these arguments.
run_ms() {
  local start end
  start=$(date +%s%N)
  ./target/release/agentsim run "$@" --force --quiet >/dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

# The smaller of a best-so-far (empty: none yet) and a new time.
least() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

for scenario in scenarios/bench/agents_10k.toml scenarios/bench/replicas.toml; do
  best=""
  for _ in $(seq "$runs"); do
    best=$(least "$best" "$(run_ms "$scenario" --out "$out/run")")
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
  one=$(least "$one" "$(run_ms scenarios/quickstart.toml --replicates 64 --threads 1 --no-charts --out "$out/q1")")
  two=$(least "$two" "$(run_ms scenarios/quickstart.toml --replicates 64 --threads 2 --no-charts --out "$out/q2")")
done
cmp -s "$out/q1/summary.json" "$out/q2/summary.json" || { echo "1 and 2 threads disagree" >&2; exit 1; }
awk -v a="$one" -v b="$two" -v n="$runs" 'BEGIN {
  printf "quickstart, 64 replicates, whole run (best of %d): 1 thread %d ms, 2 threads %d ms: %.2fx\n", n, a, b, a / b }'
