#!/bin/bash
# agentsim on Slurm: one array task per shard, then one merge job.
# Submit with:  sbatch docs/cluster/slurm-array.sh
# The merge is submitted by the last lines below with --dependency=afterok.
#
# Edit SCENARIO, SHARED (a directory every node sees) and the --array range;
# the shard count N is taken from the array itself ($SLURM_ARRAY_TASK_COUNT),
# or from SHARD_COUNT when one shard is rerun alone (docs/cluster.md).
#SBATCH --job-name=agentsim-shards
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=agentsim-%A_%a.log
set -euo pipefail

SCENARIO=${SCENARIO:-scenarios/examples/ttl_comparison.toml}
SHARED=${SHARED:-$HOME/agentsim-runs/$SLURM_ARRAY_JOB_ID}
I=$SLURM_ARRAY_TASK_ID          # 1-based with --array=1-N
N=${SHARD_COUNT:-$SLURM_ARRAY_TASK_COUNT}  # set SHARD_COUNT when rerunning one shard

mkdir -p "$SHARED"
# Every shard must get the same scenario file, --set/--variant flags, --seed
# and --replicates: merge refuses partials of different runs.
agentsim run "$SCENARIO" --shard "$I/$N" --threads "$SLURM_CPUS_PER_TASK" \
    --out "$SHARED/shard-$I" --quiet

# The first task queues the merge, to start once every array task succeeded.
if [ "$I" = 1 ]; then
    sbatch --dependency="afterok:$SLURM_ARRAY_JOB_ID" --job-name=agentsim-merge \
        --output=agentsim-merge-%j.log \
        --wrap="agentsim merge $SHARED/shard-* --out $SHARED/merged"
fi
