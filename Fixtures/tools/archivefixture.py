#!/usr/bin/env python3
"""Hand-built archives and checks for the patchaudit archive fixtures (python3 standard library only).

Called by Fixtures/make-archives.sh. Everything written here is deterministic: fixed dates
(1997-09-04 00:00:00 UTC, the same instant the script gives its staging copies), fixed
"random" bytes from seeded generators, zlib raw deflate at level 9.

  archivefixture.py zipcrypto OUT STAGE          patch-needed-sr1 as a zip whose .DLL entries are
                                                 ZipCrypto-encrypted (password "secret")
  archivefixture.py evil-zip OUT DLLDIR          entries named ../, /abs, C:\\, a/../b
  archivefixture.py evil-tar OUT DLLDIR
  archivefixture.py nonutf8-zip OUT DLL          B\\xfcro/WINDOWS/SYSTEM/EMSMDB32.DLL, no UTF-8 flag
  archivefixture.py nonutf8-tar OUT DLL          the same name as raw bytes in a GNU tar
  archivefixture.py duplicate-zip OUT STAGE NAME DLL
                                                 STAGE as a zip, NAME twice: DLL first, then STAGE's
  archivefixture.py overlap-bomb OUT             David Fifield's overlapping-entries zip bomb
  archivefixture.py ratio-bomb-zip OUT           one honest 200 MiB entry of zeros, deflated
  archivefixture.py ratio-bomb-tar               a tar with one 200 MiB file of zeros, on stdout
  archivefixture.py random OUT [N]               N (4096) seeded pseudo-random bytes, no magic
  archivefixture.py zip-cut-data IN OUT NAME     IN cut in the middle of entry NAME's data
  archivefixture.py zip-cut-central IN OUT       IN cut in the middle of its central directory
  archivefixture.py zip-bad-crc IN OUT NAME      NAME's CRC-32 changed in both headers
  archivefixture.py zip-corrupt IN OUT NAME      bytes in the middle of NAME's deflate data overwritten
  archivefixture.py cut-half IN OUT              the first half of IN
  archivefixture.py gzip-cut-entry TGZ           the tar entry a truncated tar.gz breaks off in
  archivefixture.py iso-list ISO                 the paths of a plain ISO 9660 image (no RR/Joliet)
  archivefixture.py pathmap TREE ISO             the 8.3 mapping of TREE, checked against ISO (JSON)
  archivefixture.py cab-names CAB                the names stored in a cabinet, as stored
  archivefixture.py zip-names ZIP                the names in a zip's central directory (escaped)
  archivefixture.py expected FIXTURES DIR        writes DIR/expected.json (DIR: the new archives)
  archivefixture.py check FIXTURES DIR           DIR/expected.json against the files in DIR, and
                                                 every tree archive extracted by bsdtar against
                                                 its tree (needs bsdtar)
  archivefixture.py probe FILE...                what libarchive (ctypes, libarchive.so.13) says
                                                 about each file, set up like the scanner
"""

import io
import json
import os
import random
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

# 1997-09-04 00:00:00 UTC, as DOS date/time and as a Unix time.
EPOCH = 873331200
DOS_DATE = ((1997 - 1980) << 9) | (9 << 5) | 4
DOS_TIME = 0
PASSWORD = b"secret"

MIB = 1024 * 1024


# --------------------------------------------------------------------------- zip writing

def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush()


class ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1)."""

    def __init__(self, password: bytes):
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for b in password:
            self._update(b)

    @staticmethod
    def _crc(crc, b):
        return zlib.crc32(bytes([b]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def _update(self, b):
        self.k0 = self._crc(self.k0, b)
        self.k1 = (self.k1 + (self.k0 & 0xFF)) & 0xFFFFFFFF
        self.k1 = (self.k1 * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = self._crc(self.k2, self.k1 >> 24)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray(len(data))
        for i, p in enumerate(data):
            t = (self.k2 | 2) & 0xFFFF
            out[i] = p ^ (((t * (t ^ 1)) >> 8) & 0xFF)
            self._update(p)
        return bytes(out)


class ZipWriter:
    """A minimal zip writer: every byte of every header is chosen here, names are raw bytes.

    made_by 0x0014 = MS-DOS, spec 2.0 (what Windows tools write); files get the archive
    attribute (0x20), folders the directory attribute (0x10)."""

    def __init__(self):
        self.buf = bytearray()
        self.central = bytearray()
        self.count = 0

    def add(self, name: bytes, data: bytes = b"", method: int = 8, utf8: bool = False,
            encrypt: bool = False, rng: random.Random = None, is_dir: bool = False,
            compressed: bytes = None, crc: int = None, size: int = None):
        flags = 0
        if utf8:
            flags |= 0x800
        if is_dir:
            method, data = 0, b""
        if compressed is None:
            compressed = deflate(data) if method == 8 else data
            crc = zlib.crc32(data)
            size = len(data)
        if encrypt:
            flags |= 0x1
            header = bytes(rng.getrandbits(8) for _ in range(11)) + bytes([crc >> 24])
            compressed = ZipCrypto(PASSWORD).encrypt(header + compressed)
        version = 20 if (method == 8 or encrypt or is_dir) else 10
        offset = len(self.buf)
        self.buf += struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags, method, DOS_TIME,
                                DOS_DATE, crc, len(compressed), size, len(name), 0)
        self.buf += name + compressed
        attr = 0x10 if is_dir else 0x20
        self.central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0014, version, flags,
                                    method, DOS_TIME, DOS_DATE, crc, len(compressed), size,
                                    len(name), 0, 0, 0, 0, attr, offset)
        self.central += name
        self.count += 1

    def bytes(self) -> bytes:
        cd_offset = len(self.buf)
        eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, self.count, self.count,
                           len(self.central), cd_offset, 0)
        return bytes(self.buf + self.central + eocd)

    def write(self, path: str):
        with open(path, "wb") as f:
            f.write(self.bytes())


def tree_entries(root: str):
    """(relative path with '/', is_dir) for everything under root, sorted bytewise."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for d in dirnames:
            out.append((d if rel == "." else rel + "/" + d, True))
        for f in filenames:
            out.append((f if rel == "." else rel + "/" + f, False))
    out.sort(key=lambda e: e[0].encode())
    return out


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def cmd_zipcrypto(out, stage):
    rng = random.Random(214747)  # KB214747: the archive patch's article
    z = ZipWriter()
    for rel, is_dir in tree_entries(stage):
        if is_dir:
            z.add(rel.encode() + b"/", is_dir=True)
        else:
            z.add(rel.encode(), read(os.path.join(stage, rel)),
                  encrypt=rel.upper().endswith(".DLL"), rng=rng)
    z.write(out)


EVIL = [
    # (name as stored, catalogue file)
    ("../../etc/EMSMDB32.DLL", "emsmdb32-5.5.2440.0.dll"),
    ("/abs/WINDOWS/SYSTEM/EMSMDB32.DLL", "emsmdb32-5.5.2440.0.dll"),
    ("C:\\WINDOWS\\SYSTEM\\EMSUI32.DLL", "emsui32-5.5.2513.0.dll"),
    ("WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL", "emsabp32-5.5.2502.0.dll"),
]


def cmd_evil_zip(out, dlldir):
    z = ZipWriter()
    for name, dll in EVIL:
        z.add(name.encode(), read(os.path.join(dlldir, dll)))
    z.write(out)


def tarinfo(name: str, size: int = 0, is_dir: bool = False) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size = 0 if is_dir else size
    ti.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    ti.mode = 0o755 if is_dir else 0o644
    ti.mtime = EPOCH
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def open_tar(fileobj) -> tarfile.TarFile:
    # GNU format: names go into the header (or a GNU longname record) as raw bytes;
    # surrogateescape lets a str carry the Latin-1 byte through unchanged.
    return tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.GNU_FORMAT,
                        encoding="utf-8", errors="surrogateescape")


