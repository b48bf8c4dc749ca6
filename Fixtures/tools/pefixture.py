#!/usr/bin/env python3
"""Post-processing and checks for the patchaudit PE fixtures (python3 standard library only).

Called by Fixtures/generate.sh:

  pefixture.py finish FILE [--size N] --timestamp T
      Set the COFF TimeDateStamp (and the export directory's) to T, append overlay bytes up
      to exactly N bytes (N - size must be smaller than the file alignment: the generator grows
      .rdata first), then write the PE checksum (imagehlp CheckSumMappedFile algorithm).
  pefixture.py flip SRC DST
      Copy SRC, change one byte in the middle of its first code section, keep the (now stale)
      checksum. Fails unless the stored and the computed checksum differ afterwards.
  pefixture.py restamp SRC DST --offset N [--value V]
      Copy SRC, set the byte at file offset N to V (default: the byte with all bits inverted),
      then write the recomputed PE checksum, so the stored checksum matches again: an alteration
      the checksum cannot see. N must lie in the loaded part of a section's raw data, past the
      headers, outside the resource section and outside every data directory; the copy must keep
      SRC's version resource. Fails unless the copy differs from SRC in that byte and the
      CheckSum field only, and its stored checksum is non-zero and valid.
  pefixture.py truncate SRC DST [--fraction F]
      Copy the first F (default 0.6) of SRC. Fails unless the cut lies strictly inside a
      section's raw data.
  pefixture.py info FILE...
      One line per file: size, kind, binary FileVersion/ProductVersion, FileVersion string,
      translations, checksum stored/computed.
  pefixture.py check-catalogue DIR
      Every *.dll / *.exe in DIR must agree with its name (version, checksum, size where the
      name says so); the damaged variants must be damaged the way their names say, and a
      "restamped" variant must differ from its unaltered build in one section byte (and the
      checksum) only.
  pefixture.py check-expected FIXTURES_DIR
      Fixtures/expected.json against Fixtures/trees: each listed file exists (or, when
      "missing", does not), each listed folder exists, each stray copy exists.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import sys


class PEError(Exception):
    pass


# --------------------------------------------------------------------------- checksum

def pe_checksum(data: bytes, checksum_offset: int) -> int:
    """imagehlp CheckSumMappedFile: 16-bit little-endian word sum with carry folding,
    the 4-byte CheckSum field counted as zero, an odd trailing byte as a word, plus the length."""
    buf = bytearray(data)
    buf[checksum_offset:checksum_offset + 4] = b"\0\0\0\0"
    if len(buf) % 2:
        buf.append(0)
    total = 0
    for (word,) in struct.iter_unpack("<H", buf):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return (total + len(data)) & 0xFFFFFFFF


# --------------------------------------------------------------------------- parsing

class PE:
    def __init__(self, data: bytes):
        self.data = data
        if len(data) < 0x40 or data[:2] != b"MZ":
            raise PEError("no MZ header")
        self.e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
        if self.e_lfanew + 24 > len(data) or data[self.e_lfanew:self.e_lfanew + 4] != b"PE\0\0":
            raise PEError("no PE signature")
        coff = self.e_lfanew + 4
        (self.machine, self.nsections, self.timestamp, _, _, self.opt_size,
         self.characteristics) = struct.unpack_from("<HHIIIHH", data, coff)
        self.timestamp_offset = coff + 4
        self.opt = coff + 20
        if self.opt + self.opt_size > len(data):
            raise PEError("optional header past end of file")
        magic = struct.unpack_from("<H", data, self.opt)[0]
        if magic != 0x10B:
            raise PEError("not PE32 (magic 0x%x)" % magic)
        self.section_alignment, self.file_alignment = struct.unpack_from("<II", data, self.opt + 32)
        self.size_of_headers = struct.unpack_from("<I", data, self.opt + 60)[0]
        self.checksum_offset = self.opt + 64
        self.checksum = struct.unpack_from("<I", data, self.checksum_offset)[0]
        n_dirs = struct.unpack_from("<I", data, self.opt + 92)[0]
        self.dirs = [struct.unpack_from("<II", data, self.opt + 96 + 8 * i) for i in range(min(n_dirs, 16))]
        self.sections = []
        table = self.opt + self.opt_size
        if table + 40 * self.nsections > len(data):
            raise PEError("section table past end of file")
        for i in range(self.nsections):
            name, vsize, va, rsize, rptr, _, _, _, _, chars = struct.unpack_from("<8sIIIIIIHHI", data, table + 40 * i)
            self.sections.append(dict(name=name.rstrip(b"\0").decode("latin-1"), vsize=vsize, va=va,
                                      rsize=rsize, rptr=rptr, chars=chars))

    @property
    def is_dll(self):
        return bool(self.characteristics & 0x2000)

    def raw_end(self):
        return max([s["rptr"] + s["rsize"] for s in self.sections if s["rsize"]] + [self.size_of_headers])

    def computed_checksum(self):
        return pe_checksum(self.data, self.checksum_offset)

    def rva_to_offset(self, rva):
        for s in self.sections:
            if s["va"] <= rva < s["va"] + max(s["vsize"], s["rsize"]):
                off = s["rptr"] + rva - s["va"]
                if rva - s["va"] >= s["rsize"]:
                    raise PEError("RVA 0x%x is in uninitialised data" % rva)
                return off
        raise PEError("RVA 0x%x is in no section" % rva)

    def read(self, off, n):
        if off < 0 or off + n > len(self.data):
            raise PEError("read past end of file at 0x%x" % off)
        return self.data[off:off + n]

    # ---- resources

    def version_resources(self):
        """(language id, VS_VERSIONINFO bytes) for each RT_VERSION (16) resource."""
        rva, size = self.dirs[2] if len(self.dirs) > 2 else (0, 0)
        if not rva:
            return []
        base = self.rva_to_offset(rva)

        def entries(off):
            hdr = self.read(base + off, 16)
            named, ids = struct.unpack_from("<HH", hdr, 12)
            out = []
            for i in range(named + ids):
                name, target = struct.unpack("<II", self.read(base + off + 16 + 8 * i, 8))
                out.append((name, target))
            return out

        found = []
        for tname, ttarget in entries(0):
            if tname != 16 or not ttarget & 0x80000000:
                continue
            for _, ntarget in entries(ttarget & 0x7FFFFFFF):
                if not ntarget & 0x80000000:
                    continue
                for lang, ltarget in entries(ntarget & 0x7FFFFFFF):
                    if ltarget & 0x80000000:
                        raise PEError("unexpected resource subdirectory")
                    data_rva, data_size = struct.unpack("<II", self.read(base + ltarget, 8))
                    found.append((lang, self.read(self.rva_to_offset(data_rva), data_size)))
        return found


def _block(buf, off):
    """One version-info block: (key, value bytes, children list, end offset)."""
    length, value_len, vtype = struct.unpack_from("<HHH", buf, off)
    end = off + length
    pos = off + 6
    key_end = pos
    while buf[key_end:key_end + 2] != b"\0\0":
        key_end += 2
    key = buf[pos:key_end].decode("utf-16-le")
    pos = (key_end + 2 + 3) & ~3
    vbytes = value_len * 2 if vtype == 1 else value_len
    value = buf[pos:pos + vbytes]
    pos = (pos + vbytes + 3) & ~3
    children = []
    while pos < end:
        child = _block(buf, pos)
        children.append(child)
        pos = (child[3] + 3) & ~3
    return key, value, children, end


def parse_version_info(buf):
    key, value, children, _ = _block(buf, 0)
    if key != "VS_VERSION_INFO":
        raise PEError("bad VS_VERSIONINFO key %r" % key)
    sig, _, fv_ms, fv_ls, pv_ms, pv_ls, mask, flags, fos, ftype, fsub = struct.unpack_from("<11I", value, 0)
    if sig != 0xFEEF04BD:
        raise PEError("bad VS_FIXEDFILEINFO signature")
    four = lambda ms, ls: "%d.%d.%d.%d" % (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
    info = dict(fileVersion=four(fv_ms, fv_ls), productVersion=four(pv_ms, pv_ls), flagsMask=mask,
                flags=flags, fileOS=fos, fileType=ftype, strings={}, stringTables=[], translations=[])
    for ckey, _, cchildren, _ in children:
        if ckey == "StringFileInfo":
            for tkey, _, strings, _ in cchildren:
                info["stringTables"].append(tkey)
                for skey, svalue, _, _ in strings:
                    info["strings"][skey] = svalue.decode("utf-16-le").rstrip("\0")
        elif ckey == "VarFileInfo":
            for vkey, vvalue, _, _ in cchildren:
                if vkey == "Translation":
                    for lang, cp in struct.iter_unpack("<HH", vvalue):
                        info["translations"].append("%04x%04x" % (lang, cp))
    return info


def describe(path):
    data = open(path, "rb").read()
    d = dict(path=path, size=len(data))
    try:
        pe = PE(data)
    except PEError as e:
        d["kind"] = "not-pe"
        d["error"] = str(e)
        return d
    d["kind"] = "dll" if pe.is_dll else "exe"
    d["stored"] = pe.checksum
    d["truncated"] = pe.raw_end() > len(data)
    d["computed"] = pe.computed_checksum()
    try:
        res = pe.version_resources()
        if res:
            d["resourceLanguage"] = "%04x" % res[0][0]
            d.update(parse_version_info(res[0][1]))
    except PEError as e:
        d["versionError"] = str(e)
    return d


# --------------------------------------------------------------------------- commands

def cmd_finish(args):
    data = bytearray(open(args.file, "rb").read())
    pe = PE(bytes(data))
    if pe.raw_end() != len(data):
        raise PEError("%s: sections end at %d, file is %d bytes" % (args.file, pe.raw_end(), len(data)))
    struct.pack_into("<I", data, pe.timestamp_offset, args.timestamp)
    # The export directory carries its own TimeDateStamp: keep it equal to the header's.
    if len(pe.dirs) > 0 and pe.dirs[0][0]:
        struct.pack_into("<I", data, pe.rva_to_offset(pe.dirs[0][0]) + 4, args.timestamp)
    if args.size is not None:
        residue = args.size - len(data)
        if not 0 <= residue < pe.file_alignment:
            raise PEError("%s: %d bytes, cannot reach %d with overlay smaller than the file alignment"
                          % (args.file, len(data), args.size))
        data += b"\0" * residue
    struct.pack_into("<I", data, pe.checksum_offset, pe_checksum(bytes(data), pe.checksum_offset))
    with open(args.file, "wb") as f:
        f.write(data)


def cmd_flip(args):
    data = bytearray(open(args.src, "rb").read())
    pe = PE(bytes(data))
    code = [s for s in pe.sections if s["chars"] & 0x20 and s["rsize"]]  # IMAGE_SCN_CNT_CODE
    sec = code[0] if code else max(pe.sections, key=lambda s: s["rsize"])
    used = min(sec["vsize"] or sec["rsize"], sec["rsize"])
    off = sec["rptr"] + used // 2
    data[off] ^= 0xFF
    flipped = PE(bytes(data))
    if flipped.checksum == flipped.computed_checksum():
        raise PEError("flip at 0x%x left the checksum valid" % off)
    with open(args.dst, "wb") as f:
        f.write(data)
    print("  flipped byte at file offset 0x%x (%s)" % (off, sec["name"]))


def altered_offset_problem(pe, off):
    """Why file offset OFF is not a byte `restamp` may alter (None when it is)."""
    if off < pe.size_of_headers:
        return "offset 0x%x is inside the headers (SizeOfHeaders 0x%x)" % (off, pe.size_of_headers)
    hits = [s for s in pe.sections
            if s["rsize"] and s["rptr"] <= off < s["rptr"] + min(s["vsize"] or s["rsize"], s["rsize"])]
    if not hits:
        return "offset 0x%x is not in the loaded part of any section's raw data" % off
    sec = hits[0]
    rsrc_rva = pe.dirs[2][0] if len(pe.dirs) > 2 else 0
    if rsrc_rva and sec["va"] <= rsrc_rva < sec["va"] + max(sec["vsize"], sec["rsize"]):
        return "offset 0x%x is in the resource section %s" % (off, sec["name"])
    rva = sec["va"] + off - sec["rptr"]
    for i, (drva, dsize) in enumerate(pe.dirs):
        if drva and drva <= rva < drva + dsize:
            return "offset 0x%x (RVA 0x%x) is inside data directory %d" % (off, rva, i)
    return None


def section_at(pe, off):
    return next(s for s in pe.sections if s["rptr"] <= off < s["rptr"] + s["rsize"])


def cmd_restamp(args):
    original = open(args.src, "rb").read()
    pe = PE(original)
    off = args.offset
    problem = altered_offset_problem(pe, off)
    if problem:
        raise PEError(problem)
    if pe.checksum == 0 or pe.checksum != pe.computed_checksum():
        raise PEError("%s: checksum %08x is not valid to begin with" % (args.src, pe.checksum))
    old = original[off]
    new = old ^ 0xFF if args.value is None else args.value
    if not 0 <= new <= 0xFF or new == old:
        raise PEError("value 0x%x does not change the byte 0x%02x at 0x%x" % (new, old, off))
    data = bytearray(original)
    data[off] = new
    struct.pack_into("<I", data, pe.checksum_offset, pe_checksum(bytes(data), pe.checksum_offset))
    altered = PE(bytes(data))
    if altered.checksum == 0 or altered.checksum != altered.computed_checksum():
        raise PEError("restamped copy has checksum %08x, computed %08x" % (altered.checksum, altered.computed_checksum()))
    if altered.version_resources() != pe.version_resources():
        raise PEError("restamped copy's version resource differs")
    changed = [i for i in range(len(data)) if data[i] != original[i]]
    field = range(pe.checksum_offset, pe.checksum_offset + 4)
    if [i for i in changed if i not in field] != [off]:
        raise PEError("restamped copy differs at %s" % ["0x%x" % i for i in changed])
    with open(args.dst, "wb") as f:
        f.write(data)
    print("  altered byte at file offset 0x%x (%s) 0x%02x -> 0x%02x; checksum %08x -> %08x"
          % (off, section_at(pe, off)["name"], old, new, pe.checksum, altered.checksum))


def cmd_truncate(args):
    data = open(args.src, "rb").read()
    pe = PE(data)
    cut = int(len(data) * args.fraction)
    inside = [s for s in pe.sections if s["rptr"] < cut < s["rptr"] + s["rsize"]]
    if not inside:
        raise PEError("cut at %d is not inside a section" % cut)
    with open(args.dst, "wb") as f:
        f.write(data[:cut])
    print("  truncated to %d of %d bytes, inside %s" % (cut, len(data), inside[0]["name"]))


def fmt_info(d):
    if d["kind"] == "not-pe":
        return "%-44s %8d  not a PE (%s)" % (os.path.basename(d["path"]), d["size"], d["error"])
    ck = "valid" if d["stored"] == d["computed"] else "STALE"
    if d["truncated"]:
        ck = "truncated"
    ver = d.get("fileVersion", "-")
    return "%-44s %8d  %-3s  file %-12s prod %-12s str %-14s %-9s chk %08x/%08x %s" % (
        os.path.basename(d["path"]), d["size"], d["kind"], ver, d.get("productVersion", "-"),
        d.get("strings", {}).get("FileVersion", "-"), ",".join(d.get("translations", [])) or "-",
        d["stored"], d["computed"], ck)


def cmd_info(args):
    for p in args.files:
        print(fmt_info(describe(p)))


def four_parts(v):
    return ".".join(str(int(x)) for x in (v.split(".") + ["0"] * 4)[:4])


def string_matches(text, version):
    """The FileVersion text matches the binary version: "8.04.00.6419" = 8.4.0.6419, and Outlook's
    three-part "major.minor.build" form, "8.02.4212", = 8.2.0.4212."""
    parts = text.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return four_parts("%s.%s.0.%s" % tuple(parts)) == version
    return all(p.isdigit() for p in parts) and four_parts(text) == version


NAME_RE = re.compile(r"^(?P<file>[a-z0-9]+)(-(?P<version>\d+\.\d+\.\d+\.\d+))?(-(?P<variant>[a-z0-9-]+))?\.(?P<ext>dll|exe)$")


def check_restamped(path, base_path):
    """A restamped variant against its unaltered build: same size and version, different bytes
    (hence SHA-256) in exactly one allowed byte plus the CheckSum field."""
    if not os.path.isfile(base_path):
        return ["%s: no unaltered build %s" % (os.path.basename(path), os.path.basename(base_path))]
    name = os.path.basename(path)
    data, base = open(path, "rb").read(), open(base_path, "rb").read()
    if len(data) != len(base):
        return ["%s: %d bytes, its unaltered build %d" % (name, len(data), len(base))]
    if hashlib.sha256(data).digest() == hashlib.sha256(base).digest():
        return ["%s: same SHA-256 as its unaltered build" % name]
    pe, orig = PE(data), PE(base)
    failures = []
    if pe.checksum == orig.checksum:
        failures.append("%s: same stored checksum as its unaltered build" % name)
    field = range(orig.checksum_offset, orig.checksum_offset + 4)
    changed = [i for i in range(len(data)) if data[i] != base[i] and i not in field]
    if len(changed) != 1:
        failures.append("%s: %d bytes changed outside the CheckSum field, expected 1" % (name, len(changed)))
    else:
        problem = altered_offset_problem(orig, changed[0])
        if problem:
            failures.append("%s: %s" % (name, problem))
    want = parse_version_info(orig.version_resources()[0][1])
    got = parse_version_info(pe.version_resources()[0][1])
    if got != want:
        failures.append("%s: version info differs from its unaltered build" % name)
    return failures


def cmd_check_catalogue(args):
    sizes = json.loads(args.sizes) if args.sizes else {}
    failures = []
    names = sorted(os.listdir(args.dir))
    for name in names:
        path = os.path.join(args.dir, name)
        m = NAME_RE.match(name)
        if not m:
            failures.append("%s: name does not follow <file>-<version>[-<variant>].dll|exe" % name)
            continue
        d = describe(path)
        print(fmt_info(d))
        variant, version = m.group("variant"), m.group("version")
        want_kind = m.group("ext")
        if variant == "notpe":
            if d["kind"] != "not-pe":
                failures.append("%s: expected not a PE" % name)
            continue
        if d["kind"] != want_kind:
            failures.append("%s: kind %s, expected %s" % (name, d["kind"], want_kind))
            continue
        if variant == "truncated":
            if not d["truncated"]:
                failures.append("%s: sections do not run past the end" % name)
            continue
        if variant == "flipped":
            if d["stored"] == d["computed"]:
                failures.append("%s: checksum still valid" % name)
        elif d["stored"] != d["computed"] or d["stored"] == 0:
            failures.append("%s: checksum %08x, computed %08x" % (name, d["stored"], d["computed"]))
        if variant == "restamped":
            failures += check_restamped(path, os.path.join(args.dir, "%s-%s.%s" % (m.group("file"), version, want_kind)))
        if d["truncated"]:
            failures.append("%s: truncated" % name)
        if variant == "noversion":
            if "fileVersion" in d or "versionError" in d:
                failures.append("%s: has a version resource" % name)
            continue
        if d.get("fileVersion") != version or d.get("productVersion") != version:
            failures.append("%s: binary version %s/%s" % (name, d.get("fileVersion"), d.get("productVersion")))
        sv = d.get("strings", {}).get("FileVersion", "")
        if variant == "string-claims-2502":
            if four_parts(sv) != "5.5.2502.0":
                failures.append("%s: FileVersion string %r" % (name, sv))
        elif not string_matches(sv, version):
            failures.append("%s: FileVersion string %r disagrees with %s" % (name, sv, version))
        want_tr = ["040704e4"] if variant == "de" else ["040904e4"]
        if d.get("translations") != want_tr or d.get("stringTables") != want_tr:
            failures.append("%s: translations %s, string tables %s" % (name, d.get("translations"), d.get("stringTables")))
        want_type = 2 if want_kind == "dll" else 1
        if (d.get("fileType"), d.get("fileOS"), d.get("flagsMask")) != (want_type, 0x40004, 0x3F):
            failures.append("%s: fixed info type/os/mask %s" % (name, (d.get("fileType"), d.get("fileOS"), d.get("flagsMask"))))
        want_size = sizes.get("%s-%s" % (m.group("file"), version)) if variant in (None, "flipped", "restamped") else None
        if want_size is not None and d["size"] != want_size:
            failures.append("%s: %d bytes, expected %d" % (name, d["size"], want_size))
    if failures:
        for f in failures:
            print("FAIL " + f, file=sys.stderr)
        sys.exit(1)
    print("catalogue: %d files checked" % len(names))


MANIFEST97_FILES = {"emsabp32.dll", "emsmdb32.dll", "emsui32.dll", "emsuix32.dll", "mspst32.dll",
                    "outllib.dll", "outlook.exe"}


def cmd_check_expected(args):
    fixtures = args.fixtures
    expected = json.load(open(os.path.join(fixtures, "expected.json")))
    statuses = {"patched", "outdated", "damaged", "missing", "unknown", "unreadable", "ok"}
    verdicts = {"up-to-date", "patch-needed", "blocked", "not-applicable", "review", "error"}
    failures = []
    entries = [(os.path.join(fixtures, "trees", t["name"]), t) for t in expected["trees"]]
    if "sampleInstall" in expected:
        entries.append((os.path.join(fixtures, expected["sampleInstall"]["name"]), expected["sampleInstall"]))
    on_disk = sorted(os.listdir(os.path.join(fixtures, "trees")))
    listed = sorted(t["name"] for t in expected["trees"])
    if on_disk != listed:
        failures.append("trees on disk %s != trees in expected.json %s" % (on_disk, listed))

    def exists_case_insensitive(root, rel):
        cur = root
        for part in rel.split("/"):
            if not os.path.isdir(cur):
                return False
            hits = [n for n in os.listdir(cur) if n.lower() == part.lower()]
            if not hits:
                return False
            cur = os.path.join(cur, hits[0])
        return True

    for root, t in entries:
        name = t["name"]
        if t["verdict"] not in verdicts:
            failures.append("%s: verdict %s" % (name, t["verdict"]))
        for inst in t["installations"]:
            for key in ("system", "outlook"):
                if inst[key] is not None and not os.path.isdir(os.path.join(root, inst[key])):
                    failures.append("%s: %s folder %r missing" % (name, key, inst[key]))
            for v in inst["verdicts"].values():
                if v not in verdicts:
                    failures.append("%s: installation verdict %s" % (name, v))
        file_maps = [t["files"]] + list(t.get("filesByManifest", {}).values())
        for files in file_maps:
            for rel, status in files.items():
                if status not in statuses:
                    failures.append("%s: %s status %s" % (name, rel, status))
                elif status == "missing":
                    if exists_case_insensitive(root, rel):
                        failures.append("%s: %s is listed missing but exists" % (name, rel))
                elif not os.path.isfile(os.path.join(root, rel)):
                    failures.append("%s: %s does not exist" % (name, rel))
        for rel in t.get("stray", []):
            if not os.path.isfile(os.path.join(root, rel)):
                failures.append("%s: stray %s does not exist" % (name, rel))
        # Every file the Outlook 97 manifest names that is in the tree is listed (or is a stray copy).
        for dirpath, _, filenames in os.walk(root):
            for fn in filenames:
                rel = os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/")
                if fn.lower() in MANIFEST97_FILES and rel not in t["files"] and rel not in t.get("stray", []):
                    failures.append("%s: %s is in the tree but not in expected.json" % (name, rel))
    if failures:
        for f in failures:
            print("FAIL " + f, file=sys.stderr)
        sys.exit(1)
    print("expected.json: %d entries agree with the trees" % len(entries))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("finish")
    p.add_argument("file")
    p.add_argument("--size", type=int)
    p.add_argument("--timestamp", type=lambda s: int(s, 0), required=True)
    p.set_defaults(func=cmd_finish)
    p = sub.add_parser("flip")
    p.add_argument("src")
    p.add_argument("dst")
    p.set_defaults(func=cmd_flip)
    p = sub.add_parser("restamp")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--offset", type=lambda s: int(s, 0), required=True)
    p.add_argument("--value", type=lambda s: int(s, 0))
    p.set_defaults(func=cmd_restamp)
    p = sub.add_parser("truncate")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--fraction", type=float, default=0.6)
    p.set_defaults(func=cmd_truncate)
    p = sub.add_parser("info")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("check-catalogue")
    p.add_argument("dir")
    p.add_argument("--sizes", help='JSON object {"emsabp32-5.5.1960.3": 121104, ...}')
    p.set_defaults(func=cmd_check_catalogue)
    p = sub.add_parser("check-expected")
    p.add_argument("fixtures")
    p.set_defaults(func=cmd_check_expected)
    args = ap.parse_args()
    try:
        args.func(args)
    except PEError as e:
        print("pefixture: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
