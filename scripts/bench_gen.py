#!/usr/bin/env python3
"""Inputs for scripts/bench.sh: a deterministic copy of an old Windows disk, as a tree of
files or as an archive (zip, or a tar stream for gzip); the same disk with archives inside;
a fleet of zips of about 2 MB, and one of small zips.

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

    bench_gen.py nested OUT.zip ENTRIES [ARCPATH=FIXTURE ...]
        The zip's disk (about ENTRIES entries, about 1.5 GB: some of the largest files are
        shrunk to make room) with archives inside, spread through it:
        - about 440 of its files renamed like archives (.cab .CAB .zip .7z .iso .tar.gz .tgz
          .tar .tar.bz2 .tar.xz, in Temporary Internet Files, TEMP, Downloaded Program Files
          and Program Files), holding random bytes, stored or deflated like other random data;
        - five large blobs of random bytes, stored (NESTED_BLOBS: 20, 52, 90, 140 and 200 MiB,
          among them setup/office97/office.cab and setup/win98se.iso);
        - four real archives that hold no name the shipped manifests watch (NESTED_REAL): a
          stored zip backup/pc42-system.zip (a small disk, deflated entries), a zip of mail
          deflated again in the outer zip, an ISO 9660 image with Rock Ridge and Joliet
          (`xorriso -as mkisofs`, Debian's xorriso; two random .CABs inside it), and a
          tar.gz, the last two stored;
        and the ARCPATH=FIXTURE pairs last, as in `zip`. Random data never starts with bytes
        that patchaudit's sniffer takes for an archive.

    bench_gen.py fleet DIR COUNT TREES
        COUNT zips DIR/m0001.zip ... of about 2 MB, copies of the folders in TREES
        (Fixtures/trees, cycled through in name order), each with a README.TXT (PC-NOTE.TXT
        where the tree has a README.TXT) naming its machine, so that no two are the same file.
        The watched DLLs and EXEs weigh what real ones do (enlarge_pe: about 3.4 MB for the
        seven files of a machine, code-like bytes that deflate to about 56%) and keep what
        patchaudit decides about them: version resource, manifest size, PE checksum valid or
        stale as it was; truncated and non-PE fixtures are kept as they are. Each distinct file
        is enlarged and deflated once and its bytes reused in every copy. Four broken ones:
        x-random.zip (random bytes), x-truncated.zip (cut short), x-empty.zip and x-badcrc.zip
        (a stored zip with a byte of a DLL flipped). DIR/index.tsv: each zip and the tree it
        copies (or "broken:..."); DIR/fleet.txt: each file of each tree, its size before and
        after, and how it was enlarged.

    bench_gen.py fleet-small DIR COUNT TREES
        The same without enlarging (the fixtures as they are, about 7 KB a zip): the fleet of
        the first fleet benchmark, now the many small targets of the fleet-memory section.

In tree, zip and tar, no name matches the benchmark's patterns except the placed files;
near misses (decoys) are there, and no name ends with an archive extension (.zip, .cab,
...), so that nothing is opened as a nested archive. In nested, only the placed files match.
"""
import io
import os
import random
import re
import struct
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


def plan(root, total, scale=1.0, reserved=11, seed=SEED):
    """The layout: (folders, files), files as (path, size, offset into a 1 MiB buffer).

    `total` files in all, `reserved` of them left for the caller to place. `scale`
    multiplies the file counts of the fixed parts (WINDOWS, WINNT, Office, ...); the rest
    of the budget goes to Program Files. With scale 1 this is exactly the tree of
    bench.sh's first version (same random sequence, same names, same sizes). Another `seed`
    gives another layout of the same shape (the nested archives' contents).
    """
    budget = total - reserved
    rng = random.Random(seed)
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


# --- nested: archives inside the archive ---------------------------------------------------

# Names patchaudit's shipped manifests watch: nothing inside a nested archive may match them.
WATCHED_RE = re.compile(r'(?i)^(ems.*\.dll|mspst32\.dll|outllib\.dll|outlook\.exe|omipst9\.dll)$')

