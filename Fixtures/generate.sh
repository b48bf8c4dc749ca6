#!/usr/bin/env bash
# Regenerates the patchaudit test fixtures: Fixtures/dlls (the catalogue of PE builds),
# Fixtures/trees (one install tree per verdict and file status) and Fixtures/sample-install.
# Fixtures/expected.json and Fixtures/README.md are written by hand and only checked here.
#
#   bash Fixtures/generate.sh        (from the repository root; any working directory works)
#
# Needs Debian's mingw-w64 (i686-w64-mingw32-gcc, i686-w64-mingw32-windres) and python3.
# The output is deterministic: the same bytes on every run with the same toolchain.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEFIXTURE="$FIXTURES/tools/pefixture.py"
CC=i686-w64-mingw32-gcc
WINDRES=i686-w64-mingw32-windres

for tool in "$CC" "$WINDRES"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "generate.sh: $tool not found; install it with: apt-get install mingw-w64" >&2
        exit 1
    fi
done
if ! command -v python3 >/dev/null 2>&1; then
    echo "generate.sh: python3 not found; install it with: apt-get install python3" >&2
    exit 1
fi

# Every image gets the same link time, 1997-11-04 00:00:00 UTC (the date of the Exchange 5.5 RTM
# file list in domain.md). It is a fixed fixture value, not any real build's link time.
TIMESTAMP=0x345E6580
FILE_ALIGNMENT=512

CFLAGS=(-O2 -fno-ident -ffreestanding -fno-asynchronous-unwind-tables -fno-unwind-tables
        -fno-stack-protector -Wall -Werror)
LDFLAGS=(-nostdlib -s -Wl,--no-insert-timestamp -Wl,--disable-dynamicbase,--disable-nxcompat
         -Wl,--major-os-version,4,--minor-os-version,0
         -Wl,--major-subsystem-version,4,--minor-subsystem-version,0)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/patchaudit-fixtures.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

DLLS="$FIXTURES/dlls"
TREES="$FIXTURES/trees"
SAMPLE="$FIXTURES/sample-install"
rm -rf "$DLLS" "$TREES" "$SAMPLE"
mkdir -p "$DLLS" "$TREES" "$SAMPLE"

upper() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }

# --------------------------------------------------------------------------- the catalogue

# pe KEY=VALUE...  builds one catalogue file, Fixtures/dlls/<file>-<ver>[-<variant>].<kind>
#   file=     stem (emsmdb32)               kind=    dll (default) or exe
#   ver=      binary FILEVERSION a.b.c.d    text=    StringFileInfo FileVersion (default: ver)
#   ptext=    ProductVersion string (default: text)
#   variant=  name suffix (de, string-claims-2502, noversion)
#   lang=     en (0x0409, default) or de (0x0407)
#   desc=, product=, year=   FileDescription, ProductName, the LegalCopyright's last year
#   exports=  space-separated exported function names (DLLs)
#   size=     exact file size in bytes (grows .rdata, then overlay below the file alignment)
#   noversion=1  no version resource at all
pe() {
    local file="" ver="" text="" ptext="" variant="" kind=dll lang=en desc="" product="" year=1997
    local exports="" size="" noversion=""
    local "$@"
    text=${text:-$ver}
    ptext=${ptext:-$text}
    local name="$file${ver:+-$ver}${variant:+-$variant}.$kind"
    local image
    image="$(upper "$file.$kind")"
    local dir="$WORK/$name"
    mkdir -p "$dir"
    (
        cd "$dir"
        {
            printf '/* patchaudit test fixture standing in for %s %s. Not Microsoft code. */\n' "$image" "${ver:-(no version)}"
            if [ "$kind" = dll ]; then
                local e
                for e in $exports; do
                    printf '__declspec(dllexport) long %s(void) { return (long)0x80004001L; /* E_NOTIMPL */ }\n' "$e"
                done
                printf '#if PAD > 0\n__attribute__((used)) const unsigned char fixture_pad[PAD] = {1};\n#endif\n'
                printf 'int __stdcall DllMainCRTStartup(void *module, unsigned long reason, void *reserved)\n'
                printf '{ (void)module; (void)reason; (void)reserved; return 1; }\n'
            else
                printf '__declspec(dllimport) void __stdcall ExitProcess(unsigned int code);\n'
                printf 'void __stdcall WinMainCRTStartup(void) { ExitProcess(0); }\n'
            fi
        } >main.c

        local objects=(main.o)
        if [ -z "$noversion" ]; then
            local langid block translation filetype
            case "$lang" in
                en) langid="0x09, 0x01"; block=040904e4; translation="0x409, 1252" ;;
                de) langid="0x07, 0x01"; block=040704e4; translation="0x407, 1252" ;;
                *) echo "generate.sh: unknown lang $lang" >&2; exit 1 ;;
            esac
            if [ "$kind" = dll ]; then filetype=0x2L; else filetype=0x1L; fi
            local stem
            stem="$(upper "$file")"
            cat >version.rc <<EOF
