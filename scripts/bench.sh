#!/usr/bin/env bash
# Benchmark: `patchaudit scan` against find(1) and fd(1) on a synthetic copy of an
# old Windows disk (300,000 files) holding the Outlook 97 Exchange provider DLLs.
#
#   bash scripts/bench.sh              (from the repo root; also `make bench`)
#
# Environment:
#   BENCH_DIR=/tmp/patchaudit-bench    where the tree is generated (once; a marker
#                                      file caches it) and where temp files go
#   PATCHAUDIT=/path/to/patchaudit     use this binary instead of building one with
#                                      `swift build -c release`;
#                                      PATCHAUDIT=skip times find and fd only
#   BENCH_RUNS=10 BENCH_WARMUP=3       hyperfine's --runs and --warmup
#
# All timings are WARM-CACHE: nothing is dropped from the page cache or the dentry
# cache, and hyperfine's warm-up runs make sure the whole tree is cached before the
# measured runs. The numbers compare directory walking + name matching + hashing of
# the few matching files, not disk I/O.
#
# Exit status: 0 whatever the figures are (it is a measurement); non-zero only when
# something failed (a build, a tool, or find and fd disagreeing about what matches).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=${BENCH_DIR:-/tmp/patchaudit-bench}
tree="$bench_dir/tree"
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-3}
tree_files=300000
# Bump when the generator changes: an old tree is then regenerated.
tree_version=1
marker="$bench_dir/.generated-v$tree_version-$tree_files"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

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
need fdfind fd-find
need sha256sum coreutils
need find findutils
[ -x /usr/bin/time ] || { say "installing time (GNU time, for peak memory)"; apt_install time; }
[ -x /usr/bin/time ] || die "/usr/bin/time is still missing"

# --- the tree ----------------------------------------------------------------
mkdir -p "$bench_dir"
if [ ! -e "$marker" ]; then
    say "generating $tree_files files in $tree (once; cached by $marker)"
    rm -rf "$tree" "$bench_dir"/.generated-*
    gen_start=$(date +%s%N)
    python3 - "$tree" "$tree_files" <<'PY'
# A deterministic tree shaped like the disk of a 1998-2000 Windows machine (a
# Windows 98 install, a dual-boot NT 4, Program Files, user documents, browser
# caches): many folders of a few dozen small files, depth up to 8, 8.3 upper-case
# names beside long mixed-case ones. No file name matches the benchmark's patterns
# (the real DLLs are placed afterwards) and no file has an archive extension
# (.zip/.cab/...), so that every tool does the same work: walk, match, hash.
import os, random, re, sys
from multiprocessing import Pool

root, total = sys.argv[1], int(sys.argv[2])
RESERVED = 11           # the DLLs and OUTLOOK.EXE placed afterwards
budget = total - RESERVED
rng = random.Random(19990514)   # KB214747's publication date
target_re = re.compile(r'(?i)^(ems.*\.dll|mspst32\.dll|outllib\.dll)$')

