#!/usr/bin/env python3
"""Hostile disk images for Fixtures/images/hostile (called by make-images.sh; standard library only).

  hostile.py garbage OUT                       1 MiB of pseudo-random bytes (random.Random(1997))
  hostile.py cut IN OUT                        the first half of IN (rounded down to 512 bytes)
  hostile.py cut-after-fat IN SECTOR OUT       IN cut right after the FATs of the FAT volume at
                                               SECTOR: the root folder and all data are gone
  hostile.py partition-past-end OUT            a 64 KiB disk whose MBR's one partition (FAT16,
                                               0x06) starts at sector 4096, past the end
  hostile.py dir-loop IMG SECTOR DIR/SUB       SUB's directory entry gets DIR's first cluster,
                                               so DIR/SUB/SUB/SUB/... never ends (FAT16 in place)
  hostile.py crosslink IMG SECTOR A B          file A's second cluster links on to B's third
                                               cluster: A and B share B's tail (FAT16 in place)
  hostile.py size IMG SECTOR PATH VALUE        PATH's directory-entry size field := VALUE
  hostile.py gpt-huge IN OUT                   IN (a GPT disk) whose entry 0 ends 2^54 sectors
                                               after it starts (CRCs fixed: TSK reads it)
  hostile.py ebr-broken IN OUT                 IN (an MBR disk with logical drives) whose first
                                               extended boot record has lost its 55 AA
  hostile.py vmdk-trap IN OUT                  IN (a sparse VMDK) whose header puts the embedded
                                               descriptor at sector 2^64-1
  hostile.py zip-bad-crc TREE OUT              a zip (stored) of the files under TREE whose first
                                               entry's CRC-32 is wrong in both headers
  hostile.py add-partition IN TYPE OUT         IN (an MBR disk) with 64 empty sectors appended and
                                               a second primary entry of TYPE (hex) over them
  hostile.py ebr-reorder IN OUT                IN (an MBR disk with two logical drives A, B in
                                               that order on the disk) whose chain lists B first:
                                               EBR 1 names B, a new EBR 2 right after EBR 1 names A
"""
import zlib
import zipfile
import os
import shutil
import random
import struct
import sys


def garbage(out):
    rng = random.Random(1997)
    open(out, "wb").write(bytes(rng.getrandbits(8) for _ in range(1 << 20)))