LANGUAGE $langid
1 VERSIONINFO
FILEVERSION ${ver//./,}
PRODUCTVERSION ${ver//./,}
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS 0x40004L
FILETYPE $filetype
FILESUBTYPE 0x0L
BEGIN
    BLOCK "StringFileInfo"
    BEGIN
        BLOCK "$block"
        BEGIN
            VALUE "CompanyName", "Microsoft Corporation"
            VALUE "FileDescription", "$desc"
            VALUE "FileVersion", "$text"
            VALUE "InternalName", "$stem"
            VALUE "LegalCopyright", "Copyright (C) Microsoft Corp. 1986-$year"
            VALUE "OriginalFilename", "$image"
            VALUE "ProductName", "$product"
            VALUE "ProductVersion", "$ptext"
        END
    END
    BLOCK "VarFileInfo"
    BEGIN
        VALUE "Translation", $translation
    END
END
EOF
            "$WINDRES" -O coff -i version.rc -o version.o
            objects+=(version.o)
        fi

        link() { # $1 = pad size
            "$CC" "${CFLAGS[@]}" -DPAD="$1" -c main.c -o main.o
            if [ "$kind" = dll ]; then
                "$CC" -shared "${LDFLAGS[@]}" -Wl,-e,_DllMainCRTStartup@12 -o "$image" "${objects[@]}"
            else
                "$CC" -mwindows "${LDFLAGS[@]}" -Wl,-e,_WinMainCRTStartup@0 -o "$image" "${objects[@]}" -lkernel32
            fi
        }

        local pad=0 got body tries=0
        link "$pad"
        if [ -n "$size" ]; then
            # Grow the pad array in .rdata until the sections end at the last file-alignment
            # boundary below the wanted size; `finish` adds the residue as overlay.
            body=$(( size / FILE_ALIGNMENT * FILE_ALIGNMENT ))
            got=$(stat -c %s "$image")
            while [ "$got" -ne "$body" ]; do
                tries=$(( tries + 1 ))
                pad=$(( pad + body - got ))
                if [ "$pad" -le 0 ] || [ "$tries" -gt 8 ]; then
                    echo "generate.sh: cannot pad $name to $size bytes (at $got)" >&2
                    exit 1
                fi
                link "$pad"
                got=$(stat -c %s "$image")
            done
        fi
        python3 "$PEFIXTURE" finish "$image" ${size:+--size "$size"} --timestamp "$TIMESTAMP"
    )
    install -m 0644 "$dir/$image" "$DLLS/$name"
    echo "built $name"
}

