#!/usr/bin/env python3
"""Robustness fixtures for the archive scanner: Fixtures/robustness/ and its expected.json.

    python3 Fixtures/tools/robustness.py                 (from the repository root; any working
                                                          directory works) writes Fixtures/robustness/
    python3 Fixtures/tools/robustness.py --out DIR       writes DIR instead (e.g. to compare two runs)
    python3 Fixtures/tools/robustness.py check BINARY [DIR]
                                                         scans every fixture with BINARY (a built
                                                         patchaudit) and compares with expected.json

Two features are covered:

A. Nested archives are sniffed and streamed. An entry named like an archive (.zip .cab .7z .iso
   .tar .tgz .tar.gz .tbz2 .tar.bz2 .txz .tar.xz .tzst .tar.zst, and 8.3 names such as
   PC42_TAR.GZ) is opened only when its first bytes are an archive's magic; one that is not is
   listed in "skipped" with kind notAnArchive and changes no verdict. Stored zip entries and
   entries of a plain tar are read in place; a deflated 7z/ISO in a zip is re-read from the zip
   (rewind); a 7z/ISO in a compressed stream is copied into memory (--max-nested-size); the
   rest is streamed.
B. Input-driven arithmetic and loops: an end-of-central-directory record claiming disk 65535,
   a saturated traditional end record with valid zip64 records, a gzip stream that inflates to
   a gzip header with a file name that never ends, and a gzip header whose own file name is
   100 KiB long.

Payload: the install trees Fixtures/trees/up-to-date-sr1 and Fixtures/trees/patch-needed-sr1.
Only Fixtures/trees is read; only the output folder is written (deleted and rewritten).

Deterministic: every staged file and folder is dated 1997-09-04 00:00:00 UTC (mode 644/755),
SOURCE_DATE_EPOCH=873331200, TZ=UTC; random bytes come from random.Random(19970904)
(randbytes, Python >= 3.9); zips are written here byte by byte (archivefixture.ZipWriter: no
extra fields, MS-DOS made-by, method chosen per entry); gzip streams are written here (header
fields fixed, zlib level 9) or by `gzip -n -9`; tar by GNU tar (--owner=0 --group=0, sorted
names; pax headers named %d/PaxHeaders/%f without atime/ctime); 7z with -mmt=1 -mtc=off
-mta=off; xorriso dates from SOURCE_DATE_EPOCH. Two runs give the same bytes with the same
tool versions (another zlib, 7-Zip, xorriso or gcab may change bytes, not contents).

Needs 7z (p7zip-full), gcab, xorriso, bsdtar (libarchive-tools, for the self-check), gzip,
GNU tar and python3 3.9+ (no zip program: the zips are written here); installs the missing
Debian packages with apt-get when run as root. After writing, it checks its work without
patchaudit: every nested fixture extracts (bsdtar) to exactly its tree, stored/deflated methods
are as named, the gzip streams are what they claim, expected.json lists exactly the files.
"""

import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from archivefixture import EPOCH, ZipWriter, deflate, read, tree_entries  # noqa: E402

OUT_DEFAULT = os.path.join(FIXTURES, "robustness")
UP = "up-to-date-sr1"
PN = "patch-needed-sr1"
MIB = 1024 * 1024
KIB = 1024
SEED = 19970904

# How long the never-ending gzip file name is (bytes of 'A' after the inner header). 256 MiB
# of one byte deflate to about 254 KiB; bsdtar / libarchive 3.6.2 then spends seconds and
# hundreds of MiB looking for the name's end (its gzip bidder reads ahead one byte at a time).
ENDLESS_NAME_BYTES = 256 * MIB
# The outer gzip header's own file-name field in gzip-long-name.tar.gz (the scanner refuses
# more than 32 KiB).
LONG_NAME_BYTES = 100 * KIB

LONG_ISO_NAME = ("Office 97 SR-1 full install image of PC42 (Finance, second floor) "
                 "taken 1999-06-30 before the Outlook 97 archive patch.iso")
LONG_ZIP_NAME = ("PC42 (Finance, second floor) backup of C drive system and Office folders "
                 "taken 1999-06-30 before the archive patch.zip")

