#!/usr/bin/env bash
# Regenerates Fixtures/archives: every install tree (Fixtures/trees/*, Fixtures/sample-install) as
# zip, stored zip, tar.gz, tar.xz, tar.bz2, 7z, CAB (MSZIP), Joliet + Rock Ridge ISO and plain
# ISO 9660 (level 1, 8.3 names); nested archives; broken and hostile archives; and
# Fixtures/archives/expected.json (what patchaudit scan should say about each file).
#
#   bash Fixtures/make-archives.sh        (from the repository root; any working directory works)
#
# Needs zip, 7z (p7zip-full), gcab, xorriso, bsdtar (libarchive-tools), gzip, bzip2, xz, zstd,
# GNU tar and python3; installs the missing ones with apt-get when run as root.
# Only Fixtures/trees, Fixtures/sample-install and Fixtures/dlls are read; only
# Fixtures/archives is written. The output is deterministic (two runs give the same bytes with
# the same tool versions), except the three AES-encrypted 7z files: 7-Zip draws a random IV
# for them, so a run keeps the committed copies when they still hold the same entries.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

# 1997-09-04 00:00:00 UTC: every staged file, folder and volume gets this date.
EPOCH=873331200
export SOURCE_DATE_EPOCH=$EPOCH

FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOL="$FIXTURES/tools/archivefixture.py"
DLLS="$FIXTURES/dlls"
OUT="$FIXTURES/archives"
SR1=patch-needed-sr1

# --------------------------------------------------------------------------- tools

declare -A PACKAGE=(
    [zip]=zip [unzip]=unzip [7z]=p7zip-full [gcab]=gcab [xorriso]=xorriso [bsdtar]=libarchive-tools
    [gzip]=gzip [bzip2]=bzip2 [xz]=xz-utils [zstd]=zstd [tar]=tar [python3]=python3
)
missing=()
for tool in "${!PACKAGE[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "make-archives.sh: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
    else
        echo "make-archives.sh: missing tools; install them with: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then
    echo "make-archives.sh: needs GNU tar" >&2
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/patchaudit-archives.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
NEW="$WORK/archives"
STAGE="$WORK/stage"
mkdir -p "$NEW" "$STAGE"

# --------------------------------------------------------------------------- helpers

# stage SRC NAME: a copy of SRC at $STAGE/NAME with fixed modes and dates; prints its path.
stage() {
    local dst="$STAGE/$2"
    rm -rf "$dst"
    mkdir -p "$(dirname "$dst")"
    cp -R "$1" "$dst"
    fix_dates "$dst"
    printf '%s\n' "$dst"
}
fix_dates() {
    find "$1" -type d -exec chmod 755 {} + 
    find "$1" -type f -exec chmod 644 {} +
    find "$1" -exec touch -h -d "@$EPOCH" {} +
}
# entries DIR: every folder and file under DIR, relative, sorted bytewise.
entries() { (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | sort); }
files() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }

# mk_zip DIR OUT [zip options]: folders and files of DIR in sorted order, no extra fields.
mk_zip() {
    local dir=$1 out=$2; shift 2
    rm -f "$out"
    entries "$dir" | (cd "$dir" && zip -q -X -9 "$@" "$out" -@)
}
# mk_tar DIR: a GNU tar of DIR on stdout (names without ./, owner 0, staged dates).
mk_tar() {
    entries "$1" | tar -C "$1" --no-recursion --format=gnu --owner=0 --group=0 --numeric-owner \
        --verbatim-files-from -T - -cf -
}
# mk_7z DIR OUT [7z options]: LZMA2 (BCJ2 for the PE files), solid, one thread, mtime only.
mk_7z() {
    local dir=$1 out=$2; shift 2
    rm -f "$out"
    entries "$dir" > "$WORK/7z.list"
    (cd "$dir" && 7z a -bd -bso0 -bsp0 -t7z -mx=9 -mmt=1 -mtc=off -mta=off -mtm=on "$@" \
        "$out" "@$WORK/7z.list")
}
# mk_cab DIR OUT: MSZIP cabinet of DIR's files; gcab stores the paths with backslashes.
mk_cab() {
    local dir=$1 out=$2 list
    mapfile -t list < <(files "$dir")
    rm -f "$out"
    (cd "$dir" && gcab -c -z "$out" "${list[@]}")
}
# mk_iso DIR OUT MODE: joliet (Joliet + Rock Ridge), joliet-only, iso9660 (level 1, nothing else).
mk_iso() {
    local dir=$1 out=$2 opts
    case $3 in
        joliet) opts=(-J -r) ;;
        joliet-only) opts=(-J --norock) ;;
        iso9660) opts=(-iso-level 1 --norock) ;;
    esac
    rm -f "$out"
    xorriso -as mkisofs -quiet "${opts[@]}" -V PATCHAUDIT -no-pad -o "$out" "$dir" 2>/dev/null
}