EXCHANGE="Microsoft Exchange"
OUTLOOK="Microsoft Outlook"
D_EMSABP32="Microsoft Exchange Server Address Book Provider"
D_EMSMDB32="Microsoft Exchange Server MAPI Transport"
D_EMSUI32="Microsoft Exchange Server Provider UI"
D_EMSUIX32="Microsoft Exchange Server Client Extensions"
D_MSPST32="Microsoft Personal Folders Service Provider"
D_OMIPST9="Microsoft Outlook Internet Mail Personal Folders Provider"
D_OUTLLIB="Microsoft Outlook Library"
D_OUTLOOK="Microsoft Outlook"
X_EMSABP32="ABProviderInit"
X_EMSMDB32="MSProviderInit XPProviderInit"
X_EMSUI32="EMSCfg"
X_EMSUIX32="ExchEntryPoint"
X_MSPST32="MSProviderInit PSTServiceEntry"

# Exchange 5.5 RTM originals, at their sizes from the 1997-11-04 file list.
pe file=emsabp32 ver=5.5.1960.3 size=121104 desc="$D_EMSABP32" product="$EXCHANGE" exports="$X_EMSABP32"
pe file=emsmdb32 ver=5.5.1960.3 size=524048 desc="$D_EMSMDB32" product="$EXCHANGE" exports="$X_EMSMDB32"
pe file=emsui32  ver=5.5.1960.3 size=121616 desc="$D_EMSUI32"  product="$EXCHANGE" exports="$X_EMSUI32"
pe file=emsuix32 ver=8.0.1960.3 size=555280 desc="$D_EMSUIX32" product="$EXCHANGE" exports="$X_EMSUIX32"
# An older fix level (Q192582).
pe file=mspst32  ver=5.5.2392.0 desc="$D_MSPST32" product="$EXCHANGE" exports="$X_MSPST32" year=1998

# The Outlook 97 Archive Patch's builds (Q233476).
pe file=emsabp32 ver=5.5.2502.0 desc="$D_EMSABP32" product="$EXCHANGE" exports="$X_EMSABP32" year=1999
pe file=emsui32  ver=5.5.2513.0 desc="$D_EMSUI32"  product="$EXCHANGE" exports="$X_EMSUI32"  year=1999
pe file=emsmdb32 ver=5.5.2440.0 desc="$D_EMSMDB32" product="$EXCHANGE" exports="$X_EMSMDB32" year=1999
pe file=mspst32  ver=5.5.2551.0 desc="$D_MSPST32"  product="$EXCHANGE" exports="$X_MSPST32"  year=1999
pe file=outllib  ver=8.4.0.6419 text=8.04.00.6419 desc="$D_OUTLLIB" product="$OUTLOOK" year=1999

# Outlook 97 releases: Outlook.exe and Outllib.dll, version text "8.0x.build".
outlook97() { # ver text year [extra KEY=VALUE...]
    local ver=$1 text=$2 year=$3
    shift 3
    pe file=outlook kind=exe ver="$ver" text="$text" desc="$D_OUTLOOK" product="$OUTLOOK" year="$year" "$@"
    pe file=outllib ver="$ver" text="$text" desc="$D_OUTLLIB" product="$OUTLOOK" year="$year" "$@"
}
outlook97 8.0.0.3511 8.00.3511 1997
outlook97 8.1.0.3817 8.01.3817 1997
outlook97 8.2.0.4212 8.02.4212 1997
outlook97 8.3.0.4629 8.03.4629 1997
outlook97 8.4.0.5619 8.04.5619 1998
outlook97 8.4.0.5619 8.04.5619 1998 lang=de variant=de
outlook97 8.3.0.9999 8.03.9999 1997   # a build no table knows

# Outlook 98 and its own patch's builds (arch98en).
pe file=outlook kind=exe ver=8.5.5104.6 desc="$D_OUTLOOK" product="$OUTLOOK" year=1998
pe file=outllib ver=8.5.5104.6 desc="$D_OUTLLIB" product="$OUTLOOK" year=1998
pe file=outllib ver=8.5.6204.0 desc="$D_OUTLLIB" product="$OUTLOOK" year=1999
pe file=omipst9 ver=5.5.2232.19 desc="$D_OMIPST9" product="$OUTLOOK" exports="MSProviderInit" year=1999