WORDS = """setup readme install uninst config data help index main common shared
system driver font cache temp backup report letter memo budget invoice sales
client server network mail inbox outbox contacts calendar notes journal tasks
print spool color media sound wave midi video image photo icon cursor theme
desktop start menu programs accessories games tools utils update patch service
office word excel access powerpoint binder publisher project schedule chart
viewer player reader writer editor manager wizard toolbar addin plugin module
library runtime support license history favorites cookies recent sendto
template sample example tutorial guide manual faq release notes changes
archive old new final draft copy version2 version3 english french german
resource string dialog bitmap database query table form macro script html
style frame logo banner button arrow line page site web intranet proxy
modem dialup phone fax scanner camera printer monitor display keyboard mouse
joystick sound32 vxd winsock tcpip netbeui ipx spx dhcp dns wins ras""".split()
VENDORS = """Adobe Symantec McAfee Netscape Corel Lotus Borland Macromedia Intuit
RealNetworks WinZip Jasc Nullsoft Creative Logitech HP Canon Epson Iomega Norton
Qualcomm Oracle Sybase Novell Cisco Compaq Dell Gateway IBM Intel Matrox ATI
Diamond Aureal Yamaha Microsoft Sierra Broderbund Mindscape Quicken Visio""".split()
PRODUCTS = """Acrobat Reader Photoshop Navigator Communicator Eudora WinFax
PowerDesk SmartSuite Notes Delphi Director Flash Shockwave RealPlayer Winamp
PaintShop DirectX Visual Studio FrontPage Publisher Encarta Money Works
Antivirus Utilities PrintShop Scanner Suite Drivers Toolkit SDK Studio Player
Explorer Messenger NetMeeting Chat Outlook Express Access Tools""".split()
EXT = [  # (extension, weight)
    ("dll", 10), ("exe", 5), ("txt", 8), ("ini", 5), ("inf", 3), ("hlp", 3),
    ("cnt", 1), ("gid", 1), ("bmp", 6), ("gif", 7), ("jpg", 5), ("ico", 2),
    ("htm", 6), ("html", 2), ("css", 1), ("js", 1), ("doc", 4), ("xls", 2),
    ("dat", 4), ("log", 3), ("lnk", 3), ("url", 2), ("tmp", 2), ("sys", 1),
    ("vxd", 1), ("drv", 1), ("ocx", 1), ("tlb", 1), ("nls", 1), ("ttf", 1),
    ("fon", 1), ("wav", 2), ("mid", 1), ("avi", 1), ("chm", 1), ("pnf", 1),
    ("bak", 1), ("old", 1), ("mdb", 1), ("rtf", 1), ("pdf", 1), ("xml", 1),
    ("cfg", 1), ("bat", 1), ("com", 1), ("386", 1), ("cpl", 1), ("ax", 1),
    ("", 1),
]
EXT_NAMES = [e for e, _ in EXT]
EXT_WEIGHTS = [w for _, w in EXT]
# Decoys: near misses of the patterns (they must NOT be matched).
DECOYS = ["EMSABP32.BAK", "emsmdb32.dll.old", "MSPST32.DL_", "OUTLLIB.DL_",
          "Emsui32.txt", "mspst32.ini", "outllib.dll.bak", "XEMSMDB32.DLL"]

buf = rng.randbytes(1 << 20)
created = 0
dirs, files = [], []    # the plan: made first, then written by 2 processes

def write_chunk(chunk):
    for path, s, off in chunk:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if s:
            os.write(fd, buf[off:off + s])
        os.close(fd)

def size():
    r = rng.random()
    if r < 0.04:
        return 0
    if r < 0.99:                      # most: a few bytes .. a few KB
        return min(int(rng.lognormvariate(5.5, 1.0)), 8192)
    return rng.randint(8192, 32 * 1024)

def word():
    return rng.choice(WORDS)

def fname(style):
    ext = rng.choices(EXT_NAMES, EXT_WEIGHTS)[0]
    if style == "83":
        base = (word() + (str(rng.randint(0, 99)) if rng.random() < 0.4 else ""))[:8].upper()
        if rng.random() < 0.1:
            base = base[:6] + "~" + str(rng.randint(1, 4))
        return base + ("." + ext.upper() if ext else "")
    if style == "hex":                 # browser cache, temp files
        base = "%08X" % rng.getrandbits(32) if rng.random() < 0.5 else "~DF%04X" % rng.getrandbits(16)
        return base + ("." + ext if ext else "")
    n = rng.randint(1, 3)
    parts = [word() for _ in range(n)]
    if rng.random() < 0.5:
        parts = [p.capitalize() for p in parts]
    sep = rng.choice([" ", "_", "", "-"])
    base = sep.join(parts) + (" " + str(rng.randint(1, 2000)) if rng.random() < 0.2 else "")
    return base + ("." + ext if ext else "")

def dname(style):
    if style == "83":
        return (word() + (str(rng.randint(0, 9)) if rng.random() < 0.3 else ""))[:8].upper()
    if style == "hex":
        return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(8))
    n = rng.randint(1, 2)
    parts = [word().capitalize() for _ in range(n)]
    return " ".join(parts)

