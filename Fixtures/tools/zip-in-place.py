#!/usr/bin/env python3
"""Zips for the in-place reading of matched zip entries (libdeflate): Fixtures/zip-in-place/.

    python3 Fixtures/tools/zip-in-place.py               (from any working directory) rewrites
                                                          Fixtures/zip-in-place/
    python3 Fixtures/tools/zip-in-place.py --out DIR     writes DIR instead

patchaudit reads a matched zip entry itself (local header by the central directory's offset,
the data in place, libdeflate's inflate and CRC-32) only in the plain case, and hands any other
to libarchive's streaming reader as before. These zips hold Fixtures/trees/up-to-date-sr1
(seven watched files) written byte by byte here, each with one thing about one entry
(WINDOWS/SYSTEM/EMSMDB32.DLL, "the victim") that the in-place reader must get right or leave
to libarchive. Tests (ZipInPlaceTests) scan each one both ways and require the same result.

Read in place, every entry:
  deflated.zip              deflate, no extra fields (as `zip -X`)
  stored.zip                every entry stored
  extras.zip                Info-ZIP's extended timestamp (0x5455) and Unix uid/gid (0x7875)
                            extra fields in local and central headers
  descriptor.zip            deflate with data descriptors (flag bit 3; local CRC and sizes 0),
                            each with the optional PK\\7\\8 signature
  descriptor-nosig.zip      the same without the signature

Left to libarchive (the victim; the other six still read in place):
  unicode-path.zip          an Info-ZIP Unicode path extra field (0x7075) in the local header
  zip64-extra.zip           a zip64 extra field (0x0001) with the sizes in the local header
  bad-extra.zip             the local extra field's blocks overrun its length
  corrupt-stream.zip        the first deflate block has the reserved type 3 (BAD_DATA)
  corrupt-middle.zip        a byte in the middle of the deflate stream flipped
  bad-crc.zip               the CRC-32 one off in both headers (the data intact)
  central-crc.zip           the CRC-32 one off in the central directory only
  size-bigger.zip           the uncompressed size 100 bytes too big in both headers
  size-smaller.zip          the uncompressed size 100 bytes too small in both headers
  size-4g.zip               the uncompressed size 0xFFFFFFF0 (4 GB) in both headers, in a 7 KB zip
  local-signature.zip       the local header's signature broken (PK\\3\\5)
  local-cut.zip             the local header's extra length (0xFFFF) runs past the end of the zip
  local-name.zip            the local header names EMSMDB32.DLX
  local-method.zip          the local header says stored, the central directory deflated
  descriptor-bad-crc.zip    (descriptors) the descriptor's CRC-32 one off
  descriptor-size.zip       (descriptors) the descriptor's uncompressed size one off
  stored-flipped.zip        (stored) a byte of the victim's data flipped: its CRC no longer matches
  stored-size.zip           (stored) uncompressed size 100 bytes more than the compressed one

Deterministic: DOS date 1997-09-04 00:00, MS-DOS made-by, zlib level 9 raw deflate; names in
bytewise order; folders as stored entries with a trailing slash. Only Fixtures/trees is read.
"""
import os
import shutil
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE = os.path.join(ROOT, "Fixtures", "trees", "up-to-date-sr1")
VICTIM = b"WINDOWS/SYSTEM/EMSMDB32.DLL"
DOS_TIME, DOS_DATE = 0, (1997 - 1980) << 9 | 9 << 5 | 4
UT = struct.pack("<HHBI", 0x5455, 5, 1, 873331200)
UX = struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, 0, 4, 0)


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def entries():
    out = []
    for dirpath, dirnames, filenames in os.walk(TREE):
        rel = os.path.relpath(dirpath, TREE)
        for d in dirnames:
            out.append(((d if rel == "." else rel + "/" + d).encode() + b"/", None))
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as h:
                out.append(((f if rel == "." else rel + "/" + f).encode(), h.read()))
    out.sort(key=lambda e: e[0])
    return out