# Outlook 2000.
pe file=outlook kind=exe ver=9.0.0.2416 desc="$D_OUTLOOK" product="$OUTLOOK" year=1999
pe file=outllib ver=9.0.0.2416 desc="$D_OUTLLIB" product="$OUTLOOK" year=1999

# Unrelated system files, any small PE (their versions are filler).
pe file=mapi32 ver=1.0.2536.0 desc="Extended MAPI 1.0 for Windows" product="Microsoft Windows Messaging" \
    exports="MAPIInitialize MAPILogonEx" year=1996
pe file=kernel32 ver=4.0.0.950 text=4.00.950 desc="Win32 Kernel core component" \
    product="Microsoft(R) Windows(TM) Operating System" exports="GetVersion" year=1995

# Damaged and odd variants.
pe file=emsabp32 variant=noversion noversion=1 exports="$X_EMSABP32"
pe file=emsabp32 ver=5.5.1960.3 text=5.5.2502.0 ptext=5.5.1960.3 variant=string-claims-2502 \
    desc="$D_EMSABP32" product="$EXCHANGE" exports="$X_EMSABP32"
derive() { # flip|truncate|restamp SRC DST [options]
    local op=$1 src=$2 dst=$3
    shift 3
    python3 "$PEFIXTURE" "$op" "$DLLS/$src" "$DLLS/$dst" "$@"
    chmod 0644 "$DLLS/$dst"
    echo "built $dst"
}
derive flip     emsmdb32-5.5.2440.0.dll emsmdb32-5.5.2440.0-flipped.dll
derive truncate emsmdb32-5.5.2440.0.dll emsmdb32-5.5.2440.0-truncated.dll
derive flip     emsuix32-8.0.1960.3.dll emsuix32-8.0.1960.3-flipped.dll
# Altered, then restamped: one byte of .text changed and the PE checksum rewritten to match, so
# the checksum calls the file intact and only a hash from a known-good machine sees the change.
# File offset 0x401 is the low byte of MSProviderInit's `mov eax, 0x80004001` (.text starts at
# 0x400 and MSProviderInit at its start): 0x01 -> 0x05 makes the stub return E_FAIL instead of
# E_NOTIMPL. Still valid code, outside the headers, the export/import data and .rsrc (the
# version resource is untouched), and not the byte `flip` inverts (0x420, the entry point).
derive restamp  emsmdb32-5.5.2440.0.dll emsmdb32-5.5.2440.0-restamped.dll --offset 0x401 --value 0x05
printf '%s\r\n' \
    "EMSUI32.DLL" \
    "" \
    "This is not a program. The bytes that were here were overwritten with text," \
    "the way a failed copy or a disk repair tool can leave a file: it has the" \
    "name of the Exchange Server provider's UI library but no MZ/PE header." \
    "(patchaudit test fixture)" >"$DLLS/emsui32-notpe.dll"
echo "built emsui32-notpe.dll"

# --------------------------------------------------------------------------- the trees

ROOT=""
# put PATH CATALOGUE-FILE: copy a catalogue file to PATH below $ROOT.
put() {
    mkdir -p "$(dirname "$ROOT/$1")"
    install -m 0644 "$DLLS/$2" "$ROOT/$1"
}
# text PATH LINE...: a text file with CRLF line ends.
text() {
    local path="$ROOT/$1"
    shift
    mkdir -p "$(dirname "$path")"
    printf '%s\r\n' "$@" >"$path"
}
tree() { ROOT="$TREES/$1"; mkdir -p "$ROOT"; }

