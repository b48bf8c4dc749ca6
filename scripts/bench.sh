#!/usr/bin/env bash
# Benchmark: `patchaudit scan` on synthetic copies of an old Windows disk holding the
# Outlook 97 Exchange provider DLLs, side by side with the usual tools.
#
#   bash scripts/bench.sh              (from the repo root; also `make bench`)
#
# Five sections, run in this order by default (and image, see BENCH):
#   dir      a tree of 300,000 files: patchaudit against find(1) and fd(1)
#   archive  a zip of about 1.5 GB with 60,000 entries whose target DLLs are the last
#            entries, and a tar.gz of the same files (the DLLs at the end of the stream):
#            patchaudit against `unzip -l` and `bsdtar -tf` (zip), `bsdtar -tzf` and
#            `gzip -dc` (tar.gz); peak memory; the report must find the 7 placed files
#   nested   a zip of about 1.5 GB with 60,000 entries like the archive section's, of which
#            about 450 are named like archives (.cab .CAB .zip .7z .iso .tar.gz ...): most
#            are random bytes (downloads, Temporary Internet Files), five are large random
#            blobs stored as they are (20, 52, 90, 140 and 200 MiB: office.cab, win98se.iso,
#            ...), and four are real archives holding nothing the manifests watch (a stored
#            zip, a deflated zip, an ISO 9660 image, a tar.gz); the 7 target DLLs are the
#            last entries: patchaudit (and patchaudit --max-depth 0) against `unzip -l` and
#            `bsdtar -tf`; peak memory; the report must find the 7 placed files
#   fleet    1,000 zips of about 2 MB, each a copy of one of Fixtures/trees (cycled through,
#            with a note naming its machine) whose watched DLLs and EXEs have the weight of
#            real ones (about 3.4 MB to inflate and hash: code-like bytes added to each fixture,
#            its version resource, verdict and PE checksum kept), and 4 broken ones (random
#            bytes, cut short, empty, a bad CRC), scanned in one run: `patchaudit scan DIR/*.zip
#            --format ndjson --output FILE --jobs 2`, in the same hyperfine run as the anchor,
#            `xargs -P2` running `bsdtar -xOf ZIP '*/SYSTEM/*' | sha256sum` for each zip (goal:
#            patchaudit <= 0.5x the anchor), and as the same scan with --jobs 1 (goal: --jobs 2
#            within 10% of linear); with PATCHAUDIT_BASELINE, the same scan by another build
#            too and the ratio between them; each target's verdict must be its tree's
#            (Fixtures/expected.json), error for the broken ones, and each reported file must
#            have its zip entry's SHA-256 (and SHA-1, MD5 where reported)
#   fleet-memory
#            peak memory (GNU time %M) of one `patchaudit scan --targets FILE --jobs 2` over 100
#            and over 10,000 small zips (copies of Fixtures/trees, generated once in
#            BENCH_DIR/fleet-small), for each format of BENCH_MEMORY_FORMATS (default
#            "ndjson json table"; any of scan's formats) written to a file;
#            goal: 10,000 targets <= 1.2x the memory of 100. A build without --targets gets
#            the zips as arguments (said in the output)
#
# Environment:
#   BENCH=dir|archive|nested|fleet|fleet-memory|image|all
#                                      which sections (default all; image is
#                                      scripts/bench-image.sh: a FAT32 disk image against fls)
#   BENCH_DIR=/tmp/patchaudit-bench    where the tree and the archives are generated (once;
#                                      marker files cache them) and where temp files go
#   PATCHAUDIT=/path/to/patchaudit     use this binary instead of building one with
#                                      `swift build -c release`;
#                                      PATCHAUDIT=skip times the other tools only
#   PATCHAUDIT_BASELINE=/path/to/other/patchaudit
#                                      fleet: also time this build (an older one, say) in the
#                                      same hyperfine run; goal: PATCHAUDIT's mean <= 1.05 x
#                                      the baseline's
#   BENCH_RUNS=10 BENCH_WARMUP=3       hyperfine's --runs and --warmup (directory)
#   BENCH_ARCHIVE_RUNS=5 BENCH_ARCHIVE_WARMUP=2   the same for the archives (archive, nested)
#   BENCH_FLEET_RUNS=3 BENCH_FLEET_WARMUP=1       the same for the fleet (each command
#                                      of a run reads the 1.7 GB fleet: 10-30 s)
#   BENCH_MEMORY_RUNS=1                fleet-memory: peak RSS is the highest of this many runs
#
# All timings are WARM-CACHE: nothing is dropped from the page cache or the dentry
# cache, and hyperfine's warm-up runs make sure the whole tree (or archive) is cached
# before the measured runs. The numbers compare directory walking or archive reading +
# name matching + hashing of the few matching files, not disk I/O. The archives take
# 3 GB of page cache, the nested zip 1.5 GB more; the tree about 1.3 GB; the fleet 1.7 GB;
# the small zips of fleet-memory 70 MB. The first run generates everything in BENCH_DIR
# (about 6.3 GB; the nested zip needs xorriso, installed when missing; the fleet takes
# about 30 s to generate).
#
# Exit status: 0 whatever the figures are (it is a measurement); non-zero only when
# something failed (a build, a tool, find and fd disagreeing about what matches: 2;
# patchaudit's report of an archive or the nested zip not finding the placed DLLs, or a
# fleet target without its expected verdict or digests: 1, after the figures).
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
# Bump when scripts/bench_gen.py's nested part (or the archive plan under it) changes.
nested_version=1
fleet_runs=${BENCH_FLEET_RUNS:-3}
fleet_warmup=${BENCH_FLEET_WARMUP:-1}
fleet_count=1000
# Bump when scripts/bench_gen.py's fleet part changes (2: 2 MB zips with DLLs of real weight).
fleet_version=2
# Bump when scripts/bench_gen.py's fleet-small part (the small zips of fleet-memory) changes.
fleet_small_version=1
memory_runs=${BENCH_MEMORY_RUNS:-1}
memory_formats=${BENCH_MEMORY_FORMATS:-ndjson json table}
gen="$repo/scripts/bench_gen.py"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

