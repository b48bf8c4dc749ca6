#!/usr/bin/env python3
"""Inputs for scripts/bench.sh: a deterministic copy of an old Windows disk, as a tree of
files or as an archive (zip, or a tar stream for gzip).

    bench_gen.py tree ROOT FILES
        FILES files (tiny, a few bytes to 32 KB) in a tree under ROOT. The real DLLs are
        placed afterwards by bench.sh; ROOT holds none of them.

    bench_gen.py zip OUT.zip ENTRIES [ARCPATH=FIXTURE ...]
    bench_gen.py tar OUT.tar|- ENTRIES [ARCPATH=FIXTURE ...]
        An archive of ENTRIES entries (folders included) with the same layout as the tree,
        scaled down, but with real weight: files of a few KB to a few MB (about 2 GB in
        all), most of it incompressible (media, compressed installers and resources), the
        rest executable-like and text-like. Each ARCPATH=FIXTURE pair is written LAST, in
        the order given: the target DLLs sit at the end of the archive. The zip is deflated
        (level 6 for compressible files, level 1 or stored for incompressible ones, as
        zip tools do); `tar ... -` writes an uncompressed GNU tar to stdout for `gzip -n`.
        zip and tar with the same ENTRIES and pairs hold the same files in the same order.

No name in either matches the benchmark's patterns except the placed files; near misses
(decoys) are there, and no name ends with an archive extension (.zip, .cab, ...), so that
nothing is opened as a nested archive.
"""
import os
import random
import re
import sys
import tarfile
import zipfile

SEED = 19990514         # KB214747's publication date

WORDS = """setup readme install uninst config data help index main common shared
system driver font cache temp backup report letter memo budget invoice sales
client server network mail inbox outbox contacts calendar notes journal tasks
print spool color media sound wave midi video image photo icon cursor theme
desktop start menu programs accessories games tools utils update patch service
office word excel access powerpoint binder publisher project schedule chart
viewer player reader writer editor manager wizard toolbar addin plugin module
library runtime support license history favorites cookies recent sendto
template sample example tutorial guide manual faq release notes changes
archive old new final draft copy version2 version3 english french german
resource string dialog bitmap database query table form macro script html
style frame logo banner button arrow line page site web intranet proxy
modem dialup phone fax scanner camera printer monitor display keyboard mouse
joystick sound32 vxd winsock tcpip netbeui ipx spx dhcp dns wins ras""".split()
VENDORS = """Adobe Symantec McAfee Netscape Corel Lotus Borland Macromedia Intuit
RealNetworks WinZip Jasc Nullsoft Creative Logitech HP Canon Epson Iomega Norton
Qualcomm Oracle Sybase Novell Cisco Compaq Dell Gateway IBM Intel Matrox ATI
Diamond Aureal Yamaha Microsoft Sierra Broderbund Mindscape Quicken Visio""".split()
PRODUCTS = """Acrobat Reader Photoshop Navigator Communicator Eudora WinFax
PowerDesk SmartSuite Notes Delphi Director Flash Shockwave RealPlayer Winamp
PaintShop DirectX Visual Studio FrontPage Publisher Encarta Money Works
Antivirus Utilities PrintShop Scanner Suite Drivers Toolkit SDK Studio Player
Explorer Messenger NetMeeting Chat Outlook Express Access Tools""".split()
EXT = [  # (extension, weight)
    ("dll", 10), ("exe", 5), ("txt", 8), ("ini", 5), ("inf", 3), ("hlp", 3),
    ("cnt", 1), ("gid", 1), ("bmp", 6), ("gif", 7), ("jpg", 5), ("ico", 2),
    ("htm", 6), ("html", 2), ("css", 1), ("js", 1), ("doc", 4), ("xls", 2),
    ("dat", 4), ("log", 3), ("lnk", 3), ("url", 2), ("tmp", 2), ("sys", 1),
    ("vxd", 1), ("drv", 1), ("ocx", 1), ("tlb", 1), ("nls", 1), ("ttf", 1),
    ("fon", 1), ("wav", 2), ("mid", 1), ("avi", 1), ("chm", 1), ("pnf", 1),
    ("bak", 1), ("old", 1), ("mdb", 1), ("rtf", 1), ("pdf", 1), ("xml", 1),
    ("cfg", 1), ("bat", 1), ("com", 1), ("386", 1), ("cpl", 1), ("ax", 1),
    ("", 1),
]
EXT_NAMES = [e for e, _ in EXT]
EXT_WEIGHTS = [w for _, w in EXT]
# Decoys: near misses of the patterns (they must NOT be matched).
DECOYS = ["EMSABP32.BAK", "emsmdb32.dll.old", "MSPST32.DL_", "OUTLLIB.DL_",
          "Emsui32.txt", "mspst32.ini", "outllib.dll.bak", "XEMSMDB32.DLL"]