# old_ems FOLDER: the Exchange 5.5 RTM providers plus Mspst32 5.5.2392.0.
old_ems() {
    put "$1/EMSABP32.DLL" emsabp32-5.5.1960.3.dll
    put "$1/EMSMDB32.DLL" emsmdb32-5.5.1960.3.dll
    put "$1/EMSUI32.DLL"  emsui32-5.5.1960.3.dll
    put "$1/EMSUIX32.DLL" emsuix32-8.0.1960.3.dll
    put "$1/MSPST32.DLL"  mspst32-5.5.2392.0.dll
}
# patched_ems FOLDER: the archive patch's builds plus the (never replaced) Emsuix32 8.0.1960.3.
patched_ems() {
    put "$1/EMSABP32.DLL" emsabp32-5.5.2502.0.dll
    put "$1/EMSMDB32.DLL" emsmdb32-5.5.2440.0.dll
    put "$1/EMSUI32.DLL"  emsui32-5.5.2513.0.dll
    put "$1/EMSUIX32.DLL" emsuix32-8.0.1960.3.dll
    put "$1/MSPST32.DLL"  mspst32-5.5.2551.0.dll
}
# outlook FOLDER EXE-CATALOGUE-FILE LIB-CATALOGUE-FILE
outlook() {
    put "$1/OUTLOOK.EXE" "$2"
    put "$1/OUTLLIB.DLL" "$3"
}
OFFICE="Program Files/Microsoft Office/Office"
STANDALONE="Program Files/Microsoft Outlook"
SYS95=WINDOWS/SYSTEM
SYSNT=WINNT/SYSTEM32
PATCHED_LIB=outllib-8.4.0.6419.dll

tree patch-needed-sr1
old_ems "$SYS95"
outlook "$OFFICE" outlook-8.2.0.4212.exe outllib-8.2.0.4212.dll

tree up-to-date-sr1
patched_ems "$SYS95"
outlook "$OFFICE" outlook-8.2.0.4212.exe "$PATCHED_LIB"

# up-to-date-sr1 with EMSMDB32.DLL altered and restamped: the shipped manifests call it up-to-date;
# only a baseline manifest (hashes from a known-good machine) finds the change.
tree altered-restamped
patched_ems "$SYS95"
put "$SYS95/EMSMDB32.DLL" emsmdb32-5.5.2440.0-restamped.dll
outlook "$OFFICE" outlook-8.2.0.4212.exe "$PATCHED_LIB"

tree up-to-date-nt-standalone
patched_ems "$SYSNT"
outlook "$STANDALONE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree blocked-outlook80
old_ems "$SYS95"
outlook "$OFFICE" outlook-8.0.0.3511.exe outllib-8.0.0.3511.dll

tree blocked-german
old_ems "$SYS95"
outlook "$OFFICE" outlook-8.4.0.5619-de.exe outllib-8.4.0.5619-de.dll

tree not-applicable-outlook2000
patched_ems "$SYS95"
outlook "$OFFICE" outlook-9.0.0.2416.exe outllib-9.0.0.2416.dll

tree outlook98-patch-needed
old_ems "$SYS95"
put "$SYS95/OMIPST9.DLL" omipst9-5.5.2232.19.dll
outlook "$STANDALONE" outlook-8.5.5104.6.exe outllib-8.5.5104.6.dll

tree review-system-only
old_ems "$SYS95"

tree review-program-files-only
outlook "$OFFICE" outlook-8.3.0.4629.exe outllib-8.3.0.4629.dll

tree review-unknown-build
old_ems "$SYS95"
outlook "$OFFICE" outlook-8.3.0.9999.exe outllib-8.3.0.9999.dll

tree review-copies-disagree
old_ems "$SYS95"
outlook "$OFFICE" outlook-8.3.0.4629.exe outllib-8.2.0.4212.dll

tree review-missing-file
old_ems "$SYS95"
rm "$ROOT/$SYS95/EMSUI32.DLL"
outlook "$OFFICE" outlook-8.2.0.4212.exe outllib-8.2.0.4212.dll

