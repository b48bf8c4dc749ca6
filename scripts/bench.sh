#!/usr/bin/env bash
# Benchmark: `patchaudit scan` on synthetic copies of an old Windows disk holding the
# Outlook 97 Exchange provider DLLs, side by side with the usual tools.
#
#   bash scripts/bench.sh              (from the repo root; also `make bench`)
#
# Two sections, run in this order by default:
#   dir      a tree of 300,000 files: patchaudit against find(1) and fd(1)
#   archive  a zip of about 1.5 GB with 60,000 entries whose target DLLs are the last
#            entries, and a tar.gz of the same files (the DLLs at the end of the stream):
#            patchaudit against `unzip -l` and `bsdtar -tf` (zip), `bsdtar -tzf` and
#            `gzip -dc` (tar.gz); peak memory; the report must find the 7 placed files
#
# Environment:
#   BENCH=dir|archive|all              which sections (default all)
#   BENCH_DIR=/tmp/patchaudit-bench    where the tree and the archives are generated (once;
#                                      marker files cache them) and where temp files go
#   PATCHAUDIT=/path/to/patchaudit     use this binary instead of building one with
#                                      `swift build -c release`;
#                                      PATCHAUDIT=skip times the other tools only
#   BENCH_RUNS=10 BENCH_WARMUP=3       hyperfine's --runs and --warmup (directory)
#   BENCH_ARCHIVE_RUNS=5 BENCH_ARCHIVE_WARMUP=2   the same for the archives
#
# All timings are WARM-CACHE: nothing is dropped from the page cache or the dentry
# cache, and hyperfine's warm-up runs make sure the whole tree (or archive) is cached
# before the measured runs. The numbers compare directory walking or archive reading +
# name matching + hashing of the few matching files, not disk I/O. The archives take
# 3 GB of page cache; the tree about 1.3 GB.
#
# Exit status: 0 whatever the figures are (it is a measurement); non-zero only when
# something failed (a build, a tool, find and fd disagreeing about what matches, or
# patchaudit's report of an archive not finding the placed DLLs: 1, after the figures).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${BENCH:-all}
bench_dir=${BENCH_DIR:-/tmp/patchaudit-bench}
tree="$bench_dir/tree"
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-3}
archive_runs=${BENCH_ARCHIVE_RUNS:-5}
archive_warmup=${BENCH_ARCHIVE_WARMUP:-2}
tree_files=300000
# Bump when the generator changes: an old tree is then regenerated.
tree_version=1
marker="$bench_dir/.generated-v$tree_version-$tree_files"
archive_entries=60000
# Bump when the archive generator (scripts/bench_gen.py's zip/tar part) changes.
archive_version=1
gen="$repo/scripts/bench_gen.py"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

case $bench in
    dir|archive|all) ;;
    *) die "BENCH must be dir, archive or all (not '$bench')" ;;
esac
want() { [ "$bench" = all ] || [ "$bench" = "$1" ]; }

# --- tools -------------------------------------------------------------------
apt_updated=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "$@" >&2; then
        if [ "$apt_updated" = 0 ]; then
            apt-get update -q >&2 || true
            apt_updated=1
        fi
        apt-get install -y -q "$@" >&2
    fi
}
need() { # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 (for $1)"
    apt_install "$2"
    command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after installing $2"
}
need python3 python3
need hyperfine hyperfine
if want dir; then need fdfind fd-find; fi
need sha256sum coreutils
need find findutils
if want archive; then
    need unzip unzip
    need bsdtar libarchive-tools
    need gzip gzip
fi
[ -x /usr/bin/time ] || { say "installing time (GNU time, for peak memory)"; apt_install time; }
[ -x /usr/bin/time ] || die "/usr/bin/time is still missing"

# --- the binary --------------------------------------------------------------
pa=${PATCHAUDIT:-}
if [ -z "$pa" ]; then
    command -v swift >/dev/null || die "swift not found (or set PATCHAUDIT=/path/to/patchaudit)"
    say "building patchaudit (swift build -c release)"
    (cd "$repo" && swift build -c release >&2)
    pa="$(cd "$repo" && swift build -c release --show-bin-path)/patchaudit"
