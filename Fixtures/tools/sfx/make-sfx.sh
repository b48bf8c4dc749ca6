#!/usr/bin/env bash
# Regenerates Fixtures/sfx: self-extracting patch executables like arch97en.exe, built from the
# patch's files in Fixtures/trees/up-to-date-sr1, plus Fixtures/sfx/expected.json and README.md.
#
#   bash Fixtures/tools/sfx/make-sfx.sh     (any working directory)
#
# Needs mingw-w64 (i686-w64-mingw32-gcc, -windres), gcab and python3; installs missing packages
# with scripts/ensure-packages.sh. Reads Fixtures/trees/up-to-date-sr1 and Fixtures/tools; writes
# only Fixtures/sfx (replaced as a whole). Deterministic: two runs with the same toolchain give the
# same bytes.
set -euo pipefail
export LC_ALL=C TZ=UTC PYTHONDONTWRITEBYTECODE=1
umask 022

# 1997-09-04 00:00:00 UTC: the date of every file in the cabinets (as in make-archives.sh).
EPOCH=873331200
export SOURCE_DATE_EPOCH=$EPOCH
# COFF TimeDateStamp of every image: 1997-11-04 00:00 UTC, the catalogue's value (generate.sh).
TIMESTAMP=0x345E6580

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="$(cd "$HERE/../.." && pwd)"
REPO="$(cd "$FIXTURES/.." && pwd)"
SRC="$FIXTURES/trees/up-to-date-sr1"
OUT="$FIXTURES/sfx"
PEFIXTURE="$FIXTURES/tools/pefixture.py"
SFXCHECK="$HERE/sfxcheck.py"
CC=i686-w64-mingw32-gcc
WINDRES=i686-w64-mingw32-windres

