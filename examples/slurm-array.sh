#!/bin/bash
# A fleet audit as a Slurm job array: 16 tasks, each scanning one shard of a shared target
# list and writing its own NDJSON file to shared storage; then one merge job.
#
#   jobid=$(sbatch --parsable slurm-array.sh)
#   sbatch --dependency=afterany:"$jobid" --job-name=patchaudit-merge --output=merge-%j.log \
#       --wrap 'patchaudit merge /shared/results/shard-*.ndjson --targets /shared/targets.txt --format json --output /shared/fleet.json --fail-on none'
#
# afterany: the merge runs even when a task failed. With --fail-on none it exits 0 when every
# listed target is in some shard's file, and 3 when one is not (it lists them on stderr, in
# merge-JOBID.log): submit the array again to fill them in, each task resumes its own file.
# Without --fail-on none, merge exits as a scan would (1 patch-needed, 2 blocked or review).
#
# patchaudit picks the shard by itself from SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and
# SLURM_ARRAY_TASK_MIN (task 3 of 1-16 scans shard 3/16; stderr says which shard ran and how
# many targets it took). Targets are assigned by a stable hash of the path, so the list may
# grow or be reordered between runs. Change --array and nothing else to change the shard count
# (then start with an empty results/: the old files hold other shards).
#
# SHARED (default /shared, CHANGE it or export it before sbatch) must be visible on every node:
# targets.txt, one path per line (blank lines and # comments ignored), results/ for the output.
#
#SBATCH --job-name=patchaudit
#SBATCH --array=1-16%8
#SBATCH --cpus-per-task=2
#SBATCH --mem=5G
#SBATCH --time=12:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=patchaudit-%A_%a.log
#
# --mem: each of the --jobs workers may grow to --worker-memory (default 2 GiB) before its
# target becomes an error, plus the scan itself. --requeue: a preempted task runs again and,
# with --resume, skips the targets already in its file (--open-mode=append keeps its log).
set -euo pipefail

SHARED=${SHARED:-/shared}
mkdir -p "$SHARED/results"

# --fail-on none: exit 0 whatever the verdicts (1 patch-needed, 2 blocked/review, 3 error
# would otherwise fail the task); a non-zero exit is then 64 usage, 74 cannot write, 78 a
# manifest refused. --progress: a plain progress line every 10 s in the task's log.
# Add --retry-errors to scan again the targets a previous run reported as error.
srun patchaudit scan \
    --targets "$SHARED/targets.txt" \
    --format ndjson \
    --output "$SHARED/results/shard-$SLURM_ARRAY_TASK_ID.ndjson" \
    --resume \
    --fail-on none \
    --jobs "${SLURM_CPUS_PER_TASK:-2}" \
    --target-timeout 30m \
    --progress