case $bench in
    dir|archive|nested|fleet|fleet-memory|image|all) ;;
    *) die "BENCH must be dir, archive, nested, fleet, fleet-memory, image or all (not '$bench')" ;;
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
if want archive || want nested || want fleet; then
    need bsdtar libarchive-tools
fi
if want archive || want nested; then
    need unzip unzip
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
baseline=${PATCHAUDIT_BASELINE:-}
if [ -n "$baseline" ]; then
    [ -x "$baseline" ] || die "PATCHAUDIT_BASELINE is not an executable file: $baseline"
    want fleet || say "note: PATCHAUDIT_BASELINE is only used by the fleet section"
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

# The placed files (ARCPATH=FIXTURE) of the archive and nested sections, written last in
# this order: the scanner finds them only after it has gone past (or around) everything else.
placed=()
set_placed() {
    [ "${#placed[@]}" -gt 0 ] && return
    local S=WINDOWS/SYSTEM O="Program Files/Microsoft Office/Office"
    placed=(
        "$S/EMSABP32.DLL=$(pick_or_standin emsabp32 dll 5.5.1960.3)"
        "$S/EMSMDB32.DLL=$(pick_or_standin emsmdb32 dll 5.5.1960.3)"
        "$S/EMSUI32.DLL=$(pick_or_standin emsui32 dll 5.5.1960.3)"
        "$S/EMSUIX32.DLL=$(pick_or_standin emsuix32 dll 8.0.1960.3)"
        "$S/MSPST32.DLL=$(pick_or_standin mspst32 dll 5.5.2392.0)"
        "$O/OUTLLIB.DLL=$(pick_or_standin outllib dll 8.2.0.4212)"
        "$O/OUTLOOK.EXE=$(pick_or_standin outlook exe 8.2.0.4212)"
    )
}
placed_key() { # 12 hex digits of a digest of the placed names and bytes (for cache markers)
    local p
    for p in "${placed[@]}"; do printf '%s ' "${p%%=*}"; sha256sum <"${p#*=}"; done | sha256sum | cut -c1-12
}

# What patchaudit's JSON report of an archive says about the placed files.
report_check() { # report_check REPORT.json
    python3 - "$1" "${placed[@]}" <<'PY'
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
# Reasons for error or review, grouped by rule (a disk of random .cab files may give
# hundreds): the first three of each, and how many.
by_rule = {}
for r in t.get("reasons", []):
    if r.get("verdict") in ("error", "review"):
        by_rule.setdefault(r.get("rule"), []).append(r.get("message"))
for rule, messages in by_rule.items():
    for m in messages[:3]:
        print(f"    reason: {rule}: {m}", file=sys.stderr)
    if len(messages) > 3:
        print(f"    reason: {rule}: ... {len(messages) - 3} more like these ({len(messages)} in all)", file=sys.stderr)
for lim in t.get("limitsHit", [])[:5]:
    print(f"    limit: {lim.get('limit')}: {lim.get('detail')}", file=sys.stderr)
skipped = {}
for k in t.get("skipped", []):
    skipped[k.get("kind")] = skipped.get(k.get("kind"), 0) + 1
if t.get("skippedCount"):
    print(f"    skipped entries: {t['skippedCount']} (listed: "
          + ", ".join(f"{n} {k}" for k, n in sorted(skipped.items())) + ")", file=sys.stderr)
print("PASS" if ok else "FAIL")
PY
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
    set_placed
    # The cache is keyed by the generator's version, the entry count and the placed bytes.
    local key
    key=$(placed_key)
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
            verdict=$(report_check "$tmp/$a.json")
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
    [ "$report_zip" != FAIL ] || report_failed+=("archive (zip)")
    [ "$report_tgz" != FAIL ] || report_failed+=("archive (tar.gz)")
}