def cut(src, out):
    data = open(src, "rb").read()
    open(out, "wb").write(data[: len(data) // 2 // 512 * 512])


class Fat16:
    """Just enough FAT16 to find 8.3 entries and patch them, in a volume at a byte offset."""

    def __init__(self, image, sector):
        self.f = open(image, "r+b")
        self.base = sector * 512
        boot = self.read(0, 512)
        (self.bps,) = struct.unpack_from("<H", boot, 11)
        self.spc = boot[13]
        (reserved,) = struct.unpack_from("<H", boot, 14)
        self.nfats = boot[16]
        (root_entries,) = struct.unpack_from("<H", boot, 17)
        (self.fat_sectors,) = struct.unpack_from("<H", boot, 22)
        if self.fat_sectors == 0:
            raise SystemExit("not FAT12/16")
        self.fat_start = reserved * self.bps
        self.root_start = self.fat_start + self.nfats * self.fat_sectors * self.bps
        self.root_size = root_entries * 32
        self.data_start = self.root_start + self.root_size
        self.cluster_size = self.spc * self.bps

    def read(self, off, n):
        self.f.seek(self.base + off)
        return self.f.read(n)

    def write(self, off, data):
        self.f.seek(self.base + off)
        self.f.write(data)

    def fat(self, cluster):
        return struct.unpack("<H", self.read(self.fat_start + 2 * cluster, 2))[0]

    def set_fat(self, cluster, value):
        for i in range(self.nfats):
            self.write(self.fat_start + i * self.fat_sectors * self.bps + 2 * cluster, struct.pack("<H", value))

    def chain(self, cluster):
        out = []
        while 2 <= cluster < 0xFFF0 and cluster not in out:
            out.append(cluster)
            cluster = self.fat(cluster)
        return out

    def cluster_offset(self, cluster):
        return self.data_start + (cluster - 2) * self.cluster_size

    def dir_regions(self, cluster):
        if cluster == 0:
            return [(self.root_start, self.root_size)]
        return [(self.cluster_offset(c), self.cluster_size) for c in self.chain(cluster)]

    def find(self, cluster, name):
        """Byte offset of the live 8.3 entry NAME in the folder starting at cluster (0: root)."""
        base, _, ext = name.upper().partition(".")
        want = (base.ljust(8) + ext.ljust(3)).encode("ascii")
        for off, size in self.dir_regions(cluster):
            block = self.read(off, size)
            for i in range(0, size, 32):
                entry = block[i:i + 32]
                if entry[0] == 0:
                    break
                if entry[0] == 0xE5 or entry[11] & 0x08:  # deleted, long-name part, volume label
                    continue
                if entry[:11] == want:
                    return off + i
        raise SystemExit("%s: not found" % name)

    def lookup(self, path):
        """(entry offset, first cluster) of PATH (8.3 components separated by /)."""
        cluster, entry = 0, None
        for part in path.split("/"):
            entry = self.find(cluster, part)
            cluster = struct.unpack("<H", self.read(entry + 26, 2))[0]
        return entry, cluster


def cut_after_fat(src, sector, out):
    fs = Fat16(src, int(sector))
    end = fs.base + fs.root_start
    fs.f.close()
    data = open(src, "rb").read()
    open(out, "wb").write(data[:end])


def partition_past_end(out):
    mbr = bytearray(512)
    struct.pack_into("<I", mbr, 440, 0x19970960)
    entry = bytearray(16)
    entry[0] = 0x80
    entry[1:4] = b"\xfe\xff\xff"                      # CHS beyond 1024 cylinders: use the LBA
    entry[4] = 0x06
    entry[5:8] = b"\xfe\xff\xff"
    struct.pack_into("<II", entry, 8, 4096, 6080)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    open(out, "wb").write(bytes(mbr) + bytes(64 * 1024 - 512))


def dir_loop(image, sector, path):
    fs = Fat16(image, int(sector))
    parent, _, child = path.rpartition("/")
    _, parent_cluster = fs.lookup(parent)
    entry = fs.find(parent_cluster, child)
    fs.write(entry + 26, struct.pack("<H", parent_cluster))


def crosslink(image, sector, a, b):
    fs = Fat16(image, int(sector))
    _, first_a = fs.lookup(a)
    _, first_b = fs.lookup(b)
    chain_a, chain_b = fs.chain(first_a), fs.chain(first_b)
    if len(chain_a) != len(chain_b) or len(chain_a) < 4:
        raise SystemExit("crosslink wants two files of the same length, 4+ clusters")
    fs.set_fat(chain_a[1], chain_b[2])               # A: a1, a2, b3, b4, ... (same length as before)


def set_size(image, sector, path, value):
    fs = Fat16(image, int(sector))
    entry, _ = fs.lookup(path)
    fs.write(entry + 28, struct.pack("<I", int(value, 0)))


COMMANDS = {
    "garbage": garbage,
    "cut": cut,
    "cut-after-fat": cut_after_fat,
    "partition-past-end": partition_past_end,
    "dir-loop": dir_loop,
    "crosslink": crosslink,
    "size": set_size,
}

def gpt_huge(src, out):
    shutil.copyfile(src, out)
    with open(out, "r+b") as f:
        f.seek(512)
        header = bytearray(f.read(92))
        table, count, size = struct.unpack("<Q", header[72:80])[0], struct.unpack("<I", header[80:84])[0], struct.unpack("<I", header[84:88])[0]
        f.seek(table * 512 + 32)
        start = struct.unpack("<Q", f.read(8))[0]
        f.seek(table * 512 + 40)
        f.write(struct.pack("<Q", start + 2**54 - 2))
        f.seek(table * 512)
        header[88:92] = struct.pack("<I", zlib.crc32(f.read(count * size)) & 0xFFFFFFFF)
        header[16:20] = b"\0" * 4
        header[16:20] = struct.pack("<I", zlib.crc32(bytes(header)) & 0xFFFFFFFF)
        f.seek(512)
        f.write(header)


def ebr_broken(src, out):
    shutil.copyfile(src, out)
    with open(out, "r+b") as f:
        mbr = f.read(512)
        for index in range(4):
            entry = 446 + 16 * index
            if mbr[entry + 4] in (0x05, 0x0F, 0x85):
                first = struct.unpack("<I", mbr[entry + 8:entry + 12])[0]
                f.seek(first * 512 + 510)
                f.write(b"\0\0")
                return
    raise SystemExit("ebr-broken: no extended partition in " + src)


def vmdk_trap(src, out):
    shutil.copyfile(src, out)
    with open(out, "r+b") as f:
        f.seek(28)
        f.write(b"\xff" * 8)


def zip_bad_crc(tree, out):
    names = sorted(os.path.relpath(os.path.join(d, n), tree) for d, _, files in os.walk(tree) for n in files)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in names:
            info = zipfile.ZipInfo(name.replace(os.sep, "/"), date_time=(1997, 9, 4, 0, 0, 0))
            z.writestr(info, open(os.path.join(tree, name), "rb").read())
    data = bytearray(open(out, "rb").read())
    # The first local header's CRC (offset 14) and the first central header's (offset 16).
    data[14] ^= 0xFF
    central = data.index(b"PK\x01\x02")
    data[central + 16] ^= 0xFF
    open(out, "wb").write(bytes(data))


def add_partition(src, kind, out):
    shutil.copyfile(src, out)
    with open(out, "r+b") as f:
        f.seek(0, 2)
        sectors = f.tell() // 512
        f.write(b"\0" * 64 * 512)
        f.seek(446 + 16)
        f.write(struct.pack("<B3sB3sII", 0, b"\0\0\0", int(kind, 16), b"\0\0\0", sectors, 64))


def ebr_reorder(src, out):
    shutil.copyfile(src, out)
    with open(out, "r+b") as f:
        mbr = f.read(512)
        base = next(struct.unpack("<I", mbr[446 + 16 * i + 8:446 + 16 * i + 12])[0]
                    for i in range(4) if mbr[446 + 16 * i + 4] in (0x05, 0x0F, 0x85))
        def sector(n):
            f.seek(n * 512)
            return bytearray(f.read(512))
        ebr1 = sector(base)
        a_start, a_len = struct.unpack("<II", ebr1[446 + 8:446 + 16])
        ebr2_at = base + struct.unpack("<I", ebr1[446 + 16 + 8:446 + 16 + 12])[0]
        ebr2 = sector(ebr2_at)
        b_start, b_len = struct.unpack("<II", ebr2[446 + 8:446 + 16])
        a_abs, b_abs = base + a_start, ebr2_at + b_start
        new2 = base + 1
        first = bytearray(512)
        first[446:462] = ebr1[446:462]
        first[446 + 8:446 + 16] = struct.pack("<II", b_abs - base, b_len)
        first[462:478] = ebr1[462:478]
        first[462 + 8:462 + 16] = struct.pack("<II", new2 - base, a_abs + a_len - new2)
        first[510:512] = b"\x55\xaa"
        second = bytearray(512)
        second[446:462] = ebr1[446:462]
        second[446 + 8:446 + 16] = struct.pack("<II", a_abs - new2, a_len)
        second[510:512] = b"\x55\xaa"
        f.seek(base * 512)
        f.write(first)
        f.seek(new2 * 512)
        f.write(second)
        f.seek(ebr2_at * 512)
        f.write(b"\0" * 512)


COMMANDS["add-partition"] = add_partition
COMMANDS["ebr-reorder"] = ebr_reorder
COMMANDS["gpt-huge"] = gpt_huge
COMMANDS["ebr-broken"] = ebr_broken
COMMANDS["vmdk-trap"] = vmdk_trap
COMMANDS["zip-bad-crc"] = zip_bad_crc

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        raise SystemExit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