# Random blobs named like archives: (path, size in bytes, zip method, what the first bytes are).
# "random": pseudo-random bytes; the other kinds put a near miss of a magic number first.
BLOBS = [
    ("WINDOWS/OPTIONS/CABS/PRECOPY1.CAB", 200 * KIB, 0, "random"),
    ("WINDOWS/OPTIONS/CABS/WIN95_02.CAB", 120 * KIB, 8, "random"),
    ("setup/SETUP.CAB", 1 * KIB, 8, "random"),
    ("setup/data1.cab", 64 * KIB, 0, "random"),
    ("setup/EMPTY.CAB", 0, 0, "empty"),
    ("setup/office97.iso", 180 * KIB, 8, "random"),
    ("setup/SR1.ISO", 41 * KIB, 0, "random"),
    ("images/pc42.iso", 33 * KIB, 8, "random"),
    ("images/off-by-one.iso", 40 * KIB, 0, "iso-off-by-one"),
    ("backup/pc42.zip", 2 * KIB, 0, "random"),
    ("backup/old/MAIL.ZIP", 50 * KIB, 8, "random"),
    ("backup/not-local-header.zip", 4 * KIB, 8, "zip-near"),
    ("tools/7za.7z", 3 * KIB, 8, "random"),
    ("tools/SETUP.7Z", 45 * KIB, 0, "random"),
    ("tools/near.7z", 2 * KIB, 0, "7z-near"),
    ("setup/NEARMISS.CAB", 4 * KIB, 0, "cab-near"),
    ("backup/home.tar.gz", 10 * KIB, 0, "random"),
    ("backup/etc.tgz", 5 * KIB, 8, "random"),
    ("backup/gzip-method-7.tar.gz", 3 * KIB, 8, "gzip-near"),
    ("backup/pc42.tar", 100 * KIB, 8, "random"),
    ("backup/OUTLOOK.TAR", 1536, 0, "random"),
    ("backup/ustar-off-by-one.tar", 2 * KIB, 0, "tar-near"),
    ("backup/mail.tbz2", 7 * KIB, 8, "random"),
    ("backup/mail.tar.bz2", 12 * KIB, 0, "random"),
    ("backup/logs.txz", 4 * KIB, 8, "random"),
    ("backup/logs.tar.xz", 70 * KIB, 0, "random"),
    ("backup/db.tzst", 2 * KIB, 8, "random"),
    ("backup/db.tar.zst", 16 * KIB, 0, "random"),
    ("PC42_TAR.GZ", 8 * KIB, 8, "random"),
]

TOOLS = {"7z": "p7zip-full", "gcab": "gcab", "xorriso": "xorriso", "bsdtar": "libarchive-tools",
         "gzip": "gzip", "tar": "tar"}


# --------------------------------------------------------------------------- setup

def ensure_tools():
    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise SystemExit(f"robustness.py: missing tools; install them with: apt-get install {' '.join(missing)}")
        print(f"robustness.py: installing {' '.join(missing)}", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q"] + missing
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    version = subprocess.run(["tar", "--version"], capture_output=True, text=True).stdout
    if "GNU tar" not in version:
        raise SystemExit("robustness.py: needs GNU tar")
    if sys.version_info < (3, 9):
        raise SystemExit("robustness.py: needs python 3.9+ (random.randbytes)")


def run(cmd, cwd=None, stdin=None):
    r = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def fix_dates(root):
    """Mode 644/755 and the fixture date on everything under root (root included)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
        os.chmod(dirpath, 0o755)
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for f in filenames:
            os.utime(os.path.join(dirpath, f), (EPOCH, EPOCH))
        os.utime(dirpath, (EPOCH, EPOCH))


class Stage:
    def __init__(self, work):
        self.root = os.path.join(work, "stage")
        os.makedirs(self.root)

    def tree(self, name, dest):
        """A copy of Fixtures/trees/NAME at stage/DEST."""
        path = os.path.join(self.root, dest)
        shutil.copytree(os.path.join(FIXTURES, "trees", name), path)
        fix_dates(path)
        return path

    def files(self, dest, files):
        """stage/DEST holding {relative path: bytes}."""
        path = os.path.join(self.root, dest)
        os.makedirs(path)
        for rel, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(path, rel)) or path, exist_ok=True)
            with open(os.path.join(path, rel), "wb") as f:
                f.write(data)
        fix_dates(path)
        return path


# --------------------------------------------------------------------------- writers

def zip_dir(root, methods=None, default_method=8):
    """Folders and files of root in sorted order (ZipWriter); methods: {path: 0 or 8}."""
    z = ZipWriter()
    for rel, is_dir in tree_entries(root):
        if is_dir:
            z.add(rel.encode() + b"/", is_dir=True)
        else:
            method = (methods or {}).get(rel, default_method)
            z.add(rel.encode(), read(os.path.join(root, rel)), method=method)
    return z


def tar_dir(root, fmt="gnu"):
    """GNU tar of root's folders and files, sorted bytewise, owner 0, staged dates."""
    names = [rel for rel, _ in tree_entries(root)]
    cmd = ["tar", "-C", root, "--no-recursion", f"--format={fmt}", "--owner=0", "--group=0",
           "--numeric-owner", "--verbatim-files-from", "-T", "-", "-cf", "-"]
    if fmt == "pax":
        cmd.insert(1, "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime")
    return run(cmd, stdin=b"".join(n.encode() + b"\n" for n in names))


def gzip_n9(data):
    return run(["gzip", "-n", "-9", "-c"], stdin=data)


def gzip_member(payload, name=None, mtime=0):
    """One gzip member written field by field (RFC 1952): FNAME when name is given (NUL added),
    XFL 2 (best compression), OS 3 (Unix), zlib level 9."""
    flags = 0x08 if name is not None else 0
    header = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", mtime) + b"\x02\x03"
    if name is not None:
        assert b"\0" not in name
        header += name + b"\0"
    return header + deflate(payload) + struct.pack("<II", zlib.crc32(payload), len(payload) & 0xFFFFFFFF)


def mk_7z(root, out):
    names = [rel for rel, _ in tree_entries(root)]
    listing = out + ".list"
    with open(listing, "w") as f:
        f.write("".join(n + "\n" for n in names))
    run(["7z", "a", "-bd", "-bso0", "-bsp0", "-t7z", "-mx=9", "-mmt=1", "-mtc=off", "-mta=off",
         "-mtm=on", out, "@" + listing], cwd=root)
    os.remove(listing)
    return read(out)


def mk_cab(root, out):
    files = [rel for rel, is_dir in tree_entries(root) if not is_dir]
    run(["gcab", "-c", "-z", out] + files, cwd=root)
    return read(out)


def mk_iso(root, out):
    r = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-J", "-r", "-V", "PATCHAUDIT",
                        "-no-pad", "-o", out, root], capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"xorriso: {r.stderr.decode(errors='replace')}")
    return read(out)


