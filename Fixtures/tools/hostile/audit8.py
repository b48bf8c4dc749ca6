#!/usr/bin/env python3
"""Regression fixtures for what the issue-8 audit of input-driven arithmetic and loops found
(Fixtures/hostile-archives/; the tests are ArchiveHostileTests). Deterministic: no randomness,
fixed times.

    python3 Fixtures/tools/hostile/audit8.py [OUT-DIR]     (default: Fixtures/hostile-archives)

- zip64-size-overflow.zip: a central-directory entry whose zip64 compressed size is just below
  Int64.max; offset + header + size overflowed in the overlap check (a Swift trap).
- empty-names.tar.gz: three tar entries without a name, 24 MiB of zeros each: their data was
  decompressed by libarchive without being counted against --max-total-bytes.
- empty-names-in-zip.zip: the same stored inside a zip (nested, where nothing counted it at all).
- installation-grid.zip: 120 SYSTEM folders beside 120 Office folders on one volume: pairing
  every system folder with every Outlook folder asked for 14,520 findings.
- declared-zeros.tar.gz: one tar entry of 200 MiB of zeros in 200 KB: its declared size against
  the compressed bytes left is a bomb's ratio, stopped before libarchive inflates it (from a
  corpus run: a 16 GiB entry took 50 s to skip).
- descriptor-zip-in-tgz.tar.gz: a zip whose 64 MiB entry of zeros has a data descriptor (sizes
  after the data), streamed from a tar.gz: skipping it means inflating it, which went uncounted
  (from a corpus run: commons-compress's zip64support.tar.bz2 inflated ~15 GB unchecked).
- split-zeros.tar.gz: two entries of 256 MiB of zeros each in 500 KB: neither size alone gives
  the bomb away against the compressed bytes left, so the first is inflated under the ratio
  guard, which stops it after 16 MiB (skipped blind, it cost the whole inflate first; a corpus
  file of two 8 GiB entries took 25 s).
- stored-by-directory-only.zip: a nested zip the central directory records as stored, whose
  local header (which extracting tools read) says deflated: read in place as the directory
  said, its bytes were no archive and its DLLs went unchecked; now read as its local header
  says, and the disagreement is a review.
- nested-bad-crc.zip: a deflated nested zip whose CRC in both headers is wrong: the nested
  reader stops at its own central directory, before the container's CRC check, so the damage
  went unseen; now the entry is read to its end and the target is corrupt.
- nested-iso-bad-crc.zip: the same for an ISO 9660 image, which is re-read from the zip as its
  reader seeks (each pass a reader of its own, whose CRC warning went unheard).
- descriptor-size-lies.zip: a zip without a central directory (read by its local headers)
  whose 64 MiB entry of zeros has sizes in a data descriptor (flag bit 3), a compressed size of
  0 and an uncompressed size of 1 in its local header: libarchive 3.6.2 reports the size 1 and
  inflates the 64 MiB to skip it, which went uncounted.
- nested-zeros-in-zip.zip: a deflated zip inside a zip whose own entry is 32 MiB of zeros,
  deflated, sizes in the header: skipping it costs libarchive nothing (it passes over the
  compressed bytes), so it must not count 32 MiB against the limits either.
"""
import gzip
import io
import os
import struct
import sys
import tarfile
import zipfile
import zlib

EPOCH = 873331200  # 1997-09-04 00:00:00 UTC
DOS_TIME = (1997, 9, 4, 0, 0, 0)


def zip64_size_overflow():
    name = b"a.zip"
    extra = struct.pack("<HHQ", 0x0001, 8, 0x7FFFFFFFFFFFFFE0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 45, 0, 0, 0, 0, 0,
                          0xFFFFFFFF, 0, len(name), len(extra), 0, 0, 0, 0, 0) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), 0, 0)
    return central + end


def empty_names_tar():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for _ in range(3):
            info = tarfile.TarInfo("")
            info.size = 24 << 20
            info.mtime = EPOCH
            tar.addfile(info, io.BytesIO(bytes(info.size)))
    return out.getvalue()


def gzipped(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=EPOCH, filename="") as stream:
        stream.write(data)
    return out.getvalue()


def zip_of(entries, method=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, DOS_TIME)
            info.compress_type = method
            archive.writestr(info, data)
    return out.getvalue()