def write_zip(path, method=8, descriptor=False, signature=True, extras=False, victim=None):
    """victim: a function (fields) -> None that changes the victim's fields before writing.
    fields: name, local_name, data, compressed, crc, size, csize, local_crc, local_size,
    local_csize, method, local_method, flags, local_extra, central_extra, descriptor (bytes or
    None), local_extra_length (None: the real length), signature (local)."""
    buf, central, count = bytearray(), bytearray(), 0
    for name, data in entries():
        is_dir = data is None
        m = 0 if is_dir else method
        payload = b"" if is_dir else data
        compressed = deflate(payload) if m == 8 else payload
        crc = zlib.crc32(payload)
        flags = 0x0008 if descriptor and not is_dir else 0
        f = dict(name=name, local_name=name, data=payload, compressed=compressed, crc=crc,
                 size=len(payload), csize=len(compressed), method=m, local_method=m, flags=flags,
                 local_extra=(UT + UX) if extras else b"", central_extra=UT if extras else b"",
                 signature=0x04034B50, local_extra_length=None)
        if flags & 8:
            f.update(local_crc=0, local_size=0, local_csize=0)
            f["descriptor"] = (struct.pack("<I", 0x08074B50) if signature else b"") + struct.pack("<III", crc, len(compressed), len(payload))
        else:
            f.update(local_crc=crc, local_size=len(payload), local_csize=len(compressed), descriptor=None)
        if name == VICTIM and victim:
            victim(f)
        offset = len(buf)
        extra_length = len(f["local_extra"]) if f["local_extra_length"] is None else f["local_extra_length"]
        buf += struct.pack("<IHHHHHIIIHH", f["signature"], 20, f["flags"], f["local_method"], DOS_TIME, DOS_DATE,
                           f["local_crc"], f["local_csize"], f["local_size"], len(f["local_name"]), extra_length)
        buf += f["local_name"] + f["local_extra"] + f["compressed"]
        if f["descriptor"]:
            buf += f["descriptor"]
        attr = 0x10 if is_dir else 0x20
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0014, 20, f["flags"], f["method"], DOS_TIME,
                               DOS_DATE, f["crc"], f["csize"], f["size"], len(name), len(f["central_extra"]),
                               0, 0, 0, attr, offset)
        central += name + f["central_extra"]
        count += 1
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(buf), 0)
    with open(path, "wb") as h:
        h.write(bytes(buf + central + eocd))


def both_crc(delta):
    def change(f):
        f["crc"] = (f["crc"] + delta) & 0xFFFFFFFF
        f["local_crc"] = f["crc"]
    return change


def both_size(value):
    def change(f):
        f["size"] = value(f["size"])
        f["local_size"] = f["size"]
    return change


def flip(index_of):
    def change(f):
        c = bytearray(f["compressed"])
        c[index_of(len(c))] ^= 0x55
        f["compressed"] = bytes(c)
    return change


def main(argv):
    out = os.path.join(ROOT, "Fixtures", "zip-in-place")
    if len(argv) == 2 and argv[0] == "--out":
        out = argv[1]
    elif argv:
        sys.exit(__doc__)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    w = lambda name, **kw: write_zip(os.path.join(out, name), **kw)

    w("deflated.zip")
    w("stored.zip", method=0)
    w("extras.zip", extras=True)
    w("descriptor.zip", descriptor=True)
    w("descriptor-nosig.zip", descriptor=True, signature=False)

    def unicode_path(f):
        f["local_extra"] = struct.pack("<HHBI", 0x7075, 5 + len(f["name"]), 1, zlib.crc32(f["name"])) + f["name"]
    w("unicode-path.zip", victim=unicode_path)

    def zip64_extra(f):
        f["local_extra"] = struct.pack("<HHQQ", 0x0001, 16, f["size"], f["csize"])
        f["local_size"] = f["local_csize"] = 0xFFFFFFFF
    w("zip64-extra.zip", victim=zip64_extra)

    def bad_extra(f):
        f["local_extra"] = struct.pack("<HH", 0x5455, 40) + b"\x01\x00\x00\x00\x00"
    w("bad-extra.zip", victim=bad_extra)

    def reserved_block(f):
        f["compressed"] = bytes([f["compressed"][0] | 0x06]) + f["compressed"][1:]
    w("corrupt-stream.zip", victim=reserved_block)
    w("corrupt-middle.zip", victim=flip(lambda n: n // 2))
    w("bad-crc.zip", victim=both_crc(1))

    def central_crc(f):
        f["crc"] = (f["crc"] + 1) & 0xFFFFFFFF
    w("central-crc.zip", victim=central_crc)
    w("size-bigger.zip", victim=both_size(lambda s: s + 100))
    w("size-smaller.zip", victim=both_size(lambda s: s - 100))
    w("size-4g.zip", victim=both_size(lambda s: 0xFFFFFFF0))

    def local_signature(f):
        f["signature"] = 0x05034B50
    w("local-signature.zip", victim=local_signature)

    def local_cut(f):
        f["local_extra_length"] = 0xFFFF
    w("local-cut.zip", victim=local_cut)

    def local_name(f):
        f["local_name"] = f["name"][:-1] + b"X"
    w("local-name.zip", victim=local_name)

    def local_method(f):
        f["local_method"] = 0
    w("local-method.zip", victim=local_method)

    def descriptor_crc(f):
        d = bytearray(f["descriptor"])
        d[4] ^= 1
        f["descriptor"] = bytes(d)
    w("descriptor-bad-crc.zip", descriptor=True, victim=descriptor_crc)

    def descriptor_size(f):
        d = bytearray(f["descriptor"])
        d[12] ^= 1
        f["descriptor"] = bytes(d)
    w("descriptor-size.zip", descriptor=True, victim=descriptor_size)
    w("stored-flipped.zip", method=0, victim=flip(lambda n: n // 2))
    w("stored-size.zip", method=0, victim=both_size(lambda s: s + 100))
    print(f"zip-in-place: {len(os.listdir(out))} zips in {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
