#!/usr/bin/env bash
# Regenerates Fixtures/hashdeep: baseline hash lists of Fixtures/trees/up-to-date-sr1 ("manifests
# from a known-good machine") made by the real hashdeep, a Windows-style copy, and broken/*: small
# hand-made bad lists, one problem each, derived from the real list's rows.
#
#   bash Fixtures/hashdeep/make.sh        (from the repository root; any working directory works)
#
# Needs Debian's hashdeep (installed through scripts/ensure-packages.sh) and python3. Reads
# Fixtures/trees (run Fixtures/generate.sh first), writes only Fixtures/hashdeep/*.hashdeep and
# Fixtures/hashdeep/broken/. Deterministic; three things hashdeep itself would vary are pinned:
#   - the data rows: hashdeep hashes on several threads and prints rows as they finish, so the
#     order changes from run to run. The rows are sorted by file name (bytewise); the header and
#     `##` lines stay first, as hashdeep wrote them.
#   - `## Invoked from:` is hashdeep's working directory: it runs in a copy of the tree under the
#     fixed path /tmp/patchaudit-hashdeep (removed afterwards; the run stops if it exists).
#   - the prompt in the `## $ hashdeep ...` line is `#` when hashdeep runs as root: as root, the
#     script runs hashdeep as `nobody` (setpriv), so the line reads `## $` for everyone.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="$(dirname "$HERE")"
REPO="$(dirname "$FIXTURES")"
TREE=up-to-date-sr1
ALTERED=altered-restamped
STAGE=/tmp/patchaudit-hashdeep

bash "$REPO/scripts/ensure-packages.sh" hashdeep
if [ ! -d "$FIXTURES/trees/$TREE" ] || [ ! -d "$FIXTURES/trees/$ALTERED" ]; then
    echo "make.sh: Fixtures/trees/$TREE or $ALTERED missing; run Fixtures/generate.sh first" >&2
    exit 1
fi
if ! mkdir "$STAGE"; then
    echo "make.sh: $STAGE exists (another run, or a stale one: remove it)" >&2
    exit 1
fi
trap 'rm -rf "$STAGE"' EXIT
as_user=()
if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

# A copy of the tree, readable by anyone: hashdeep runs in $STAGE/base.
mkdir -p "$STAGE/base" "$STAGE/altered"
cp -R "$FIXTURES/trees/$TREE" "$STAGE/base/$TREE"
# altered-restamped under the same name, for the audit check below.
cp -R "$FIXTURES/trees/$ALTERED" "$STAGE/altered/$TREE"
chmod -R a+rX "$STAGE"

# run_hashdeep ALGORITHMS: hashdeep -c ALGORITHMS -l -r up-to-date-sr1 in $STAGE/base, rows sorted.
run_hashdeep() {
    local raw="$STAGE/raw.hashdeep" filename_field
    (cd "$STAGE/base" && "${as_user[@]}" hashdeep -c "$1" -l -r "$TREE") > "$raw"
    # size + one column per algorithm + filename: the filename is the last field (and whatever
    # commas follow, which sort -k N keeps in the key).
    filename_field=$(( $(tr -cd , <<<"$1" | wc -c) + 3 ))
    grep -E '^(%%%%|##)' "$raw"
    grep -vE '^(%%%%|##)' "$raw" | sort -t, -k"$filename_field"
}

