#!/usr/bin/env bash
# Benchmark: `patchaudit scan` of a disk image, against The Sleuth Kit's `fls -r -p`, and the
# same image in each container (E01, dynamic VHD, VMDK).
#
#   bash scripts/bench-image.sh        (also `make bench BENCH=image`; `make bench` runs it last)
#
# The image: an MBR disk with one FAT32 partition at sector 63 (600 MB), holding 50,000 small
# files in 100 nested folders (8.3 names: mtools is slow with many long names in one folder)
# and one Outlook 97 install (Fixtures/trees/patch-needed-sr1, with its long folder names).
# Made once, without mounting (mkfs.fat, mtools, sfdisk; qemu-img and ewfacquire for the
# containers), and cached in BENCH_DIR/image.
#
# Measured (warm cache, hyperfine): `patchaudit scan --format json` (worker processes, as
# users run it) and `--in-process`, against `fls -r -p -o 63` (which also hunts orphan files);
# peak RSS of each with GNU time; then the scan of each container form. Goals: scan <= 0.5x
# fls, <= 64 MiB; each container finds the same install (patch-needed).
#
# Environment: BENCH_DIR (default /tmp/patchaudit-bench), PATCHAUDIT (a binary; default a
# release build), BENCH_IMAGE_RUNS (default 10), BENCH_IMAGE_FILES (default 50000).
set -euo pipefail
export LC_ALL=C TZ=UTC MTOOLS_SKIP_CHECK=1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=${BENCH_DIR:-/tmp/patchaudit-bench}
work="$bench_dir/image"
runs=${BENCH_IMAGE_RUNS:-10}
files=${BENCH_IMAGE_FILES:-50000}
version=1
marker="$work/.generated-v$version-$files"
say() { printf '==> %s\n' "$*" >&2; }

bash "$repo/scripts/ensure-packages.sh" dosfstools mtools fdisk qemu-utils ewf-tools sleuthkit hyperfine time python3

if [ -z "${PATCHAUDIT:-}" ]; then
    say "building patchaudit (swift build -c release)"
    swift build -c release --package-path "$repo" >&2
    PATCHAUDIT="$(swift build -c release --package-path "$repo" --show-bin-path)/patchaudit"
fi

if [ ! -e "$marker" ]; then
    say "generating the image: $files files on FAT32 (once; cached by $marker)"
    rm -rf "$work" && mkdir -p "$work"
    start=$(date +%s)
    python3 - "$work/stage" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "DATA", "D%03d" % (i // 5000), "S%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "F%07d.TXT" % i), "w") as f:
        f.write("x" * 100)
PY
    cp -r "$repo/Fixtures/trees/patch-needed-sr1/." "$work/stage/"
    truncate -s 600M "$work/bench.img"
    printf 'label: dos\nlabel-id: 0x19970904\nstart=63, type=c\n' | sfdisk -q "$work/bench.img"
    mkfs.fat -F 32 -i 19970904 --offset 63 "$work/bench.img" $(( (600 * 2048 - 63) / 2 )) >/dev/null
    mcopy -s -i "$work/bench.img@@$((63 * 512))" "$work/stage/"* ::/
    rm -rf "$work/stage"
    say "containers (qemu-img, ewfacquire)"
    qemu-img convert -f raw -O vpc -o subformat=dynamic "$work/bench.img" "$work/bench.vhd"
    qemu-img convert -f raw -O vmdk "$work/bench.img" "$work/bench.vmdk"
    ewfacquire -u -q -t "$work/bench" -c deflate:fast -f encase6 "$work/bench.img" </dev/null >/dev/null
    sync
    touch "$marker"
    say "generated in $(( $(date +%s) - start )) s"
fi
cd "$work"
ls -la bench.img bench.vhd bench.vmdk bench.E01 >&2

say "checking that every form finds the install"
for image in bench.img bench.E01 bench.vhd bench.vmdk; do
    verdict=$("$PATCHAUDIT" scan --format json "$image" | python3 -c 'import json,sys; d=json.load(sys.stdin); t=d["targets"][0]; print(t["verdict"], t["stats"]["entries"])' || true)
    say "$image: $verdict"
    case $verdict in patch-needed*) ;; *) echo "bench-image: $image did not give patch-needed ($verdict)" >&2; exit 1 ;; esac
done

# (--ignore-failure: scan exits 1 for patch-needed, the expected answer here; checked above)
say "hyperfine: scan against fls -r -p ($runs runs)"
hyperfine --warmup 2 --runs "$runs" --export-json "$work/hyperfine.json" -N --ignore-failure \
    -n patchaudit "$PATCHAUDIT scan --format json bench.img" \
    -n patchaudit-in-process "$PATCHAUDIT scan --format json --in-process bench.img" \
    -n fls "fls -r -p -o 63 bench.img" \
    -n patchaudit-E01 "$PATCHAUDIT scan --format json bench.E01" \
    -n patchaudit-VHD "$PATCHAUDIT scan --format json bench.vhd" \
    -n patchaudit-VMDK "$PATCHAUDIT scan --format json bench.vmdk" >/dev/null \
    || { echo "bench-image: hyperfine failed" >&2; exit 2; }
rss() { # highest max-RSS in KiB over 3 runs, of the process and its children
    local best=0 i kib
    for i in 1 2 3; do
        kib=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1)
        [ "$kib" -gt "$best" ] && best=$kib
    done
    echo "$best"
}
rss_scan=$(rss "$PATCHAUDIT" scan --format json --in-process bench.img)
rss_fls=$(rss fls -r -p -o 63 bench.img)
python3 - "$work/hyperfine.json" "$rss_scan" "$rss_fls" "$files" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss_scan, rss_fls, files = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"\nimage: MBR + FAT32, {files} files + one Outlook 97 install (warm cache, {len(next(iter(res.values()))['times'])} runs)")
for name, r in res.items():
    print(f"  {name:24s} {r['mean']:.3f} s ± {r['stddev']:.3f}  (min {r['min']:.3f})")
fls = res["fls"]["mean"]
for name in ("patchaudit", "patchaudit-in-process"):
    ratio = res[name]["mean"] / fls
    print(f"  {name} / fls -r -p: {ratio:.2f}  (goal <= 0.5: {'PASS' if ratio <= 0.5 else 'FAIL'})")
raw = res["patchaudit"]["mean"]
for name in ("patchaudit-E01", "patchaudit-VHD", "patchaudit-VMDK"):
    print(f"  {name[11:]} container: {res[name]['mean']:.3f} s, {res[name]['mean'] - raw:+.3f} s over raw ({res[name]['mean'] / raw:.2f}x)")
print(f"  peak RSS: scan (in-process) {rss_scan / 1024:.1f} MiB (goal <= 64: {'PASS' if rss_scan <= 64 * 1024 else 'FAIL'}), fls {rss_fls / 1024:.1f} MiB")
PY