# Large files named like archives that are random bytes (downloaded installers, a CD image,
# backups cut short): (path, MiB). Stored, as zip tools store incompressible data.
NESTED_BLOBS = [
    ("Program Files/Symantec/LiveUpdate/Downloads/navdefs.zip", 20),
    ("setup/office97/office.cab", 52),
    ("Documents and Settings/John/Desktop/photos 2001.7z", 90),
    ("WINDOWS/TEMP/pc42-backup.tar.gz", 140),
    ("setup/win98se.iso", 200),
]
# Real archives inside, none holding a watched name: (path, what, how the outer zip holds it).
NESTED_REAL = [
    ("backup/pc42-system.zip", "system-zip", "stored"),       # a zip of a small disk, deflated entries
    ("Documents and Settings/John/My Documents/old-mail.zip", "mail-zip", "deflated"),
    ("setup/pc42-cd.iso", "iso", "stored"),                   # ISO 9660 + Rock Ridge + Joliet (xorriso)
    ("backup/pc42-profiles.tar.gz", "tar.gz", "stored"),
]
# Ordinary entries renamed like archives (random bytes; their sizes stay the plan's), by
# where they are: the first folder part that a path contains decides, in this order.
NESTED_NAMED = [("Temporary Internet Files/", 200), ("TEMP/", 60),
                ("Downloaded Program Files/", 25), ("Program Files/", 175)]
NESTED_EXT = [(".cab", 40), (".zip", 20), (".7z", 5), (".iso", 3), (".tar.gz", 5), (".tgz", 3),
              (".tar", 3), (".tar.bz2", 2), (".tar.xz", 1)]
# About what the real nested archives weigh (for making room: the zip stays about 1.5 GB).
NESTED_REAL_BYTES = 24 << 20


def sniffs_as_archive(head):
    """True when patchaudit's ArchiveSniffer would take these first bytes (up to 0x8006 of
    them) for an archive; random data must not (by chance) look like one."""
    h = bytes(head)

    def at(offset, magic):
        return h[offset:offset + len(magic)] == magic
    if at(0, b"\x1f\x8b\x08") or at(0, b"\xfd7zXZ\x00") or at(0, b"\x28\xb5\x2f\xfd"):
        return True
    if len(h) >= 4 and h[0] & 0xf0 == 0x50 and at(1, b"\x2a\x4d\x18"):
        return True
    if at(0, b"BZh") or at(0, b"PK") or at(0, b"MSCF") or at(0, b"7z\xbc\xaf\x27\x1c"):
        return True
    if len(h) >= 14 and h[0] <= 224:                        # lzma-alone
        d = int.from_bytes(h[1:5], "little")
        if bin(d).count("1") == 1 and 1 << 12 <= d <= 1 << 27:
            return True
        if h[0] in (0x5d, 0x5e) and h[5:13] == b"\xff" * 8 and 0x300000 <= d <= 0x3f00000 and d & 0xfffff == 0:
            return True
    if len(h) >= 512:                                       # tar: ustar, or a v7 checksum
        if at(257, b"ustar"):
            return True
        field = h[148:156].lstrip(b" ").split(b"\0")[0].split(b" ")[0]
        if h[0] != 0 and field and all(0x30 <= c <= 0x37 for c in field):
            if sum(0x20 if 148 <= i < 156 else c for i, c in enumerate(h[:512])) == int(field, 8):
                return True
    return at(0x8001, b"CD001")


def piece(pools, kind, size, off):
    """`size` bytes of a content pool from about `off` (the binary pool is a little shorter
    than POOL: make_pools runs out of noise pages; the offset is moved back to fit)."""
    pool = pools[kind]
    off = max(0, min(off, len(pool) - size))
    return pool[off:off + size]


