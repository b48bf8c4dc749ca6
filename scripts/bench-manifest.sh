#!/usr/bin/env bash
# Benchmark: manifests with many recorded builds, and large hashdeep lists.
#
#   bash scripts/bench-manifest.sh            (from anywhere; also part of `make bench`)
#
# 1. `manifest import-hashdeep` on a generated hashdeep list of 1,000,000 rows (a fleet-sized
#    known-file list, about 140 MB) of which 7,000 name files the manifest watches, against
#    awk doing the same name filtering (the least any importer must do: read every line).
# 2. `manifest lint` and `scan` with the resulting manifest (7,000 builds with digests, the
#    largest a 4 MiB manifest comfortably holds), against the same scan with the shipped one.
# Peak memory from /usr/bin/time. Warm cache: the list is read once before timing.
#
# Environment: BENCH_DIR (default /tmp/patchaudit-bench), PATCHAUDIT (a binary; default: a
# release build), BENCH_RUNS (default 5).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=${BENCH_DIR:-/tmp/patchaudit-bench}
runs=${BENCH_RUNS:-5}
mkdir -p "$bench_dir"
bash "$repo/scripts/ensure-packages.sh" hyperfine time >&2
if [ -z "${PATCHAUDIT:-}" ]; then
    (cd "$repo" && swift build -c release >&2)
    PATCHAUDIT="$(cd "$repo" && swift build -c release --show-bin-path)/patchaudit"
fi
pa=$PATCHAUDIT
list="$bench_dir/fleet-1m.hashdeep"
if [ ! -s "$list" ]; then
    python3 - "$list" <<'PY'
import hashlib, sys
watched = ["EMSABP32.DLL", "EMSUI32.DLL", "EMSMDB32.DLL", "MSPST32.DLL", "EMSUIX32.DLL", "OUTLLIB.DLL", "OUTLOOK.EXE"]
with open(sys.argv[1], "w") as out:
    out.write("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /fleet\n## $ hashdeep -c md5,sha256 -r .\n##\n")
    for row in range(1_000_000):
        seed = str(row).encode()
        md5, sha = hashlib.md5(seed).hexdigest(), hashlib.sha256(seed).hexdigest()
        if row % 1000 < 7:   # 7 watched files per 1,000 rows: 7,000 distinct builds
            name = f"/fleet/pc{row // 1000:04d}/WINDOWS/SYSTEM/{watched[row % 1000]}"
        else:
            name = f"/fleet/pc{row // 1000:04d}/WINDOWS/SYSTEM/FILE{row % 1000:03d}.DLL"
        out.write(f"{3584 + row % 512},{md5},{sha},{name}\n")
PY
fi
cat "$list" > /dev/null
manifest="$bench_dir/fleet-baseline.json"
rm -f "$manifest"
"$pa" manifest import-hashdeep "$list" --id fleet --output "$manifest" >&2
echo "list: $(wc -l < "$list") lines, $(du -m "$list" | cut -f1) MB; manifest: $(du -k "$manifest" | cut -f1) KiB"
names='(emsabp32|emsui32|emsmdb32|mspst32|emsuix32|outllib)\.dll$|outlook\.exe$'
hyperfine --runs "$runs" --warmup 1 --style basic \
    -n "patchaudit manifest import-hashdeep" "rm -f $bench_dir/out.json; $pa manifest import-hashdeep $list --id fleet --output $bench_dir/out.json 2>/dev/null" \
    -n "awk name filter" "awk -F, 'tolower(\$NF) ~ /$names/' $list > /dev/null" \
    -n "patchaudit manifest lint (7,000 builds)" "$pa manifest lint $manifest > /dev/null" \
    -n "scan with the 7,000-build manifest" "$pa scan $repo/Fixtures/trees/up-to-date-sr1 --manifest $manifest --fail-on none > /dev/null" \
    -n "scan with the shipped manifests" "$pa scan $repo/Fixtures/trees/up-to-date-sr1 > /dev/null"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "peak RSS import-hashdeep: $(( $(rm -f "$bench_dir/out.json"; rss "$pa" manifest import-hashdeep "$list" --id fleet --output "$bench_dir/out.json") / 1024 )) MiB"
echo "peak RSS lint: $(( $(rss "$pa" manifest lint "$manifest") / 1024 )) MiB"
echo "peak RSS scan with the 7,000-build manifest: $(( $(rss "$pa" scan "$repo/Fixtures/trees/up-to-date-sr1" --manifest "$manifest" --fail-on none) / 1024 )) MiB"