rm -rf "$HERE/broken" "$HERE"/*.hashdeep
mkdir -p "$HERE/broken"

GOOD="$HERE/$TREE.hashdeep"
run_hashdeep md5,sha256 > "$GOOD"

# As made on Windows: md5, sha1 and sha256, CRLF, backslashes in the file names, and the two
# `##` lines in the form hashdeep's Windows build writes them (working directory C:\AUDIT, the
# prompt is that directory followed by `>`).
run_hashdeep md5,sha1,sha256 | python3 -c '
import sys
out = []
for line in sys.stdin.read().split("\n")[:-1]:
    if line.startswith("## Invoked from: "):
        line = "## Invoked from: C:\\AUDIT"
    elif line.startswith("## $ "):
        line = "## C:\\AUDIT> " + line[len("## $ "):]
    elif not line.startswith(("%%%%", "##")):
        head, _, name = line.rpartition(",")   # no commas in these file names
        line = head + "," + name.replace("/", "\\")
    out.append(line + "\r\n")
sys.stdout.buffer.write("".join(out).encode())
' > "$HERE/$TREE-sha1-crlf.hashdeep"

# The broken lists: the real list with one thing wrong, always in EMSMDB32.DLL's row.
B="$HERE/broken"
ROW='/WINDOWS/SYSTEM/EMSMDB32.DLL$'
# no-header: the `%%%% HASHDEEP-1.0` line left out (the column line stays).
grep -v '^%%%% HASHDEEP-1.0$' "$GOOD" > "$B/no-header.hashdeep"
# bad-hex: the md5's 11th digit replaced by `g`.
sed -E "\\|$ROW| s/^([0-9]+,[0-9a-f]{10})[0-9a-f]/\\1g/" "$GOOD" > "$B/bad-hex.hashdeep"
# short-hash: the sha256's last digit cut (63 digits).
sed -E "\\|$ROW| s/^([0-9]+,[0-9a-f]{32},[0-9a-f]{63})[0-9a-f],/\\1,/" "$GOOD" > "$B/short-hash.hashdeep"
# bad-size: the size `12a4`.
sed -E "\\|$ROW| s/^[0-9]+,/12a4,/" "$GOOD" > "$B/bad-size.hashdeep"
# missing-column: the sha256 left out of the row (size,md5,filename).
sed -E "\\|$ROW| s/^([0-9]+,[0-9a-f]{32}),[0-9a-f]{64},/\\1,/" "$GOOD" > "$B/missing-column.hashdeep"
# no-filename-column: the column line without `filename` (rows unchanged).
sed 's/^%%%% size,md5,sha256,filename$/%%%% size,md5,sha256/' "$GOOD" > "$B/no-filename-column.hashdeep"
# unknown-version: `%%%% HASHDEEP-2.0`.
sed 's/^%%%% HASHDEEP-1\.0$/%%%% HASHDEEP-2.0/' "$GOOD" > "$B/unknown-version.hashdeep"

# --------------------------------------------------------------------------- checks

# hashdeep accepts its list: the tree audits clean, and the altered-restamped tree (the same
# versions and valid PE checksums) fails on EMSMDB32.DLL alone.
(cd "$STAGE/base" && hashdeep -a -k "$GOOD" -l -r "$TREE") | grep -qx 'hashdeep: Audit passed' ||
    { echo "make.sh: hashdeep does not pass $TREE against its own list" >&2; exit 1; }
unmatched="$(cd "$STAGE/altered" && hashdeep -x -k "$GOOD" -l -r "$TREE" || true)"
[ "$unmatched" = "$TREE/WINDOWS/SYSTEM/EMSMDB32.DLL" ] ||
    { echo "make.sh: $ALTERED against the list: unmatched [$unmatched], expected EMSMDB32.DLL only" >&2; exit 1; }

python3 - "$HERE" "$FIXTURES/trees" "$TREE" <<'EOF'
import hashlib, os, sys
here, trees, tree = sys.argv[1:]
failures = []
def fail(msg): failures.append(msg)

files = {}
for dirpath, _, names in os.walk(os.path.join(trees, tree)):
    for n in names:
        p = os.path.join(dirpath, n)
        files[os.path.relpath(p, trees).replace(os.sep, "/")] = open(p, "rb").read()

def check(name, columns, newline, sep):
    raw = open(os.path.join(here, name), "rb").read()
    lines = raw.split(newline.encode())
    if lines[-1] != b"" or (newline == "\n" and b"\r" in raw) or (newline == "\r\n" and raw.count(b"\n") != raw.count(b"\r\n")):
        fail("%s: line ends are not all %r" % (name, newline))
    lines = [l.decode() for l in lines[:-1]]
    if lines[:2] != ["%%%% HASHDEEP-1.0", "%%%% " + ",".join(columns)]:
        fail("%s: header %r" % (name, lines[:2]))
    comments = lines[2:5]
    if len(comments) != 3 or not all(c.startswith("##") for c in comments):
        fail("%s: comment lines %r" % (name, comments))
    rows = lines[5:]
    names = [r.split(",", len(columns) - 1)[-1] for r in rows]
    if names != sorted(names, key=lambda s: s.encode()):
        fail("%s: rows not sorted by file name" % name)
    seen = set()
    for r in rows:
        fields = r.split(",", len(columns) - 1)
        rel = fields[-1].replace(sep, "/")
        data = files.get(rel)
        if data is None:
            fail("%s: %s is not in the tree" % (name, rel)); continue
        seen.add(rel)
        for col, value in zip(columns[:-1], fields):
            want = str(len(data)) if col == "size" else hashlib.new(col, data).hexdigest()
            if value != want:
                fail("%s: %s %s %s, computed %s" % (name, rel, col, value, want))
    if seen != set(files):
        fail("%s: lists %d of the tree's %d files" % (name, len(seen), len(files)))
    return lines

good = check(tree + ".hashdeep", ["size", "md5", "sha256", "filename"], "\n", "/")
check(tree + "-sha1-crlf.hashdeep", ["size", "md5", "sha1", "sha256", "filename"], "\r\n", "\\")

# Each broken list is the real one with exactly the change its name says.
row = next(i for i, l in enumerate(good) if l.endswith("/WINDOWS/SYSTEM/EMSMDB32.DLL"))
size, md5, sha256, fn = good[row].split(",", 3)
def with_row(r): return good[:row] + [r] + good[row + 1:]
want = {
    "no-header.hashdeep": good[1:],
    "bad-hex.hashdeep": with_row(",".join([size, md5[:10] + "g" + md5[11:], sha256, fn])),
    "short-hash.hashdeep": with_row(",".join([size, md5, sha256[:63], fn])),
    "bad-size.hashdeep": with_row(",".join(["12a4", md5, sha256, fn])),
    "missing-column.hashdeep": with_row(",".join([size, md5, fn])),
    "no-filename-column.hashdeep": [good[0], "%%%% size,md5,sha256"] + good[2:],
    "unknown-version.hashdeep": ["%%%% HASHDEEP-2.0"] + good[1:],
}
broken = os.path.join(here, "broken")
if sorted(os.listdir(broken)) != sorted(want):
    fail("broken/: %s" % sorted(os.listdir(broken)))
for name, lines in want.items():
    got = open(os.path.join(broken, name), "rb").read()
    if got != ("\n".join(lines) + "\n").encode():
        fail("broken/%s is not the real list with its one change" % name)
if failures:
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    sys.exit(1)
print("hashdeep lists: %d rows each, hashes agree with the tree; %d broken lists as named"
      % (len(good) - 5, len(want)))
EOF

echo "hashdeep: $(hashdeep -V) (Debian $(dpkg-query -W -f='${Version}' hashdeep))"
cd "$HERE"
echo "hashdeep fixtures: $(find . -name '*.hashdeep' | wc -l) files, content digest" \
    "$(find . -name '*.hashdeep' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
