#!/usr/bin/env python3
"""PE helpers for the self-extractor fixtures (python3 standard library only; reuses
Fixtures/tools/pefixture.py's PE parser and checksum). Called by make-sfx.sh:

  sfxcheck.py resources FILE
      One line per resource: type, name, language, file offset, size (names as strings,
      IDs as numbers; type 10 is RT_RCDATA).
  sfxcheck.py extract FILE NAME OUT
      Write the RT_RCDATA resource NAME (any language; exactly one must exist) to OUT.
  sfxcheck.py overlay FILE OUT
      Write the bytes after the last section's raw data (the overlay) to OUT; print its offset.
  sfxcheck.py find FILE SEARCH
      Print the offset of the bytes of file SEARCH inside FILE (fails unless found exactly once).
  sfxcheck.py checksum FILE
      Rewrite the PE checksum over the whole file, overlay included (as CheckSumMappedFile does).
  sfxcheck.py garbage N OUT
      N deterministic bytes that are not a cabinet (no "MSCF" anywhere) to OUT.
"""

import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pefixture import PE, PEError, pe_checksum  # noqa: E402

RT_RCDATA = 10


def resources(pe):
    """[(type, name, lang, file offset, size)]; type/name are ints or strings."""
    rva, _ = pe.dirs[2] if len(pe.dirs) > 2 else (0, 0)
    if not rva:
        return []
    base = pe.rva_to_offset(rva)

    def ident(value):
        if value & 0x80000000:
            off = base + (value & 0x7FFFFFFF)
            (n,) = struct.unpack("<H", pe.read(off, 2))
            return pe.read(off + 2, 2 * n).decode("utf-16-le")
        return value

    def entries(off):
        named, ids = struct.unpack_from("<HH", pe.read(base + off, 16), 12)
        return [struct.unpack("<II", pe.read(base + off + 16 + 8 * i, 8)) for i in range(named + ids)]

    out = []
    for t, tt in entries(0):
        if not tt & 0x80000000:
            raise PEError("resource type without subdirectory")
        for n, nt in entries(tt & 0x7FFFFFFF):
            if not nt & 0x80000000:
                raise PEError("resource name without subdirectory")
            for lang, lt in entries(nt & 0x7FFFFFFF):
                if lt & 0x80000000:
                    raise PEError("unexpected resource subdirectory")
                data_rva, size = struct.unpack("<II", pe.read(base + lt, 8))
                out.append((ident(t), ident(n), lang, pe.rva_to_offset(data_rva), size))
    return out


def load(path):
    return PE(open(path, "rb").read())


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "resources" and len(argv) == 3:
        for t, n, lang, off, size in resources(load(argv[2])):
            print("%s %s 0x%04x offset=%d size=%d" % (t, n, lang, off, size))
    elif cmd == "extract" and len(argv) == 5:
        pe = load(argv[2])
        hits = [r for r in resources(pe) if r[0] == RT_RCDATA and r[1] == argv[3]]
        if len(hits) != 1:
            raise PEError("%s: %d RT_RCDATA resources named %s" % (argv[2], len(hits), argv[3]))
        _, _, _, off, size = hits[0]
        open(argv[4], "wb").write(pe.read(off, size))
        print(off)
    elif cmd == "overlay" and len(argv) == 4:
        pe = load(argv[2])
        end = pe.raw_end()
        open(argv[3], "wb").write(pe.data[end:])
        print(end)
    elif cmd == "find" and len(argv) == 4:
        data = open(argv[2], "rb").read()
        needle = open(argv[3], "rb").read()
        first = data.find(needle)
        if first < 0 or data.find(needle, first + 1) >= 0:
            raise PEError("%s: %s found %s" % (argv[2], argv[3], "nowhere" if first < 0 else "twice"))
        print(first)
    elif cmd == "checksum" and len(argv) == 3:
        data = bytearray(open(argv[2], "rb").read())
        pe = PE(bytes(data))
        struct.pack_into("<I", data, pe.checksum_offset, pe_checksum(bytes(data), pe.checksum_offset))
        open(argv[2], "wb").write(data)
    elif cmd == "garbage" and len(argv) == 4:
        n = int(argv[2])
        out = bytearray(b"patchaudit test fixture: these bytes are not a cabinet.\r\n")
        block = b"patchaudit-sfx-garbage"
        while len(out) < n:
            block = hashlib.sha256(block).digest()
            out += block
        out = bytes(out[:n])
        if b"MSCF" in out:
            raise PEError("garbage happens to contain MSCF")
        open(argv[3], "wb").write(out)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except PEError as e:
        sys.stderr.write("sfxcheck.py: %s\n" % e)
        sys.exit(1)