def write_files(path, n, style):
    global created
    n = min(n, budget - created)
    for _ in range(n):
        name = fname(style if rng.random() < 0.8 else rng.choice(["83", "long"]))
        while target_re.match(name):
            name = "X" + name
        name = unique(path, name)
        s = size()
        files.append((os.path.join(path, name), s, rng.randrange(0, len(buf) - s)))
        created += 1

names = {}   # folder -> the lower-cased names in it (files and folders)
def unique(folder, name):
    seen = names.setdefault(folder, set())
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    i = 1
    while name.lower() in seen:
        i += 1
        name = f"{stem} ({i}){dot}{ext}" if dot else f"{stem}{i}"
    seen.add(name.lower())
    return name

def mk(path):
    p = path
    while p != root:        # register every new component of the path
        parent, base = os.path.split(p)
        if base.lower() in names.get(parent, ()):
            break
        unique(parent, base)
        p = parent
    dirs.append(path)
    return path

def subtree(path, depth, nfiles, style="long", maxdepth=8):
    """A folder with a few dozen files and sub-folders sharing nfiles."""
    if created >= budget or nfiles <= 0:
        return
    mk(path)
    here = min(nfiles, rng.randint(4, 60))
    write_files(path, here, style)
    rest = nfiles - here
    if rest <= 0:
        return
    if depth >= maxdepth:
        write_files(path, rest, style)
        return
    kids = max(1, min(rest // 20 + 1, rng.randint(1, 8)))
    weights = [rng.random() + 0.1 for _ in range(kids)]
    tot = sum(weights)
    for w in weights:
        name = unique(path, dname(style if rng.random() < 0.7 else "long"))
        subtree(os.path.join(path, name), depth + 1, int(rest * w / tot) + 1, style, maxdepth)

J = os.path.join
# Windows 98 (the one with Outlook 97).
win = mk(J(root, "WINDOWS"))
write_files(win, 180, "83")
sysdir = mk(J(win, "SYSTEM"))
write_files(sysdir, 1400, "83")
for d in ["IOSUBSYS", "VMM32", "COLOR", "VIEWERS", "OOBE", "ShellExt"]:
    write_files(mk(J(sysdir, d)), rng.randint(10, 120), "83")
for n in DECOYS:
    files.append((J(sysdir, unique(sysdir, n)), 0, 0))
    created += 1
for d, n in [("FONTS", 350), ("INF", 900), ("HELP", 700), ("COMMAND", 120),
             ("Cursors", 90), ("Media", 60), ("SYSBCKUP", 300), ("PIF", 40),
             ("ShellNew", 12), ("Web", 80), ("Downloaded Program Files", 30)]:
    subtree(J(win, d), 2, n, "83", 4)
subtree(J(win, "INF", "OTHER"), 3, 400, "83", 4)
tif = mk(J(win, "Temporary Internet Files", "Content.IE5"))
for _ in range(16):
    subtree(J(tif, dname("hex")), 4, rng.randint(300, 900), "hex", 5)
subtree(J(win, "Cookies"), 2, 900, "long", 2)
subtree(J(win, "History", "History.IE5"), 3, 1500, "long", 5)
subtree(J(win, "Recent"), 2, 200, "long", 2)
subtree(J(win, "Start Menu", "Programs"), 3, 900, "long", 6)
subtree(J(win, "Application Data"), 2, 2500, "long", 8)
for user in ["Default", "John", "Administrator", "mary"]:
    subtree(J(win, "Profiles", user), 3, 2500, "long", 8)
subtree(J(win, "TEMP"), 2, 3000, "hex", 4)
# A second Windows (dual boot NT 4) without Outlook.
nt = mk(J(root, "WINNT"))
write_files(nt, 150, "83")
write_files(mk(J(nt, "system32")), 1800, "83")
subtree(J(nt, "system32", "drivers"), 3, 300, "83", 4)
subtree(J(nt, "system32", "config"), 3, 40, "83", 3)
subtree(J(nt, "Profiles"), 2, 6000, "long", 8)
for d, n in [("Fonts", 300), ("inf", 800), ("Help", 600), ("Media", 60)]:
    subtree(J(nt, d), 2, n, "83", 4)
# DOS-era and server leftovers.
subtree(J(root, "DOS"), 1, 150, "83", 2)
subtree(J(root, "TEMP"), 1, 4000, "hex", 4)
subtree(J(root, "Inetpub", "wwwroot"), 2, 6000, "long", 8)
# Office 97 (without the placed Outlook files).
office = J(root, "Program Files", "Microsoft Office")
subtree(J(office, "Office"), 3, 1500, "83", 6)
for d in ["Templates", "Clipart", "Queries", "Shortcut Bar"]:
    subtree(J(office, d), 3, 1500, "long", 8)
# User documents.
for user in ["My Documents", "Documents and Settings"]:
    subtree(J(root, user), 1, 30000, "long", 8)
# Program Files: products until the budget is spent.
pf = J(root, "Program Files")
while created < budget:
    vendor = rng.choice(VENDORS)
    product = " ".join(rng.sample(PRODUCTS, rng.randint(1, 2))) + (" " + str(rng.randint(2, 9)) if rng.random() < 0.3 else "")
    if rng.random() < 0.6:
        parent = mk(J(pf, vendor))
    else:
        parent, product = mk(pf), vendor + " " + product
    path = J(parent, unique(parent, product))
    subtree(path, 2, rng.randint(200, 6000), rng.choice(["long", "long", "83"]), 8)
for d in dirs:
    os.makedirs(d, exist_ok=True)
chunks = [files[i:i + 2000] for i in range(0, len(files), 2000)]
with Pool(os.cpu_count() or 2) as pool:
    pool.map(write_chunk, chunks, chunksize=1)
print(f"generated {created} files in {len(dirs)} folders", file=sys.stderr)
PY
    sync    # no writeback of the new tree during the timing
    touch "$marker"
    gen_ms=$(( ($(date +%s%N) - gen_start) / 1000000 ))
    say "tree generated in $((gen_ms / 1000)).$(printf '%03d' $((gen_ms % 1000))) s"
else
    say "using the cached tree in $tree ($marker)"
fi

# The target DLLs: real PE fixtures when the repo has them. Placed on every run
# (cheap), so a tree generated before the fixtures existed gets them later.
fixtures="$repo/Fixtures/dlls"
pick() { # pick PREFIX EXT PREFERRED-VERSION: a fixture file, or empty
    local f
    for f in "$fixtures/$1-$3.$2" "$fixtures/$1"-*."$2"; do
        [ -f "$f" ] && { printf '%s\n' "$f"; return; }
    done
}
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

# --- the same answer? --------------------------------------------------------
q=$(printf '%q' "$tree")
find_cmd="find $q \\( -iname 'ems*.dll' -o -iname mspst32.dll -o -iname outllib.dll \\) -exec sha256sum {} +"
fd_cmd="fdfind -j2 -u -t f '(?i)^(ems.*\\.dll|mspst32\\.dll|outllib\\.dll)\$' $q -X sha256sum"
pa_cmd="$(printf '%q' "$pa") scan $q --format json --output /dev/null --fail-on none"

tmp=$(mktemp -d "$bench_dir/run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
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
busy=$(python3 -c '
import time
def stat():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]
t0, i0 = stat(); time.sleep(1); t1, i1 = stat()
print(round(100 * (1 - (i1 - i0) / max(1, t1 - t0))))')
hf_start=$(date +%s)
"${hf[@]}" >&2
hf_secs=$(( $(date +%s) - hf_start ))

# --- peak memory: GNU time's %M, the max RSS of the largest single process of the
# command (find or fd, or a sha256sum they started), the highest of 3 runs ------
maxrss() { # maxrss CMD: highest max-RSS (KiB) over 3 runs
    local i best=0 m
    for i in 1 2 3; do
        /usr/bin/time -f '%M' -o "$tmp/rss" sh -c "exec $1" >/dev/null
        m=$(tail -n1 "$tmp/rss")
        [ "$m" -gt "$best" ] && best=$m
    done
    echo "$best"
}
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