fi
if [ "$pa" != skip ]; then
    [ -x "$pa" ] || die "patchaudit binary not found or not executable: $pa"
    # A binary outside the repo's .build does not find the shipped manifests by
    # itself: point it at the repo's.
    if [ -z "${PATCHAUDIT_MANIFEST_DIR:-}" ] && [ -d "$repo/Manifests" ]; then
        export PATCHAUDIT_MANIFEST_DIR="$repo/Manifests"
    fi
fi

mkdir -p "$bench_dir"
tmp=$(mktemp -d "$bench_dir/run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The target DLLs: real PE fixtures when the repo has them.
fixtures="$repo/Fixtures/dlls"
pick() { # pick PREFIX EXT PREFERRED-VERSION: a fixture file, or empty
    local f
    for f in "$fixtures/$1-$3.$2" "$fixtures/$1"-*."$2"; do
        [ -f "$f" ] && { printf '%s\n' "$f"; return; }
    done
}
pick_or_standin() { # pick_or_standin PREFIX EXT PREFERRED-VERSION: a fixture or a stand-in
    local src
    src=$(pick "$@")
    if [ -z "$src" ]; then
        say "warning: no fixture $fixtures/$1-*.$2; using a stand-in (not a PE file)"
        src="$bench_dir/standin-$1.$2"
        printf 'MZ stand-in for %s\n' "$1" >"$src"
    fi
    printf '%s\n' "$src"
}

# Peak memory: GNU time's %M, the max RSS of the largest single process of the command.
maxrss() { # maxrss CMD [TIMES]: highest max-RSS (KiB) over TIMES runs (default 3)
    local i best=0 m
    for ((i = 0; i < ${2:-3}; i++)); do
        /usr/bin/time -f '%M' -o "$tmp/rss" sh -c "exec $1" >/dev/null
        m=$(tail -n1 "$tmp/rss")
        [ "$m" -gt "$best" ] && best=$m
    done
    echo "$best"
}

# How busy the CPUs were (with anything else) in the second before a timing.
cpu_busy() {
    python3 -c '
import time
def stat():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]
t0, i0 = stat(); time.sleep(1); t1, i1 = stat()
print(round(100 * (1 - (i1 - i0) / max(1, t1 - t0))))'
}

