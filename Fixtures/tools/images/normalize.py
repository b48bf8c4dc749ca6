#!/usr/bin/env python3
"""Replaces the random and clock-derived fields qemu-img writes into VHD, VHDX and VMDK files
with fixed values (and fixes the checksums over them), so that two runs of make-images.sh give
the same bytes. Nothing a reader needs changes meaning:

  vhd   footer (at the end, and its copy at offset 0 of a dynamic VHD): Time Stamp := 1997-09-04
        00:00 UTC (seconds since 2000-01-01, which is before 2000: 0), Unique Id := fixed GUID,
        Checksum recomputed.
  vhdx  both headers: FileWriteGuid and DataWriteGuid := fixed GUIDs, SequenceNumber := 1 and 2
        (the later header stays the current one), CRC-32C recomputed; LogGuid must be zero (the log
        is empty), and then the log region, whose stale entries carry a random GUID, is zeroed;
        metadata item Page83Data (the disk's unique id) := fixed GUID.
  vmdk  descriptor (embedded in a sparse or streamOptimized file, or a descriptor file of its own):
        CID := 19970904 (the text is rewritten and the embedded area re-padded with NULs).

    normalize.py FILE...      (kind taken from the extension: .vhd, .vhdx, .vmdk)

  normalize.py --compact-vhdx FILE
        moves the payload blocks of a VHDX down to the first MiB after its regions and log and
        truncates the file (qemu-img starts payload at 8 MiB; the BAT entries are updated, the
        blocks' bytes are unchanged): a 2 MiB disk's VHDX shrinks from 10 MiB to 6 MiB.
"""
import re
import struct
import sys
import uuid

FIXED_GUID = uuid.UUID("19970904-0000-4000-8000-000000000042")
FILE_WRITE_GUID = uuid.UUID("19970904-0000-4000-8000-000000000001")
DATA_WRITE_GUID = uuid.UUID("19970904-0000-4000-8000-000000000002")
PAGE83_ITEM = uuid.UUID("BECA12AB-B2E6-4523-93EF-C309E000C746")
METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")


def crc32c(data):
    table = crc32c.table
    if table is None:
        table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None


def vhd_footer(buf, off):
    footer = bytearray(buf[off:off + 512])
    if footer[:8] != b"conectix":
        raise SystemExit("no VHD footer at %d" % off)
    struct.pack_into(">I", footer, 24, 0)            # 1997 is before the VHD epoch (2000)
    footer[68:84] = FIXED_GUID.bytes
    struct.pack_into(">I", footer, 64, 0)
    struct.pack_into(">I", footer, 64, (~sum(footer)) & 0xFFFFFFFF)
    buf[off:off + 512] = footer


def vhd(buf):
    vhd_footer(buf, len(buf) - 512)
    if buf[:8] == b"conectix":                       # dynamic: a copy of the footer at 0
        vhd_footer(buf, 0)


def vhdx(buf):
    for index, off in enumerate((64 * 1024, 128 * 1024)):
        header = bytearray(buf[off:off + 4096])
        if header[:4] != b"head":
            raise SystemExit("no VHDX header at %d" % off)
        if any(header[48:64]):
            raise SystemExit("VHDX log is not empty (LogGuid set): cannot normalize")
        sequence = struct.unpack_from("<Q", header, 8)[0]
        header[16:32] = FILE_WRITE_GUID.bytes_le
        header[32:48] = DATA_WRITE_GUID.bytes_le
        log_length, log_offset = struct.unpack_from("<IQ", header, 68)
        buf[log_offset:log_offset + log_length] = bytes(log_length)
        yield off, header, sequence


def vhdx_all(buf):
    headers = list(vhdx(buf))
    order = sorted(range(len(headers)), key=lambda i: headers[i][2])
    for rank, i in enumerate(order):                  # keep which header is current
        off, header, _ = headers[i]
        struct.pack_into("<Q", header, 8, rank + 1)
        struct.pack_into("<I", header, 4, 0)
        struct.pack_into("<I", header, 4, crc32c(bytes(header)))
        buf[off:off + 4096] = header
    # region table → metadata region → Page83Data item
    regions = 192 * 1024
    if buf[regions:regions + 4] != b"regi":
        raise SystemExit("no VHDX region table")
    count = struct.unpack_from("<I", buf, regions + 8)[0]
    meta = None
    for i in range(count):
        entry = regions + 16 + 32 * i
        if uuid.UUID(bytes_le=bytes(buf[entry:entry + 16])) == METADATA_REGION:
            meta = struct.unpack_from("<Q", buf, entry + 16)[0]
    if meta is None or buf[meta:meta + 8] != b"metadata":
        raise SystemExit("no VHDX metadata region")
    items = struct.unpack_from("<H", buf, meta + 10)[0]
    for i in range(items):
        entry = meta + 32 + 32 * i
        if uuid.UUID(bytes_le=bytes(buf[entry:entry + 16])) == PAGE83_ITEM:
            item_off, item_len = struct.unpack_from("<II", buf, entry + 16)
            buf[meta + item_off:meta + item_off + 16] = FIXED_GUID.bytes_le