TARGET_RE = re.compile(r'(?i)^(ems.*\.dll|mspst32\.dll|outllib\.dll)$')


def plan(root, total, scale=1.0, reserved=11):
    """The layout: (folders, files), files as (path, size, offset into a 1 MiB buffer).

    `total` files in all, `reserved` of them left for the caller to place. `scale`
    multiplies the file counts of the fixed parts (WINDOWS, WINNT, Office, ...); the rest
    of the budget goes to Program Files. With scale 1 this is exactly the tree of
    bench.sh's first version (same random sequence, same names, same sizes).
    """
    budget = total - reserved
    rng = random.Random(SEED)
    buf_len = 1 << 20
    rng.randbytes(buf_len)      # the tree's content buffer: drawn here to keep the sequence
    created = 0
    dirs, files = [], []

    def S(n):
        return n if scale == 1 else max(1, round(n * scale))

    def size():
        r = rng.random()
        if r < 0.04:
            return 0
        if r < 0.99:                      # most: a few bytes .. a few KB
            return min(int(rng.lognormvariate(5.5, 1.0)), 8192)
        return rng.randint(8192, 32 * 1024)

    def word():
        return rng.choice(WORDS)

    def fname(style):
        ext = rng.choices(EXT_NAMES, EXT_WEIGHTS)[0]
        if style == "83":
            base = (word() + (str(rng.randint(0, 99)) if rng.random() < 0.4 else ""))[:8].upper()
            if rng.random() < 0.1:
                base = base[:6] + "~" + str(rng.randint(1, 4))
            return base + ("." + ext.upper() if ext else "")
        if style == "hex":                 # browser cache, temp files
            base = "%08X" % rng.getrandbits(32) if rng.random() < 0.5 else "~DF%04X" % rng.getrandbits(16)
            return base + ("." + ext if ext else "")
        n = rng.randint(1, 3)
        parts = [word() for _ in range(n)]
        if rng.random() < 0.5:
            parts = [p.capitalize() for p in parts]
        sep = rng.choice([" ", "_", "", "-"])
        base = sep.join(parts) + (" " + str(rng.randint(1, 2000)) if rng.random() < 0.2 else "")
        return base + ("." + ext if ext else "")

    def dname(style):
        if style == "83":
            return (word() + (str(rng.randint(0, 9)) if rng.random() < 0.3 else ""))[:8].upper()
        if style == "hex":
            return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(8))
        n = rng.randint(1, 2)
        parts = [word().capitalize() for _ in range(n)]
        return " ".join(parts)

    def write_files(path, n, style):
        nonlocal created
        n = min(n, budget - created)
        for _ in range(n):
            name = fname(style if rng.random() < 0.8 else rng.choice(["83", "long"]))
            while TARGET_RE.match(name):
                name = "X" + name
            name = unique(path, name)
            s = size()
            files.append((os.path.join(path, name), s, rng.randrange(0, buf_len - s)))
            created += 1

    names = {}   # folder -> the lower-cased names in it (files and folders)

    def unique(folder, name):
        seen = names.setdefault(folder, set())
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        i = 1
        while name.lower() in seen:
            i += 1
            name = f"{stem} ({i}){dot}{ext}" if dot else f"{stem}{i}"
        seen.add(name.lower())
        return name

    def mk(path):
        p = path
        while p != root:        # register every new component of the path
            parent, base = os.path.split(p)
            if base.lower() in names.get(parent, ()):
                break
            unique(parent, base)
            p = parent
        dirs.append(path)
        return path

    def subtree(path, depth, nfiles, style="long", maxdepth=8):
        """A folder with a few dozen files and sub-folders sharing nfiles."""
        if created >= budget or nfiles <= 0:
            return
        mk(path)
        here = min(nfiles, rng.randint(4, 60))
        write_files(path, here, style)
        rest = nfiles - here
        if rest <= 0:
            return
        if depth >= maxdepth:
            write_files(path, rest, style)
            return
        kids = max(1, min(rest // 20 + 1, rng.randint(1, 8)))
        weights = [rng.random() + 0.1 for _ in range(kids)]
        tot = sum(weights)
        for w in weights:
            name = unique(path, dname(style if rng.random() < 0.7 else "long"))
            subtree(os.path.join(path, name), depth + 1, int(rest * w / tot) + 1, style, maxdepth)

    J = os.path.join
    # Windows 98 (the one with Outlook 97).
    win = mk(J(root, "WINDOWS"))
    write_files(win, S(180), "83")
    sysdir = mk(J(win, "SYSTEM"))
    write_files(sysdir, S(1400), "83")
    for d in ["IOSUBSYS", "VMM32", "COLOR", "VIEWERS", "OOBE", "ShellExt"]:
        write_files(mk(J(sysdir, d)), S(rng.randint(10, 120)), "83")
    for n in DECOYS:
        files.append((J(sysdir, unique(sysdir, n)), 0, 0))
        created += 1
    for d, n in [("FONTS", 350), ("INF", 900), ("HELP", 700), ("COMMAND", 120),
                 ("Cursors", 90), ("Media", 60), ("SYSBCKUP", 300), ("PIF", 40),
                 ("ShellNew", 12), ("Web", 80), ("Downloaded Program Files", 30)]:
        subtree(J(win, d), 2, S(n), "83", 4)
    subtree(J(win, "INF", "OTHER"), 3, S(400), "83", 4)
    tif = mk(J(win, "Temporary Internet Files", "Content.IE5"))
    for _ in range(16):
        subtree(J(tif, dname("hex")), 4, S(rng.randint(300, 900)), "hex", 5)
    subtree(J(win, "Cookies"), 2, S(900), "long", 2)
    subtree(J(win, "History", "History.IE5"), 3, S(1500), "long", 5)
    subtree(J(win, "Recent"), 2, S(200), "long", 2)
    subtree(J(win, "Start Menu", "Programs"), 3, S(900), "long", 6)
    subtree(J(win, "Application Data"), 2, S(2500), "long", 8)
    for user in ["Default", "John", "Administrator", "mary"]:
        subtree(J(win, "Profiles", user), 3, S(2500), "long", 8)
    subtree(J(win, "TEMP"), 2, S(3000), "hex", 4)
    # A second Windows (dual boot NT 4) without Outlook.
    nt = mk(J(root, "WINNT"))
    write_files(nt, S(150), "83")
    write_files(mk(J(nt, "system32")), S(1800), "83")
    subtree(J(nt, "system32", "drivers"), 3, S(300), "83", 4)
    subtree(J(nt, "system32", "config"), 3, S(40), "83", 3)
    subtree(J(nt, "Profiles"), 2, S(6000), "long", 8)
    for d, n in [("Fonts", 300), ("inf", 800), ("Help", 600), ("Media", 60)]:
        subtree(J(nt, d), 2, S(n), "83", 4)
    # DOS-era and server leftovers.
    subtree(J(root, "DOS"), 1, S(150), "83", 2)
    subtree(J(root, "TEMP"), 1, S(4000), "hex", 4)
    subtree(J(root, "Inetpub", "wwwroot"), 2, S(6000), "long", 8)
    # Office 97 (without the placed Outlook files).
    office = J(root, "Program Files", "Microsoft Office")
    subtree(J(office, "Office"), 3, S(1500), "83", 6)
    for d in ["Templates", "Clipart", "Queries", "Shortcut Bar"]:
        subtree(J(office, d), 3, S(1500), "long", 8)
    # User documents.
    for user in ["My Documents", "Documents and Settings"]:
        subtree(J(root, user), 1, S(30000), "long", 8)
    # Program Files: products until the budget is spent.
    pf = J(root, "Program Files")
    while created < budget:
        vendor = rng.choice(VENDORS)
        product = " ".join(rng.sample(PRODUCTS, rng.randint(1, 2))) + (" " + str(rng.randint(2, 9)) if rng.random() < 0.3 else "")
        if rng.random() < 0.6:
            parent = mk(J(pf, vendor))
        else:
            parent, product = mk(pf), vendor + " " + product
        path = J(parent, unique(parent, product))
        subtree(path, 2, S(rng.randint(200, 6000)), rng.choice(["long", "long", "83"]), 8)
    return dirs, files


# --- the tree ----------------------------------------------------------------------------

def write_tree(root, total):
    from multiprocessing import Pool
    global _buf
    _buf = random.Random(SEED).randbytes(1 << 20)   # the same bytes plan() drew first
    dirs, files = plan(root, total)
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    chunks = [files[i:i + 2000] for i in range(0, len(files), 2000)]
    with Pool(os.cpu_count() or 2) as pool:
        pool.map(_write_chunk, chunks, chunksize=1)
    print(f"generated {len(files)} files in {len(dirs)} folders", file=sys.stderr)


_buf = b""


def _write_chunk(chunk):
    for path, s, off in chunk:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if s:
            os.write(fd, _buf[off:off + s])
        os.close(fd)


# --- the archive ------------------------------------------------------------------------

# What a file's bytes look like, by extension: "random" is already compressed (pictures,
# sound, video, PDF, compressed help, packed installers) and does not compress at all;
# "text" is INI/INF/HTML/logs (deflates to about a third); everything else is "binary",
# executable-like pages (code, zero padding, compressed resources: deflates to about 60%).
RANDOM_EXT = {"jpg", "gif", "avi", "wav", "mid", "pdf", "chm", "cnt", "gid", "dat", "tmp", ""}
TEXT_EXT = {"txt", "ini", "inf", "htm", "html", "css", "js", "log", "xml", "rtf", "bat",
            "cfg", "url", "pnf"}
POOL = 48 << 20         # bytes per content pool; a file is a slice of its kind's pool


def kind_of(path):
    ext = path.rpartition(".")[2].lower() if "." in os.path.basename(path) else ""
    if ext in RANDOM_EXT:
        return "random"
    if ext in TEXT_EXT:
        return "text"
    # Large executables and data files of the era mostly carry packed payloads.
    return "binary"


# Per kind: (share of large files, their size range, median and spread of the others).
# Most of the weight is incompressible, as on a real disk (and as in the archives behind
# issue 3's yardsticks: `gzip -dc` 5.4x slower than `bsdtar -tzf`, which only holds when
# most deflate blocks are stored ones).
SIZES = {
    "random": (0.024, (1 << 20, 5 << 20), 16 << 10, 1.0),   # videos, CAB-packed setups, PDFs
    "binary": (0.001, (1 << 20, 5 << 20), 3 << 10, 0.9),    # DLLs, fonts, databases
    "text":   (0.000, (1 << 20, 5 << 20), 5 << 9, 0.9),     # INI, INF, HTML, logs
}


def archive_size(rng, kind):
    """Bytes of one file: a few KB typically, a few MB for some (about 1.6 GB in all)."""
    big, (lo, hi), median, sigma = SIZES[kind]
    if rng.random() < big:
        return int(rng.uniform(lo, hi))
    return max(1024, min(int(median * rng.lognormvariate(0, sigma)), 1 << 20))


def make_pools(rng):
    pools = {"random": rng.randbytes(POOL)}
    # Executable-like: 4 KiB pages of code (a skewed byte alphabet), zero padding and
    # packed resources (random).
    hot = ([0x00] * 60 + [0xff] * 12 + [0x8b] * 10 + [0x89] * 6 + [0xe8] * 5 +
           [0x50, 0x51, 0x52, 0x53, 0x55, 0x56, 0x57, 0x5d, 0x5e, 0x5f, 0xc3, 0x74,
            0x75, 0xeb, 0x83, 0x85, 0x8d, 0x6a, 0x68, 0x0f, 0x33, 0xc0, 0x45, 0x04] * 2)
    table = bytes(hot[i % len(hot)] for i in range(256))
    pages = []
    code = rng.randbytes(POOL // 2).translate(table)
    noise = rng.randbytes(POOL // 2)
    ci = ni = 0
    for _ in range(POOL // 4096):
        r = rng.random()
        if r < 0.15:
            pages.append(bytes(4096))
        elif r < 0.45:
            pages.append(noise[ni:ni + 4096]); ni += 4096
        else:
            pages.append(code[ci:ci + 4096]); ci += 4096
    pools["binary"] = b"".join(pages)
    # Text-like: INI sections, HTML, log lines, prose.
    out, n = [], 0
    while n < POOL:
        style = rng.random()
        if style < 0.25:
            line = f"[{rng.choice(WORDS).capitalize()}]\r\n" + "".join(
                f"{rng.choice(WORDS)}{rng.randint(0, 99)}={rng.choice(WORDS)},{rng.getrandbits(16):04X}\r\n"
                for _ in range(rng.randint(2, 12)))
        elif style < 0.45:
            line = "".join(f"<{t}>{' '.join(rng.choices(WORDS, k=rng.randint(2, 9)))}</{t}>\r\n"
                           for t in rng.choices(["p", "td", "li", "b", "a", "h2"], k=rng.randint(2, 8)))
        elif style < 0.65:
            line = "".join(f"{rng.randint(1997, 2001)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                           f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} "
                           f"{rng.choice(['INFO', 'WARN', 'ERROR'])} {' '.join(rng.choices(WORDS, k=rng.randint(3, 10)))} "
                           f"0x{rng.getrandbits(32):08X}\r\n" for _ in range(rng.randint(2, 10)))
        else:
            line = " ".join(rng.choices(WORDS, k=rng.randint(20, 80))).capitalize() + ".\r\n\r\n"
        out.append(line)
        n += len(line)
    pools["text"] = "".join(out).encode("ascii")[:POOL]
    return pools


def archive_plan(entries, placed):
    """The entries in archive order: ("dir", name, None) and ("file", name, (kind, size,
    offset)) or ("fixture", name, source path); `entries` in all, folders included."""
    # The planner's budget counts files; aim for files + folders + placed = entries.
    files_budget = entries - len(placed)
    for _ in range(8):
        dirs, files = plan("", files_budget, scale=entries / 300000, reserved=0)
        folders = set()
        for d in dirs:
            while d and d not in folders:
                folders.add(d)
                d = os.path.dirname(d)
        for target, _ in placed:
            d = os.path.dirname(target)
            while d and d not in folders:
                folders.add(d)
                d = os.path.dirname(d)
        over = len(files) + len(folders) + len(placed) - entries
        if over == 0 or (over < 0 and len(files) < files_budget):
            break
        files_budget -= over
    rng = random.Random(SEED + 1)
    out, emitted = [], set()

    def parents(path):
        chain, d = [], os.path.dirname(path)
        while d and d not in emitted:
            chain.append(d)
            d = os.path.dirname(d)
        for d in reversed(chain):
            emitted.add(d)
            out.append(("dir", d, None))

    for path, _, _ in files:
        parents(path)
        kind = kind_of(path)
        size = archive_size(rng, kind)
        if os.path.basename(path) in DECOYS:
            size = 0
        out.append(("file", path, (kind, size, rng.randrange(0, POOL - size + 1))))
    for d in sorted(folders - emitted):
        out.append(("dir", d, None))
        emitted.add(d)
    for target, source in placed:       # last: the DLLs sit at the end of the archive
        out.append(("fixture", target, source))
    return out


def mtime(rng):
    return 880934400 + rng.randrange(0, 4 * 365 * 86400)    # 1997-12-01 .. 2001-11


def write_archive(kind, out, entries, placed):
    items = archive_plan(entries, placed)
    pools = make_pools(random.Random(SEED + 2))
    rng = random.Random(SEED + 3)       # timestamps, compression choices
    stats = {"random": 0, "binary": 0, "text": 0, "fixture": 0}
    if kind == "zip":
        zf = zipfile.ZipFile(out, "w", allowZip64=True)
    else:
        stream = sys.stdout.buffer if out == "-" else open(out, "wb")
        tf = tarfile.open(fileobj=stream, mode="w|", format=tarfile.GNU_FORMAT)
    for what, name, arg in items:
        when = mtime(rng)
        store = rng.random() < 0.5
        if what == "fixture":
            with open(arg, "rb") as f:
                data = f.read()
            stats["fixture"] += len(data)
        elif what == "file":
            k, size, off = arg
            data = pools[k][off:off + size]
            stats[k] += size
        else:
            data = None
        if kind == "zip":
            zi = zipfile.ZipInfo(name + "/" if data is None else name,
                                 date_time=__import__("time").gmtime(when)[:6])
            zi.create_system = 0            # MS-DOS/FAT attributes, as Windows zip tools write
            if data is None:
                zi.external_attr = 0x10     # FILE_ATTRIBUTE_DIRECTORY
                zf.writestr(zi, b"")
                continue
            zi.external_attr = 0x20         # FILE_ATTRIBUTE_ARCHIVE
            if what == "file" and arg[0] == "random":
                # Incompressible: stored by some tools, deflated (to stored blocks) by others.
                if store:
                    zf.writestr(zi, data, compress_type=zipfile.ZIP_STORED)
                else:
                    zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            else:
                zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        else:
            ti = tarfile.TarInfo(name)
            ti.mtime = when
            ti.uname = ti.gname = "root"
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            else:
                ti.size = len(data)
                ti.mode = 0o644
                tf.addfile(ti, __import__("io").BytesIO(data))
    if kind == "zip":
        zf.close()
    else:
        tf.close()
        stream.flush()
    total = sum(stats.values())
    print(f"{kind}: {len(items)} entries ({sum(1 for i in items if i[0] == 'dir')} folders), "
          f"{total / 1e9:.2f} GB of file data: "
          + ", ".join(f"{k} {v / 1e9:.2f} GB" for k, v in stats.items() if k != "fixture")
          + f", {len(placed)} placed files last", file=sys.stderr)


def main(argv):
    if len(argv) >= 3 and argv[0] == "tree":
        write_tree(argv[1], int(argv[2]))
    elif len(argv) >= 3 and argv[0] in ("zip", "tar"):
        placed = []
        for pair in argv[3:]:
            target, _, source = pair.partition("=")
            if not source:
                sys.exit(f"bench_gen.py: expected ARCPATH=FIXTURE, got {pair!r}")
            placed.append((target, source))
        write_archive(argv[0], argv[1], int(argv[2]), placed)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