def cmd_evil_tar(out, dlldir):
    with open(out, "wb") as f, open_tar(f) as t:
        for name, dll in EVIL:
            data = read(os.path.join(dlldir, dll))
            t.addfile(tarinfo(name, len(data)), io.BytesIO(data))


NONUTF8_NAME = b"B\xfcro/WINDOWS/SYSTEM/EMSMDB32.DLL"


def cmd_nonutf8_zip(out, dll):
    z = ZipWriter()
    parts = NONUTF8_NAME.split(b"/")
    for i in range(1, len(parts)):
        z.add(b"/".join(parts[:i]) + b"/", is_dir=True)
    z.add(NONUTF8_NAME, read(dll))
    z.write(out)


def cmd_nonutf8_tar(out, dll):
    data = read(dll)
    name = NONUTF8_NAME.decode("utf-8", "surrogateescape")
    parts = name.split("/")
    with open(out, "wb") as f, open_tar(f) as t:
        for i in range(1, len(parts)):
            t.addfile(tarinfo("/".join(parts[:i]) + "/", is_dir=True))
        t.addfile(tarinfo(name, len(data)), io.BytesIO(data))


def cmd_duplicate_zip(out, stage, dup_name, dll):
    z = ZipWriter()
    for rel, is_dir in tree_entries(stage):
        if is_dir:
            z.add(rel.encode() + b"/", is_dir=True)
            continue
        if rel == dup_name:
            z.add(rel.encode(), read(dll))
        z.add(rel.encode(), read(os.path.join(stage, rel)))
    z.write(out)


# --------------------------------------------------------------------------- bombs

BOMB_ENTRIES = 128
BOMB_KERNEL = 1 * MIB
BOMB_MATCHED = {  # entry index -> name; the rest get short filler names
    0: "WINDOWS/SYSTEM/EMSMDB32.DLL",
    1: "WINDOWS/SYSTEM/EMSUI32.DLL",
    2: "WINDOWS/SYSTEM/EMSABP32.DLL",
    BOMB_ENTRIES // 2: "Program Files/Microsoft Office/Office/OUTLLIB.DLL",
    BOMB_ENTRIES - 1: "WINDOWS/SYSTEM/MSPST32.DLL",
}


def filler_name(i: int) -> bytes:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return (alphabet[i // len(alphabet)] + alphabet[i % len(alphabet)]).encode()


def cmd_overlap_bomb(out):
    """Fifield's "overlapping files" construction (https://www.bamsoftware.com/hacks/zipbomb/):

        LFH[0] Q[0] LFH[1] Q[1] ... LFH[n-2] Q[n-2] LFH[n-1] KERNEL  CD[0..n-1] EOCD

    KERNEL is one deflate stream (final block) that inflates to BOMB_KERNEL zero bytes. Q[i] is
    a 5-byte non-final *stored* deflate block header whose length is len(LFH[i+1]): it quotes
    the next local file header as literal output. Entry i's data therefore starts at Q[i] and
    runs to the end of KERNEL; it inflates to LFH[i+1] + ... + LFH[n-1] + the kernel's output.
    Every local header agrees with its central directory entry (name, sizes, CRC-32), so only a
    reader that notices the overlapping data ranges can tell."""
    kernel_out = bytes(BOMB_KERNEL)
    kernel = deflate(kernel_out)
    names = [BOMB_MATCHED.get(i, None) for i in range(BOMB_ENTRIES)]
    names = [n.encode() if n else filler_name(i) for i, n in enumerate(names)]
    n = BOMB_ENTRIES
    lfh = [b""] * n
    info = [None] * n  # (crc, csize, usize)
    suffix_len = 0          # len(LFH[i+1] + ... + LFH[n-1]) as quoted output
    suffix_crc_tail = []    # LFH[i+1..n-1] bytes, for the CRC
    # Build from the last entry backwards: LFH[i] depends on the CRC of everything after it.
    quoted = b""
    for i in range(n - 1, -1, -1):
        if i == n - 1:
            data_len = len(kernel)
        else:
            data_len = 5 + len(lfh[i + 1]) + info[i + 1][1]
        usize = len(quoted) + BOMB_KERNEL
        crc = zlib.crc32(kernel_out, zlib.crc32(quoted))
        info[i] = (crc, data_len, usize)
        lfh[i] = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, DOS_TIME, DOS_DATE, crc,
                             data_len, usize, len(names[i]), 0) + names[i]
        quoted = lfh[i] + quoted
    body = bytearray()
    offsets = []
    for i in range(n):
        offsets.append(len(body))
        body += lfh[i]
        if i < n - 1:
            q = len(lfh[i + 1])
            body += struct.pack("<BHH", 0, q, q ^ 0xFFFF)
    body += kernel
    central = bytearray()
    for i in range(n):
        crc, csize, usize = info[i]
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0014, 20, 0, 8, DOS_TIME,
                               DOS_DATE, crc, csize, usize, len(names[i]), 0, 0, 0, 0, 0x20,
                               offsets[i]) + names[i]
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(body), 0)
    data = bytes(body + central + eocd)
    # Self-check with zipfile: every entry inflates to its declared size and CRC.
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = 0
        for zi in zf.infolist()[:3] + zf.infolist()[-2:]:
            got = zf.read(zi)
            assert len(got) == zi.file_size and zlib.crc32(got) == zi.CRC, zi.filename
        total = sum(zi.file_size for zi in zf.infolist())
    with open(out, "wb") as f:
        f.write(data)
    print(f"overlap-bomb: {len(data)} bytes, {n} entries, {total} bytes when extracted")


RATIO_BOMB_SIZE = 200 * MIB