elapsed() { # elapsed START-NS: seconds since, with milliseconds
    local ms=$(( ($(date +%s%N) - $1) / 1000000 ))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# =============================================================================
# dir: a tree of 300,000 files against find and fd
# =============================================================================
dir_bench() {
    # --- the tree ----------------------------------------------------------------
    if [ ! -e "$marker" ]; then
        say "generating $tree_files files in $tree (once; cached by $marker)"
        rm -rf "$tree" "$bench_dir"/.generated-*
        gen_start=$(date +%s%N)
        # The layout: scripts/bench_gen.py (`tree`), the same tree as this script's first version.
        python3 "$gen" tree "$tree" "$tree_files"
        sync    # no writeback of the new tree during the timing
        touch "$marker"
        say "tree generated in $(elapsed "$gen_start") s"
    else
        say "using the cached tree in $tree ($marker)"
    fi

    # The target DLLs: real PE fixtures when the repo has them. Placed on every run
    # (cheap), so a tree generated before the fixtures existed gets them later.
    place() { # place PREFIX EXT PREFERRED-VERSION DEST...
        local src prefix=$1 ext=$2 ver=$3; shift 3
        src=$(pick "$prefix" "$ext" "$ver")
        if [ -z "$src" ]; then
            say "warning: no fixture $fixtures/$prefix-*.$ext; placing a stand-in (not a PE file)"
            src="$bench_dir/standin-$prefix.$ext"
            printf 'MZ stand-in for %s\n' "$prefix" >"$src"
        fi
        local dest
        for dest in "$@"; do
            mkdir -p "$(dirname "$dest")"
            cmp -s "$src" "$dest" 2>/dev/null || cp "$src" "$dest"
        done
    }
    S="$tree/WINDOWS/SYSTEM"
    O="$tree/Program Files/Microsoft Office/Office"
    place emsabp32 dll 5.5.1960.3 "$S/EMSABP32.DLL" "$tree/.Trash-1000/files/EMSABP32.DLL"
    place emsmdb32 dll 5.5.1960.3 "$S/EMSMDB32.DLL" \
        "$tree/My Documents/Old Setup/Outlook97/Disk1/Exchange/i386/BACKUP/emsmdb32.dll"
    place emsui32 dll 5.5.1960.3 "$S/EMSUI32.DLL"
    place emsuix32 dll 8.0.1960.3 "$S/EMSUIX32.DLL"
    place mspst32 dll 5.5.1960.3 "$S/MSPST32.DLL" \
        "$tree/Program Files/Microsoft Exchange/Setup/i386/Backup/1999-06-01/Mspst32.dll"
    place outllib dll 8.2.0.4212 "$O/OUTLLIB.DLL" \
        "$tree/Documents and Settings/John/Desktop/outlook fix/old/Outllib.dll"
    place outlook exe 8.2.0.4212 "$O/OUTLOOK.EXE"
    expected_matches=10   # 5 + 3 stray Ems/Mspst + 2 Outllib (OUTLOOK.EXE is not in the patterns)

    nfiles=$(find "$tree" -type f | wc -l)
    say "tree: $nfiles files, $(find "$tree" -type d | wc -l) directories, $(du -s --apparent-size -BM "$tree" | cut -f1) apparent, $(du -s -BM "$tree" | cut -f1) on disk"

    # --- the same answer? --------------------------------------------------------
    q=$(printf '%q' "$tree")
    find_cmd="find $q \\( -iname 'ems*.dll' -o -iname mspst32.dll -o -iname outllib.dll \\) -exec sha256sum {} +"
    fd_cmd="fdfind -j2 -u -t f '(?i)^(ems.*\\.dll|mspst32\\.dll|outllib\\.dll)\$' $q -X sha256sum"
    pa_cmd="$(printf '%q' "$pa") scan $q --format json --output /dev/null --fail-on none"

    sh -c "$find_cmd" | sort -k2 >"$tmp/find.out"
    sh -c "$fd_cmd" | sed 's|  \./|  |' | sort -k2 >"$tmp/fd.out"
    n_find=$(wc -l <"$tmp/find.out")
    n_fd=$(wc -l <"$tmp/fd.out")
    say "matches: find $n_find, fdfind $n_fd (expected $expected_matches)"
    if ! diff -q "$tmp/find.out" "$tmp/fd.out" >/dev/null; then
        diff "$tmp/find.out" "$tmp/fd.out" >&2 || true
        die "find and fdfind do not hash the same files"
    fi
    [ "$n_find" = "$expected_matches" ] || die "expected $expected_matches matches, found $n_find"
    if [ "$pa" != skip ]; then
        "$pa" scan "$tree" --format json --output "$tmp/pa.json" --fail-on none \
            || die "patchaudit scan failed (exit $?)"
        python3 - "$tmp/pa.json" "$tmp/find.out" "$tree" <<'PY' >&2
# Informational: does patchaudit's report name each of find's files (path inside the
# target + sha256)?
import json, sys
doc = json.load(open(sys.argv[1]))
found = set()
def walk(x):
    if isinstance(x, dict):
        if all(isinstance(x.get(k), str) for k in ("name", "path", "sha256")):
            found.add((x["path"].replace("\\", "/").lstrip("/"), x["sha256"].lower()))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(doc)
want = set()
for line in open(sys.argv[2]):
    h, p = line.rstrip("\n").split("  ", 1)
    want.add((p[len(sys.argv[3]):].lstrip("/"), h))
missing = sorted(want - found)
print(f"==> patchaudit's report names {len({p for p, _ in found})} hashed files; "
      f"{len(want) - len(missing)} of find's {len(want)} among them")
for p, h in missing:
    print(f"    not in patchaudit's report (or another hash): {p} {h}")
PY
    fi

    # --- timing ------------------------------------------------------------------
    say "timing (warm cache; hyperfine --warmup $warmup --runs $runs)"
    hf=(hyperfine --warmup "$warmup" --runs "$runs" --export-json "$tmp/hf.json")
    if [ "$pa" != skip ]; then hf+=(-n patchaudit "$pa_cmd"); fi
    hf+=(-n find "$find_cmd" -n fdfind "$fd_cmd")
    # How busy the CPUs were (with anything else) in the second before the timing.
    busy=$(cpu_busy)
    hf_start=$(date +%s)
    "${hf[@]}" >&2
    hf_secs=$(( $(date +%s) - hf_start ))

    # --- peak memory: GNU time's %M, the max RSS of the largest single process of the
    # command (find or fd, or a sha256sum they started), the highest of 3 runs ------
    rss_find=$(maxrss "$find_cmd")
    rss_fd=$(maxrss "$fd_cmd")
    rss_pa=""
    [ "$pa" != skip ] && rss_pa=$(maxrss "$pa_cmd")

    # --- summary -----------------------------------------------------------------
    python3 - "$tmp/hf.json" "$rss_pa" "$rss_find" "$rss_fd" "$nfiles" "$hf_secs" "$busy" "$(nproc)" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = {"patchaudit": sys.argv[2], "find": sys.argv[3], "fdfind": sys.argv[4]}
print()
print(f"patchaudit benchmark: {sys.argv[5]} files, warm cache (nothing dropped), "
      f"hyperfine {sys.argv[6]} s; {sys.argv[8]} cores, {sys.argv[7]}% busy just before")
if int(sys.argv[7]) > 10:
    print("warning: other work was running; the figures are noisy (compare min as well as mean)")
print(f"{'command':<12} {'mean':>10} {'± stddev':>10} {'min':>9} {'max':>9} {'peak RSS':>10}")
for name in ["patchaudit", "find", "fdfind"]:
    r = res.get(name)
    if not r:
        print(f"{name:<12} {'(skipped)':>10}")
        continue
    mib = int(rss[name]) / 1024
    print(f"{name:<12} {r['mean']:>9.3f}s {r['stddev']:>9.3f}s {r['min']:>8.3f}s "
          f"{r['max']:>8.3f}s {mib:>7.1f} MiB")
if "patchaudit" in res:
    pa = res["patchaudit"]["mean"]
    rf = pa / res["find"]["mean"]
    rd = pa / res["fdfind"]["mean"]
    mem = int(rss["patchaudit"]) / 1024
    print(f"ratio patchaudit/find:   {rf:.2f}")
    print(f"ratio patchaudit/fdfind: {rd:.2f}")
    print("goal: ratio vs fdfind <= 1.0, peak memory <= 64 MiB")
    print(f"  speed:  {'PASS' if rd <= 1.0 else 'FAIL'} ({rd:.2f} vs fdfind)")
    print(f"  memory: {'PASS' if mem <= 64 else 'FAIL'} ({mem:.1f} MiB)")
else:
    print("goal: ratio vs fdfind <= 1.0, peak memory <= 64 MiB")
    print("  patchaudit not measured (PATCHAUDIT=skip)")
PY
}

# =============================================================================
# archive: a zip of about 1.5 GB with 60,000 entries, and its tar.gz
# =============================================================================
archive_bench() {
    local zip="$bench_dir/disk.zip" tgz="$bench_dir/disk.tar.gz"
    # The placed files (ARCPATH=FIXTURE), written last in this order: the scanner finds
    # them only after it has gone past (or around) everything else.
    local S=WINDOWS/SYSTEM O="Program Files/Microsoft Office/Office"
    local placed=(
        "$S/EMSABP32.DLL=$(pick_or_standin emsabp32 dll 5.5.1960.3)"
        "$S/EMSMDB32.DLL=$(pick_or_standin emsmdb32 dll 5.5.1960.3)"
        "$S/EMSUI32.DLL=$(pick_or_standin emsui32 dll 5.5.1960.3)"
        "$S/EMSUIX32.DLL=$(pick_or_standin emsuix32 dll 8.0.1960.3)"
        "$S/MSPST32.DLL=$(pick_or_standin mspst32 dll 5.5.2392.0)"
        "$O/OUTLLIB.DLL=$(pick_or_standin outllib dll 8.2.0.4212)"
        "$O/OUTLOOK.EXE=$(pick_or_standin outlook exe 8.2.0.4212)"
    )
    # The cache is keyed by the generator's version, the entry count and the placed bytes.
    local key p
    key=$(for p in "${placed[@]}"; do printf '%s ' "${p%%=*}"; sha256sum <"${p#*=}"; done | sha256sum | cut -c1-12)
    local amarker="$bench_dir/.archives-v$archive_version-$archive_entries-$key"

    # --- the archives ------------------------------------------------------------
    if [ ! -e "$amarker" ] || [ ! -f "$zip" ] || [ ! -f "$tgz" ]; then
        say "generating $zip and $tgz ($archive_entries entries each, about 1.5 GB each; once; cached by $amarker)"
        rm -f "$zip" "$tgz" "$zip.part" "$tgz.part" "$bench_dir"/.archives-*
        local gen_start zip_pid
        gen_start=$(date +%s%N)
        # Both from the same plan, at the same time (2 processes + gzip): python's zipfile
        # (deflate level 6, incompressible files stored or level 1), and a GNU tar stream
        # through `gzip -6 -n` (no name or time in the gzip header: the same bytes each time).
        python3 "$gen" zip "$zip.part" "$archive_entries" "${placed[@]}" &
        zip_pid=$!
        if ! python3 "$gen" tar - "$archive_entries" "${placed[@]}" | gzip -6 -n >"$tgz.part"; then
            kill "$zip_pid" 2>/dev/null || true
            die "generating $tgz failed"
        fi
        wait "$zip_pid" || die "generating $zip failed"
        mv "$zip.part" "$zip"
        mv "$tgz.part" "$tgz"
        sync    # no writeback during the timing
        touch "$amarker"
        say "archives generated in $(elapsed "$gen_start") s"
    else
        say "using the cached archives $zip and $tgz ($amarker)"
    fi
    local zip_bytes tgz_bytes tar_bytes zip_entries tgz_entries
    zip_bytes=$(stat -c %s "$zip")
    tgz_bytes=$(stat -c %s "$tgz")
    # The tar's size from the gzip trailer (modulo 4 GiB; this one is smaller).
    tar_bytes=$(python3 -c 'import struct, sys
f = open(sys.argv[1], "rb"); f.seek(-4, 2); print(struct.unpack("<I", f.read(4))[0])' "$tgz")
    zip_entries=$(unzip -Z1 "$zip" | wc -l)
    tgz_entries=$(bsdtar -tzf "$tgz" | wc -l)
    say "zip: $((zip_bytes >> 20)) MiB, $zip_entries entries; tar.gz: $((tgz_bytes >> 20)) MiB ($((tar_bytes >> 20)) MiB of tar), $tgz_entries entries"
    say "last entries of the zip: $(unzip -Z1 "$zip" | tail -n "${#placed[@]}" | paste -sd ';' | sed 's/;/; /g')"

    # --- does patchaudit find the placed files? ----------------------------------------
    local report_zip="not run" report_tgz="not run" a
    if [ "$pa" != skip ]; then
        for a in zip tgz; do
            local file=$zip
            [ $a = tgz ] && file=$tgz
            local status=0
            "$pa" scan "$file" --format json --output "$tmp/$a.json" --fail-on none || status=$?
            [ "$status" = 0 ] || die "patchaudit scan $file failed (exit $status)"
            local verdict
            verdict=$(python3 - "$tmp/$a.json" "${placed[@]}" <<'PY'
# Prints to stderr what patchaudit's report says about each placed file; prints PASS or
# FAIL (the target's verdict is patch-needed, 7 files matched, and each placed file is in
# the report with the fixture's SHA-256) to stdout.
import hashlib, json, sys
doc = json.load(open(sys.argv[1]))
t = doc["targets"][0]
want = {}
for pair in sys.argv[2:]:
    path, _, src = pair.partition("=")
    want[path] = hashlib.sha256(open(src, "rb").read()).hexdigest()
found, statuses = {}, {}
def walk(x):
    if isinstance(x, dict):
        if all(isinstance(x.get(k), str) for k in ("name", "path", "sha256")):
            found.setdefault(x["path"], x)
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(t)
for inst in t.get("installations", []):
    for ev in inst.get("evaluations", []):
        for f in ev.get("files", []):
            statuses.setdefault(f.get("path"), []).append((ev.get("manifest", "?"), f.get("status", "?")))
stats = t.get("stats", {})
matched = stats.get("matchedFiles")
print(f"==> {t['target']}: kind {t.get('kind')} ({t.get('format', '?')}), verdict {t['verdict']}, "
      f"{matched} matched files, {stats.get('entries')} entries, limits hit: {len(t.get('limitsHit', []))}",
      file=sys.stderr)
ok = t["verdict"] == "patch-needed" and matched == len(want)
for path, digest in want.items():
    f = found.get(path)
    if f is None:
        ok = False
        print(f"    MISSING  {path}", file=sys.stderr)
        continue
    same = f["sha256"].lower() == digest
    ok = ok and same
    status = ", ".join(f"{s} for {m}" for m, s in statuses.get(path, []) if s != "ok") or "ok"
    print(f"    {'found' if same else 'OTHER SHA-256'}  {path}  {f.get('version', '?')}  {status}",
          file=sys.stderr)
for r in t.get("reasons", []):
    if r.get("verdict") in ("error", "review"):
        print(f"    reason: {r.get('rule')}: {r.get('message')}", file=sys.stderr)
print("PASS" if ok else "FAIL")
PY
)
            [ $a = zip ] && report_zip=$verdict || report_tgz=$verdict
        done
    fi

    # --- timing ------------------------------------------------------------------
    local zq tq paq
    zq=$(printf '%q' "$zip")
    tq=$(printf '%q' "$tgz")
    paq=$(printf '%q' "$pa")
    local pa_zip="$paq scan $zq --format json --output /dev/null --fail-on none"
    local pa_tgz="$paq scan $tq --format json --output /dev/null --fail-on none"
    local unzip_cmd="unzip -l $zq" bsdtar_zip="bsdtar -tf $zq"
    local bsdtar_tgz="bsdtar -tzf $tq" gzip_cmd="gzip -dc $tq >/dev/null"
    local busy_zip busy_tgz hf_start hf_zip hf_tgz
    local hf=(hyperfine --warmup "$archive_warmup" --runs "$archive_runs")

    say "timing the zip (warm cache; hyperfine --warmup $archive_warmup --runs $archive_runs)"
    local cmds=()
    [ "$pa" != skip ] && cmds+=(-n patchaudit "$pa_zip")
    cmds+=(-n "unzip -l" "$unzip_cmd" -n "bsdtar -tf" "$bsdtar_zip")
    busy_zip=$(cpu_busy)
    hf_start=$(date +%s)
    "${hf[@]}" --export-json "$tmp/hf-zip.json" "${cmds[@]}" >&2
    hf_zip=$(( $(date +%s) - hf_start ))

    say "timing the tar.gz (warm cache; hyperfine --warmup $archive_warmup --runs $archive_runs)"
    cmds=()
    [ "$pa" != skip ] && cmds+=(-n patchaudit "$pa_tgz")
    cmds+=(-n "bsdtar -tzf" "$bsdtar_tgz" -n "gzip -dc" "$gzip_cmd")
    busy_tgz=$(cpu_busy)
    hf_start=$(date +%s)
    "${hf[@]}" --export-json "$tmp/hf-tgz.json" "${cmds[@]}" >&2
    hf_tgz=$(( $(date +%s) - hf_start ))

    # --- peak memory: patchaudit's highest of 3 runs, the others' of 1 --------------
    say "peak memory (GNU time %M)"
    local rss_pa_zip="" rss_pa_tgz=""
    if [ "$pa" != skip ]; then
        rss_pa_zip=$(maxrss "$pa_zip")
        rss_pa_tgz=$(maxrss "$pa_tgz")
    fi
    local rss_unzip rss_bsdtar_zip rss_bsdtar_tgz rss_gzip
    rss_unzip=$(maxrss "$unzip_cmd" 1)
    rss_bsdtar_zip=$(maxrss "$bsdtar_zip" 1)
    rss_bsdtar_tgz=$(maxrss "$bsdtar_tgz" 1)
    rss_gzip=$(maxrss "$gzip_cmd" 1)

    # --- summary -----------------------------------------------------------------
    python3 - "$tmp/hf-zip.json" "$tmp/hf-tgz.json" <<PY
import json, sys
facts = dict(zip_bytes=$zip_bytes, tgz_bytes=$tgz_bytes, tar_bytes=$tar_bytes,
             zip_entries=$zip_entries, tgz_entries=$tgz_entries, placed=${#placed[@]},
             hf_zip=$hf_zip, hf_tgz=$hf_tgz, busy_zip=$busy_zip, busy_tgz=$busy_tgz,
             cores=$(nproc), warmup=$archive_warmup, runs=$archive_runs)
rss = {("zip", "patchaudit"): "$rss_pa_zip", ("zip", "unzip -l"): "$rss_unzip",
       ("zip", "bsdtar -tf"): "$rss_bsdtar_zip", ("tgz", "patchaudit"): "$rss_pa_tgz",
       ("tgz", "bsdtar -tzf"): "$rss_bsdtar_tgz", ("tgz", "gzip -dc"): "$rss_gzip"}
report = {"zip": "$report_zip", "tgz": "$report_tgz"}
res = {k: {r["command"]: r for r in json.load(open(p))["results"]}
       for k, p in (("zip", sys.argv[1]), ("tgz", sys.argv[2]))}
MiB = 1 << 20
f = facts
print()
print(f"patchaudit archive benchmark: disk.zip {f['zip_bytes'] / MiB:,.0f} MiB, {f['zip_entries']:,} entries; "
      f"disk.tar.gz {f['tgz_bytes'] / MiB:,.0f} MiB ({f['tar_bytes'] / MiB:,.0f} MiB of tar), "
      f"{f['tgz_entries']:,} entries; the {f['placed']} target files are the last entries")
print(f"warm cache (nothing dropped); hyperfine --warmup {f['warmup']} --runs {f['runs']} "
      f"({f['hf_zip']} s + {f['hf_tgz']} s); {f['cores']} cores, "
      f"{f['busy_zip']}% / {f['busy_tgz']}% busy just before")
if max(f["busy_zip"], f["busy_tgz"]) > 10:
    print("warning: other work was running; the figures are noisy (compare min as well as mean)")
print(f"{'archive':<8} {'command':<12} {'mean':>9} {'± stddev':>9} {'min':>8} {'max':>8} {'peak RSS':>10}")
for k, label, names in (("zip", "zip", ["patchaudit", "unzip -l", "bsdtar -tf"]),
                        ("tgz", "tar.gz", ["patchaudit", "bsdtar -tzf", "gzip -dc"])):
    for name in names:
        r = res[k].get(name)
        if not r:
            print(f"{label:<8} {name:<12} {'(skipped)':>9}")
            continue
        m = rss[(k, name)]
        mem = f"{int(m) / 1024:>6.1f} MiB" if m else ""
        print(f"{label:<8} {name:<12} {r['mean']:>8.3f}s {r['stddev']:>8.3f}s {r['min']:>7.3f}s "
              f"{r['max']:>7.3f}s {mem:>10}")
if "patchaudit" not in res["zip"]:
    print("patchaudit not measured (PATCHAUDIT=skip)")
    sys.exit(0)
def ratio(k, other):
    return res[k]["patchaudit"]["mean"] / res[k][other]["mean"]
r_unzip, r_bsdtar = ratio("zip", "unzip -l"), ratio("zip", "bsdtar -tf")
r_tgz, r_gzip = ratio("tgz", "bsdtar -tzf"), ratio("tgz", "gzip -dc")
print(f"ratio patchaudit/unzip -l (zip):       {r_unzip:.2f}")
print(f"ratio patchaudit/bsdtar -tf (zip):     {r_bsdtar:.2f}")
print(f"ratio patchaudit/bsdtar -tzf (tar.gz): {r_tgz:.2f}")
print(f"ratio patchaudit/gzip -dc (tar.gz):    {r_gzip:.2f}")
mz, mt = int(rss[("zip", "patchaudit")]) / 1024, int(rss[("tgz", "patchaudit")]) / 1024
pf = lambda ok: "PASS" if ok else "FAIL"
print("goals: zip faster than bsdtar -tf and within 1.5x of unzip -l; tar.gz within 1.1x of "
      "bsdtar -tzf; peak memory <= 64 MiB; the report finds the placed files")
print(f"  zip speed vs bsdtar -tf:     {pf(r_bsdtar < 1.0)} ({r_bsdtar:.2f})")
print(f"  zip speed vs unzip -l:       {pf(r_unzip <= 1.5)} ({r_unzip:.2f})")
print(f"  tar.gz speed vs bsdtar -tzf: {pf(r_tgz <= 1.1)} ({r_tgz:.2f})")
print(f"  zip memory:                  {pf(mz <= 64)} ({mz:.1f} MiB)")
print(f"  tar.gz memory:               {pf(mt <= 64)} ({mt:.1f} MiB)")
print(f"  zip report:                  {report['zip']} (verdict patch-needed, {f['placed']} matched files, the fixtures' SHA-256)")
print(f"  tar.gz report:               {report['tgz']} (verdict patch-needed, {f['placed']} matched files, the fixtures' SHA-256)")
PY
    [ "$report_zip" != FAIL ] && [ "$report_tgz" != FAIL ] || archive_report_failed=1
}

# =============================================================================
archive_report_failed=0
if want dir; then dir_bench; fi
if want archive; then archive_bench; fi
if [ "$archive_report_failed" = 1 ]; then
    printf 'bench: patchaudit did not report the placed files in an archive as expected (see above)\n' >&2
    exit 1
fi