need=()
command -v "$CC" >/dev/null 2>&1 && command -v "$WINDRES" >/dev/null 2>&1 || need+=(mingw-w64)
command -v gcab >/dev/null 2>&1 || need+=(gcab)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ ${#need[@]} -eq 0 ] || bash "$REPO/scripts/ensure-packages.sh" "${need[@]}"

# The files arch97en.exe installs (Manifests/outlook97-archive-patch.json, installedByPatch), as
# the patched builds in up-to-date-sr1, stored flat in the cabinet as IExpress does, in this order.
# EMSUIX32.DLL and OUTLOOK.EXE are in the tree but not in the patch.
CAB_FILES=(
    "WINDOWS/SYSTEM/EMSABP32.DLL"
    "WINDOWS/SYSTEM/EMSMDB32.DLL"
    "WINDOWS/SYSTEM/EMSUI32.DLL"
    "WINDOWS/SYSTEM/MSPST32.DLL"
    "Program Files/Microsoft Office/Office/OUTLLIB.DLL"
)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/patchaudit-sfx.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
NEW="$WORK/sfx"
mkdir -p "$NEW" "$WORK/cab" "$WORK/build"
B="$WORK/build"

fail() { echo "make-sfx.sh: $*" >&2; exit 1; }

# --------------------------------------------------------------------------- the cabinet

names=()
for rel in "${CAB_FILES[@]}"; do
    [ -f "$SRC/$rel" ] || fail "missing $SRC/$rel (run Fixtures/generate.sh)"
    cp "$SRC/$rel" "$WORK/cab/"
    names+=("$(basename "$rel")")
done
touch -d "@$EPOCH" "$WORK/cab/"*
(cd "$WORK/cab" && gcab -c -z "$B/files.cab" "${names[@]}")
[ "$(head -c 4 "$B/files.cab")" = MSCF ] || fail "gcab wrote no cabinet"
python3 "$SFXCHECK" garbage 4096 "$B/garbage.bin"

# --------------------------------------------------------------------------- the stub

CFLAGS=(-Os -fno-ident -ffreestanding -fno-asynchronous-unwind-tables -fno-unwind-tables
        -fno-stack-protector -Wall -Werror)
LDFLAGS=(-mwindows -nostdlib -s -Wl,--no-insert-timestamp -Wl,--disable-dynamicbase,--disable-nxcompat
         -Wl,--major-os-version,4,--minor-os-version,0
         -Wl,--major-subsystem-version,4,--minor-subsystem-version,0)
LIBS=(-luser32 -lkernel32)

cp "$HERE/stub.c" "$B/stub.c"
(cd "$B" && "$CC" "${CFLAGS[@]}" -c stub.c -o stub.o)

cat >"$B/version.rc" <<'EOF'
LANGUAGE 0x09, 0x01
1 VERSIONINFO
FILEVERSION 1,0,0,0
PRODUCTVERSION 1,0,0,0
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS 0x40004L
FILETYPE 0x1L
FILESUBTYPE 0x0L
BEGIN
    BLOCK "StringFileInfo"
    BEGIN
        BLOCK "040904e4"
        BEGIN
            VALUE "CompanyName", "patchaudit test fixture"
            VALUE "FileDescription", "Self-extractor stub (test fixture, not Microsoft code)"
            VALUE "FileVersion", "1.0.0.0"
            VALUE "InternalName", "sfxstub"
            VALUE "OriginalFilename", "SFXSTUB.EXE"
            VALUE "ProductName", "patchaudit"
            VALUE "ProductVersion", "1.0.0.0"
        END
    END
    BLOCK "VarFileInfo"
    BEGIN
        VALUE "Translation", 0x409, 1252
    END
END
EOF

# iexpress_rc CABFILE: the RT_RCDATA resources of an IExpress (WEXTRACT) package, U.S. English
# like Microsoft's. Strings are NUL-terminated ANSI, "<None>" where a package has none (so
# RUNPROGRAM "<None>" is an "extract files only" package); numbers are DWORDs.
iexpress_rc() {
    cat <<EOF
LANGUAGE 0x09, 0x01
CABINET RCDATA "$1"
TITLE RCDATA { "Outlook 97 Archive Patch (patchaudit test fixture)\\0" }
UPROMPT RCDATA { "<None>\\0" }
LICENSE RCDATA { "<None>\\0" }
FINISHMSG RCDATA { "The patchaudit test fixture is done. Nothing was installed.\\0" }
RUNPROGRAM RCDATA { "<None>\\0" }
POSTRUNPROGRAM RCDATA { "<None>\\0" }
ADMQCMD RCDATA { "<None>\\0" }
USRQCMD RCDATA { "<None>\\0" }
SHOWWINDOW RCDATA { 0L }
REBOOT RCDATA { 0L }
EXTRACTOPT RCDATA { 0L }
PACKINSTSPACE RCDATA { $2L }
EOF
}

# Installed size in KiB, as IExpress's PACKINSTSPACE (the sum of the files, rounded up).
total=0
for n in "${names[@]}"; do total=$((total + $(stat -c %s "$WORK/cab/$n"))); done
kib=$(((total + 1023) / 1024))

iexpress_rc files.cab "$kib" >"$B/iexpress.rc"
iexpress_rc garbage.bin "$kib" >"$B/broken.rc"

# link NAME RC...: stub.o plus the compiled .rc files, finished like the catalogue (generate.sh).
link() {
    local name=$1; shift
    local objs=(stub.o) rc
    for rc in "$@"; do
        (cd "$B" && "$WINDRES" -F pe-i386 -i "$rc.rc" -o "$rc-$name.o")
        objs+=("$rc-$name.o")
    done
    (cd "$B" && "$CC" "${CFLAGS[@]}" -o "$name" "${objs[@]}" "${LDFLAGS[@]}" "${LIBS[@]}")
    python3 "$PEFIXTURE" finish "$B/$name" --timestamp "$TIMESTAMP"
}

link plain-stub.exe version
link arch97en-iexpress.exe version iexpress
link cabinet-not-a-cab.exe version broken
cp "$B/plain-stub.exe" "$B/arch97en-appended.exe"
cat "$B/files.cab" >>"$B/arch97en-appended.exe"
python3 "$SFXCHECK" checksum "$B/arch97en-appended.exe"

for f in plain-stub.exe arch97en-iexpress.exe arch97en-appended.exe cabinet-not-a-cab.exe; do
    cp "$B/$f" "$NEW/$f"
done

# --------------------------------------------------------------------------- checks

# plain-stub: no RCDATA, no overlay, no cabinet signature anywhere.
if python3 "$SFXCHECK" resources "$NEW/plain-stub.exe" | grep -q '^10 '; then
    fail "plain-stub.exe has RCDATA"
fi
python3 "$SFXCHECK" overlay "$NEW/plain-stub.exe" "$B/plain.overlay" >/dev/null
[ ! -s "$B/plain.overlay" ] || fail "plain-stub.exe has an overlay"
for f in plain-stub.exe cabinet-not-a-cab.exe; do
    if grep -q MSCF "$NEW/$f"; then fail "$f contains MSCF"; fi
done

# check_cab CAB: lists and extracts the patch's files, byte for byte.
check_cab() {
    local cab=$1 x="$B/x"
    [ "$(gcab -t "$cab" | tr '\n' ' ')" = "${names[*]} " ] || fail "$cab: gcab -t lists $(gcab -t "$cab")"
    mkdir "$x"
    (cd "$x" && gcab -x "$cab" >/dev/null)
    local n
    for n in "${names[@]}"; do cmp -s "$x/$n" "$WORK/cab/$n" || fail "$cab: $n differs"; done
    rm -rf "$x"
}

# iexpress: the CABINET resource is the cabinet; no overlay.
cab_offset=$(python3 "$SFXCHECK" extract "$NEW/arch97en-iexpress.exe" CABINET "$B/iexpress.cab")
cmp -s "$B/iexpress.cab" "$B/files.cab" || fail "arch97en-iexpress.exe: CABINET is not files.cab"
check_cab "$B/iexpress.cab"
python3 "$SFXCHECK" overlay "$NEW/arch97en-iexpress.exe" "$B/iexpress.overlay" >/dev/null
[ ! -s "$B/iexpress.overlay" ] || fail "arch97en-iexpress.exe has an overlay"
[ "$(python3 "$SFXCHECK" find "$NEW/arch97en-iexpress.exe" "$B/files.cab")" = "$cab_offset" ] ||
    fail "arch97en-iexpress.exe: the cabinet is not where the resource says"

# appended: the overlay is the cabinet; no RCDATA.
overlay_offset=$(python3 "$SFXCHECK" overlay "$NEW/arch97en-appended.exe" "$B/appended.cab")
cmp -s "$B/appended.cab" "$B/files.cab" || fail "arch97en-appended.exe: overlay is not files.cab"
check_cab "$B/appended.cab"
if python3 "$SFXCHECK" resources "$NEW/arch97en-appended.exe" | grep -q '^10 '; then
    fail "arch97en-appended.exe has RCDATA"
fi

# broken: CABINET holds the garbage, which no reader takes for a cabinet.
broken_offset=$(python3 "$SFXCHECK" extract "$NEW/cabinet-not-a-cab.exe" CABINET "$B/broken.cab")
cmp -s "$B/broken.cab" "$B/garbage.bin" || fail "cabinet-not-a-cab.exe: CABINET is not the garbage"
if gcab -t "$B/broken.cab" >/dev/null 2>&1; then fail "gcab reads the garbage"; fi

# --------------------------------------------------------------------------- expected.json, README

cab_size=$(stat -c %s "$B/files.cab")
garbage_size=$(stat -c %s "$B/garbage.bin")
python3 - "$WORK/cab" "$NEW" "$cab_offset" "$overlay_offset" "$cab_size" "$broken_offset" "$garbage_size" "${names[@]}" <<'EOF'
import hashlib, json, os, sys
cabdir, out, cab_off, ov_off, cab_size, broken_off, garbage_size = sys.argv[1:8]
names = sys.argv[8:]
files = []
for n in names:
    data = open(os.path.join(cabdir, n), "rb").read()
    files.append({"name": n, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
cab = lambda where, off, size: {"where": where, "offset": int(off), "size": int(size)}
doc = {
    "comment": "Expected reading of each self-extractor in Fixtures/sfx (see README.md). files: the "
               "cabinet's entries in cabinet order, flat names as IExpress stores them, with size and "
               "sha256 (the patched builds in Fixtures/trees/up-to-date-sr1). cabinet: where the CAB "
               "bytes are in the executable (file offset and size); these offsets change with the "
               "toolchain, the files do not.",
    "executables": [
        {"path": "arch97en-iexpress.exe", "kind": "iexpress", "files": files,
         "cabinet": cab("resource", cab_off, cab_size),
         "description": "IExpress/WEXTRACT-style patch: i686 GUI stub whose RT_RCDATA resource CABINET "
                        "(language 0x0409) is an MSZIP cabinet of the five files arch97en.exe installs; "
                        "beside it the other IExpress RCDATA resources (TITLE, UPROMPT, LICENSE, "
                        "FINISHMSG, RUNPROGRAM \"<None>\", POSTRUNPROGRAM, ADMQCMD, USRQCMD, SHOWWINDOW, "
                        "REBOOT, EXTRACTOPT, PACKINSTSPACE). No overlay."},
        {"path": "arch97en-appended.exe", "kind": "appended", "files": files,
         "cabinet": cab("overlay", ov_off, cab_size),
         "description": "The plain stub with the same cabinet appended after the last section (overlay), "
                        "as non-IExpress self-extractors do; no RCDATA resources. PE checksum covers the "
                        "whole file."},
        {"path": "plain-stub.exe", "kind": "none", "files": [],
         "description": "The stub alone: a valid PE with a version resource, no RCDATA, no overlay, no "
                        "cabinet signature anywhere. Not a self-extractor."},
        {"path": "cabinet-not-a-cab.exe", "kind": "broken", "files": [],
         "cabinet": cab("resource", broken_off, garbage_size),
         "description": "IExpress-style resources, but CABINET holds %s bytes of garbage (a text line, "
                        "then a SHA-256 chain), not a cabinet; no \"MSCF\" anywhere in the file." % garbage_size},
    ],
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF

size() { stat -c %s "$NEW/$1"; }
cat >"$NEW/README.md" <<EOF
# Self-extracting patch fixtures

Executables shaped like the self-extracting patches Microsoft shipped in the Outlook 97 era
(\`arch97en.exe\`), for reading a patch's files without running it. Nothing here is Microsoft
code: the program part is \`Fixtures/tools/sfx/stub.c\`, which shows a message box saying it is
a test fixture and exits; it extracts nothing.

| file | bytes | kind | what |
|---|---:|---|---|
| \`arch97en-iexpress.exe\` | $(size arch97en-iexpress.exe) | iexpress | IExpress/WEXTRACT style: RT_RCDATA \`CABINET\` (lang 0x0409) is an MSZIP CAB of the patch's files, beside \`TITLE\`, \`UPROMPT\`, \`LICENSE\`, \`FINISHMSG\`, \`RUNPROGRAM\` (\`<None>\`: extract only), \`POSTRUNPROGRAM\`, \`ADMQCMD\`, \`USRQCMD\`, \`SHOWWINDOW\`, \`REBOOT\`, \`EXTRACTOPT\`, \`PACKINSTSPACE\` |
| \`arch97en-appended.exe\` | $(size arch97en-appended.exe) | appended | \`plain-stub.exe\` with the same CAB appended after the image (overlay); no RCDATA |
| \`plain-stub.exe\` | $(size plain-stub.exe) | none | the stub alone: no RCDATA, no overlay, no \`MSCF\` anywhere |
| \`cabinet-not-a-cab.exe\` | $(size cabinet-not-a-cab.exe) | broken | IExpress-style resources, but \`CABINET\` holds $garbage_size garbage bytes (no \`MSCF\`) |
| \`expected.json\` | | | per executable: kind, the CAB's files (name, size, sha256) in cabinet order, where the CAB is (offset, size) |

The CAB (\`gcab -c -z\`, $cab_size bytes) holds the five files arch97en.exe installs, flat, as IExpress
stores them: EMSABP32.DLL, EMSMDB32.DLL, EMSUI32.DLL, MSPST32.DLL, OUTLLIB.DLL: the patched builds
from \`Fixtures/trees/up-to-date-sr1\` (not EMSUIX32.DLL or OUTLOOK.EXE, which the patch does not
replace), each dated 1997-09-04 00:00 (SOURCE_DATE_EPOCH=$EPOCH).

## How they are made

\`make-sfx.sh\` compiles \`stub.c\` with \`i686-w64-mingw32-gcc -Os -nostdlib\` (imports from kernel32
and user32 only), a GUI image linked with \`-s -Wl,--no-insert-timestamp\` plus a VERSIONINFO
(\`SFXSTUB.EXE\` 1.0.0.0, a fixture); the IExpress resources are compiled by windres
(\`CABINET RCDATA "files.cab"\`, NUL-terminated strings, DWORD numbers). \`Fixtures/tools/pefixture.py
finish\` sets the COFF TimeDateStamp to 0x345E6580 and the PE checksum; the appended file's checksum
is recomputed over the whole file, overlay included. The script then checks with
\`Fixtures/tools/sfx/sfxcheck.py\` (its own resource parser) and \`gcab -t\`/\`gcab -x\` that each
CABINET resource or overlay is exactly the CAB and extracts the files byte for byte, and that the
plain and broken stubs hold no cabinet.

Other readers, for comparison (libarchive 3.6.2, cabextract 1.9): \`bsdtar -tf\` and \`cabextract -l\`
both list the five files from \`arch97en-iexpress.exe\` and from \`arch97en-appended.exe\` alike
(each scans an MZ file for a cabinet header, so a CAB inside the resource section is found as well
as one in the overlay), and reject \`plain-stub.exe\` and \`cabinet-not-a-cab.exe\` (\`bsdtar\`:
"Unrecognized archive format"; \`cabextract\`: "no valid cabinets found").

## Rebuilding

    bash Fixtures/tools/sfx/make-sfx.sh

from any directory. Needs mingw-w64, gcab and python3 (installed through
\`scripts/ensure-packages.sh\` when missing). It rewrites \`Fixtures/sfx\` only. The output is
deterministic (two runs give the same bytes) with the same toolchain; another gcc/binutils may
change the stub's bytes and so the sizes and offsets, never the CAB's files.
EOF

printf '# PE images and CABs must reach the tests unchanged.\n*.exe -text -diff\n' >"$NEW/.gitattributes"

rm -rf "$OUT"
mkdir -p "$OUT"
cp -R "$NEW"/. "$OUT"/
(cd "$OUT" && sha256sum -- *.exe | sed 's/^/make-sfx.sh: /')