CID = re.compile(rb"^CID=[0-9a-fA-F]+$", re.M)


def vmdk(buf):
    if buf[:4] == b"KDMV":                            # sparse / streamOptimized: embedded text
        desc_sector, desc_sectors = struct.unpack_from("<QQ", buf, 28)
        start, size = desc_sector * 512, desc_sectors * 512
        text = bytes(buf[start:start + size]).split(b"\0", 1)[0]
        text, n = CID.subn(b"CID=19970904", text)
        if n != 1 or len(text) >= size:
            raise SystemExit("VMDK descriptor without one CID line")
        buf[start:start + size] = text + bytes(size - len(text))
        return buf
    text, n = CID.subn(b"CID=19970904", bytes(buf).rstrip(b"\0"))   # descriptor file of its own
    if n != 1:
        raise SystemExit("VMDK descriptor without one CID line")
    return bytearray(text + bytes(-len(text) % 512))  # NUL-padded to whole sectors, as qemu does


FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
LOGICAL_SECTOR = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
VIRTUAL_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
BAT_REGION = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
MIB = 1 << 20


def compact_vhdx(path):
    buf = bytearray(open(path, "rb").read())
    regions = 192 * 1024
    count = struct.unpack_from("<I", buf, regions + 8)[0]
    spans, bat, meta = [], None, None
    for i in range(count):
        entry = regions + 16 + 32 * i
        guid = uuid.UUID(bytes_le=bytes(buf[entry:entry + 16]))
        off, length = struct.unpack_from("<QI", buf, entry + 16)
        spans.append(off + length)
        if guid == BAT_REGION:
            bat = (off, length)
        elif guid == METADATA_REGION:
            meta = off
    for off in (64 * 1024, 128 * 1024):
        log_length, log_offset = struct.unpack_from("<IQ", buf, off + 68)
        spans.append(log_offset + log_length)
    items = {}
    for i in range(struct.unpack_from("<H", buf, meta + 10)[0]):
        entry = meta + 32 + 32 * i
        item_off = struct.unpack_from("<I", buf, entry + 16)[0]
        items[uuid.UUID(bytes_le=bytes(buf[entry:entry + 16]))] = meta + item_off
    block = struct.unpack_from("<I", buf, items[FILE_PARAMETERS])[0]
    sector = struct.unpack_from("<I", buf, items[LOGICAL_SECTOR])[0]
    size = struct.unpack_from("<Q", buf, items[VIRTUAL_SIZE])[0]
    chunk_ratio = (1 << 23) * sector // block
    blocks = (size + block - 1) // block
    present = []
    for i in range(blocks):
        index = i + i // chunk_ratio                  # a sector-bitmap entry after each chunk
        value = struct.unpack_from("<Q", buf, bat[0] + 8 * index)[0]
        if value & 7 in (6, 7):                       # FULLY / PARTIALLY present
            present.append((value >> 20, index, value & 0xFFFFF))
    next_mib = (max(spans) + MIB - 1) // MIB
    end = next_mib * MIB
    for old_mib, index, low in sorted(present):
        if old_mib < next_mib:
            raise SystemExit("%s: payload block below the regions" % path)
        buf[next_mib * MIB:next_mib * MIB + block] = buf[old_mib * MIB:old_mib * MIB + block]
        struct.pack_into("<Q", buf, bat[0] + 8 * index, (next_mib << 20) | low)
        end = next_mib * MIB + block
        next_mib += (block + MIB - 1) // MIB
    with open(path, "r+b") as f:
        f.write(buf[:end])
        f.truncate(end)


def main():
    if sys.argv[1:2] == ["--compact-vhdx"]:
        for path in sys.argv[2:]:
            compact_vhdx(path)
        return
    for path in sys.argv[1:]:
        buf = bytearray(open(path, "rb").read())
        if path.endswith(".vhdx"):
            vhdx_all(buf)
        elif path.endswith(".vhd"):
            vhd(buf)
        elif path.endswith(".vmdk"):
            buf = vmdk(buf)
        else:
            raise SystemExit("%s: unknown kind" % path)
        with open(path, "r+b") as f:
            f.write(buf)
            f.truncate(len(buf))


if __name__ == "__main__":
    main()