# --------------------------------------------------------------------------- one archive per kind

targets=()
for t in "$FIXTURES"/trees/*/; do targets+=("$(basename "$t")"); done
targets+=(sample-install)

for name in "${targets[@]}"; do
    if [ "$name" = sample-install ]; then src="$FIXTURES/sample-install"; else src="$FIXTURES/trees/$name"; fi
    dir="$(stage "$src" "trees/$name")"
    mkdir -p "$NEW"/{zip,stored-zip,tar.gz,tar.xz,tar.bz2,7z,cab,joliet-iso,iso9660}
    mk_zip "$dir" "$NEW/zip/$name.zip"
    mk_zip "$dir" "$NEW/stored-zip/$name.stored.zip" -0
    mk_tar "$dir" > "$WORK/$name.tar"
    gzip -n -9 -c "$WORK/$name.tar" > "$NEW/tar.gz/$name.tar.gz"
    xz -9 -T1 -c "$WORK/$name.tar" > "$NEW/tar.xz/$name.tar.xz"
    bzip2 -9 -c "$WORK/$name.tar" > "$NEW/tar.bz2/$name.tar.bz2"
    mk_7z "$dir" "$NEW/7z/$name.7z"
    mk_cab "$dir" "$NEW/cab/$name.cab"
    mk_iso "$dir" "$NEW/joliet-iso/$name.joliet.iso" joliet
    mk_iso "$dir" "$NEW/iso9660/$name.iso9660.iso" iso9660
done
# Extra kinds for a few trees: Joliet without Rock Ridge (what Windows tools write; libarchive
# prefers Rock Ridge names when both are there, so this is the one that exercises Joliet names),
# and zstd.
mkdir -p "$NEW/joliet-only-iso" "$NEW/tar.zst"
for name in mixed-case $SR1; do
    mk_iso "$STAGE/trees/$name" "$NEW/joliet-only-iso/$name.joliet-only.iso" joliet-only
done
zstd -q -19 --no-progress -c "$WORK/$SR1.tar" > "$NEW/tar.zst/$SR1.tar.zst"
# The same bytes under names that say nothing: an archive is what its bytes say.
mkdir -p "$NEW/renamed"
cp "$NEW/zip/$SR1.zip" "$NEW/renamed/pc42.dat"
cp "$NEW/tar.gz/$SR1.tar.gz" "$NEW/renamed/pc42-tar-gz.bin"

# --------------------------------------------------------------------------- nested

N="$NEW/nested"
mkdir -p "$N"
SR1DIR="$STAGE/trees/$SR1"

d="$STAGE/nested/zip-in-zip"; mkdir -p "$d/setup"
cp "$NEW/zip/$SR1.zip" "$d/setup/pc42.zip"; fix_dates "$d"
mk_zip "$d" "$N/zip-in-zip.zip"

d="$STAGE/nested/cab-in-zip"; mkdir -p "$d/setup"
(cd "$SR1DIR" && gcab -c -z "$d/setup/office.cab" WINDOWS/SYSTEM/*)
cp -R "$SR1DIR/Program Files" "$d/"; fix_dates "$d"
mk_zip "$d" "$N/cab-in-zip.zip"

d="$STAGE/nested/iso-in-7z"; mkdir -p "$d/images"
cp "$NEW/joliet-iso/$SR1.joliet.iso" "$d/images/pc42.iso"; fix_dates "$d"
mk_7z "$d" "$N/iso-in-7z.7z"

d="$STAGE/nested/7z-in-zip"; mkdir -p "$d/setup"
cp "$NEW/7z/$SR1.7z" "$d/setup/pc42.7z"; fix_dates "$d"
mk_zip "$d" "$N/7z-in-zip.zip"

d="$STAGE/nested/tar-in-tgz"; mkdir -p "$d/backup"
cp "$WORK/$SR1.tar" "$d/backup/pc42.tar"; fix_dates "$d"
mk_tar "$d" | gzip -n -9 > "$N/tar-in-tgz.tar.gz"

# depthK.zip > level1.zip > ... > levelK.zip > the tree
for depth in 3 4; do
    d="$STAGE/nested/depth$depth"; mkdir -p "$d"
    mk_zip "$SR1DIR" "$d/level$depth.zip"
    for ((i = depth - 1; i >= 0; i--)); do
        if [ "$i" = 0 ]; then zipname="$N/depth$depth.zip"; else zipname="$d/level$i.zip"; fi
        inner="$d/in$i"; mkdir -p "$inner"
        mv "$d/level$((i + 1)).zip" "$inner/"; fix_dates "$inner"
        mk_zip "$inner" "$zipname"
    done
done

# --------------------------------------------------------------------------- broken and hostile

B="$NEW/broken"
mkdir -p "$B"
python3 "$TOOL" zip-cut-data "$NEW/zip/$SR1.zip" "$B/truncated-data.zip" WINDOWS/SYSTEM/EMSMDB32.DLL
python3 "$TOOL" zip-cut-central "$NEW/zip/$SR1.zip" "$B/truncated-central.zip"
python3 "$TOOL" cut-half "$NEW/tar.gz/$SR1.tar.gz" "$B/truncated.tar.gz"
python3 "$TOOL" cut-half "$NEW/7z/$SR1.7z" "$B/truncated.7z"
python3 "$TOOL" zip-bad-crc "$NEW/zip/$SR1.zip" "$B/bad-crc.zip" WINDOWS/SYSTEM/EMSMDB32.DLL
python3 "$TOOL" zip-corrupt "$NEW/zip/$SR1.zip" "$B/corrupt-data.zip" WINDOWS/SYSTEM/EMSMDB32.DLL

python3 "$TOOL" random "$B/random.bin"
cp "$B/random.bin" "$B/random.zip"
printf 'This is not an archive.\r\nIt is a text file that a careless script named as a target.\r\n' > "$B/not-archive.txt"
gzip -n -9 -c "$DLLS/emsmdb32-5.5.1960.3.dll" > "$B/emsmdb32.dll.gz"

python3 "$TOOL" zipcrypto "$B/encrypted.zip" "$SR1DIR"
# -mf=off: no BCJ2 filter. libarchive 3.6.2 reads at most 4 coders per folder, and BCJ2 + 3 LZMA
# + 4 AES is 8: it calls such a file "Damaged 7-Zip archive" (that one is encrypted-bcj2.7z).
mk_7z "$SR1DIR" "$B/encrypted-aes.7z" -psecret -mhe=off -mf=off
mk_7z "$SR1DIR" "$B/encrypted-headers.7z" -psecret -mhe=on -mf=off
mk_7z "$SR1DIR" "$B/encrypted-bcj2.7z" -psecret -mhe=off

# zip -s: two parts (.z01 + .zip) of a stored zip of part of the tree
d="$STAGE/multivolume"; mkdir -p "$d/WINDOWS/SYSTEM" "$d/Program Files/Microsoft Office"
cp -R "$SR1DIR/Program Files/Microsoft Office/Office" "$d/Program Files/Microsoft Office/"
cp "$SR1DIR/WINDOWS/SYSTEM/EMSABP32.DLL" "$SR1DIR/WINDOWS/SYSTEM/MSPST32.DLL" "$d/WINDOWS/SYSTEM/"
fix_dates "$d"
mkdir -p "$WORK/mv"
mk_zip "$d" "$WORK/mv/multivolume.zip" -0 -s 100k
[ "$(ls "$WORK/mv" | wc -l)" = 2 ] || { echo "zip -s made $(ls "$WORK/mv")" >&2; exit 1; }
cp "$WORK/mv/multivolume.z01" "$WORK/mv/multivolume.zip" "$B/"
# 7z -v: two volumes of patch-needed-sr1
size=$(stat -c %s "$NEW/7z/$SR1.7z")
mkdir -p "$WORK/mv7"
mk_7z "$SR1DIR" "$WORK/mv7/multivolume.7z" "-v$((size / 2 + 64))b"
[ "$(ls "$WORK/mv7" | wc -l)" = 2 ] || { echo "7z -v made $(ls "$WORK/mv7")" >&2; exit 1; }
cp "$WORK/mv7/multivolume.7z.001" "$WORK/mv7/multivolume.7z.002" "$B/"

python3 "$TOOL" evil-zip "$B/evil-names.zip" "$DLLS"
python3 "$TOOL" evil-tar "$B/evil-names.tar" "$DLLS"
python3 "$TOOL" overlap-bomb "$B/overlap-bomb.zip"
python3 "$TOOL" ratio-bomb-zip "$B/ratio-bomb.zip"
python3 "$TOOL" ratio-bomb-tar | gzip -n -9 > "$B/ratio-bomb.tar.gz"
python3 "$TOOL" nonutf8-zip "$B/non-utf8-names.zip" "$DLLS/emsmdb32-5.5.2440.0.dll"
python3 "$TOOL" nonutf8-tar "$B/non-utf8-names.tar" "$DLLS/emsmdb32-5.5.2440.0.dll"
python3 "$TOOL" duplicate-zip "$B/duplicate-entry.zip" "$(stage "$FIXTURES/trees/up-to-date-sr1" up-to-date-sr1)" \
    WINDOWS/SYSTEM/EMSMDB32.DLL "$DLLS/emsmdb32-5.5.1960.3.dll"

# --------------------------------------------------------------------------- keep, describe, check

# 7-Zip's AES IV is random: keep the committed copy when it holds the same entries.
for f in encrypted-aes.7z encrypted-headers.7z encrypted-bcj2.7z; do
    old="$OUT/broken/$f"
    [ -f "$old" ] || continue
    listing() { 7z l -slt -psecret "$1" | sed -n '/^----------$/,$p' | grep -E '^(Path|Size|Modified|Attributes|CRC|Encrypted|Method) = ' || true; }
    if 7z t -psecret "$old" >/dev/null 2>&1 && [ "$(listing "$old")" = "$(listing "$B/$f")" ]; then
        cp "$old" "$B/$f"
    fi
done

printf '%s\n' '# Archive fixtures: bytes must reach the tests unchanged.' '* -text -diff' \
    'expected.json diff' > "$NEW/.gitattributes"
python3 "$TOOL" expected "$FIXTURES" "$NEW"
python3 "$TOOL" check "$FIXTURES" "$NEW"

rm -rf "$OUT"
mkdir -p "$OUT"
cp -R "$NEW/." "$OUT/"

( cd "$OUT" && find . -type f ! -name 'encrypted-*.7z' -print0 | sort -z |
    xargs -0 sha256sum | sha256sum | sed 's/ .*//; s/^/archives digest (all but the three AES 7z files): /' )
echo "wrote $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1) in $OUT"