def zeros_deflated(size: int):
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    chunk = bytes(MIB)
    out = bytearray()
    crc = 0
    for _ in range(size // MIB):
        out += c.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    out += c.flush()
    return bytes(out), crc


def cmd_ratio_bomb_zip(out):
    compressed, crc = zeros_deflated(RATIO_BOMB_SIZE)
    z = ZipWriter()
    z.add(b"WINDOWS/SYSTEM/EMSMDB32.DLL", method=8, compressed=compressed, crc=crc,
          size=RATIO_BOMB_SIZE)
    z.write(out)


class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def cmd_ratio_bomb_tar():
    out = sys.stdout.buffer
    with open_tar(out) as t:
        for d in ("WINDOWS/", "WINDOWS/SYSTEM/"):
            t.addfile(tarinfo(d, is_dir=True))
        t.addfile(tarinfo("WINDOWS/SYSTEM/MSPST32.DLL", RATIO_BOMB_SIZE),
                  io.BufferedReader(Zeros(RATIO_BOMB_SIZE), MIB))
    out.flush()


# --------------------------------------------------------------------------- damage

MAGIC = [b"PK", b"7z\xbc\xaf\x27\x1c", b"MSCF", b"\x1f\x8b", b"BZh", b"\xfd7zXZ",
         b"\x28\xb5\x2f\xfd", b"\x5d\x00\x00", b"ustar", b"MZ", b"Rar!", b"ISc(", b"#!"]


def cmd_random(out, n=4096):
    # Seed 3: issue 3. Checked: no archive or PE magic at the start, no "ustar" anywhere,
    # too short for ISO 9660 (its descriptor sits at 32 KiB).
    data = random.Random(3).randbytes(n)
    assert not any(data.startswith(m) for m in MAGIC), "random bytes start with a magic"
    assert b"ustar" not in data and b"PK\x03\x04" not in data and b"PK\x05\x06" not in data
    with open(out, "wb") as f:
        f.write(data)


def zip_entries(data: bytes):
    """(name, local header offset, data offset, compressed size, central header offset)
    from the central directory."""
    eocd = data.rfind(b"PK\x05\x06")
    assert eocd >= 0, "no end of central directory"
    n, cd_size, cd_off = struct.unpack_from("<HII", data, eocd + 10)
    out = []
    p = cd_off
    for _ in range(n):
        assert data[p:p + 4] == b"PK\x01\x02"
        csize, = struct.unpack_from("<I", data, p + 20)
        nlen, elen, clen = struct.unpack_from("<HHH", data, p + 28)
        lho, = struct.unpack_from("<I", data, p + 42)
        name = data[p + 46:p + 46 + nlen]
        lnlen, lelen = struct.unpack_from("<HH", data, lho + 26)
        out.append((name, lho, lho + 30 + lnlen + lelen, csize, p))
        p += 46 + nlen + elen + clen
    return out, cd_off, cd_size


def find_entry(data, name):
    entries, _, _ = zip_entries(data)
    for e in entries:
        if e[0] == name.encode():
            return e
    raise SystemExit(f"no entry {name}")


def cmd_zip_cut_data(src, out, name):
    data = read(src)
    _, _, start, csize, _ = find_entry(data, name)
    with open(out, "wb") as f:
        f.write(data[:start + csize // 2])


def cmd_zip_cut_central(src, out):
    data = read(src)
    _, cd_off, cd_size = zip_entries(data)
    with open(out, "wb") as f:
        f.write(data[:cd_off + cd_size // 2])


def cmd_zip_bad_crc(src, out, name):
    data = bytearray(read(src))
    _, lho, _, _, cho = find_entry(bytes(data), name)
    for field in (lho + 14, cho + 16):
        crc, = struct.unpack_from("<I", data, field)
        struct.pack_into("<I", data, field, crc ^ 0x00010000)
    with open(out, "wb") as f:
        f.write(data)


def cmd_zip_corrupt(src, out, name):
    data = bytearray(read(src))
    _, _, start, csize, _ = find_entry(bytes(data), name)
    mid = start + csize // 2
    data[mid:mid + 16] = b"\xff" * 16
    with open(out, "wb") as f:
        f.write(data)


def cmd_cut_half(src, out):
    data = read(src)
    with open(out, "wb") as f:
        f.write(data[:len(data) // 2])


def gzip_cut_entry(path):
    """Which tar entry a truncated .tar.gz breaks off in: inflate what there is, walk the
    tar headers, return (name, 'header'|'data', bytes of tar available)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tar = d.decompress(read(path))
    p = 0
    while p + 512 <= len(tar):
        hdr = tar[p:p + 512]
        if hdr == bytes(512):
            return None, "end", len(tar)
        name = hdr[:100].rstrip(b"\0")
        prefix = hdr[345:500].rstrip(b"\0") if hdr[257:262] == b"ustar" and hdr[257:265] != b"ustar  \0" else b""
        if prefix:
            name = prefix + b"/" + name
        size = int(hdr[124:136].rstrip(b"\0 ") or b"0", 8)
        end = p + 512 + (size + 511) // 512 * 512
        if end > len(tar):
            return name.decode("utf-8", "backslashreplace"), "data", len(tar)
        p = end
    # broke off inside a header: name what we can
    return None, "header", len(tar)


# --------------------------------------------------------------------------- ISO 9660 / CAB

def iso_list(path):
    """Paths in a plain ISO 9660 image (primary volume descriptor, no extensions), with the
    ';1' version and a trailing '.' removed, as libarchive reports them."""
    data = read(path)
    pvd = data[16 * 2048:17 * 2048]
    assert pvd[1:6] == b"CD001" and pvd[0] == 1, "no primary volume descriptor"
    out = []

    def walk(lba, size, prefix, seen):
        p = lba * 2048
        end = p + size
        while p < end:
            ln = data[p]
            if ln == 0:
                p = (p // 2048 + 1) * 2048
                continue
            rec = data[p:p + ln]
            ext, = struct.unpack_from("<I", rec, 2)
            dlen, = struct.unpack_from("<I", rec, 10)
            flags = rec[25]
            nlen = rec[32]
            name = rec[33:33 + nlen]
            p += ln
            if name in (b"\0", b"\1"):
                continue
            name = name.decode("ascii")
            if flags & 2:
                full = prefix + name
                out.append((full, True))
                if ext not in seen:
                    walk(ext, dlen, full + "/", seen | {ext})
            else:
                name = name.split(";")[0]
                if name.endswith("."):
                    name = name[:-1]
                out.append((prefix + name, False))

    root = pvd[156:156 + 34]
    walk(struct.unpack_from("<I", root, 2)[0], struct.unpack_from("<I", root, 10)[0], "", set())
    return sorted(out)


def iso_name(component: str, is_dir: bool) -> str:
    """ISO 9660 level 1 (as xorriso maps it): upper case, [A-Z0-9_] only, 8.3 for files,
    8 characters for folders."""
    def clean(s):
        return "".join(c if (c.isascii() and (c.isalnum() or c == "_")) else "_" for c in s.upper())
    if is_dir:
        return clean(component.replace(".", "_"))[:8]
    base, dot, ext = component.rpartition(".")
    if not dot:
        base, ext = component, ""
    base, ext = clean(base)[:8], clean(ext)[:3]
    return base + ("." + ext if ext else "")


def pathmap(tree, iso):
    entries = tree_entries(tree)
    mapped = {}
    for rel, is_dir in entries:
        parts = rel.split("/")
        mapped[rel] = "/".join(iso_name(c, is_dir or i < len(parts) - 1) for i, c in enumerate(parts))
    listing = {p for p, _ in iso_list(iso)}
    want = set(mapped.values())
    if listing != want or len(want) != len(mapped):
        raise SystemExit(f"{iso}: 8.3 mapping differs from the image:\n"
                         f"  only in image: {sorted(listing - want)}\n"
                         f"  only expected: {sorted(want - listing)}")
    return mapped


def cab_names(path):
    data = read(path)
    assert data[:4] == b"MSCF"
    coff_files, = struct.unpack_from("<I", data, 16)
    n_files, flags = struct.unpack_from("<HH", data, 28)
    assert flags == 0, "reserve/prev/next cabinet flags not handled"
    p = coff_files
    out = []
    for _ in range(n_files):
        end = data.index(b"\0", p + 16)
        out.append(data[p + 16:end])
        p = end + 1
    return out


# --------------------------------------------------------------------------- expected.json

KINDS = [  # (kind folder, file suffix)
    ("zip", ".zip"),
    ("stored-zip", ".stored.zip"),
    ("tar.gz", ".tar.gz"),
    ("tar.xz", ".tar.xz"),
    ("tar.bz2", ".tar.bz2"),
    ("7z", ".7z"),
    ("cab", ".cab"),
    ("joliet-iso", ".joliet.iso"),
    ("iso9660", ".iso9660.iso"),
]
EXTRA_KIND_TREES = {  # kinds made for a few trees only
    ("joliet-only-iso", ".joliet-only.iso"): ["mixed-case", "patch-needed-sr1"],
    ("tar.zst", ".tar.zst"): ["patch-needed-sr1"],
}
SR1 = "patch-needed-sr1"
SR1_SYSTEM = ["EMSABP32.DLL", "EMSMDB32.DLL", "EMSUI32.DLL", "EMSUIX32.DLL", "MSPST32.DLL"]
OFFICE = "Program Files/Microsoft Office/Office"


P97, P98 = "outlook97-archive-patch", "outlook98-archive-patch"


def system_only(system):
    """A system folder without Outlook: review under both manifests (as review-system-only)."""
    return {"system": system, "outlook": None, "verdicts": {P97: "review", P98: "review"},
            "reason": "no-outlook-folder"}


def sr1_files(prefix="", system="WINDOWS/SYSTEM", office=OFFICE, status=None):
    status = status or {}
    files = {}
    for f in SR1_SYSTEM:
        files[f"{prefix}{system}/{f}"] = status.get(f, "ok" if f == "EMSUIX32.DLL" else "outdated")
    files[f"{prefix}{office}/OUTLLIB.DLL"] = status.get("OUTLLIB.DLL", "outdated")
    files[f"{prefix}{office}/OUTLOOK.EXE"] = status.get("OUTLOOK.EXE", "ok")
    return files


NESTED = [
    {"path": "nested/zip-in-zip.zip", "tree": SR1, "pathPrefix": "setup/pc42.zip!",
     "verdict": "patch-needed", "exitStatus": 1, "depth": 1,
     "description": "A zip holding setup/pc42.zip (stored by zip, as it stores .zip members), "
                    "which holds the patch-needed-sr1 tree. Same report as the tree, every path "
                    "prefixed with the chain."},
    {"path": "nested/cab-in-zip.zip", "tree": None, "verdict": "review", "exitStatus": 2,
     "depth": 1,
     "description": "A zip holding setup/office.cab (MSZIP; names WINDOWS\\SYSTEM\\*.DLL: the "
                    "system files of patch-needed-sr1) and the tree's Program Files part directly. "
                    "The Windows folder's parent is the cabinet's root (setup/office.cab!), and the "
                    "Office folder is not under it, so under the grouping rules (README, 'How "
                    "installations are found') they do not pair: a system folder without Outlook "
                    "(no-outlook-folder) and an Outlook folder without a system folder "
                    "(no-system-folder), both review. The outdated files are still listed. If the "
                    "scanner ever decides that a nested archive's root joins the enclosing volume, "
                    "this becomes one patch-needed installation; it should not (a cabinet in a "
                    "setup folder is a setup source, not an installed system).",
     "verdicts": {P97: "review", P98: "review"},
     "installations": [
         {"system": "setup/office.cab!WINDOWS/SYSTEM", "outlook": None,
          "verdicts": {P97: "review", P98: "review"}, "reason": "no-outlook-folder"},
         {"system": None, "outlook": OFFICE,
          "verdicts": {P97: "review", P98: "not-applicable"}, "reason": "no-system-folder"}],
     "files": {**sr1_files(system="setup/office.cab!WINDOWS/SYSTEM"),
               # as in review-system-only and review-program-files-only
               "outllib.dll": "missing", "emsabp32.dll": "missing", "emsmdb32.dll": "missing",
               "emsui32.dll": "missing", "mspst32.dll": "missing"},
     "stray": []},
    {"path": "nested/iso-in-7z.7z", "tree": SR1, "pathPrefix": "images/pc42.iso!",
     "verdict": "patch-needed", "exitStatus": 1, "depth": 1,
     "description": "A 7z (LZMA2, solid) holding images/pc42.iso, a Joliet + Rock Ridge image of "
                    "patch-needed-sr1. The image must be read as a stream (no seeking back)."},
    {"path": "nested/7z-in-zip.zip", "tree": SR1, "pathPrefix": "setup/pc42.7z!",
     "verdict": "patch-needed", "exitStatus": 1, "depth": 1,
     "description": "A zip holding setup/pc42.7z (7z/patch-needed-sr1.7z, 2.6 KB). libarchive "
                    "cannot read a 7z from a stream: the header is at the end and it must seek "
                    "('Error seeking in stdin' from `bsdtar -xf - < pc42.7z`). The scanner has to "
                    "hold such a nested archive in memory (it is small; archive_read_open_memory "
                    "seeks) within the byte limits; past the limit the target is review naming the "
                    "limit. The same applies to `patchaudit scan - < pc42.7z`."},
    {"path": "nested/tar-in-tgz.tar.gz", "tree": SR1, "pathPrefix": "backup/pc42.tar!",
     "verdict": "patch-needed", "exitStatus": 1, "depth": 1,
     "description": "A gzip-compressed tar holding backup/pc42.tar, a plain tar of patch-needed-sr1."},
    {"path": "nested/depth3.zip", "tree": SR1, "pathPrefix": "level1.zip!level2.zip!level3.zip!",
     "verdict": "patch-needed", "exitStatus": 1, "depth": 3,
     "description": "depth3.zip > level1.zip > level2.zip > level3.zip > the tree: three archive "
                    "boundaries between the target and the files, exactly the default --max-depth 3. "
                    "Scanned in full."},
    {"path": "nested/depth4.zip", "tree": None, "verdict": "review", "exitStatus": 2,
     "problem": "max-depth", "depth": 4,
     "entry": "level1.zip!level2.zip!level3.zip!level4.zip",
     "description": "depth4.zip > level1.zip > level2.zip > level3.zip > level4.zip > the tree: "
                    "level4.zip sits at depth 4 (four '!' in its files' paths), beyond the default "
                    "--max-depth 3, so it is not opened and the target is review naming the limit "
                    "and the archive. Nothing else is in it (no installation found). With "
                    "--max-depth 4 it gives the patch-needed-sr1 report under the prefix "
                    "level1.zip!level2.zip!level3.zip!level4.zip!.",
     "withMaxDepth4": {"tree": SR1, "pathPrefix": "level1.zip!level2.zip!level3.zip!level4.zip!",
                       "verdict": "patch-needed"}},
]

BROKEN = [
    {"path": "broken/truncated-data.zip", "verdict": "error", "problem": "truncated",
     "entry": "WINDOWS/SYSTEM/EMSMDB32.DLL",
     "description": "zip/patch-needed-sr1.zip cut in the middle of WINDOWS/SYSTEM/EMSMDB32.DLL's "
                    "deflate data. No central directory is left, so libarchive falls back to "
                    "streaming the local headers: the entries before it read fine, this one fails "
                    "(libarchive 3.6.2: archive_read_data FATAL 'ZIP decompression failed (-5)' after "
                    "262,144 of 524,048 bytes)."},
    {"path": "broken/truncated-central.zip", "verdict": "error", "problem": "truncated",
     "entry": None,
     "description": "zip/patch-needed-sr1.zip cut in the middle of its central directory (no end "
                    "of central directory record). Every entry's data is intact, and libarchive's "
                    "streaming zip reader lists and extracts all of them without an error (it stops "
                    "at the first central directory header; bsdtar exits 0): the scanner must notice "
                    "the missing end record itself (a seekable zip target whose last 65,557 bytes "
                    "hold no end record). Must not come out patch-needed as if complete."},
    {"path": "broken/truncated.tar.gz", "verdict": "error", "problem": "truncated",
     "entry": "(computed)",
     "description": "tar.gz/patch-needed-sr1.tar.gz cut in the middle of the gzip stream."},
    {"path": "broken/truncated.7z", "verdict": "error", "problem": "truncated", "entry": None,
     "description": "7z/patch-needed-sr1.7z cut in half. The 7z header is at the end, so nothing "
                    "can be listed. libarchive 3.6.2: the first archive_read_next_header is FATAL "
                    "with archive_error_string NULL (no message at all): the wrapper must supply one "
                    "('truncated or damaged 7-Zip archive')."},
    {"path": "broken/bad-crc.zip", "verdict": "error", "problem": "corrupt (CRC-32 mismatch)",
     "entry": "WINDOWS/SYSTEM/EMSMDB32.DLL",
     "description": "zip/patch-needed-sr1.zip with EMSMDB32.DLL's CRC-32 changed (one bit, in the "
                    "local and the central header); the data is intact. libarchive returns the data "
                    "and reports 'ZIP bad CRC: 0x8fce8d3f should be 0x8fcf8d3f' as ARCHIVE_WARN from "
                    "archive_read_data (libarchive 3.6.2, after 262,144 of 524,048 bytes): the "
                    "wrapper must not treat that warning as 'entry usable'."},
    {"path": "broken/corrupt-data.zip", "verdict": "error", "problem": "corrupt",
     "entry": "WINDOWS/SYSTEM/EMSMDB32.DLL",
     "description": "zip/patch-needed-sr1.zip with 16 bytes in the middle of EMSMDB32.DLL's deflate "
                    "data overwritten with 0xFF. libarchive 3.6.2: archive_read_data WARN 'ZIP "
                    "uncompressed data is wrong size (read 507410, expected 524048)' (a WARN again, "
                    "not FAILED)."},
    {"path": "broken/random.bin", "verdict": "error", "problem": "not a recognised archive",
     "description": "4096 bytes from Python's random.Random(3).randbytes: no archive magic."},
    {"path": "broken/random.zip", "verdict": "error", "problem": "not a recognised archive",
     "description": "The same bytes named .zip: the name does not make it a zip."},
    {"path": "broken/not-archive.txt", "verdict": "error", "problem": "not a recognised archive",
     "description": "A short CRLF text file."},
    {"path": "broken/emsmdb32.dll.gz", "verdict": "error", "problem": "not a recognised archive",
     "description": "gzip -n -9 of the Exchange 5.5 RTM EMSMDB32.DLL: a compressed file, not an "
                    "archive. libarchive's gzip filter recognises the stream, but no enabled format "
                    "recognises the PE inside (the 'raw' format is not enabled), so: not a "
                    "recognised archive (the message may add that it is gzip-compressed)."},
    {"path": "broken/encrypted.zip", "verdict": "review", "problem": "encrypted",
     "description": "patch-needed-sr1 with every .DLL entry ZipCrypto-encrypted (password "
                    "'secret', written by archivefixture.py with a fixed 12-byte header so the file "
                    "is reproducible; `unzip -P secret -t` passes). OUTLOOK.EXE is not encrypted. "
                    "libarchive 3.6.2 lists every entry (archive_entry_is_encrypted 1 for the DLLs); "
                    "archive_read_data on them is FAILED 'Passphrase required for this entry'. Never "
                    "register a passphrase callback (bsdtar prompts in a loop).",
     "verdicts": {P97: "review", P98: "not-applicable"},
     "installations": [{"system": "WINDOWS/SYSTEM", "outlook": OFFICE,
                        "verdicts": {P97: "review", P98: "not-applicable"}}],
     "files": sr1_files(status={f: "unreadable" for f in SR1_SYSTEM + ["OUTLLIB.DLL"]}),
     "stray": [],
     "unreadableReason": "encrypted"},
    {"path": "broken/encrypted-aes.7z", "verdict": "review", "problem": "encrypted",
     "description": "7z -psecret -mhe=off -mf=off of patch-needed-sr1 (LZMA2 + AES-256): names "
                    "and sizes are visible, every entry's data is encrypted. libarchive 3.6.2 lists "
                    "every entry (archive_entry_is_data_encrypted 1), but archive_read_data on one is "
                    "FATAL ('The file content is encrypted, but currently not supported'): the "
                    "archive is over after the first attempt. Check the flag and skip "
                    "(archive_read_data_skip works) instead of reading.",
     "installations": [{"system": "WINDOWS/SYSTEM", "outlook": OFFICE,
                        "verdicts": {P97: "review"}}],
     "files": sr1_files(status={f: "unreadable" for f in SR1_SYSTEM + ["OUTLLIB.DLL", "OUTLOOK.EXE"]}),
     "stray": [],
     "unreadableReason": "encrypted"},
    {"path": "broken/encrypted-headers.7z", "verdict": "review", "problem": "encrypted",
     "description": "7z -psecret -mhe=on: the header itself is encrypted, so not even the names "
                    "can be read. Not corrupt, not an unknown format: a person with the password "
                    "must look (review, 'encrypted'). No files can be listed. libarchive 3.6.2: first "
                    "archive_read_next_header FATAL 'The archive header is encrypted, but currently "
                    "not supported'."},
    {"path": "broken/encrypted-bcj2.7z", "verdict": "error", "acceptVerdict": ["error", "review"],
     "problem": "damaged", "acceptProblem": ["damaged", "encrypted"],
     "description": "7z -psecret -mhe=off with 7-Zip's defaults at -mx=9: the PE files go through "
                    "BCJ2, so their folder has 8 coders (BCJ2, 3 LZMA, 4 AES). libarchive 3.6.2 "
                    "reads at most 4 coders per folder and says 'Damaged 7-Zip archive' (FATAL, first "
                    "header) although 7z t -psecret passes. What an admin's 'encrypted 7z of a "
                    "Windows folder' usually looks like; the scanner cannot tell it is encrypted."},
    {"path": "broken/multivolume.z01", "verdict": "error", "problem": "multi-volume",
     "description": "First part of `zip -s 100k` (stored) of part of patch-needed-sr1 (OUTLLIB.DLL, "
                    "OUTLOOK.EXE, EMSABP32.DLL, MSPST32.DLL). Starts with the spanning signature "
                    "PK\\x07\\x08; no central directory in this part."},
    {"path": "broken/multivolume.zip", "verdict": "error", "problem": "multi-volume",
     "description": "Last part of the same set: holds the central directory, whose entries live on "
                    "disk 0 (multivolume.z01); the end record says disk 1. It starts inside "
                    "EMSABP32.DLL's stored data, i.e. with zero bytes, and libarchive 3.6.2 takes a "
                    "leading 512-byte zero block for a tar end-of-archive mark: format 'tar', no "
                    "entries, no error (bsdtar -tf exits 0 and lists nothing). Without a check of its "
                    "own (an end of central directory record with 'number of this disk' != 0) the "
                    "scanner would call this an empty archive: not-applicable, exit 0. Must be error."},
    {"path": "broken/multivolume.7z.001", "verdict": "error", "problem": "multi-volume",
     "acceptProblem": ["multi-volume", "truncated"],
     "description": "First volume of `7z -v` of patch-needed-sr1. By its bytes it is a 7z whose "
                    "header lies past the end (like truncated.7z: FATAL with a NULL error string); "
                    "only the name .7z.001 says it is a volume. A message naming either is acceptable."},
    {"path": "broken/multivolume.7z.002", "verdict": "error", "problem": "multi-volume",
     "acceptProblem": ["multi-volume", "not a recognised archive"],
     "description": "Second (last) volume: no signature at all ('Unrecognized archive format'); "
                    "only the name says what it is."},
    {"path": "broken/evil-names.zip", "verdict": "review", "exitStatus": 2,
     "description": "Entries named ../../etc/EMSMDB32.DLL, /abs/WINDOWS/SYSTEM/EMSMDB32.DLL, "
                    "C:\\WINDOWS\\SYSTEM\\EMSUI32.DLL (backslashes, drive letter; made-by MS-DOS; "
                    "libarchive 3.6.2 turns a zip name's backslashes into slashes, so it reports "
                    "C:/WINDOWS/SYSTEM/EMSUI32.DLL) "
                    "and WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL, holding the patch's builds "
                    "(5.5.2440.0, 5.5.2513.0, 5.5.2502.0). Paths are reported as stored and never "
                    "joined to a host path or normalised. ../../etc is no system folder: stray. The "
                    "other three sit in folders named SYSTEM, so each forms a system folder under its "
                    "literal path, with no Outlook folder anywhere: review (no-outlook-folder; "
                    "stray-only if an implementation refuses such folders). Never up-to-date, never "
                    "error.",
     "verdicts": {P97: "review", P98: "review"},
     "installations": [system_only("/abs/WINDOWS/SYSTEM"), system_only("C:/WINDOWS/SYSTEM"),
                       system_only("WINDOWS/SYSTEM/../SYSTEM")],
     "files": {"/abs/WINDOWS/SYSTEM/EMSMDB32.DLL": "patched",
               "C:/WINDOWS/SYSTEM/EMSUI32.DLL": "patched",
               "WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL": "patched"},
     "stray": ["../../etc/EMSMDB32.DLL"],
     "entries": [
         {"name": "../../etc/EMSMDB32.DLL", "role": "stray", "status": "patched"},
         {"name": "/abs/WINDOWS/SYSTEM/EMSMDB32.DLL", "role": "system-folder",
          "system": "/abs/WINDOWS/SYSTEM", "status": "patched"},
         {"name": "C:\\WINDOWS\\SYSTEM\\EMSUI32.DLL", "reported": "C:/WINDOWS/SYSTEM/EMSUI32.DLL",
          "role": "system-folder", "system": "C:/WINDOWS/SYSTEM", "status": "patched"},
         {"name": "WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL", "role": "system-folder",
          "system": "WINDOWS/SYSTEM/../SYSTEM", "status": "patched"}]},
    {"path": "broken/evil-names.tar", "verdict": "review", "exitStatus": 2,
     "description": "The same four entries in a GNU tar. libarchive reports every name exactly as "
                    "stored, so the drive-letter entry is one name with backslashes at the root. "
                    "Recommended: split it at backslashes as for CAB (system folder "
                    "C:\\WINDOWS\\SYSTEM, path reported as stored); acceptable: not matched (then "
                    "it is simply not listed). The verdict is review either way.",
     "verdicts": {P97: "review", P98: "review"},
     "installations": [system_only("/abs/WINDOWS/SYSTEM"),
                       dict(system_only("C:\\\\WINDOWS\\\\SYSTEM"), alsoAccept="absent (name not matched)"),
                       system_only("WINDOWS/SYSTEM/../SYSTEM")],
     "files": {"/abs/WINDOWS/SYSTEM/EMSMDB32.DLL": "patched",
               "WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL": "patched"},
     "stray": ["../../etc/EMSMDB32.DLL"],
     "entries": [
         {"name": "../../etc/EMSMDB32.DLL", "role": "stray", "status": "patched"},
         {"name": "/abs/WINDOWS/SYSTEM/EMSMDB32.DLL", "role": "system-folder",
          "system": "/abs/WINDOWS/SYSTEM", "status": "patched"},
         {"name": "C:\\WINDOWS\\SYSTEM\\EMSUI32.DLL",
          "display": "C:\\\\WINDOWS\\\\SYSTEM\\\\EMSUI32.DLL (ScanPath.display doubles a literal backslash)",
          "role": "system-folder", "system": "C:\\\\WINDOWS\\\\SYSTEM", "alsoAccept": "not matched",
          "status": "patched"},
         {"name": "WINDOWS/SYSTEM/../SYSTEM/EMSABP32.DLL", "role": "system-folder",
          "system": "WINDOWS/SYSTEM/../SYSTEM", "status": "patched"}]},
    {"path": "broken/overlap-bomb.zip", "verdict": "review", "problem": "overlapping entries",
     "acceptProblem": ["overlapping entries", "decompressed-bytes limit"],
     "description": "(computed)"},
    {"path": "broken/ratio-bomb.zip", "verdict": "review", "problem": "limit",
     "acceptProblem": ["per-entry byte cap", "compression-ratio guard", "decompressed-bytes limit"],
     "description": "One honest entry WINDOWS/SYSTEM/EMSMDB32.DLL: 200 MiB (209,715,200 bytes) of "
                    "zeros, deflated (ratio about 1030:1). The limit must stop reading it; its status "
                    "is not asserted beyond 'not patched/outdated/ok'."},
    {"path": "broken/ratio-bomb.tar.gz", "verdict": "review", "problem": "limit",
     "acceptProblem": ["per-entry byte cap", "compression-ratio guard", "decompressed-bytes limit"],
     "description": "A tar holding WINDOWS/SYSTEM/MSPST32.DLL, 200 MiB of zeros, gzip -9."},
    {"path": "broken/non-utf8-names.zip", "verdict": "review", "exitStatus": 2,
     "reason": "no-outlook-folder",
     "description": "B\\xfcro/WINDOWS/SYSTEM/EMSMDB32.DLL (Latin-1 'Büro', no UTF-8 flag, made-by "
                    "MS-DOS) holding EMSMDB32.DLL 5.5.2440.0. The name is kept as bytes and "
                    "reported escaped (never dropped): a system folder without Outlook, review.",
     "verdicts": {P97: "review", P98: "review"},
     "installations": [system_only("B\\xfcro/WINDOWS/SYSTEM")],
     "files": {"B\\xfcro/WINDOWS/SYSTEM/EMSMDB32.DLL": "patched"},
     "stray": [],
     "rawName": "bytes 42 fc 72 6f 2f 57 ... ('B', 0xFC, 'ro/WINDOWS/SYSTEM/EMSMDB32.DLL'); paths "
                "here are ScanPath.display: non-UTF-8 bytes as \\xNN"},
    {"path": "broken/non-utf8-names.tar", "verdict": "review", "exitStatus": 2,
     "reason": "no-outlook-folder",
     "description": "The same name as raw bytes in a GNU tar (no pax header, no charset).",
     "verdicts": {P97: "review", P98: "review"},
     "installations": [system_only("B\\xfcro/WINDOWS/SYSTEM")],
     "files": {"B\\xfcro/WINDOWS/SYSTEM/EMSMDB32.DLL": "patched"},
     "stray": []},
    {"path": "broken/duplicate-entry.zip", "verdict": "review", "exitStatus": 2,
     "problem": "copies disagree",
     "description": "up-to-date-sr1 with WINDOWS/SYSTEM/EMSMDB32.DLL stored twice: first the "
                    "Exchange 5.5 RTM build 5.5.1960.3 (outdated), then 5.5.2440.0 (patched). A "
                    "scanner that keeps only the last copy would say up-to-date; only the first, "
                    "patch-needed. Expected: both listed, review (copies disagree).",
     "duplicates": {"WINDOWS/SYSTEM/EMSMDB32.DLL": [
         {"version": "5.5.1960.3", "status": "outdated"},
         {"version": "5.5.2440.0", "status": "patched"}]}},
]


def iso9660_grouping_note(tree):
    """On a plain ISO 9660 image the folder names that the grouping rules look at change:
    'Microsoft Outlook' becomes MICROSOF, so the rule 'holds Outllib.dll and is named Office or
    Microsoft Outlook' no longer fires there. The verdicts stay the same only while every folder
    holding Outllib.dll also holds Outlook.exe; fail loudly when a tree breaks that."""
    folders = {}
    for rel, is_dir in tree_entries(tree):
        if not is_dir:
            folder, _, name = rel.rpartition("/")
            folders.setdefault(folder, set()).add(name.lower())
    for folder, names in folders.items():
        if "outllib.dll" in names and "outlook.exe" not in names:
            raise SystemExit(f"{tree}: {folder} holds Outllib.dll without Outlook.exe; on ISO 9660 "
                             f"its name no longer marks it as an Outlook folder: decide the "
                             f"expected verdict by hand")
    if any(f.split("/")[-1] == "Microsoft Outlook" for f in folders):
        return ("'Program Files/Microsoft Outlook' becomes PROGRAM_/MICROSOF: the folder-name rule "
                "no longer applies, but OUTLOOK.EXE sits beside OUTLLIB.DLL, so it is still the "
                "Outlook folder and the verdicts do not change.")
    return None


def cmd_expected(fixtures, archives_dir):
    trees = sorted(os.listdir(os.path.join(fixtures, "trees")))
    targets = [(t, os.path.join(fixtures, "trees", t)) for t in trees]
    targets.append(("sample-install", os.path.join(fixtures, "sample-install")))
    archives = []
    for name, src in targets:
        kinds = list(KINDS) + [k for k, ts in EXTRA_KIND_TREES.items() if name in ts]
        for kind, suffix in kinds:
            entry = {"path": f"{kind}/{name}{suffix}", "kind": kind, "tree": name}
            if kind == "iso9660":
                entry["pathMap"] = pathmap(src, os.path.join(archives_dir, entry["path"]))
                note = iso9660_grouping_note(src)
                if note:
                    entry["note"] = note
            archives.append(entry)
    archives.append({"path": "renamed/pc42.dat", "kind": "zip", "tree": SR1,
                     "comment": "zip/patch-needed-sr1.zip under a name that says nothing"})
    archives.append({"path": "renamed/pc42-tar-gz.bin", "kind": "tar.gz", "tree": SR1,
                     "comment": "tar.gz/patch-needed-sr1.tar.gz under a name that says nothing"})

    with open(os.path.join(fixtures, "expected.json"), encoding="utf-8") as f:
        expected_trees = json.load(f)
    broken = json.loads(json.dumps(BROKEN))
    for b in broken:
        if b["path"] == "broken/truncated.tar.gz":
            name, where, have = gzip_cut_entry(os.path.join(archives_dir, b["path"]))
            b["entry"] = name
            b["description"] += (f" {have} bytes of tar survive; the stream breaks off in the "
                                 f"{where} of {name}.")
        if b["path"] == "broken/overlap-bomb.zip":
            b["description"] = (
                f"David Fifield's overlapping-entries construction, written by archivefixture.py: "
                f"{BOMB_ENTRIES} entries whose local headers are quoted by stored deflate blocks and "
                f"whose data all ends in one shared kernel inflating to {BOMB_KERNEL} zero bytes. "
                f"{os.path.getsize(os.path.join(archives_dir, b['path']))} bytes on disk, "
                f"about {BOMB_ENTRIES * BOMB_KERNEL // MIB} MiB if extracted; every header agrees "
                f"with its central entry. Entries {', '.join(f'{i} {n}' for i, n in sorted(BOMB_MATCHED.items()))} "
                f"carry manifest names (their content is not a PE). Verdict review naming the limit "
                f"(overlap detected, or the decompressed-bytes cap), never up-to-date. libarchive 3.6.2 "
                f"reads it from the file (central directory) without complaint: all {BOMB_ENTRIES} "
                f"entries, every one inflating to about 1 MiB. Read as a stream (stdin, or nested) "
                f"it sees only the first entry: its data runs on to the end of the kernel.")
            b["matchedEntries"] = [n for _, n in sorted(BOMB_MATCHED.items())]
            b["entries"] = BOMB_ENTRIES
            import zipfile
            with zipfile.ZipFile(os.path.join(archives_dir, b["path"])) as zf:
                b["expandedBytes"] = sum(zi.file_size for zi in zf.infolist())
        if b["path"] == "broken/duplicate-entry.zip":
            base = next(t for t in expected_trees["trees"] if t["name"] == "up-to-date-sr1")
            b["verdicts"] = {P97: "review", P98: "not-applicable"}
            b["installations"] = [dict(i, verdicts={P97: "review", P98: "not-applicable"})
                                  for i in base["installations"]]
            b["files"] = {k: v for k, v in base["files"].items()
                          if k != "WINDOWS/SYSTEM/EMSMDB32.DLL"}
            b["stray"] = []
    doc = {
        "comment": (
            "What patchaudit scan should say for every file in Fixtures/archives (written by "
            "Fixtures/tools/archivefixture.py expected, from Fixtures/make-archives.sh). "
            "'archives': one per tree and kind; the expected verdicts, installations and file "
            "statuses are those of the tree in Fixtures/expected.json (sample-install: its "
            "sampleInstall entry), with the same paths inside the archive, except kind iso9660, "
            "where every path goes through pathMap (folders and files; a missing file's key is "
            "its mapped folder plus the lower-case name). 'nested': a tree plus pathPrefix means "
            "the tree's expected result with every path (files, installation folders, stray "
            "copies) prefixed; otherwise the entry says what to expect. 'broken': verdict and "
            "the problem the message must name ('acceptProblem' lists alternatives); 'entry' is "
            "the entry the message must name, null when the failure is not in an entry. "
            "'installations', 'files', 'stray' and 'verdicts' have the shape of Fixtures/expected.json; "
            "every path in this file is written as the report displays it (ScanPath.display: "
            "non-UTF-8 bytes as \\xNN, a literal backslash doubled); 'name' fields are the raw "
            "entry names. Where 'files' lists only present files, missing ones follow the tree "
            "rules and are not asserted."),
        "depthDefinition": (
            "The depth of an entry is the number of archive boundaries ('!') between the target "
            "and it: WINDOWS/SYSTEM/EMSMDB32.DLL in the target is depth 0, "
            "setup/pc42.zip!WINDOWS/SYSTEM/EMSMDB32.DLL depth 1. --max-depth N (default 3) opens "
            "nested archives whose contents are at depth <= N."),
        "archives": archives,
        "nested": NESTED,
        "broken": broken,
    }
    with open(os.path.join(archives_dir, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


def bsdtar_extract(archive, dest):
    os.makedirs(dest, exist_ok=True)
    r = subprocess.run(["bsdtar", "-xf", archive, "-C", dest], capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"bsdtar -xf {archive}: {r.stderr.decode(errors='replace')}")


def files_under(root):
    return {rel: read(os.path.join(root, rel)) for rel, is_dir in tree_entries(root) if not is_dir}


def compare(tree, extracted, label, mapping=None):
    want = files_under(tree)
    if mapping:
        want = {mapping[k]: v for k, v in want.items()}
    got = files_under(extracted)
    if want != got:
        diff = sorted(set(want) ^ set(got)) or sorted(k for k in want if want[k] != got[k])
        raise SystemExit(f"{label}: contents differ from {tree}: {diff[:8]}")


def cmd_check(fixtures, archives_dir):
    """expected.json lists every file and only those; every per-tree and nested archive,
    extracted by bsdtar (libarchive), holds exactly its tree's files (through pathMap for plain
    ISO 9660); CAB names use backslashes."""
    with open(os.path.join(archives_dir, "expected.json"), encoding="utf-8") as f:
        doc = json.load(f)
    listed = set()
    for section in ("archives", "nested", "broken"):
        for e in doc[section]:
            listed.add(e["path"])
    on_disk = set()
    for dirpath, _, files in os.walk(archives_dir):
        for fn in files:
            rel = os.path.relpath(os.path.join(dirpath, fn), archives_dir)
            if rel not in ("expected.json", ".gitattributes"):
                on_disk.add(rel)
    problems = [f"not in expected.json: {p}" for p in sorted(on_disk - listed)]
    problems += [f"missing on disk: {p}" for p in sorted(listed - on_disk)]
    with open(os.path.join(fixtures, "expected.json"), encoding="utf-8") as f:
        expected_trees = json.load(f)
    names = {t["name"] for t in expected_trees["trees"]} | {"sample-install"}
    for e in doc["archives"] + doc["nested"]:
        if e.get("tree") and e["tree"] not in names:
            problems.append(f"{e['path']}: unknown tree {e['tree']}")
    if problems:
        raise SystemExit("\n".join(problems))

    def tree_dir(name):
        if name == "sample-install":
            return os.path.join(fixtures, "sample-install")
        return os.path.join(fixtures, "trees", name)

    with tempfile.TemporaryDirectory() as tmp:
        for i, e in enumerate(doc["archives"]):
            path = os.path.join(archives_dir, e["path"])
            dest = os.path.join(tmp, f"a{i}")
            bsdtar_extract(path, dest)
            compare(tree_dir(e["tree"]), dest, e["path"], e.get("pathMap"))
            if e["kind"] == "cab":
                stored = cab_names(path)
                if any(b"/" in n for n in stored) or not any(b"\\" in n for n in stored):
                    raise SystemExit(f"{e['path']}: CAB names not in backslash form: {stored[:3]}")
        for i, e in enumerate(doc["nested"]):
            chain = [e.get("pathPrefix") or (e.get("withMaxDepth4") or {}).get("pathPrefix")]
            prefix = chain[0]
            if not prefix:
                continue
            current = os.path.join(archives_dir, e["path"])
            for j, member in enumerate(prefix.rstrip("!").split("!")):
                dest = os.path.join(tmp, f"n{i}-{j}")
                bsdtar_extract(current, dest)
                current = os.path.join(dest, member)
            dest = os.path.join(tmp, f"n{i}-tree")
            bsdtar_extract(current, dest)
            compare(tree_dir(e.get("tree") or e["withMaxDepth4"]["tree"]), dest, e["path"])
        # cab-in-zip: the cabinet holds the system folder, the zip the Office folder
        dest = os.path.join(tmp, "cab-in-zip")
        bsdtar_extract(os.path.join(archives_dir, "nested/cab-in-zip.zip"), dest)
        stored = cab_names(os.path.join(dest, "setup/office.cab"))
        want = [("WINDOWS\\SYSTEM\\" + f).encode() for f in SR1_SYSTEM]
        if stored != want:
            raise SystemExit(f"cab-in-zip: office.cab holds {stored}")
    print(f"expected.json: {len(listed)} files listed, all present; "
          f"{len(doc['archives'])} per-tree archives and the nested chains extract to their trees")

# --------------------------------------------------------------------------- libarchive probe

RC = {1: "EOF", 0: "OK", -10: "RETRY", -20: "WARN", -25: "FAILED", -30: "FATAL"}


def cmd_probe(paths, read_cap=4 * MIB):
    """What libarchive (the system's libarchive.so.13, through ctypes) says about each file when
    configured like the scanner: formats zip, tar, 7-Zip, CAB, ISO 9660; filters gzip, bzip2, xz,
    zstd; locale C.UTF-8; no passphrase. Prints every header and data return code with
    archive_error_string. Reads at most read_cap bytes of each entry; skips entries that
    archive_entry_is_encrypted flags (reading them is FATAL in a 7z). Diagnostic only."""
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(None)
    libc.setlocale.restype = ctypes.c_char_p
    libc.setlocale(6, b"C.UTF-8")  # LC_ALL
    lib = ctypes.CDLL(ctypes.util.find_library("archive") or "libarchive.so.13")
    vp = ctypes.c_void_p
    lib.archive_read_new.restype = vp
    for f in ("archive_error_string", "archive_format_name", "archive_entry_pathname",
              "archive_version_details"):
        getattr(lib, f).restype = ctypes.c_char_p
    lib.archive_entry_pathname.argtypes = [vp]
    lib.archive_entry_size.restype = ctypes.c_int64
    lib.archive_entry_size.argtypes = [vp]
    lib.archive_entry_filetype.argtypes = [vp]
    lib.archive_entry_is_encrypted.argtypes = [vp]
    lib.archive_read_data.restype = ctypes.c_ssize_t
    lib.archive_read_data.argtypes = [vp, ctypes.c_void_p, ctypes.c_size_t]
    lib.archive_filter_name.restype = ctypes.c_char_p
    lib.archive_filter_name.argtypes = [vp, ctypes.c_int]
    for f in ("archive_error_string", "archive_format_name", "archive_read_free",
              "archive_read_next_header", "archive_read_data_skip", "archive_filter_count",
              "archive_read_has_encrypted_entries", "archive_read_open_filename"):
        getattr(lib, f).argtypes = [vp] + ([ctypes.POINTER(vp)] if f == "archive_read_next_header"
                                          else [ctypes.c_char_p, ctypes.c_size_t]
                                          if f == "archive_read_open_filename" else [])
    print(lib.archive_version_details().decode())

    def err(a):
        m = lib.archive_error_string(a)
        return "(null)" if m is None else m.decode("utf-8", "backslashreplace")

    buf = ctypes.create_string_buffer(65536)
    for path in paths:
        print(f"== {path}")
        a = lib.archive_read_new()
        for name in ("gzip", "bzip2", "xz", "zstd"):
            getattr(lib, f"archive_read_support_filter_{name}").argtypes = [vp]
            getattr(lib, f"archive_read_support_filter_{name}")(a)
        for name in ("zip", "tar", "7zip", "cab", "iso9660"):
            getattr(lib, f"archive_read_support_format_{name}").argtypes = [vp]
            getattr(lib, f"archive_read_support_format_{name}")(a)
        rc = lib.archive_read_open_filename(a, path.encode(), 65536)
        if rc != 0:
            print(f"   open: {RC.get(rc, rc)}: {err(a)}")
            lib.archive_read_free(a)
            continue
        entry = vp()
        shown = 0
        while True:
            rc = lib.archive_read_next_header(a, ctypes.byref(entry))
            if rc == 1:
                print(f"   next_header: EOF  format={lib.archive_format_name(a).decode()}"
                      f" filters={[lib.archive_filter_name(a, i).decode() for i in range(lib.archive_filter_count(a))]}")
                break
            if rc < -20 and not entry:
                print(f"   next_header: {RC.get(rc, rc)}: {err(a)}")
                break
            name = lib.archive_entry_pathname(entry)
            name = name.decode("utf-8", "backslashreplace") if name is not None else None
            line = f"   {name!s}: header {RC.get(rc, rc)}" + (f" ({err(a)})" if rc != 0 else "")
            if rc == -30:
                print(line)
                break
            total, drc = 0, 0
            if lib.archive_entry_filetype(entry) == 0o100000 and lib.archive_entry_is_encrypted(entry):
                # what a scanner should do: do not try to read it, skip it
                drc = lib.archive_read_data_skip(a)
                line += ", encrypted: skipped" + (f" -> {RC.get(drc, drc)} ({err(a)})" if drc else "")
            elif lib.archive_entry_filetype(entry) == 0o100000:
                while total < read_cap:
                    n = lib.archive_read_data(a, buf, len(buf))
                    if n <= 0:
                        drc = n
                        break
                    total += n
                else:
                    drc = lib.archive_read_data_skip(a)
                line += f", data {total} bytes"
                if drc != 0:
                    line += f" then {RC.get(drc, drc)} ({err(a)})"
            shown += 1
            if shown <= 40 or drc != 0:
                print(line)
            if drc == -30:
                break
        lib.archive_read_free(a)


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "zipcrypto":
        cmd_zipcrypto(*args)
    elif cmd == "evil-zip":
        cmd_evil_zip(*args)
    elif cmd == "evil-tar":
        cmd_evil_tar(*args)
    elif cmd == "nonutf8-zip":
        cmd_nonutf8_zip(*args)
    elif cmd == "nonutf8-tar":
        cmd_nonutf8_tar(*args)
    elif cmd == "duplicate-zip":
        cmd_duplicate_zip(*args)
    elif cmd == "overlap-bomb":
        cmd_overlap_bomb(*args)
    elif cmd == "ratio-bomb-zip":
        cmd_ratio_bomb_zip(*args)
    elif cmd == "ratio-bomb-tar":
        cmd_ratio_bomb_tar()
    elif cmd == "random":
        cmd_random(args[0], *(int(a) for a in args[1:]))
    elif cmd == "zip-cut-data":
        cmd_zip_cut_data(*args)
    elif cmd == "zip-cut-central":
        cmd_zip_cut_central(*args)
    elif cmd == "zip-bad-crc":
        cmd_zip_bad_crc(*args)
    elif cmd == "zip-corrupt":
        cmd_zip_corrupt(*args)
    elif cmd == "cut-half":
        cmd_cut_half(*args)
    elif cmd == "gzip-cut-entry":
        print(gzip_cut_entry(*args))
    elif cmd == "iso-list":
        for p, is_dir in iso_list(*args):
            print(p + ("/" if is_dir else ""))
    elif cmd == "pathmap":
        print(json.dumps(pathmap(*args), indent=2))
    elif cmd == "cab-names":
        for n in cab_names(*args):
            print(n.decode("latin-1"))
    elif cmd == "zip-names":
        for e in zip_entries(read(args[0]))[0]:
            print(e[0].decode("utf-8", "backslashreplace"))
    elif cmd == "expected":
        cmd_expected(*args)
    elif cmd == "check":
        cmd_check(*args)
    elif cmd == "probe":
        cmd_probe(args)
    else:
        raise SystemExit(f"unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
