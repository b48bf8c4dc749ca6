#!/bin/sh
# Rebuilds the small test DLLs of the PE reader tests (PEReader*Tests.swift).
#
# Needs Debian's mingw-w64 (i686-w64-mingw32-gcc/-windres, x86_64-w64-mingw32-gcc/-windres)
# and python3. The DLLs have no C runtime (-nostdlib), are stripped and carry no link
# timestamp, so each is a few KB. The tests pin values read from these exact binaries
# (checksums in particular): after a rebuild, update the constants in PEReaderDLLTests.swift
# from this script's last lines of output.
#
#   version32.dll   PE32  (i686)   VERSIONINFO 5.5.2502.0, 040904e4, Translation 0x409/1252; checksum set
#   version64.dll   PE32+ (x86_64) the same resource;                                    checksum 0
#   twolang32.dll   PE32  (i686)   VERSIONINFO in LANGUAGE 0x0407 (5.5.2502.7, first in the
#                                  .rc) and 0x0409 (5.5.2502.0);                         checksum set
#   noversion32.dll PE32  (i686)   no RT_VERSION: a named RCDATA and a STRINGTABLE;      checksum 0
#   mismatch64.dll  PE32+ (x86_64) binary 5.5.2502.0, StringFileInfo FileVersion "5.5.2510.0"; checksum set
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/dll.c" <<'C'
int __stdcall DllMain(void *module, unsigned long reason, void *reserved)
{
    (void)module; (void)reason; (void)reserved;
    return 1;
}
C

# version_block LANG CODEPAGE_HEX TABLE FILEVERSION(commas) FILEVERSION_STRING
version_block() {
    cat <<RC
1 VERSIONINFO
FILEVERSION $4
PRODUCTVERSION 5,5,2502,0
FILEFLAGSMASK 0x3f
FILEFLAGS 0x0
FILEOS 0x40004
FILETYPE 0x2
FILESUBTYPE 0x0
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "$3"
    BEGIN
      VALUE "CompanyName", "Microsoft Corporation"
      VALUE "FileDescription", "Microsoft Exchange Transport"
      VALUE "FileVersion", "$5"
      VALUE "InternalName", "EMSMDB32"
      VALUE "LegalCopyright", "Copyright (C) Microsoft Corp. 1986-1997"
      VALUE "OriginalFilename", "EMSMDB32.DLL"
      VALUE "ProductName", "Microsoft Outlook"
      VALUE "ProductVersion", "5.5.2502.0"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", $1, $2
  END
END
RC
}

{ echo "LANGUAGE 0x09, 0x01"; version_block 0x409 1252 040904e4 "5,5,2502,0" "5.5.2502.0"; } > "$work/version.rc"
{ echo "LANGUAGE 0x07, 0x01"; version_block 0x407 1252 040704e4 "5,5,2502,7" "5.5.2502.7"
  echo "LANGUAGE 0x09, 0x01"; version_block 0x409 1252 040904e4 "5,5,2502,0" "5.5.2502.0"; } > "$work/twolang.rc"
{ echo "LANGUAGE 0x09, 0x01"; version_block 0x409 1252 040904e4 "5,5,2502,0" "5.5.2510.0"; } > "$work/mismatch.rc"
cat > "$work/noversion.rc" <<'RC'
LANGUAGE 0x09, 0x01
MYDATA RCDATA { "not a version resource\0" }
STRINGTABLE
BEGIN
  1, "Exchange"
END
RC

# build ARCH RC OUT
build() {
    case "$1" in
        i686) entry=_DllMain@12 ;;
        x86_64) entry=DllMain ;;
    esac
    "$1-w64-mingw32-windres" "$work/$2" -O coff -o "$work/res.o"
    "$1-w64-mingw32-gcc" -shared -nostdlib -s -Os -o "$3" "$work/dll.c" "$work/res.o" \
        -Wl,-e,"$entry" -Wl,--no-insert-timestamp
}

build i686 version.rc version32.dll
build x86_64 version.rc version64.dll
build i686 twolang.rc twolang32.dll
build i686 noversion.rc noversion32.dll
build x86_64 mismatch.rc mismatch64.dll

# set_checksum FILE (set|zero): writes IMAGE_OPTIONAL_HEADER.CheckSum, computed the
# CheckSumMappedFile way (16-bit words, end-around carry, CheckSum field skipped, + length).
set_checksum() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
path, mode = sys.argv[1], sys.argv[2]
data = bytearray(open(path, "rb").read())
field = struct.unpack_from("<I", data, 0x3C)[0] + 4 + 20 + 64
struct.pack_into("<I", data, field, 0)
value = 0
if mode == "set":
    padded = data + (b"\0" if len(data) % 2 else b"")
    total = 0
    for (word,) in struct.iter_unpack("<H", padded):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    value = (total + len(data)) & 0xFFFFFFFF
struct.pack_into("<I", data, field, value)
open(path, "wb").write(data)
PY
}

set_checksum version32.dll set
set_checksum version64.dll zero
set_checksum twolang32.dll set
set_checksum noversion32.dll zero
set_checksum mismatch64.dll set

# The constants the tests pin. With pefile installed (pip install pefile), its
# generate_checksum() is printed as an independent check of the computed checksum.
python3 - version32.dll version64.dll twolang32.dll noversion32.dll mismatch64.dll <<'PY'
import struct, sys
try:
    import pefile
except ImportError:
    pefile = None
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    field = struct.unpack_from("<I", data, 0x3C)[0] + 4 + 20 + 64
    stored = struct.unpack_from("<I", data, field)[0]
    line = f"{path}: size {len(data)} stored 0x{stored:08x}"
    if pefile is not None:
        line += f" pefile.generate_checksum 0x{pefile.PE(path).generate_checksum():08x}"
    print(line)
PY