# --------------------------------------------------------------------------- sniffing (a copy of
# the scanner's rules, to prove the random blobs are no archive and their names are archive names)

NESTED_SUFFIXES = [".zip", ".cab", ".7z", ".iso", ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2",
                   ".txz", ".tar.xz", ".tzst", ".tar.zst"]


def is_archive_name(path):
    last = path.rsplit("/", 1)[-1].lower()
    if any(last.endswith(s) for s in NESTED_SUFFIXES):
        return True
    return any(last.endswith(s) for s in (".gz", ".bz2", ".xz", ".zst")) and "tar" in last


def octal(b, at, n):
    value = digits = 0
    for c in b[at:at + n]:
        if c == 0x20 and digits == 0:
            continue
        if c in (0, 0x20):
            break
        if not 0x30 <= c <= 0x37:
            return None
        value = value * 8 + c - 0x30
        digits += 1
    return value if digits else None


def sniff(b):
    """What the scanner's sniffer would take b for, or None."""
    if b[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if b[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if b[:4] == b"\x28\xb5\x2f\xfd" or (len(b) >= 4 and b[0] & 0xF0 == 0x50 and b[1:4] == b"\x2a\x4d\x18"):
        return "zstd"
    if len(b) >= 10 and b[:3] == b"BZh" and 0x31 <= b[3] <= 0x39 and b[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"
    if len(b) >= 14 and b[0] <= 224:
        dictionary = struct.unpack("<I", b[1:5])[0]
        size = struct.unpack("<Q", b[5:13])[0]
        if bin(dictionary).count("1") == 1 and (1 << 12) <= dictionary <= (1 << 27):
            return "lzma"
        if b[0] in (0x5D, 0x5E) and size == 2**64 - 1 and 0x300000 <= dictionary <= 0x3F00000 and dictionary & 0xFFFFF == 0:
            return "lzma"
    if b[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if b[:8] == b"MSCF\0\0\0\0":
        return "cab"
    if b[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if len(b) >= 512:
        if b[257:262] == b"ustar":
            return "tar"
        recorded = octal(b, 148, 8)
        if b[0] != 0 and recorded is not None:
            if sum(0x20 if 148 <= i < 156 else b[i] for i in range(512)) == recorded:
                return "tar"
    if len(b) >= 0x8006 and b[0x8001:0x8006] == b"CD001":
        return "iso"
    return None


def blob_bytes():
    rng = random.Random(SEED)
    out = {}
    for path, size, _, kind in BLOBS:
        data = bytearray(rng.randbytes(size))
        if kind == "empty":
            assert size == 0
        elif kind == "iso-off-by-one":      # CD001 one byte early (at 0x8000, not 0x8001)
            data[0x8000:0x8005] = b"CD001"
        elif kind == "zip-near":            # PK\3\5: no zip record starts so
            data[:4] = b"PK\x03\x05"
        elif kind == "7z-near":             # the 7z signature with its last byte wrong
            data[:6] = b"7z\xbc\xaf\x27\x1d"
        elif kind == "cab-near":            # MSCF with non-zero reserved bytes
            data[:8] = b"MSCF\x01\x00\x00\x00"
        elif kind == "gzip-near":           # gzip magic, compression method 7 (not deflate)
            data[:3] = b"\x1f\x8b\x07"
        elif kind == "tar-near":            # "ustar" at 256 instead of 257, checksum field junk
            data[256:261] = b"ustar"
        data = bytes(data)
        if sniff(data) is not None:
            raise SystemExit(f"{path}: the random bytes look like {sniff(data)}; change SEED")
        if not is_archive_name(path):
            raise SystemExit(f"{path}: not a name the scanner opens")
        out[path] = data
    big = [p for p, s, _, _ in BLOBS if s >= 0x8006]
    assert len(big) >= 5, big  # the ISO check at 0x8001 is reached for these
    return out


# --------------------------------------------------------------------------- the fixtures

def zip64_saturated(root):
    """root as a zip whose traditional end record is saturated (disks, counts 0xFFFF, size and
    offset 0xFFFFFFFF) and whose zip64 end record and locator hold the real values."""
    z = zip_dir(root)
    cd_offset = len(z.buf)
    body = bytes(z.buf + z.central)
    z64_offset = len(body)
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, z.count, z.count,
                         len(z.central), cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    return body + record + locator + eocd


def eocd_disk_65535(root):
    data = bytearray(zip_dir(root).bytes())
    end = len(data) - 22
    assert data[end:end + 4] == b"PK\x05\x06"
    data[end + 4:end + 8] = b"\xff\xff\xff\xff"  # this disk, disk with the central directory
    return bytes(data)


def endless_name_gzip():
    inner = (b"\x1f\x8b\x08\x08" + struct.pack("<I", EPOCH) + b"\x00\x03"
             + b"A" * ENDLESS_NAME_BYTES)
    return gzip_member(inner)


def generate(out_dir):
    ensure_tools()
    os.environ.update(LC_ALL="C", TZ="UTC", SOURCE_DATE_EPOCH=str(EPOCH))
    os.umask(0o022)
    work = tempfile.mkdtemp(prefix="patchaudit-robustness.")
    try:
        _generate(work, out_dir)
    finally:
        shutil.rmtree(work)


def _generate(work, out_dir):
    st = Stage(work)
    new = os.path.join(work, "out")
    os.makedirs(new)
    fixtures = []

    def write(name, data, verdict, comment, tree=None, prefix=None, not_archive=(), problem=None,
              withOptions=()):
        with open(os.path.join(new, name), "wb") as f:
            f.write(data)
        fixtures.append({"path": name, "verdict": verdict, "exitStatus": EXIT[verdict], "tree": tree,
                         "pathPrefix": prefix, "notAnArchive": sorted(not_archive), "problem": problem,
                         "limitsHit": [], "withOptions": list(withOptions), "comment": comment})

    up = st.tree(UP, "up")
    pn = st.tree(PN, "pn")

    # ---------------------------------------------------------------- B: arithmetic, loops
    write("eocd-disk-65535.zip", eocd_disk_65535(up), "error",
          "up-to-date-sr1 as a zip whose end-of-central-directory record says disk 65535 (0xFFFF) "
          "and central directory on disk 65535, with no zip64 records. 0xFFFF means 'see the "
          "zip64 record' (APPNOTE 4.4.1.4); there is none, so the zip is damaged: error naming the "
          "missing zip64 record/locator, and no crash (it once crashed the tool: UInt16 overflow).",
          problem="zip64")
    write("zip64-saturated-eocd.zip", zip64_saturated(up), "up-to-date",
          "up-to-date-sr1 as a zip whose traditional end record is saturated (disks and counts "
          "0xFFFF, directory size and offset 0xFFFFFFFF) with a valid zip64 end record (disk 0) and "
          "locator (as libarchive's test_read_format_zip_with_invalid_traditional_eocd): the zip64 "
          "values are used, read like the tree.", tree=UP)
    endless = endless_name_gzip()
    write("gzip-endless-name.tar.gz", endless, "error",
          f"A gzip member that inflates to a second gzip header (1f 8b 08, FLG 0x08 FNAME) followed "
          f"by {ENDLESS_NAME_BYTES} bytes of 'A' and no NUL: a file name that never ends. "
          f"libarchive 3.6.2 bids filters on what the first gzip layer gives and its gzip bidder "
          f"reads the name byte by byte to its end (bsdtar: seconds and hundreds of MiB, then "
          f"'Unrecognized archive format'). The scanner appends one filter itself: what the gzip "
          f"layer holds is no archive format, an error at once.",
          problem="no archive format")
    long_name_payload = tar_dir(up)
    write("gzip-long-name.tar.gz",
          gzip_member(long_name_payload, name=b"A" * LONG_NAME_BYTES, mtime=EPOCH), "error",
          f"up-to-date-sr1 as a tar.gz whose gzip header (the outer one) has FNAME set and a "
          f"{LONG_NAME_BYTES}-byte file name (then NUL, then a valid deflate stream; gzip -t "
          f"passes). The scanner refuses gzip names and comments over 32 KiB before libarchive "
          f"reads the header: error, nothing listed.",
          problem="file name field runs on past")
    d = st.tree(UP, "endless-in-zip")
    os.makedirs(os.path.join(d, "backup"))
    with open(os.path.join(d, "backup/pc42.tar.gz"), "wb") as f:
        f.write(endless)
    fix_dates(d)
    write("gzip-endless-name-in-zip.zip", zip_dir(d, {"backup/pc42.tar.gz": 0}).bytes(), "review",
          "up-to-date-sr1 plus backup/pc42.tar.gz = gzip-endless-name.tar.gz, stored (read in "
          "place). Its bytes are gzip, so it is opened; what the gzip layer holds is no archive, "
          "so the nested archive is unreadable (review, nested-archive-unreadable) and the "
          "tree's files keep their statuses. Must finish at once.",
          tree=UP, problem="nested archive backup/pc42.tar.gz")
    d = st.tree(UP, "long-name-in-zip")
    os.makedirs(os.path.join(d, "backup"))
    with open(os.path.join(d, "backup/pc42.tar.gz"), "wb") as f:
        f.write(read(os.path.join(new, "gzip-long-name.tar.gz")))
    fix_dates(d)
    write("gzip-long-name-in-zip.zip", zip_dir(d, {"backup/pc42.tar.gz": 8}).bytes(), "review",
          "up-to-date-sr1 plus backup/pc42.tar.gz = gzip-long-name.tar.gz, deflated (streamed). "
          "The nested gzip header's 100 KiB file name is refused: the nested archive is "
          "unreadable (review), the tree's files keep their statuses.",
          tree=UP, problem="file name field runs on past")

    # ---------------------------------------------------------------- A: names without archives
    blobs = blob_bytes()
    d = st.tree(UP, "random")
    for rel, data in blobs.items():
        os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
        with open(os.path.join(d, rel), "wb") as f:
            f.write(data)
    fix_dates(d)
    methods = {p: m for p, _, m, _ in BLOBS}
    names = list(blobs)
    write("random-archive-names.zip", zip_dir(d, methods).bytes(), "up-to-date",
          f"up-to-date-sr1 plus {len(BLOBS)} files named like archives (.cab .iso .zip .7z .tar "
          f".tar.gz .tgz .tbz2 .tar.bz2 .txz .tar.xz .tzst .tar.zst, upper case too, the 8.3 name "
          f"PC42_TAR.GZ) that hold random bytes (random.Random({SEED})), 0 to 200 KiB, some stored "
          f"(read in place), some deflated (streamed); {sum(1 for _, s, _, _ in BLOBS if s >= 0x8006)} "
          f"are long enough for the ISO check at 0x8001. {sum(1 for b in BLOBS if b[3] not in ('random', 'empty'))} "
          f"start with a near miss of a magic number (PK\\3\\5, MSCF with reserved bytes set, the 7z signature's last byte wrong, "
          f"gzip method 7, 'ustar' at 256, CD001 at 0x8000) and one is empty. Each is listed as "
          f"notAnArchive; the verdict is the tree's.",
          tree=UP, not_archive=names)
    write("random-archive-names.tar.gz", gzip_n9(tar_dir(d)), "up-to-date",
          "The same tree and blobs as random-archive-names.zip in a GNU tar, gzip -n -9: every "
          "blob is streamed from the gzip layer, sniffed and listed as notAnArchive.",
          tree=UP, not_archive=names)

    # ---------------------------------------------------------------- A: nested, patch-needed-sr1
    iso = mk_iso(pn, os.path.join(work, "pc42.iso"))
    seven = mk_7z(pn, os.path.join(work, "pc42.7z"))
    cab = mk_cab(pn, os.path.join(work, "pc42.cab"))
    inner_zip = zip_dir(pn).bytes()

    def no_copy(how):
        # A nested archive that is read in place, re-read from its zip or streamed is never
        # copied into memory: a --max-nested-size far below its size changes nothing. (Were
        # it copied, the limit would be hit and the verdict would be review.)
        return [{"args": ["--max-nested-size", "1000"], "verdict": "patch-needed", "limitsHit": [],
                 "comment": f"{how}: nothing is held in memory, so --max-nested-size 1000 changes nothing"}]

    def copied(size):
        # The copy may be exactly --max-nested-size bytes; one byte more is refused.
        return [{"args": ["--max-nested-size", str(size)], "verdict": "patch-needed", "limitsHit": [],
                 "comment": f"--max-nested-size equal to the nested image's {size} bytes: copied and read"},
                {"args": ["--max-nested-size", str(size - 1)], "verdict": "review",
                 "limitsHit": ["max-nested-size"],
                 "comment": f"--max-nested-size one byte below the nested image's {size} bytes: "
                            f"not opened, limit named"}]

    def nested_zip(name, member, data, method, comment, how):
        z = ZipWriter()
        z.add(member.split("/")[0].encode() + b"/", is_dir=True)
        z.add(member.encode(), data, method=method)
        write(name, z.bytes(), "patch-needed", comment, tree=PN, prefix=member + "!",
              withOptions=no_copy(how))

    nested_zip("iso-stored-in-zip.zip", "setup/pc42.iso", iso, 0,
               "A Joliet + Rock Ridge ISO (xorriso -as mkisofs -J -r) of patch-needed-sr1 stored "
               "(method 0, like zip -0) at setup/pc42.iso: read in place as a stretch of the file, "
               "with seeking.", "read in place")
    nested_zip("iso-deflated-in-zip.zip", "setup/pc42.iso", iso, 8,
               "The same ISO deflated (method 8, like zip -9) at setup/pc42.iso: the ISO reader "
               "seeks, so the entry is re-read (re-inflated) from the zip as needed; nothing is "
               "copied into memory.", "re-read from the zip")
    nested_zip("7z-deflated-in-zip.zip", "setup/pc42.7z", seven, 8,
               "A 7z (LZMA2 + BCJ2, solid) of patch-needed-sr1 deflated at setup/pc42.7z (forced: "
               "Info-ZIP would store it, deflate does not shrink it): the 7z reader seeks to its "
               "end header, so the entry is re-read from the zip (rewind).", "re-read from the zip")
    nested_zip("zip-stored-in-zip.zip", "backup/pc42.zip", inner_zip, 0,
               "A zip of patch-needed-sr1 (deflated entries) stored at backup/pc42.zip: listed "
               "through its own central directory, read in place.", "read in place")

    def nested_tar(name, member, data, fmt, compress, comment, options):
        d = st.files("t-" + name, {member: data})
        tar = tar_dir(d, fmt)
        write(name, gzip_n9(tar) if compress else tar, "patch-needed", comment, tree=PN,
              prefix=member + "!", withOptions=options)
        return tar

    nested_tar("iso-in-tar.tar", "setup/pc42.iso", iso, "gnu", False,
               "A plain GNU tar holding setup/pc42.iso: the tar entry is read in place (a stretch "
               "of the file; the ISO reader seeks in it).", no_copy("read in place"))
    nested_tar("zip-in-tar.tar", "backup/pc42.zip", inner_zip, "gnu", False,
               "A plain GNU tar holding backup/pc42.zip: read in place through its central "
               "directory.", no_copy("read in place"))
    long_iso = "setup/" + LONG_ISO_NAME
    assert len(LONG_ISO_NAME) > 100
    tar = nested_tar("iso-in-pax.tar", long_iso, iso, "pax", False,
                     f"A plain pax (POSIX 2001) tar whose one file is the ISO under a "
                     f"{len(LONG_ISO_NAME)}-character file name ({len(long_iso)} with its folder): "
                     f"too long for ustar, so a pax 'x' header with the path comes before the "
                     f"entry's own header. In-place reading must step over it.",
                     no_copy("read in place past the pax header"))
    assert tar[512 + 156:512 + 157] == b"x", "no pax header before the ISO entry"
    long_zip = "backup/" + LONG_ZIP_NAME
    assert len(LONG_ZIP_NAME) > 100
    tar = nested_tar("zip-in-gnu-longname.tar", long_zip, inner_zip, "gnu", False,
                     f"A plain GNU tar whose one file is the zip of patch-needed-sr1 under a "
                     f"{len(LONG_ZIP_NAME)}-character name: a GNU long-name 'L' record (././@LongLink) "
                     f"comes before the entry's header. In-place reading must step over it.",
                     no_copy("read in place past the long-name record"))
    assert tar[512 + 156:512 + 157] == b"L", "no GNU long-name record before the zip entry"
    nested_tar("7z-in-targz.tar.gz", "setup/pc42.7z", seven, "gnu", True,
               "A tar.gz holding setup/pc42.7z: a 7z arriving in a gzip stream cannot be re-read, "
               "so it is copied into memory (bounded by --max-nested-size).",
               copied(len(seven)))
    nested_tar("iso-in-targz.tar.gz", "setup/pc42.iso", iso, "gnu", True,
               f"A tar.gz holding setup/pc42.iso ({len(iso)} bytes): copied into memory (memory "
               f"fallback, bounded by --max-nested-size).",
               copied(len(iso)))
    nested_tar("cab-in-targz.tar.gz", "setup/pc42.cab", cab, "gnu", True,
               "A tar.gz holding setup/pc42.cab (gcab -c -z of the whole tree, MSZIP, names with "
               "backslashes): streamed from the gzip layer; both folders are inside the cabinet, "
               "so one installation as in the tree.", no_copy("streamed"))

    # ---------------------------------------------------------------- write out
    fixtures.sort(key=lambda e: e["path"])
    with open(os.path.join(new, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(fixtures, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(new, ".gitattributes"), "w") as f:
        f.write("# Robustness fixtures: bytes must reach the tests unchanged.\n* -text -diff\n"
                "expected.json diff\n")
    self_check(new, fixtures, work)
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    shutil.copytree(new, out_dir)
    digest = hashlib.sha256()
    total = 0
    for name in sorted(os.listdir(out_dir)):
        data = read(os.path.join(out_dir, name))
        total += len(data)
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    print(f"wrote {len(fixtures)} fixtures + expected.json, {total} bytes, in {out_dir}")
    print(f"robustness digest: {digest.hexdigest()}")


EXIT = {"up-to-date": 0, "not-applicable": 0, "patch-needed": 1, "review": 2, "blocked": 2, "error": 3}


# --------------------------------------------------------------------------- self-check (no patchaudit)

def bsdtar_extract(archive, dest):
    os.makedirs(dest)
    run(["bsdtar", "-xf", archive, "-C", dest])


def files_under(root):
    return {rel: read(os.path.join(root, rel)) for rel, is_dir in tree_entries(root) if not is_dir}


def self_check(new, fixtures, work):
    """Every nested fixture extracts (bsdtar, twice) to exactly its tree; every tree fixture that
    should read like its tree holds the tree's files; gzip streams are what they claim."""
    import zipfile
    tmp = os.path.join(work, "check")
    for i, e in enumerate(fixtures):
        path = os.path.join(new, e["path"])
        if e["pathPrefix"]:
            outer = os.path.join(tmp, f"{i}-outer")
            bsdtar_extract(path, outer)
            inner = os.path.join(tmp, f"{i}-inner")
            bsdtar_extract(os.path.join(outer, e["pathPrefix"].rstrip("!")), inner)
            if files_under(inner) != files_under(os.path.join(FIXTURES, "trees", e["tree"])):
                raise SystemExit(f"{e['path']}: does not hold {e['tree']}")
        elif e["path"].endswith(".zip") and e["tree"]:
            with zipfile.ZipFile(path) as zf:
                assert zf.testzip() is None, e["path"]
                got = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
            want = files_under(os.path.join(FIXTURES, "trees", e["tree"]))
            assert all(got.get(k) == v for k, v in want.items()), e["path"]
    # zipinfo-style method check: what must be stored is stored, what must be deflated is.
    import zipfile as zf_mod
    for name, member, method in [("iso-stored-in-zip.zip", "setup/pc42.iso", 0),
                                 ("iso-deflated-in-zip.zip", "setup/pc42.iso", 8),
                                 ("7z-deflated-in-zip.zip", "setup/pc42.7z", 8),
                                 ("zip-stored-in-zip.zip", "backup/pc42.zip", 0)]:
        with zf_mod.ZipFile(os.path.join(new, name)) as z:
            assert z.getinfo(member).compress_type == method, (name, member)
    with zf_mod.ZipFile(os.path.join(new, "random-archive-names.zip")) as z:
        for p, _, m, _ in BLOBS:
            assert z.getinfo(p).compress_type == m, p
    # gzip-endless-name: inflates to a gzip header with FNAME and no NUL anywhere after it.
    inner = zlib.decompress(read(os.path.join(new, "gzip-endless-name.tar.gz")), 31)
    assert inner[:4] == b"\x1f\x8b\x08\x08" and b"\0" not in inner[10:] and len(inner) - 10 >= 16 * MIB
    # gzip-long-name: a valid gzip (gzip -t), FNAME of LONG_NAME_BYTES, a tar of up-to-date-sr1.
    data = read(os.path.join(new, "gzip-long-name.tar.gz"))
    assert data[3] == 0x08 and data.index(b"\0", 10) - 10 == LONG_NAME_BYTES
    run(["gzip", "-t"], stdin=data)
    # eocd-disk-65535: the only change from a valid zip is the two disk fields.
    data = read(os.path.join(new, "eocd-disk-65535.zip"))
    assert data[-22:-18] == b"PK\x05\x06" and data[-18:-14] == b"\xff\xff\xff\xff"
    assert b"PK\x06\x06" not in data and b"PK\x06\x07" not in data
    fixed = data[:-18] + b"\0\0\0\0" + data[-14:]
    with zf_mod.ZipFile(io.BytesIO(fixed)) as z:
        assert z.testzip() is None
    listed = {e["path"] for e in fixtures}
    on_disk = set(os.listdir(new)) - {"expected.json", ".gitattributes"}
    if listed != on_disk:
        raise SystemExit(f"expected.json and files differ: {sorted(listed ^ on_disk)}")


# --------------------------------------------------------------------------- check with patchaudit

def scan(binary, target, args=()):
    env = dict(os.environ)
    env.setdefault("PATCHAUDIT_MANIFEST_DIR", os.path.join(os.path.dirname(FIXTURES), "Manifests"))
    r = subprocess.run([binary, "scan", target, "--format", "json", *args], capture_output=True,
                       env=env, timeout=300)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        return r.returncode, None, r.stderr.decode(errors="replace")
    return r.returncode, doc["targets"][0], r.stderr.decode(errors="replace")


def shape(target, prefix=""):
    """What must match between a tree and an archive of it: per manifest, every file's path
    (prefix removed) and status; installation folders; per installation, its verdict."""
    def strip(p):
        if p is None:
            return None
        if prefix and not p.startswith(prefix):
            return "<no prefix> " + p
        return p[len(prefix):]
    files, installs = set(), set()
    for inst in target.get("installations", []):
        installs.add((strip(inst.get("systemFolder")), tuple(sorted(strip(o) for o in inst.get("outlookFolders", []))),
                      inst.get("verdict")))
        for ev in inst.get("evaluations", []):
            for f in ev.get("files", []):
                files.add((ev["manifest"], f["name"], strip(f.get("path")), f["status"]))
    stray = {strip(s.get("path") if isinstance(s, dict) else s) for s in target.get("strayFiles", [])}
    return files, installs, stray


def cmd_check(binary, folder=OUT_DEFAULT):
    with open(os.path.join(folder, "expected.json"), encoding="utf-8") as f:
        fixtures = json.load(f)
    failures = 0
    for e in fixtures:
        path = os.path.join(folder, e["path"])
        runs = [([], e["verdict"], e["exitStatus"], e["problem"], e["limitsHit"])]
        for w in e["withOptions"]:
            runs.append((w["args"], w["verdict"], EXIT[w["verdict"]], None, w["limitsHit"]))
        for args, verdict, status, problem, limit in runs:  # limit: names in limitsHit, exactly
            rc, target, err = scan(binary, path, args)
            label = e["path"] + (" " + " ".join(args) if args else "")
            problems = []
            if target is None:
                print(f"FAIL {label}: exit {rc}, no JSON: {err.strip()[:300]}")
                failures += 1
                continue
            if target["verdict"] != verdict:
                problems.append(f"verdict {target['verdict']}, expected {verdict}")
            if rc != status:
                problems.append(f"exit {rc}, expected {status}")
            skipped = {s["path"] for s in target.get("skipped", []) if s.get("kind") == "notAnArchive"}
            if not args and skipped != set(e["notAnArchive"]):
                problems.append(f"notAnArchive: missing {sorted(set(e['notAnArchive']) - skipped)}, "
                                f"unexpected {sorted(skipped - set(e['notAnArchive']))}")
            text = json.dumps(target.get("reasons", []), ensure_ascii=False)
            if problem and problem not in text:
                problems.append(f"reasons do not mention {problem!r}: {text[:400]}")
            hit = sorted(h.get("limit") for h in target.get("limitsHit", []))
            if limit is not None and hit != sorted(limit):
                problems.append(f"limits hit {hit}, expected {sorted(limit)}")
            if e["tree"] and not args:
                rc_tree, tree, _ = scan(binary, os.path.join(FIXTURES, "trees", e["tree"]))
                want_files, want_inst, want_stray = shape(tree)
                got_files, got_inst, got_stray = shape(target, e["pathPrefix"] or "")
                if got_files != want_files:
                    problems.append(f"file statuses differ: missing {sorted(want_files - got_files)[:4]}, "
                                    f"extra {sorted(got_files - want_files)[:4]}")
                if verdict == tree["verdict"] and got_inst != want_inst:
                    problems.append(f"installations differ: {sorted(got_inst)} vs {sorted(want_inst)}")
                if {i[:2] for i in got_inst} != {i[:2] for i in want_inst}:
                    problems.append(f"installation folders differ: {sorted(got_inst)} vs {sorted(want_inst)}")
                if got_stray != want_stray:
                    problems.append(f"stray copies differ: {got_stray} vs {want_stray}")
            if problems:
                failures += 1
                print(f"FAIL {label}: " + "; ".join(problems))
            else:
                print(f"ok   {label}: {target['verdict']} (exit {rc})"
                      + (f", {len(skipped)} notAnArchive" if skipped else ""))
    if failures:
        raise SystemExit(f"{failures} fixture run(s) disagree with expected.json")


def main(argv):
    if argv[:1] == ["check"]:
        if len(argv) not in (2, 3):
            raise SystemExit(__doc__)
        cmd_check(*argv[1:])
    elif not argv:
        generate(OUT_DEFAULT)
    elif argv[0] == "--out" and len(argv) == 2:
        generate(os.path.abspath(argv[1]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