class Unseekable(io.RawIOBase):
    """A write-only stream without tell/seek: zipfile then writes data descriptors."""

    def __init__(self):
        self.buffer = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.buffer += data
        return len(data)


def descriptor_zip():
    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("zeros.bin", DOS_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as entry:
            chunk = bytes(1 << 20)
            for _ in range(64):
                entry.write(chunk)
    return bytes(stream.buffer)


def tar_of(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, size, data in entries:
            info = tarfile.TarInfo(name)
            info.size = size
            info.mtime = EPOCH
            tar.addfile(info, data)
    return out.getvalue()


class Zeros(io.RawIOBase):
    def __init__(self, count):
        self.left = count

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def installation_grid(count=120):
    entries = [(f"d{index:03}/SYSTEM/EMSMDB32.DLL", b"") for index in range(count)]
    entries += [(f"o{index:03}/Office/OUTLLIB.DLL", b"") for index in range(count)]
    return zip_of(entries, zipfile.ZIP_DEFLATED)


def local_header(name, method, flags, crc, csize, usize):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x2721, crc, csize, usize, len(name), 0) + name


def central_header(name, method, flags, crc, csize, usize, offset):
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x2721, crc, csize, usize,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def end_record(count, size, offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, offset, 0)


def deflated(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def one_entry_zip(name, data, local_method, central_method, crc=None):
    """A zip of one entry whose data is `data` deflated; the two headers name their own methods."""
    packed = deflated(data)
    crc = zlib.crc32(data) if crc is None else crc
    local = local_header(name, local_method, 0, crc, len(packed), len(data)) + packed
    central = central_header(name, central_method, 0, crc, len(packed), len(data), 0)
    return local + central + end_record(1, len(central), len(local))


def descriptor_size_lies():
    data = bytes(64 << 20)
    packed = deflated(data)
    name = b"junk.bin"
    crc = zlib.crc32(data)
    entry = local_header(name, 8, 8, 0, 0, 1) + packed + struct.pack("<IIII", 0x08074B50, crc, len(packed), len(data))
    # A second entry after it, so the scan has a reason to get past the first; no central directory.
    tail = local_header(b"readme.txt", 0, 0, zlib.crc32(b"hello\n"), 6, 6) + b"hello\n"
    return entry + tail


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "hostile-archives")
    tgz = gzipped(empty_names_tar())
    inner = open(os.path.join(here, "..", "..", "archives", "zip", "patch-needed-sr1.zip"), "rb").read()
    iso = open(os.path.join(here, "..", "..", "archives", "joliet-iso", "patch-needed-sr1.joliet.iso"), "rb").read()
    files = {
        "stored-by-directory-only.zip": one_entry_zip(b"backup/pc42.zip", inner, 8, 0),
        "nested-bad-crc.zip": one_entry_zip(b"backup/pc42.zip", inner, 8, 8, crc=zlib.crc32(inner) ^ 0xFFFF),
        "nested-iso-bad-crc.zip": one_entry_zip(b"cd/pc42.iso", iso, 8, 8, crc=zlib.crc32(iso) ^ 0xFFFF),
        "descriptor-size-lies.zip": descriptor_size_lies(),
        "nested-zeros-in-zip.zip": zip_of([("backup/inner.zip", zip_of([("zeros.bin", bytes(32 << 20)), ("readme.txt", b"hello\n")], zipfile.ZIP_DEFLATED))], zipfile.ZIP_DEFLATED),
        "zip64-size-overflow.zip": zip64_size_overflow(),
        "empty-names.tar.gz": tgz,
        "empty-names-in-zip.zip": zip_of([("backup/empty.tar.gz", tgz)]),
        "installation-grid.zip": installation_grid(),
        "declared-zeros.tar.gz": gzipped(tar_of([("junk.bin", 200 << 20, io.BufferedReader(Zeros(200 << 20)))])),
        "split-zeros.tar.gz": gzipped(tar_of([(f"data/zeros{index}.bin", 256 << 20, io.BufferedReader(Zeros(256 << 20))) for index in range(2)])),
        "descriptor-zip-in-tgz.tar.gz": gzipped(tar_of([("backup/pc42.zip", len(descriptor_zip()), io.BytesIO(descriptor_zip()))])),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as handle:
            handle.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