# =============================================================================
# nested: a zip like disk.zip with archives inside, most of them random bytes
# =============================================================================
nested_bench() {
    local zip="$bench_dir/nested.zip"
    set_placed
    # The cache is keyed by the generator's version, the entry count and the placed bytes.
    local key
    key=$(placed_key)
    local nmarker="$bench_dir/.nested-v$nested_version-$archive_entries-$key"

    # --- the zip -----------------------------------------------------------------
    if [ ! -e "$nmarker" ] || [ ! -f "$zip" ]; then
        need xorriso xorriso    # for the ISO 9660 image inside
        say "generating $zip (about $archive_entries entries, about 1.5 GB; once; cached by $nmarker)"
        rm -f "$zip" "$zip.part" "$bench_dir"/.nested-*
        local gen_start
        gen_start=$(date +%s%N)
        # scripts/bench_gen.py `nested`: the archive section's plan with archive names, blobs and
        # real archives in it; niced (CPU-bound, one process, nothing is timed meanwhile).
        nice -n 10 python3 "$gen" nested "$zip.part" "$archive_entries" "${placed[@]}" \
            || die "generating $zip failed"
        mv "$zip.part" "$zip"
        sync    # no writeback during the timing
        touch "$nmarker"
        say "nested zip generated in $(elapsed "$gen_start") s"
    else
        say "using the cached nested zip $zip ($nmarker)"
    fi
    local zip_bytes zip_entries named
    zip_bytes=$(stat -c %s "$zip")
    unzip -Z1 "$zip" >"$tmp/nested.list"
    zip_entries=$(wc -l <"$tmp/nested.list")
    # Entries named like archives: the endings patchaudit opens, in any case.
    named=$(grep -ciE '\.(zip|cab|7z|iso|tar|tgz|tbz2|txz|tzst|tar\.(gz|bz2|xz|zst))$' "$tmp/nested.list" || true)
    say "nested.zip: $((zip_bytes >> 20)) MiB, $zip_entries entries, $named of them named like archives; the largest:"
    python3 - "$zip" <<'PY' >&2
import sys, zipfile
for i in sorted(zipfile.ZipFile(sys.argv[1]).infolist(), key=lambda i: -i.file_size)[:6]:
    how = "stored" if i.compress_type == zipfile.ZIP_STORED else "deflated"
    print(f"    {i.file_size / (1 << 20):6.1f} MiB {how:<8} {i.filename}")
PY
    say "last entries of the zip: $(tail -n "${#placed[@]}" "$tmp/nested.list" | paste -sd ';' | sed 's/;/; /g')"

    # --- does patchaudit find the placed files? ----------------------------------------
    local report="not run" entries_read="" entries_d0="" verdict_d0=""
    if [ "$pa" != skip ]; then
        local status=0
        "$pa" scan "$zip" --format json --output "$tmp/nested.json" --fail-on none || status=$?
        [ "$status" = 0 ] || die "patchaudit scan $zip failed (exit $status)"
        report=$(report_check "$tmp/nested.json")
        status=0
        "$pa" scan "$zip" --max-depth 0 --format json --output "$tmp/nested-d0.json" --fail-on none || status=$?
        [ "$status" = 0 ] || die "patchaudit scan --max-depth 0 $zip failed (exit $status)"
        say "the same with --max-depth 0 (informational: the real archives inside are a limit there)"
        report_check "$tmp/nested-d0.json" >/dev/null
        read -r entries_read entries_d0 verdict_d0 < <(python3 - "$tmp/nested.json" "$tmp/nested-d0.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["targets"][0] for p in sys.argv[1:3])
print(a.get("stats", {}).get("entries", ""), b.get("stats", {}).get("entries", ""), b["verdict"])
PY
)
    fi

    # --- timing ------------------------------------------------------------------
    local zq paq
    zq=$(printf '%q' "$zip")
    paq=$(printf '%q' "$pa")
    local pa_cmd="$paq scan $zq --format json --output /dev/null --fail-on none"
    local pa_d0="$paq scan $zq --max-depth 0 --format json --output /dev/null --fail-on none"
    local unzip_cmd="unzip -l $zq" bsdtar_cmd="bsdtar -tf $zq"
    say "timing the nested zip (warm cache; hyperfine --warmup $archive_warmup --runs $archive_runs)"
    local cmds=()
    [ "$pa" != skip ] && cmds+=(-n patchaudit "$pa_cmd" -n "patchaudit --max-depth 0" "$pa_d0")
    cmds+=(-n "unzip -l" "$unzip_cmd" -n "bsdtar -tf" "$bsdtar_cmd")
    local busy hf_start hf_secs
    busy=$(cpu_busy)
    hf_start=$(date +%s)
    hyperfine --warmup "$archive_warmup" --runs "$archive_runs" --export-json "$tmp/hf-nested.json" "${cmds[@]}" >&2
    hf_secs=$(( $(date +%s) - hf_start ))

    # --- peak memory: patchaudit's highest of 3 runs, the others' of 1 --------------
    say "peak memory (GNU time %M)"
    local rss_pa="" rss_d0="" rss_unzip rss_bsdtar
    if [ "$pa" != skip ]; then
        rss_pa=$(maxrss "$pa_cmd")
        rss_d0=$(maxrss "$pa_d0")
    fi
    rss_unzip=$(maxrss "$unzip_cmd" 1)
    rss_bsdtar=$(maxrss "$bsdtar_cmd" 1)

    # --- summary -----------------------------------------------------------------
    python3 - "$tmp/hf-nested.json" <<PY
import json, sys
f = dict(zip_bytes=$zip_bytes, zip_entries=$zip_entries, named=$named, placed=${#placed[@]},
         hf=$hf_secs, busy=$busy, cores=$(nproc), warmup=$archive_warmup, runs=$archive_runs,
         entries_read="$entries_read", entries_d0="$entries_d0", verdict_d0="$verdict_d0")
rss = {"patchaudit": "$rss_pa", "patchaudit --max-depth 0": "$rss_d0", "unzip -l": "$rss_unzip",
       "bsdtar -tf": "$rss_bsdtar"}
report = "$report"
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
MiB = 1 << 20
print()
print(f"patchaudit nested-archive benchmark: nested.zip {f['zip_bytes'] / MiB:,.0f} MiB, "
      f"{f['zip_entries']:,} entries, {f['named']} named like archives (random bytes, 5 of them "
      f"20-200 MiB, and 4 real archives); the {f['placed']} target files are the last entries")
if f["entries_read"]:
    inside = int(f["entries_read"]) - f["zip_entries"]
    print(f"entries in patchaudit's report: {int(f['entries_read']):,} ({inside:,} inside nested archives); "
          f"with --max-depth 0: {int(f['entries_d0']):,}, verdict {f['verdict_d0']}")
print(f"warm cache (nothing dropped); hyperfine --warmup {f['warmup']} --runs {f['runs']} ({f['hf']} s); "
      f"{f['cores']} cores, {f['busy']}% busy just before")
if f["busy"] > 10:
    print("warning: other work was running; the figures are noisy (compare min as well as mean)")
print(f"{'command':<26} {'mean':>9} {'± stddev':>9} {'min':>8} {'max':>8} {'peak RSS':>10}")
for name in ["patchaudit", "patchaudit --max-depth 0", "unzip -l", "bsdtar -tf"]:
    r = res.get(name)
    if not r:
        print(f"{name:<26} {'(skipped)':>9}")
        continue
    m = rss[name]
    mem = f"{int(m) / 1024:>6.1f} MiB" if m else ""
    print(f"{name:<26} {r['mean']:>8.3f}s {r['stddev']:>8.3f}s {r['min']:>7.3f}s {r['max']:>7.3f}s {mem:>10}")
if "patchaudit" not in res:
    print("patchaudit not measured (PATCHAUDIT=skip)")
    sys.exit(0)
ratio = lambda name, other: res[name]["mean"] / res[other]["mean"]
r_unzip, r_bsdtar = ratio("patchaudit", "unzip -l"), ratio("patchaudit", "bsdtar -tf")
r_d0 = ratio("patchaudit --max-depth 0", "unzip -l")
mem, mem_d0 = int(rss["patchaudit"]) / 1024, int(rss["patchaudit --max-depth 0"]) / 1024
print(f"ratio patchaudit/unzip -l:                 {r_unzip:.2f}")
print(f"ratio patchaudit/bsdtar -tf:               {r_bsdtar:.2f}")
print(f"ratio patchaudit --max-depth 0/unzip -l:   {r_d0:.2f}   (no goal; peak memory {mem_d0:.1f} MiB)")
pf = lambda ok: "PASS" if ok else "FAIL"
print("goals: within 1.5x of unzip -l; peak memory <= 64 MiB; the report finds the placed files")
print(f"  speed vs unzip -l:  {pf(r_unzip <= 1.5)} ({r_unzip:.2f})")
print(f"  memory:             {pf(mem <= 64)} ({mem:.1f} MiB)")
print(f"  report:             {report} (verdict patch-needed, {f['placed']} matched files, the fixtures' SHA-256)")
PY
    [ "$report" != FAIL ] || report_failed+=(nested)
}

# =============================================================================
# fleet: 1,000 zips of 2 MB in one scan, against the anchor and another build
# =============================================================================
# The generated fleets are cached by their generator's version, their size and this key: a
# digest of every file of the fixture trees they copy.
trees_key() {
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

fleet_bench() {
    local fdir="$bench_dir/fleet" trees="$repo/Fixtures/trees"
    [ -d "$trees" ] || die "no fixture trees in $trees"
    # The cache is keyed by the generator's version, the count and the trees' bytes.
    local key
    key=$(trees_key "$trees")
    local fmarker="$bench_dir/.fleet-v$fleet_version-$fleet_count-$key"

    # --- the zips ----------------------------------------------------------------
    if [ ! -e "$fmarker" ] || [ ! -d "$fdir" ]; then
        say "generating $fleet_count zips of $trees in $fdir (once; cached by $fmarker)"
        rm -rf "$fdir" "$bench_dir"/.fleet-v*
        local gen_start
        gen_start=$(date +%s%N)
        nice -n 10 python3 "$gen" fleet "$fdir" "$fleet_count" "$trees" || die "generating $fdir failed"
        sync
        touch "$fmarker"
        say "fleet generated in $(elapsed "$gen_start") s"
    else
        say "using the cached fleet in $fdir ($fmarker)"
    fi
    local nzips nbroken ntrees shape
    nzips=$(find "$fdir" -maxdepth 1 -name '*.zip' | wc -l)
    nbroken=$(grep -c $'\tbroken:' "$fdir/index.tsv" || true)
    ntrees=$(grep -v $'\tbroken:' "$fdir/index.tsv" | cut -f2 | sort -u | wc -l)
    # What the zips hold, from their central directories: sizes, entries, the watched files'
    # bytes, and the bytes the anchor's pattern '*/SYSTEM/*' takes (bsdtar's * matches / too).
    shape=$(python3 - "$fdir" <<'PY'
import fnmatch, glob, os, sys, zipfile
WATCHED = {"emsabp32.dll", "emsmdb32.dll", "emsui32.dll", "emsuix32.dll", "mspst32.dll", "outllib.dll",
           "outlook.exe", "omipst9.dll", "mapi32.dll"}
zips = total = entries = watched = system = missed = 0
for z in sorted(glob.glob(os.path.join(sys.argv[1], "m*.zip"))):
    zips += 1
    total += os.path.getsize(z)
    with zipfile.ZipFile(z) as zf:
        names = zf.infolist()
    entries += len(names)
    sys_here = sum(i.file_size for i in names if fnmatch.fnmatchcase(i.filename, "*/SYSTEM/*"))
    system += sys_here
    watched += sum(i.file_size for i in names if i.filename.rsplit("/", 1)[-1].lower() in WATCHED)
    missed += sys_here == 0
print(f"zip_bytes={total} zip_entries={entries} watched_bytes={watched} system_bytes={system} "
      f"anchor_empty={missed} copies={zips}")
PY
) || die "reading $fdir failed"
    local zip_bytes zip_entries watched_bytes system_bytes anchor_empty copies
    eval "$shape"
    say "fleet: $nzips zips ($copies copies of $ntrees trees, $nbroken broken), $((zip_bytes >> 20)) MiB; per copy $((zip_bytes / copies / 1024)) KiB, $((zip_entries / copies)) entries, $((watched_bytes / copies / 1024)) KiB of watched files; argv of a scan: $(printf '%s ' "$fdir"/*.zip | wc -c) bytes"

    # --- the verdicts and the digests ------------------------------------------------
    local who=() w bin status
    [ "$pa" != skip ] && who+=(patchaudit)
    [ -n "$baseline" ] && who+=(baseline)
    for w in "${who[@]}"; do
        bin=$pa
        [ "$w" = baseline ] && bin=$baseline
        status=0
        "$bin" scan "$fdir"/*.zip --format ndjson --output "$tmp/fleet-$w.ndjson" --fail-on none --jobs 2 || status=$?
        [ "$status" = 0 ] || die "$w: scan $fdir/*.zip failed (exit $status)"
    done
    local report="(not checked: PATCHAUDIT=skip)"
    if [ "${#who[@]}" -gt 0 ]; then
    report=$(python3 - "$fdir" "$repo/Fixtures/expected.json" "$tmp/fleet-patchaudit.ndjson" "$tmp/fleet-baseline.ndjson" <<'PY'
# Prints to stderr each build's verdict counts, how many targets have the expected verdict
# (a copy of a tree: the tree's in Fixtures/expected.json; a broken zip: error), and how many
# reported files have the digests of the zip's entry; prints PASS or FAIL
# (patchaudit's, or the baseline's when patchaudit was not run) to stdout.
import hashlib, json, os, sys, zipfile
fdir = sys.argv[1]
index = dict(line.rstrip("\n").split("\t", 1) for line in open(os.path.join(fdir, "index.tsv")))
trees = {t["name"]: t["verdict"] for t in json.load(open(sys.argv[2]))["trees"]}
want = {n: ("error" if w.startswith("broken:") else trees.get(w, "?")) for n, w in index.items()}
# The digests of each tree's entries, from its first copy (the copies share their DLLs' bytes).
digests = {}
for n, w in index.items():
    if w.startswith("broken:") or w in digests:
        continue
    with zipfile.ZipFile(os.path.join(fdir, n)) as zf:
        digests[w] = {i.filename: tuple(h(zf.read(i)).hexdigest() for h in (hashlib.sha256, hashlib.sha1, hashlib.md5))
                      for i in zf.infolist() if not i.is_dir()}
def files(x):
    if isinstance(x, dict):
        if isinstance(x.get("path"), str) and isinstance(x.get("sha256"), str):
            yield x
        for v in x.values():
            yield from files(v)
    elif isinstance(x, list):
        for v in x:
            yield from files(v)
got = {}
for label, path in (("patchaudit", sys.argv[3]), ("baseline", sys.argv[4])):
    if not os.path.exists(path):
        continue
    verdicts, checked, bad = {}, 0, []
    for line in open(path):
        t = json.loads(line)
        name = os.path.basename(t["target"])
        verdicts[name] = t["verdict"]
        tree = index.get(name, "")
        if tree in digests:
            # Every file object of the target (installations, stray copies...), not the manifests'.
            for f in files({k: v for k, v in t.items() if k != "manifests"}):
                d = digests[tree].get(f["path"])
                # SHA-256 always; SHA-1 and MD5 are checked where the report has them
                # (scan computes them only on request: --digests).
                mine = (f["sha256"].lower(), str(f.get("sha1") or "").lower(), str(f.get("md5") or "").lower())
                same = d is not None and all(m == e for m, e in zip(mine, d) if m)
                checked += 1
                if not same and len(bad) < 5:
                    bad.append(f"{name}!{f['path']}")
                elif not same:
                    bad.append("")
    got[label] = verdicts
    counts = {}
    for v in verdicts.values():
        counts[v] = counts.get(v, 0) + 1
    wrong = sorted(n for n in want if verdicts.get(n) != want[n])
    print(f"==> {label}: {len(verdicts)} targets reported ("
          + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())) + f"); "
          f"{len(want) - len(wrong)} of {len(want)} with the expected verdict; "
          f"{checked - len(bad)} of {checked} reported files with the entry's digests (SHA-256, and SHA-1 and MD5 where reported)", file=sys.stderr)
    for n in wrong[:8]:
        print(f"    {n} ({index[n]}): {verdicts.get(n, 'not reported')}, expected {want[n]}", file=sys.stderr)
    if len(wrong) > 8:
        print(f"    ... and {len(wrong) - 8} more", file=sys.stderr)
    for b in bad[:5]:
        print(f"    other digests than the zip entry's: {b}", file=sys.stderr)
    got[label + ":ok"] = not wrong and not bad and checked > 0 and len(verdicts) == len(want)
if "patchaudit" in got and "baseline" in got:
    same = sum(1 for n in want if got["patchaudit"].get(n) == got["baseline"].get(n))
    print(f"==> the same verdict from patchaudit and the baseline: {same} of {len(want)} targets", file=sys.stderr)
first = "patchaudit" if "patchaudit" in got else "baseline"
print("PASS" if got[first + ":ok"] else "FAIL")
PY
)
    fi

    # --- timing ------------------------------------------------------------------
    # The anchor: what a shell script does to hash a fleet's system DLLs, two zips at a time.
    # It extracts less than patchaudit reads (the SYSTEM folder only, where the pattern
    # matches: not Windows/System, not SYSTEM32) and hashes once (SHA-256 of the stream).
    local fq paq blq
    fq=$(printf '%q' "$fdir")
    paq=$(printf '%q' "$pa")
    local opts
    opts="--format ndjson --output $(printf '%q' "$tmp/fleet-timed.ndjson") --fail-on none"
    local pa_cmd="$paq scan $fq/*.zip $opts --jobs 2" pa1_cmd="$paq scan $fq/*.zip $opts --jobs 1" bl_cmd=""
    local anchor_cmd="printf '%s\\0' $fq/*.zip | xargs -0 -P2 -n1 sh -c 'bsdtar -xOf \"\$1\" \"*/SYSTEM/*\" | sha256sum || true' sh"
    if [ -n "$baseline" ]; then
        blq=$(printf '%q' "$baseline")
        bl_cmd="$blq scan $fq/*.zip $opts --jobs 2"
    fi
    say "timing the fleet (warm cache; hyperfine --warmup $fleet_warmup --runs $fleet_runs)"
    say "anchor: $anchor_cmd"
    local cmds=()
    [ "$pa" != skip ] && cmds+=(-n patchaudit "$pa_cmd")
    [ -n "$baseline" ] && cmds+=(-n baseline "$bl_cmd")
    cmds+=(-n anchor "$anchor_cmd")
    [ "$pa" != skip ] && cmds+=(-n "patchaudit --jobs 1" "$pa1_cmd")
    local busy hf_start hf_secs
    busy=$(cpu_busy)
    hf_start=$(date +%s)
    hyperfine --warmup "$fleet_warmup" --runs "$fleet_runs" --export-json "$tmp/hf-fleet.json" "${cmds[@]}" >&2
    hf_secs=$(( $(date +%s) - hf_start ))

    # --- peak memory: one run each ------------------------------------------------
    say "peak memory (GNU time %M)"
    local rss_pa="" rss_bl=""
    [ "$pa" != skip ] && rss_pa=$(maxrss "$pa_cmd" 1)
    [ -n "$baseline" ] && rss_bl=$(maxrss "$bl_cmd" 1)

    # --- summary -----------------------------------------------------------------
    python3 - "$tmp/hf-fleet.json" <<PY
import json, sys
f = dict(zips=$nzips, broken=$nbroken, trees=$ntrees, copies=$copies, bytes=$zip_bytes, entries=$zip_entries,
         watched=$watched_bytes, system=$system_bytes, anchor_empty=$anchor_empty, hf=$hf_secs, busy=$busy,
         cores=$(nproc), warmup=$fleet_warmup, runs=$fleet_runs)
rss = {"patchaudit": "$rss_pa", "baseline": "$rss_bl"}
paths = {"patchaudit": """$pa""", "baseline": """$baseline""", "patchaudit --jobs 1": """$pa""",
         "anchor": "xargs -P2: bsdtar -xOf ZIP '*/SYSTEM/*' | sha256sum"}
report = "$report"
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
MB = 1e6
print()
print(f"patchaudit fleet benchmark: {f['zips']:,} zips ({f['copies']:,} copies of {f['trees']} fixture trees, "
      f"{f['broken']} broken), {f['bytes'] / (1 << 20):,.0f} MiB in all; a copy: {f['bytes'] / f['copies'] / MB:.2f} MB, "
      f"{f['entries'] / f['copies']:.0f} entries, {f['watched'] / f['copies'] / MB:.2f} MB of watched DLLs and EXEs to inflate and hash")
print(f"the anchor's '*/SYSTEM/*' takes {f['system'] / f['copies'] / MB:.2f} MB a copy "
      f"(nothing in {f['anchor_empty']} copies: Windows/System, SYSTEM32 or no system folder)")
print(f"one scan of DIR/*.zip --format ndjson --output FILE --fail-on none --jobs 2; "
      f"warm cache (nothing dropped); hyperfine --warmup {f['warmup']} --runs {f['runs']} ({f['hf']} s); "
      f"{f['cores']} cores, {f['busy']}% busy just before")
if f["busy"] > 10:
    print("warning: other work was running; the figures are noisy (compare min as well as mean)")
print(f"{'command':<20} {'mean':>9} {'± stddev':>9} {'min':>8} {'max':>8} {'per zip':>9} {'peak RSS':>10}")
for name in ["patchaudit", "baseline", "anchor", "patchaudit --jobs 1"]:
    r = res.get(name)
    if not r:
        print(f"{name:<20} {'(not run)':>9}")
        continue
    m = rss.get(name)
    mem = f"{int(m) / 1024:>6.1f} MiB" if m else ""
    print(f"{name:<20} {r['mean']:>8.3f}s {r['stddev'] or 0:>8.3f}s {r['min']:>7.3f}s {r['max']:>7.3f}s "
          f"{1000 * r['mean'] / f['zips']:>7.2f}ms {mem:>10}   {paths[name]}")
pf = lambda ok: "PASS" if ok else "FAIL"
print("goals: patchaudit <= 0.5x the anchor; --jobs 2 within 10% of linear (time(jobs 1)/time(jobs 2) >= 1.8); "
      "patchaudit <= 1.05x the baseline (PATCHAUDIT_BASELINE); every target its expected verdict and every "
      "reported file the zip entry's digests")
if "patchaudit" in res and "anchor" in res:
    r = res["patchaudit"]["mean"] / res["anchor"]["mean"]
    rmin = res["patchaudit"]["min"] / res["anchor"]["min"]
    print(f"ratio patchaudit/anchor:   {r:.3f} (of the min: {rmin:.3f})")
    print(f"  speed vs anchor:    {pf(r <= 0.5)} ({r:.3f})")
if "patchaudit" in res and "patchaudit --jobs 1" in res:
    s = res["patchaudit --jobs 1"]["mean"] / res["patchaudit"]["mean"]
    smin = res["patchaudit --jobs 1"]["min"] / res["patchaudit"]["min"]
    print(f"scaling jobs 1/jobs 2:     {s:.3f} (of the min: {smin:.3f})")
    print(f"  scaling:            {pf(s >= 1.8)} ({s:.3f})")
if "patchaudit" in res and "baseline" in res:
    r = res["patchaudit"]["mean"] / res["baseline"]["mean"]
    rmin = res["patchaudit"]["min"] / res["baseline"]["min"]
    print(f"ratio patchaudit/baseline: {r:.3f} (of the min: {rmin:.3f})")
    print(f"  speed vs baseline:  {pf(r <= 1.05)} ({r:.3f})")
elif "patchaudit" in res:
    print("  speed vs baseline:  no baseline (set PATCHAUDIT_BASELINE=/path/to/other/patchaudit)")
else:
    print("  speed:              patchaudit not measured (PATCHAUDIT=skip)")
who = "patchaudit" if "patchaudit" in res else "baseline"
print(f"  report:             {report} ({who}: each copy its tree's verdict in Fixtures/expected.json, each broken zip error; "
      "each reported file the digests of its zip entry)")
PY
    [ "$report" != FAIL ] || report_failed+=(fleet)
}

# =============================================================================
# fleet-memory: peak memory of one scan of 100 targets and of 10,000
# =============================================================================
fleet_memory_bench() {
    if [ "$pa" = skip ]; then
        say "fleet-memory: nothing to measure (PATCHAUDIT=skip)"
        return
    fi
    local sdir="$bench_dir/fleet-small" trees="$repo/Fixtures/trees" small_count=9996
    [ -d "$trees" ] || die "no fixture trees in $trees"
    local key
    key=$(trees_key "$trees")
    local smarker="$bench_dir/.fleet-small-v$fleet_small_version-$small_count-$key"

    # --- the zips: 9,996 small copies and the 4 broken ones; t100/: hard links of 100 ---
    if [ ! -e "$smarker" ] || [ ! -d "$sdir" ]; then
        say "generating $small_count small zips of $trees in $sdir (once; cached by $smarker)"
        rm -rf "$sdir" "$bench_dir"/.fleet-small-*
        local gen_start
        gen_start=$(date +%s%N)
        nice -n 10 python3 "$gen" fleet-small "$sdir" "$small_count" "$trees" || die "generating $sdir failed"
        mkdir "$sdir/t100"
        ln "$sdir"/m00[0-8][0-9].zip "$sdir"/m009[0-6].zip "$sdir"/x-*.zip "$sdir/t100/"
        sync
        touch "$smarker"
        say "small fleet generated in $(elapsed "$gen_start") s"
    else
        say "using the cached small fleet in $sdir ($smarker)"
    fi
    local n100 n10k
    n100=$(find "$sdir/t100" -maxdepth 1 -name '*.zip' | wc -l)
    n10k=$(find "$sdir" -maxdepth 1 -name '*.zip' | wc -l)
    if [ "$n100" != 100 ] || [ "$n10k" != 10000 ]; then
        die "$sdir: expected 100 and 10,000 zips, found $n100 and $n10k"
    fi
    printf '%s\n' "$sdir"/t100/*.zip >"$tmp/targets-100.txt"
    printf '%s\n' "$sdir"/*.zip >"$tmp/targets-10000.txt"

    # --- the commands: --targets FILE, or the zips as arguments where it is not known yet --
    local sq paq how
    sq=$(printf '%q' "$sdir")
    paq=$(printf '%q' "$pa")
    local scan_help
    scan_help=$("$pa" scan --help 2>/dev/null || true)
    # Not `| grep -q`: grep leaving early ends the help with SIGPIPE, which pipefail reports.
    if [[ $scan_help == *--targets* ]]; then
        how=targets
    else
        how=args
        say "note: $pa does not know --targets yet; passing the zips as arguments instead"
    fi
    targets_of() { # targets_of 100|10000: the command-line part naming the targets
        if [ "$how" = targets ]; then
            printf -- '--targets %q' "$tmp/targets-$1.txt"
        elif [ "$1" = 100 ]; then
            printf '%s/t100/*.zip' "$sq"
        else
            printf '%s/*.zip' "$sq"
        fi
    }
    local fmt n cmd rows=() busy lines
    busy=$(cpu_busy)
    for fmt in $memory_formats; do
        for n in 100 10000; do
            cmd="$paq scan $(targets_of "$n") --format $fmt --output $(printf '%q' "$tmp/mem-$n.$fmt") --fail-on none --jobs 2"
            say "peak memory: $n targets, --format $fmt"
            local t0 rss secs
            t0=$(date +%s%N)
            rss=$(maxrss "$cmd" "$memory_runs")
            secs=$(elapsed "$t0")
            lines=""
            [ "$fmt" = ndjson ] && lines=$(wc -l <"$tmp/mem-$n.$fmt")
            rows+=("$fmt $n $rss $secs ${lines:--}")
        done
    done
    python3 - "$how" "$busy" "$memory_runs" "$memory_formats" "${rows[@]}" <<'PY'
import sys
how, busy, runs, formats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
rows = {}
for r in sys.argv[5:]:
    fmt, n, rss, secs, lines = r.split()
    rows[(fmt, int(n))] = (int(rss), float(secs), lines)
print()
print("patchaudit fleet-memory benchmark: one scan of 100 and of 10,000 small zips (copies of the fixture "
      "trees, 4 broken), --jobs 2 --fail-on none --output FILE; peak RSS by GNU time %M "
      f"(the largest process), highest of {runs} run(s); {busy}% busy just before")
print("targets given by " + ("--targets FILE" if how == "targets" else
      "arguments (DIR/*.zip): this build has no --targets yet"))
print(f"{'format':<8} {'100 targets':>12} {'10,000 targets':>15} {'ratio':>7}  {'goal <= 1.2x':<13} {'time (100 / 10,000)':>22}")
ok = True
for fmt in formats:
    a, b = rows[(fmt, 100)], rows[(fmt, 10000)]
    ratio = b[0] / a[0]
    ok = ok and ratio <= 1.2
    extra = f"  ({b[2]} lines)" if fmt == "ndjson" else ""
    print(f"{fmt:<8} {a[0] / 1024:>8.1f} MiB {b[0] / 1024:>11.1f} MiB {ratio:>7.2f}  {'PASS' if ratio <= 1.2 else 'FAIL':<13} "
          f"{a[1]:>9.1f} s / {b[1]:>7.1f} s{extra}")
print(f"goal: the peak memory of 10,000 targets <= 1.2x that of 100, every format: {'PASS' if ok else 'FAIL'}")
PY
}

# =============================================================================
report_failed=()
if want dir; then dir_bench; fi
if want archive; then archive_bench; fi
if want nested; then nested_bench; fi
if want fleet; then fleet_bench; fi
if want fleet-memory; then fleet_memory_bench; fi
if want image && [ "$pa" != skip ]; then PATCHAUDIT=$pa BENCH_DIR=$bench_dir bash "$repo/scripts/bench-image.sh" || report_failed+=(image); fi
if [ "${#report_failed[@]}" -gt 0 ]; then
    printf 'bench: patchaudit did not report what was expected in: %s (see above)\n' "${report_failed[*]}" >&2
    exit 1
fi