tree patch-needed-flipped
patched_ems "$SYS95"
put "$SYS95/EMSMDB32.DLL" emsmdb32-5.5.2440.0-flipped.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree patch-needed-truncated
patched_ems "$SYS95"
put "$SYS95/EMSMDB32.DLL" emsmdb32-5.5.2440.0-truncated.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree patch-needed-not-pe
patched_ems "$SYS95"
put "$SYS95/EMSUI32.DLL" emsui32-notpe.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree review-emsuix32-damaged
patched_ems "$SYS95"
put "$SYS95/EMSUIX32.DLL" emsuix32-8.0.1960.3-flipped.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree review-no-version
patched_ems "$SYS95"
put "$SYS95/EMSABP32.DLL" emsabp32-noversion.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree patch-needed-string-disagrees
patched_ems "$SYS95"
put "$SYS95/EMSABP32.DLL" emsabp32-5.5.1960.3-string-claims-2502.dll
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"

tree mixed-case
put Windows/System/emsabp32.dll emsabp32-5.5.2502.0.dll
put Windows/System/EmsMdb32.Dll emsmdb32-5.5.2440.0.dll
put Windows/System/EMSUI32.dll  emsui32-5.5.2513.0.dll
put Windows/System/Emsuix32.DLL emsuix32-8.0.1960.3.dll
put Windows/System/mspst32.DLL  mspst32-5.5.2551.0.dll
put "$OFFICE/outlook.exe" outlook-8.4.0.5619.exe
put "$OFFICE/OutlLib.dll" "$PATCHED_LIB"

tree dual-boot
patched_ems WIN95/SYSTEM
old_ems WINNT40/SYSTEM32
outlook "$OFFICE" outlook-8.4.0.5619.exe "$PATCHED_LIB"
put BACKUP/EMSMDB32.DLL emsmdb32-5.5.1960.3.dll

tree no-outlook
text README.TXT "Files copied from an old machine that never had Outlook installed."
text WINDOWS/WIN.INI "[windows]" "load=" "run=" "" "[Desktop]" "Wallpaper=(None)" "TileWallpaper=0"
put WINDOWS/SYSTEM/KERNEL32.DLL kernel32-4.0.0.950.dll

# --------------------------------------------------------------------------- sample-install

# An Office 97 SR-1 machine (Windows 95) before the archive patch: `make run` scans it.
ROOT="$SAMPLE"
text AUTOEXEC.BAT "@ECHO OFF" "SET TEMP=C:\\WINDOWS\\TEMP" "PATH C:\\WINDOWS;C:\\WINDOWS\\COMMAND"
text CONFIG.SYS "DEVICE=C:\\WINDOWS\\HIMEM.SYS" "FILES=60"
text WINDOWS/WIN.INI "[windows]" "load=" "run=" "" "[Mail]" "MAPI=1" "MAPIX=1" "OLEMessaging=1" "CMC=1"
text WINDOWS/SYSTEM.INI "[boot]" "shell=Explorer.exe" "system.drv=system.drv"
old_ems "$SYS95"
put "$SYS95/MAPI32.DLL" mapi32-1.0.2536.0.dll
put "$SYS95/KERNEL32.DLL" kernel32-4.0.0.950.dll
outlook "$OFFICE" outlook-8.2.0.4212.exe outllib-8.2.0.4212.dll
text "My Documents/README.TXT" "Office 97 SR-1 (Outlook 8.02.4212) with the Exchange Server 5.5 client providers."

# --------------------------------------------------------------------------- checks

echo
python3 "$PEFIXTURE" check-catalogue "$DLLS" \
    --sizes '{"emsabp32-5.5.1960.3": 121104, "emsmdb32-5.5.1960.3": 524048,
              "emsui32-5.5.1960.3": 121616, "emsuix32-8.0.1960.3": 555280}'
if [ -f "$FIXTURES/expected.json" ]; then
    python3 "$PEFIXTURE" check-expected "$FIXTURES"
fi
cd "$FIXTURES"
digest="$(find dlls trees sample-install -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
echo "fixtures: $(find dlls trees sample-install -type f | wc -l) files, content digest $digest"