def nested_plan(entries, placed):
    """The outer zip's entries for the nested benchmark: archive_plan's disk with about 440
    of its files renamed like archives ("named": random bytes), the NESTED_BLOBS and the
    NESTED_REAL archives spread through it ("blob", "nested"), room made for them by
    shrinking some of the largest random files, and the placed files last, as in `zip`."""
    extras = len(NESTED_BLOBS) + len(NESTED_REAL)
    items = archive_plan(entries - extras, placed)
    tail = items[len(items) - len(placed):] if placed else []
    base = items[:len(items) - len(placed)]
    rng = random.Random(SEED + 10)
    taken = {name.lower() for _, name, _ in items}

    # Room: the largest random files shrink to ordinary sizes until the extras fit.
    room = sum(mib << 20 for _, mib in NESTED_BLOBS) + NESTED_REAL_BYTES
    big = [i for i, (what, _, arg) in enumerate(base) if what == "file" and arg[0] == "random" and arg[1] > 1 << 20]
    rng.shuffle(big)
    for i in big:
        if room <= 0:
            break
        what, name, (kind, size, off) = base[i]
        small = max(1024, min(int((16 << 10) * rng.lognormvariate(0, 1.0)), 1 << 20))
        room -= size - small
        base[i] = (what, name, (kind, small, off))

    # Archive names over random bytes where a disk has them.
    groups = {part: [] for part, _ in NESTED_NAMED}
    for i, (what, name, arg) in enumerate(base):
        if what != "file" or arg[1] == 0:
            continue
        for part, _ in NESTED_NAMED:
            if part in name:
                groups[part].append(i)
                break
    ext_names = [e for e, _ in NESTED_EXT]
    ext_weights = [w for _, w in NESTED_EXT]
    for part, count in NESTED_NAMED:
        for i in sorted(rng.sample(groups[part], min(count, len(groups[part])))):
            _, name, (kind, size, off) = base[i]
            folder, leaf = name.rsplit("/", 1)
            stem = leaf.rsplit(".", 1)[0] if "." in leaf else leaf
            ext = rng.choices(ext_names, ext_weights)[0]
            if stem == stem.upper() and rng.random() < 0.6:
                ext = ext.upper()           # 8.3-style names: DATA1.CAB
            new, n = f"{folder}/{stem}{ext}", 1
            while new.lower() in taken:
                n += 1
                new = f"{folder}/{stem} ({n}){ext}"
            taken.add(new.lower())
            base[i] = ("named", new, ("random", size, off))

    # The blobs and the real archives, spread through the entries (each with its folders).
    extra = [("blob", path, (SEED + 100 + j, mib << 20)) for j, (path, mib) in enumerate(NESTED_BLOBS)]
    extra += [("nested", path, (what, how)) for path, what, how in NESTED_REAL]
    rng.shuffle(extra)
    slots = {len(base) * (k + 1) // (len(extra) + 1): e for k, e in enumerate(extra)}
    out, emitted = [], set()
    for i, item in enumerate(base + tail):
        if i in slots:
            chain, d = [], os.path.dirname(slots[i][1])
            while d and d not in emitted:
                chain.append(d)
                d = os.path.dirname(d)
            for d in reversed(chain):
                emitted.add(d)
                out.append(("dir", d, None))
            out.append(slots[i])
        if item[0] == "dir":
            if item[1] in emitted:
                continue
            emitted.add(item[1])
        out.append(item)
    return out


def inner_files(seed, nfiles, max_size, root=""):
    """A small disk for inside a nested archive: (folders, [(path, kind, size, offset)])."""
    _, files = plan(root, nfiles, scale=nfiles / 300000, reserved=0, seed=seed)
    rng = random.Random(seed + 1)
    out, folders = [], set()
    for path, _, _ in files:
        kind = kind_of(path)
        size = 0 if os.path.basename(path) in DECOYS else min(archive_size(rng, kind), max_size)
        out.append((path, kind, size, rng.randrange(0, POOL - size + 1)))
        d = os.path.dirname(path)
        while d and d not in folders:       # every folder once, parents included
            folders.add(d)
            d = os.path.dirname(d)
    return sorted(folders), out


def zip_bytes(dirs, files, pools, rng):
    """A zip in memory (as a Windows zip tool writes one): deflated, random data stored."""
    import io
    import time
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for d in dirs:
            zi = zipfile.ZipInfo(d.rstrip("/") + "/", date_time=time.gmtime(mtime(rng))[:6])
            zi.create_system, zi.external_attr = 0, 0x10
            zf.writestr(zi, b"")
        for path, kind, size, off in files:
            zi = zipfile.ZipInfo(path, date_time=time.gmtime(mtime(rng))[:6])
            zi.create_system, zi.external_attr = 0, 0x20
            if kind == "random":
                zf.writestr(zi, piece(pools, kind, size, off), compress_type=zipfile.ZIP_STORED)
            else:
                zf.writestr(zi, piece(pools, kind, size, off), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def real_nested(what, pools, workdir):
    """The bytes of one NESTED_REAL archive, and what it holds (names, for the check)."""
    import gzip
    import io
    import subprocess
    rng = random.Random(SEED + 20 + sum(map(ord, what)))
    if what == "system-zip":
        dirs, files = inner_files(SEED + 20, 600, 256 << 10)
        return zip_bytes(dirs, files, pools, rng), [f[0] for f in files]
    if what == "mail-zip":
        root = "Mail Backup 2000"
        files = [(f"{root}/Outlook Express/{n}.dbx", "binary", s << 10, 0)
                 for n, s in (("Inbox", 3072), ("Sent Items", 1536), ("Deleted Items", 512), ("Folders", 64))]
        files += [(f"{root}/Saved/{1999 + i // 40}/msg{i:04d}.eml", "text", rng.randint(8, 64) << 10, 0)
                  for i in range(80)]
        files = [(p, k, s, rng.randrange(0, POOL - s)) for p, k, s, _ in files]
        dirs = sorted({os.path.dirname(p) for p, *_ in files} | {root, f"{root}/Saved"})
        return zip_bytes(dirs, files, pools, rng), [f[0] for f in files]
    if what == "tar.gz":
        dirs, files = inner_files(SEED + 30, 400, 128 << 10, root="Profiles")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
            for d in dirs:
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode, ti.mtime, ti.uname, ti.gname = tarfile.DIRTYPE, 0o755, mtime(rng), "root", "root"
                tf.addfile(ti)
            for path, kind, size, off in files:
                ti = tarfile.TarInfo(path)
                ti.size, ti.mode, ti.mtime, ti.uname, ti.gname = size, 0o644, mtime(rng), "root", "root"
                tf.addfile(ti, io.BytesIO(piece(pools, kind, size, off)))
        return gzip.compress(buf.getvalue(), compresslevel=6, mtime=0), [f[0] for f in files]
    if what == "iso":
        # A driver/extras CD: a few files, two CABs that are random bytes (nested candidates
        # one level further in), built by xorriso with fixed dates.
        stage = os.path.join(workdir, "iso")
        layout = [("README.TXT", "text", 3 << 10), ("AUTORUN.INF", "text", 200),
                  ("SETUP.EXE", "binary", 600 << 10), ("WIN98/BASE4.CAB", "random", 1536 << 10),
                  ("WIN98/NET7.CAB", "random", 800 << 10), ("WIN98/SETUPPP.INF", "text", 40 << 10),
                  ("DRIVERS/VIDEO/ATI/ATIM64.DRV", "binary", 200 << 10),
                  ("DRIVERS/SOUND/SB16/SB16.VXD", "binary", 90 << 10),
                  ("DOCS/Users Guide.pdf", "random", 1 << 20), ("DOCS/LICENSE.TXT", "text", 12 << 10)]
        for rel, kind, size in layout:
            path = os.path.join(stage, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            off = rng.randrange(0, POOL - size)
            while kind == "random" and rel.endswith(".CAB") and sniffs_as_archive(piece(pools, kind, 0x8006, off)):
                off += 1
            with open(path, "wb") as f:
                f.write(piece(pools, kind, size, off))
        for folder, subdirs, names in os.walk(stage, topdown=False):
            for n in names + subdirs:
                os.utime(os.path.join(folder, n), (946684800, 946684800))
        os.utime(stage, (946684800, 946684800))
        iso = os.path.join(workdir, "pc42-cd.iso")
        env = dict(os.environ, SOURCE_DATE_EPOCH="946684800")
        done = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-r", "-J", "-V", "PC42_CD",
                               "-o", iso, stage], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"bench_gen.py: xorriso failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        with open(iso, "rb") as f:
            data = f.read()
        if data[0x8001:0x8006] != b"CD001":
            sys.exit("bench_gen.py: xorriso wrote no ISO 9660 volume descriptor")
        return data, [rel for rel, _, _ in layout]
    raise ValueError(what)


def write_nested(out, entries, placed):
    import tempfile
    import time
    items = nested_plan(entries, placed)
    pools = make_pools(random.Random(SEED + 2))
    real = {}
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as workdir:
        for path, what, _ in NESTED_REAL:
            data, names = real_nested(what, pools, workdir)
            bad = [n for n in names if WATCHED_RE.match(os.path.basename(n))]
            if bad:
                sys.exit(f"bench_gen.py: {path} would hold watched names: {bad}")
            real[path] = data
    rng = random.Random(SEED + 3)       # timestamps, compression choices
    stats = {"random": 0, "binary": 0, "text": 0, "named": 0, "blob": 0, "nested": 0, "fixture": 0}
    counts = {"dir": 0, "file": 0, "named": 0, "blob": 0, "nested": 0, "fixture": 0}
    zf = zipfile.ZipFile(out, "w", allowZip64=True)
    for what, name, arg in items:
        counts[what] += 1
        when = mtime(rng)
        store = rng.random() < 0.5
        zi = zipfile.ZipInfo(name + "/" if what == "dir" else name, date_time=time.gmtime(when)[:6])
        zi.create_system = 0                # MS-DOS/FAT attributes, as Windows zip tools write
        zi.external_attr = 0x10 if what == "dir" else 0x20
        if what == "dir":
            zf.writestr(zi, b"")
        elif what == "blob":                # random bytes, stored, written in 8 MiB pieces
            seed, size = arg
            brng = random.Random(seed)
            zi.compress_type, zi.file_size = zipfile.ZIP_STORED, size
            with zf.open(zi, "w") as w:
                left = size
                while left:
                    chunk = brng.randbytes(min(left, 8 << 20))
                    if left == size:
                        while sniffs_as_archive(chunk[:0x8006]):
                            chunk = brng.randbytes(len(chunk))
                    w.write(chunk)
                    left -= len(chunk)
            stats["blob"] += size
        elif what == "nested":
            data = real[name]
            if arg[1] == "stored":
                zf.writestr(zi, data, compress_type=zipfile.ZIP_STORED)
            else:                           # a tool that deflates whatever it is given
                zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
            stats["nested"] += len(data)
        elif what == "fixture":
            with open(arg, "rb") as f:
                data = f.read()
            stats["fixture"] += len(data)
            zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        else:
            kind, size, off = arg
            while what == "named" and sniffs_as_archive(piece(pools, kind, min(size, 0x8006), off)):
                off = (off + 1) % (POOL - size + 1)
            data = piece(pools, kind, size, off)
            stats["named" if what == "named" else kind] += size
            if kind == "random":            # incompressible: stored by some tools, deflated by others
                if store:
                    zf.writestr(zi, data, compress_type=zipfile.ZIP_STORED)
                else:
                    zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            else:
                zf.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    zf.close()
    print(f"nested: {len(items)} entries ({counts['dir']} folders), {sum(stats.values()) / 1e9:.2f} GB of file data: "
          + ", ".join(f"{k} {v / 1e9:.3f} GB" for k, v in stats.items() if k != "fixture")
          + f"; {counts['named'] + counts['blob'] + counts['nested']} named like archives "
          f"({counts['blob']} large random blobs, {counts['nested']} real archives: "
          + ", ".join(f"{p} {len(d) / 1e6:.1f} MB" for p, d in real.items())
          + f"), {len(placed)} placed files last", file=sys.stderr)


# --- fleet: a thousand 2 MB zips --------------------------------------------------------------

def code_pool(size, seed):
    """SIZE bytes that look like x86-32 code of the era to deflate: instruction shapes (mov with
    small ebp displacements, relative calls, pushes of a few globals, jumps, prologues and
    epilogues, int3 padding) with some ASCII and UTF-16 strings between them. zlib level 6
    leaves about 56% of them, as it leaves of real Win32 DLLs."""
    rng = random.Random(seed)
    out = bytearray()
    regs = [0x45, 0x4D, 0x55, 0x5D, 0x75, 0x7D]
    calls = [rng.randrange(0x1000, 0x60000) for _ in range(120)]
    globs = [0x10000000 + rng.randrange(0, 0x40000) * 4 for _ in range(150)]
    words = ("Message Store Address Book Exchange Server Provider Offline Folder Synchronize Profile "
             "Mailbox Transport Property Table Session Logon Notify Advise Status Object Interface "
             "GetProps SetProps OpenEntry CreateMessage SubmitMessage Folder Attachment Recipient").split()
    d8 = lambda lo, hi: (rng.randrange(lo, hi) * 4) & 0xFF
    le = lambda v, n=4: (v & 0xFFFFFFFF).to_bytes(n, "little")

    def text():
        t = " ".join(rng.choice(words) for _ in range(rng.randrange(2, 9))) + "\0"
        return t.encode("utf-16-le") if rng.random() < 0.5 else t.encode()
    shapes = [
        (30, lambda: bytes([0x8B, rng.choice(regs), d8(-32, 32)])),             # mov r, [ebp+d8]
        (20, lambda: bytes([0x89, rng.choice(regs), d8(-32, 32)])),             # mov [ebp+d8], r
        (15, lambda: b"\xE8" + le(rng.choice(calls) - len(out))),               # call rel32
        (12, lambda: bytes([0x50 + rng.randrange(8)])),                         # push r
        (8, lambda: bytes([0x58 + rng.randrange(8)])),                          # pop r
        (10, lambda: b"\xA1" + le(rng.choice(globs))),                          # mov eax, [g]
        (8, lambda: b"\x68" + le(rng.choice(globs))),                           # push imm32
        (10, lambda: bytes([0x85, 0xC0, 0x74 + rng.randrange(2), rng.randrange(4, 0x60)])),  # test; jz/jnz
        (6, lambda: bytes([0x83, 0xC4, rng.choice([4, 8, 0xC, 0x10, 0x14])])),  # add esp, n
        (6, lambda: bytes([0x33, 0xC0 + rng.randrange(64)])),                   # xor r, r
        (5, lambda: b"\x0F\x84" + le(rng.randrange(0x10, 0x800))),              # jz rel32
        (4, lambda: bytes([0x55, 0x8B, 0xEC, 0x83, 0xEC, rng.randrange(1, 64) * 4])),  # prologue
        (4, lambda: bytes([0x8B, 0xE5, 0x5D, 0xC2, rng.randrange(0, 6) * 4, 0x00])),   # epilogue
        (3, lambda: bytes([0xC7, 0x45, d8(-32, 0)]) + le(rng.randrange(0, 1 << rng.choice([8, 16, 32])))),
        (2, lambda: b"\xCC" * rng.randrange(1, 12)),                            # int3 padding
        (1, lambda: rng.randbytes(rng.randrange(2, 9))),                        # anything else
        (2, text),
    ]
    weights = [w for w, _ in shapes]
    makers = [m for _, m in shapes]
    while len(out) < size:
        for make in rng.choices(makers, weights, k=256):
            out += make()
    return bytes(out[:size])


# Sizes of the fleet's healthy watched files, by name (real Win32 builds of the era are about
# this big): 3.4 MB for the seven files of a typical machine. A fixture whose size a manifest
# lists (the Exchange 5.5 RTM originals: 121,104 to 555,280 bytes) keeps it.
FLEET_SIZES = {"emsabp32.dll": 132368, "emsmdb32.dll": 540944, "emsui32.dll": 126224,
               "mspst32.dll": 557328, "outllib.dll": 1491216, "outlook.exe": 29456,
               "omipst9.dll": 190736, "emsuix32.dll": 555280}


def manifest_sizes(manifest_dir):
    """{(lower-case name, size)} of the builds the manifests in MANIFEST_DIR list with a size."""
    import json
    sizes = set()
    if os.path.isdir(manifest_dir):
        for n in sorted(os.listdir(manifest_dir)):
            if not n.endswith(".json") or n.startswith("manifest.schema"):
                continue
            doc = json.load(open(os.path.join(manifest_dir, n)))
            for f in doc.get("files", []):
                for b in f.get("builds", []):
                    if isinstance(b.get("size"), int):
                        sizes.add((f["name"].lower(), b["size"]))
    return sizes


def enlarge_pe(name, data, pool, fixed_sizes):
    """A fixture DLL or EXE made as heavy as a real one without changing what patchaudit decides
    about it: the same version resource, the same size where a manifest lists it, still intact
    or damaged as before. Returns (bytes, how).
    - Not a PE file, or a truncated one (sections past the end): unchanged.
    - A build at a size a manifest lists (the RTM originals): the long run of zeros the fixture
      generator pads .rdata with is filled with code-like bytes (same size).
    - Otherwise, grown to FLEET_SIZES[name] with code-like bytes appended after the last
      section (an overlay: neither "MSCF" nor "PK\\3\\4", so not a self-extracting package).
    Then the PE checksum is rewritten: valid where it was valid, stale by the same amount where
    it was stale (the flipped fixtures), 0 where it was 0."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "tools"))
    import pefixture
    try:
        pe = pefixture.PE(data)
    except (pefixture.PEError, struct.error):
        return data, "kept (not PE)"
    if pe.raw_end() > len(data):
        return data, "kept (truncated)"
    lname = name.rsplit("/", 1)[-1].lower()
    stored, computed = pe.checksum, pe.computed_checksum()
    # Each file its own stretch of the pool (where it starts follows from its name and bytes).
    import hashlib
    start = int.from_bytes(hashlib.sha256(lname.encode() + data[:4096]).digest()[:4], "little") % len(pool)

    def fill(n):
        piece = (pool[start:] + pool[:start]) * (1 + n // len(pool))
        return piece[:n]
    out = bytearray(data)
    if (lname, len(data)) in fixed_sizes:
        # The longest run of zeros inside a section that is no resource section and holds no
        # data directory: the .rdata pad array.
        dirs = []
        for rva, size in pe.dirs:
            if rva and size:
                try:
                    off = pe.rva_to_offset(rva)
                    dirs.append((off, off + size))
                except pefixture.PEError:
                    pass
        best = (0, 0)
        for sec in pe.sections:
            if sec["name"] == ".rsrc" or not sec["rsize"]:
                continue
            lo, hi = sec["rptr"], min(sec["rptr"] + sec["rsize"], len(data))
            for m in re.finditer(rb"\0{4096,}", data[lo:hi]):
                a, b = lo + m.start() + 64, lo + m.end() - 64
                if b - a > best[1] - best[0] and not any(a < e and s < b for s, e in dirs):
                    best = (a, b)
        a, b = best
        if b - a < 4096:
            return data, "kept (no pad to fill)"
        out[a:b] = fill(b - a)
        how = f"pad of {b - a} bytes filled"
    else:
        want = FLEET_SIZES.get(lname)
        if not want or want <= len(data):
            return data, "kept"
        out += fill(want - len(data))
        how = f"grown from {len(data)} bytes"
    if stored:
        new = pefixture.pe_checksum(bytes(out), pe.checksum_offset)
        struct.pack_into("<I", out, pe.checksum_offset, (new + stored - computed) & 0xFFFFFFFF)
    return bytes(out), how


class RawZip:
    """A zip written from entries deflated beforehand (the same file in many zips is deflated
    once): local headers, data, central directory, end record; MS-DOS attributes, no extras."""

    def __init__(self, when):
        y, mo, d, h, mi, s = when
        self.dostime = (h << 11) | (mi << 5) | (s // 2)
        self.dosdate = ((y - 1980) << 9) | (mo << 4) | d
        self.parts, self.central, self.offset = [], [], 0

    @staticmethod
    def prepare(name, data, level=6):
        """(name, method, crc, compressed, size, external attributes) of one entry; data None
        for a folder."""
        import zlib
        if data is None:
            return (name, 0, 0, b"", 0, 0x10)
        if level is None:
            return (name, 0, zlib.crc32(data), data, len(data), 0x20)
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        return (name, 8, zlib.crc32(data), c.compress(data) + c.flush(), len(data), 0x20)

    def add(self, entry):
        name, method, crc, comp, size, attr = entry
        n = name.encode("cp437")
        common = struct.pack("<HHHHIII", 0, method, self.dostime, self.dosdate, crc, len(comp), size)
        head = struct.pack("<IH", 0x04034B50, 20) + common + struct.pack("<HH", len(n), 0) + n
        self.central.append(struct.pack("<IHH", 0x02014B50, 20, 20) + common
                            + struct.pack("<HHHHHII", len(n), 0, 0, 0, 0, attr, self.offset) + n)
        self.parts += [head, comp]
        self.offset += len(head) + len(comp)

    def bytes(self):
        cd = b"".join(self.central)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.central), len(self.central),
                          len(cd), self.offset, 0)
        return b"".join(self.parts) + cd + end


def write_fleet(outdir, count, trees_dir, heavy=True):
    """COUNT zips m0001.zip ... of the fixture trees (cycled through in name order), each with a
    README.TXT naming the machine, whose watched files are as heavy as real ones (enlarge_pe;
    not when heavy is False: the fixtures as they are), and broken ones x-*.zip; index.tsv
    says which is which; fleet.txt what the files are."""
    trees = sorted(t for t in os.listdir(trees_dir) if os.path.isdir(os.path.join(trees_dir, t)))
    if not trees:
        sys.exit(f"bench_gen.py: no trees in {trees_dir}")
    when = (1999, 6, 1, 9, 30, 0)
    pool = code_pool(4 << 20, SEED + 60) if heavy else b""
    fixed = manifest_sizes(os.path.join(trees_dir, "..", "..", "Manifests"))
    made = {}           # the fixture's bytes -> (enlarged bytes, how): each is enlarged once
    content, prepared, notes = {}, {}, []
    for t in trees:
        top = os.path.join(trees_dir, t)
        entries = []
        for folder, subdirs, names in os.walk(top):
            subdirs.sort()
            rel = os.path.relpath(folder, top)
            if rel != ".":
                entries.append((rel.replace(os.sep, "/") + "/", None))
            for n in sorted(names):
                path = (n if rel == "." else f"{rel}/{n}").replace(os.sep, "/")
                with open(os.path.join(folder, n), "rb") as f:
                    data = f.read()
                if heavy and n.lower().endswith((".dll", ".exe")):
                    key = (n.lower(), data)
                    if key not in made:
                        made[key] = enlarge_pe(n, data, pool, fixed)
                    big, how = made[key]
                    notes.append(f"{t}/{path}\t{len(data)}\t{len(big)}\t{how}")
                    data = big
                entries.append((path, data))
        content[t] = entries
        prepared[t] = [RawZip.prepare(name, data) for name, data in entries]

    def note_name(tree):
        # The machine's note: README.TXT, or PC-NOTE.TXT where the tree has a README.TXT.
        return "PC-NOTE.TXT" if any(n.upper() == "README.TXT" for n, _ in content[tree]) else "README.TXT"

    def zip_of(tree, readme, level=6):
        z = RawZip(when)
        z.add(RawZip.prepare(note_name(tree), readme, level))
        for e, (name, data) in zip(prepared[tree], content[tree]):
            z.add(e if level == 6 else RawZip.prepare(name, data, level))
        return z.bytes()

    os.makedirs(outdir, exist_ok=True)
    index = []
    for i in range(1, count + 1):
        tree = trees[(i - 1) % len(trees)]
        name = f"m{i:04d}.zip"
        readme = (f"PC{i:04d}: copy of drive C: taken 2001-11-{1 + i % 28:02d} for the Outlook 97 "
                  f"provider audit (machine {i} of {count}, {tree}).\r\n").encode()
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(zip_of(tree, readme))
        index.append((name, tree))
    # Broken ones: random bytes, a zip cut short, an empty file, a stored zip with a DLL's
    # byte flipped (its CRC no longer matches).
    rng = random.Random(SEED + 50)
    noise = rng.randbytes(256 << 10)
    while sniffs_as_archive(noise[:0x8006]):
        noise = rng.randbytes(256 << 10)
    whole = zip_of(trees[0], b"PC0000: cut short while copying\r\n")
    flipped = bytearray(zip_of(trees[0], b"PC9999: bad sector\r\n", None))
    with zipfile.ZipFile(io.BytesIO(bytes(flipped))) as zf:
        dll = next(i for i in zf.infolist() if i.filename.upper().endswith(".DLL") and i.file_size > 1024)
    head = dll.header_offset + 30 + len(dll.filename.encode()) + int.from_bytes(
        flipped[dll.header_offset + 28:dll.header_offset + 30], "little")
    flipped[head + dll.file_size // 2] ^= 0x55      # in the middle of the first DLL's data
    for name, data, what in (("x-random.zip", noise, "broken:random bytes"),
                             ("x-truncated.zip", whole[:len(whole) * 3 // 5], "broken:truncated"),
                             ("x-empty.zip", b"", "broken:empty"),
                             ("x-badcrc.zip", bytes(flipped), "broken:bad CRC")):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        index.append((name, what))
    with open(os.path.join(outdir, "index.tsv"), "w") as f:
        f.writelines(f"{n}\t{w}\n" for n, w in index)
    with open(os.path.join(outdir, "fleet.txt"), "w") as f:
        f.write("tree/path\tfixture bytes\tfleet bytes\thow\n")
        f.writelines(line + "\n" for line in notes)
    print(f"fleet: {count} zips of {len(trees)} trees and {len(index) - count} broken ones in {outdir}",
          file=sys.stderr)


def pairs(args):
    placed = []
    for pair in args:
        target, _, source = pair.partition("=")
        if not source:
            sys.exit(f"bench_gen.py: expected ARCPATH=FIXTURE, got {pair!r}")
        placed.append((target, source))
    return placed


def main(argv):
    if len(argv) >= 3 and argv[0] == "tree":
        write_tree(argv[1], int(argv[2]))
    elif len(argv) >= 3 and argv[0] in ("zip", "tar"):
        write_archive(argv[0], argv[1], int(argv[2]), pairs(argv[3:]))
    elif len(argv) >= 3 and argv[0] == "nested":
        write_nested(argv[1], int(argv[2]), pairs(argv[3:]))
    elif len(argv) == 4 and argv[0] == "fleet":
        write_fleet(argv[1], int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[0] == "fleet-small":
        write_fleet(argv[1], int(argv[2]), argv[3], heavy=False)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
