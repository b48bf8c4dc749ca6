#!/usr/bin/env bash
# The fleet issue's acceptance check, at its scale: a 3,000-target list runs from a file and
# from standard input with the same results; killed with SIGKILL at random moments and resumed
# each time, it ends with exactly the lines of the uninterrupted run (sorted: resumed runs
# append in the order they finish); then 4 shards selected by Slurm's variables, merged, equal
# the single run (json and exit status).
#
#   bash scripts/check-fleet-resume.sh PATH/TO/patchaudit      (make fleet-check)
#
# The 3,000 targets are symbolic links (m0001.zip ... ) to the committed fixtures, cycled
# through: zips, folders and disk images, so every kind of source is in the run; a target
# that is a link is read as what it points to. KILLS (default 10) sets how many kills.
# Exit status 0 when every check holds, 1 otherwise.
set -euo pipefail
bin=${1:?usage: check-fleet-resume.sh PATH/TO/patchaudit}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=${COUNT:-3000}
kills=${KILLS:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/patchaudit-fleet-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
say() { printf 'fleet-check: %s\n' "$*" >&2; }
check() { if "$@"; then say "ok: ${desc}"; else say "FAILED: ${desc}"; fail=1; fi; }

sources=()
for f in "$repo"/Fixtures/archives/zip/*.zip "$repo"/Fixtures/images/*.img; do sources+=("$f"); done
for d in "$repo"/Fixtures/trees/*/; do sources+=("${d%/}"); done
mkdir "$work/fleet"
for ((i = 1; i <= count; i++)); do
    src=${sources[$(( (i - 1) % ${#sources[@]} ))]}
    name=$(printf 'm%04d' "$i")
    case "$src" in *.zip) name+=.zip ;; *.img) name+=.img ;; esac
    ln -s "$src" "$work/fleet/$name"
    printf '%s\n' "$work/fleet/$name"
done > "$work/targets.txt"
say "$count targets (${#sources[@]} fixtures cycled through) in $work/fleet"

start=$(date +%s%N)
status=0
"$bin" scan --targets "$work/targets.txt" --format ndjson --output "$work/reference.ndjson" --jobs 2 -q || status=$?
reference_ms=$(( ($(date +%s%N) - start) / 1000000 ))
say "uninterrupted run: exit $status, $(wc -l < "$work/reference.ndjson") lines in $reference_ms ms"
stdin_status=0
"$bin" scan --targets - --format ndjson --output "$work/stdin.ndjson" --jobs 2 -q < "$work/targets.txt" || stdin_status=$?
desc="the list from standard input gives the same bytes and exit status"
check test "$stdin_status" = "$status" -a -z "$(cmp "$work/reference.ndjson" "$work/stdin.ndjson" 2>&1)"

# Killed at random moments, resumed each time: each kill lands at a random point of what is
# left of the run (by the uninterrupted run's time per target), so kills fall early, in the
# middle and near the end.
per_target_ms=$(( reference_ms / count + 1 ))
torn=0
for ((k = 1; k <= kills; k++)); do
    lines=$(wc -l 2>/dev/null < "$work/journal.ndjson" || echo 0)
    left_ms=$(( (count - lines) * per_target_ms + 300 ))
    wait_ms=$(( 100 + RANDOM * left_ms / 32768 / 2 ))
    "$bin" scan --targets "$work/targets.txt" --format ndjson --output "$work/journal.ndjson" --resume --jobs 2 -q &
    pid=$!
    sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    lines=$(wc -l 2>/dev/null < "$work/journal.ndjson" || echo 0)
    if [ -s "$work/journal.ndjson" ] && [ "$(tail -c1 "$work/journal.ndjson" | od -An -tx1 | tr -d ' ')" != 0a ]; then torn=$((torn + 1)); fi
    say "kill $k after ${wait_ms} ms: $lines of $count lines written"
done
resumed_status=0
"$bin" scan --targets "$work/targets.txt" --format ndjson --output "$work/journal.ndjson" --resume --jobs 2 2> "$work/resume.err" || resumed_status=$?
say "last resume: $(grep -o 'resuming.*' "$work/resume.err" | head -1)"
say "$torn of $kills kills left a line cut short"
desc="killed $kills times and resumed, the file equals the uninterrupted run's, line for line after sorting (exit $resumed_status)"
check cmp -s <(sort "$work/reference.ndjson") <(sort "$work/journal.ndjson")
desc="the resumed run's exit status is the uninterrupted one's"
check test "$resumed_status" = "$status"

# Four shards as a Slurm job array would run them, merged.
single_status=0
"$bin" scan --targets "$work/targets.txt" --format json --output "$work/single.json" --jobs 2 -q || single_status=$?
for task in 1 2 3 4; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 \
        "$bin" scan --targets "$work/targets.txt" --format ndjson --output "$work/shard-$task.ndjson" --jobs 2 --fail-on none 2>&1 | grep 'shard' >&2 || true
done
merged_status=0
"$bin" merge "$work"/shard-*.ndjson --targets "$work/targets.txt" --format json --output "$work/merged.json" -q || merged_status=$?
desc="4 Slurm shards merged equal the single run (json byte for byte; exit $merged_status vs $single_status)"
check test "$merged_status" = "$single_status" -a -z "$(cmp "$work/single.json" "$work/merged.json" 2>&1)"
exit "$fail"
