#!/usr/bin/env python3
"""Prints Fixtures/images/expected.json (make-images.sh writes it; keep the two in step)."""
import json

PC42 = "an MBR disk (4264 sectors, 2.1 MB) with one FAT16 partition (4200 sectors, 4133 one-sector clusters) (0x06) at sector 63 holding patch-needed-sr1"

COMMENT = (
    "Expected contents of Fixtures/images (see README.md there; made by "
    "Fixtures/tools/images/make-images.sh). Paths inside an image start with the volume name pN/, N "
    "the Linux-style partition number: MBR primaries 1-4 by their slot in the primary table, logical "
    "drives 5, 6, ... in the order of the extended chain, GPT entries by entry index + 1; a bare volume "
    "(no partition table) has no prefix. A tree's expected scan result is Fixtures/expected.json's entry "
    "for that tree with every path prefixed by pathPrefix. deleted lists entries present only as deleted "
    "directory entries / MFT records: a scanner must not report them as installed files. expectedAs names "
    "the tree whose result the image must give when that differs from what its volume holds live. "
    "TSK shows a deleted 8.3-only FAT entry with its first character replaced by '_' (the 0xE5 mark; e.g. _MSUI32.DLL, Old Stuff/_.TXT); a deleted entry with a long name keeps it. "
    "skippedVolumes are volumes a scanner reports as skipped (file system it does not read). "
    "Containers all hold containers/pc42.img's disk; segments lists every file of a multi-file image, first "
    "file first; tsk411 says whether Debian's TSK 4.11.1 (libtsk19) opens it. hostile: broken images a "
    "scanner must survive (no crash, no hang, bounded memory), with what a careful scanner should report. "
    "runtimeOnly: images too large to commit, for a test to create when it runs."
)

IMAGES = [
    {"path": "floppy-fat12.img", "container": "raw", "layout": "none", "filesystem": "fat12",
     "tree": "review-system-only", "pathPrefix": "",
     "description": "A bare 1.44 MB floppy (FAT12, no partition table, label OUTLOOK97) holding review-system-only (1.34 MB; the largest tree that fits)."},
    {"path": "bare-fat16.img", "container": "raw", "layout": "none", "filesystem": "fat16",
     "tree": "up-to-date-sr1", "pathPrefix": "",
     "description": "A bare FAT16 volume (4200 sectors, 4133 one-sector clusters, no partition table, label WIN95): a partition image."},
    {"path": "mbr-fat32.img", "container": "raw", "layout": "mbr", "filesystem": "fat32",
     "tree": "patch-needed-sr1", "pathPrefix": "p1/",
     "deleted": ["p1/Old Stuff", "p1/Old Stuff/A.TXT", "p1/WINDOWS/Deleted Long Name.txt"],
     "description": "MBR, one FAT32 partition (0x0c, bootable) at sector 63 of 66,592 sectors (65,534 one-sector clusters, just above FAT32's minimum), Windows 98 style. A deleted long-named file in WINDOWS and a deleted folder Old Stuff (with A.TXT) in the root."},
    {"path": "mbr-extended.img", "container": "raw", "layout": "mbr", "filesystem": "fat16",
     "trees": [{"tree": "patch-needed-sr1", "pathPrefix": "p1/"}, {"tree": "up-to-date-sr1", "pathPrefix": "p5/"}],
     "volumes": [{"volume": "p1", "type": "fat16", "start": 63},
                 {"volume": "p5", "type": "fat16", "start": 4327},
                 {"volume": "p6", "type": "fat16", "start": 8591}],
     "unrelatedFiles": ["p6/GAMES/SOL.INI", "p6/My Documents/Shopping List.txt", "p6/README.TXT"],
     "description": "MBR: primary FAT16 (0x06) at 63 holding patch-needed-sr1; extended partition (0x05) at 4264 with two logical FAT16 drives: p5 (at 4327) holding up-to-date-sr1, p6 (at 8591, behind the second EBR at 8590) holding three unrelated files only. Two installations, one per volume."},
    {"path": "gpt-fat16.img", "container": "raw", "layout": "gpt", "filesystem": "fat16",
     "tree": "blocked-german", "pathPrefix": "p1/",
     "description": "GPT (protective MBR, fixed disk and partition GUIDs), one Basic data partition (EBD0A0A2-B9E5-4433-87C0-68B6B72699C7) at sector 2048 (1 MiB), FAT16."},
    {"path": "mbr-ntfs.img", "container": "raw", "layout": "mbr", "filesystem": "ntfs",
     "tree": "up-to-date-nt-standalone", "pathPrefix": "p1/",
     "dosNames": {"p1/Program Files": "PROGRA~1", "p1/Program Files/Microsoft Outlook": "MICROS~1"},
     "deleted": ["p1/WINNT/Old Setup Log.txt"],
     "description": "NT4-style MBR, NTFS (0x07, bootable, 6080 sectors, 4 KiB clusters) at sector 63 (mkntfs writes NTFS 3.1, not NT4's 1.2). Names exactly as in the tree (upper case: WINNT/SYSTEM32/EMSMDB32.DLL); those that are valid upper-case 8.3 names are stored once in the Win32&DOS namespace, the two long folder names have separate DOS names PROGRA~1 and MICROS~1. One unrelated deleted file (MFT record free, name and parent kept)."},
    {"path": "mbr-fat16-ext2.img", "container": "raw", "layout": "mbr", "filesystem": "fat16",
     "tree": "patch-needed-sr1", "pathPrefix": "p1/",
     "skippedVolumes": [{"volume": "p2", "type": "ext2"}],
     "description": "MBR: p1 FAT16 (0x06) at 63 holding patch-needed-sr1, p2 Linux (0x83) at 4264, ext2 (1 MiB) holding etc/hostname and a copy of up-to-date-sr1 under backup/: a scanner that reads p2 instead of skipping it finds a second, up-to-date installation."},
    {"path": "deleted-fat16.img", "container": "raw", "layout": "mbr", "filesystem": "fat16",
     "tree": "review-missing-file", "pathPrefix": "p1/", "expectedAs": "review-missing-file",
     "deleted": ["p1/WINDOWS/SYSTEM/EMSUI32.DLL"],
     "description": "MBR + FAT16 at 63: review-missing-file plus its missing file WINDOWS/SYSTEM/EMSUI32.DLL (patch-needed-sr1's bytes) copied in between EMSMDB32.DLL and EMSUIX32.DLL and then deleted with mdel (entry 0xE5, clusters freed but still holding the data). A deleted file is not installed: the result is review-missing-file's."},
    {"path": "deleted-ntfs.img", "container": "raw", "layout": "mbr", "filesystem": "ntfs",
     "tree": "review-missing-file", "pathPrefix": "p1/", "expectedAs": "review-missing-file",
     "dosNames": {"p1/Program Files": "PROGRA~1", "p1/Program Files/Microsoft Office": "MICROS~1"},
     "deleted": ["p1/WINDOWS/SYSTEM/EMSUI32.DLL"],
     "description": "The same on NTFS (MBR, 0x07 at 63): EMSUI32.DLL written into WINDOWS/SYSTEM, then deleted after the whole tree was in (its MFT record is free but keeps name, parent and data runs; its index entry is gone). TSK also lists a stale copy of MSPST32.DLL's index entry left in the folder's index slack when the entries moved up (shown as deleted, MFT entry 0): not a second file. Result: review-missing-file's."},
]


def container(path, kind, description, segments=None, tsk=True, note=None):
    entry = {"path": "containers/" + path, "container": kind, "layout": "mbr", "filesystem": "fat16",
             "tree": "patch-needed-sr1", "pathPrefix": "p1/"}
    if segments:
        entry["segments"] = ["containers/" + s for s in segments]
    entry["tsk411"] = tsk
    entry["description"] = description
    if note:
        entry["note"] = note
    return entry


CONTAINERS = [
    container("pc42.img", "raw", "The source of every container: " + PC42 + "."),
    container("pc42-fixed.vhd", "vhd-fixed", "Fixed VHD (qemu-img vpc subformat=fixed, force_size): the raw disk plus a 512-byte footer."),
    container("pc42-dynamic.vhd", "vhd-dynamic", "Dynamic VHD (qemu-img vpc subformat=dynamic, force_size): footer copy, dynamic header, BAT, 2 MiB blocks."),
    container("pc42.vhdx", "vhdx", "VHDX (qemu-img vhdx, dynamic, 1 MiB blocks, 1 MiB empty log; payload blocks moved down from 8 MiB to 4 MiB by normalize.py --compact-vhdx)."),
    container("pc42.vmdk", "vmdk-sparse", "VMDK monolithicSparse (one file, embedded descriptor, grain tables)."),
    container("pc42-stream.vmdk", "vmdk-stream", "VMDK streamOptimized (compressed grains, footer)."),
    container("pc42-flat.vmdk", "vmdk-flat", "VMDK monolithicFlat: a text descriptor naming the raw extent pc42-flat-flat.vmdk.",
              segments=["pc42-flat.vmdk", "pc42-flat-flat.vmdk"]),
    container("pc42-split.vmdk", "vmdk-split", "VMDK twoGbMaxExtentSparse: a text descriptor and sparse extents of up to 2 GB each; this small disk has only one (pc42-split-s001.vmdk).",
              segments=["pc42-split.vmdk", "pc42-split-s001.vmdk"]),
    container("pc42.qcow2", "qcow2", "QCOW2 v3 (qemu-img default).", tsk=False,
              note="TSK 4.11 has no QCOW support: it opens the file as raw and finds no partition table (QCOW2 came with TSK 4.13 + libqcow)."),
    container("pc42.E01", "e01", "EnCase 6 E01 (ewfacquire, deflate fast), one segment, MD5 stored."),
    container("pc42-split.E01", "e01-split", "EnCase 6 E01 uncompressed in 1 MiB segments (ewfacquire's minimum segment size): E01..E03.",
              segments=["pc42-split.E01", "pc42-split.E02", "pc42-split.E03"]),
    container("pc42.raw.001", "raw-split", "The raw disk split into 1 MiB pieces (split -b 1M): .001-.003.",
              segments=["pc42.raw.001", "pc42.raw.002", "pc42.raw.003"]),
]

NAMES = [
    {"path": "hostile/ntfs-dos-name-match.img", "tree": "up-to-date-nt-standalone",
     "file": "p1/WINNT/SYSTEM32/Exchange transport.dll", "name": "emsmdb32.dll",
     "description": "MBR + NTFS holding up-to-date-nt-standalone, except that WINNT/SYSTEM32/EMSMDB32.DLL is named 'Exchange transport.dll' with the DOS name EMSMDB32.DLL (not hostile; kept with the odd cases).",
     "expect": "up-to-date, as the tree: the file is matched by its 8.3 name and reported at its long path"},
]

HOSTILE = [
    {"path": "hostile/boot-manager-partition.img",
     "description": "containers/pc42.img plus a second primary entry, OS/2 Boot Manager (0x0a), over 64 empty sectors.",
     "expect": "patch-needed as the tree: p2 is listed as skipped (a type that holds no Windows volume), not unreadable"},
    {"path": "hostile/empty-fat32-partition.img",
     "description": "containers/pc42.img plus a second primary entry, FAT32 (0x0b), over 64 empty sectors.",
     "expect": "review: p2 is a Windows type on which no file system opens (volume-unreadable)"},
    {"path": "hostile/ebr-chain-out-of-order.img",
     "description": "mbr-extended.img whose extended chain lists the drive at sector 8591 first and the one at 4327 (up-to-date-sr1) second, as Linux numbers them p5 and p6.",
     "expect": "installations p1/WINDOWS/SYSTEM and p6/WINDOWS/SYSTEM (numbered by the chain, not by the position on the disk)"},
    {"path": "hostile/gpt-huge-partition.img",
     "description": "gpt-fat16.img whose GPT entry 0 ends 2^54 sectors after its start (CRCs fixed, so TSK takes it).",
     "expect": "review: volume-unreadable (the volume ends past the end of the image); no arithmetic trap"},
    {"path": "hostile/ebr-broken.img",
     "description": "mbr-extended.img whose first extended boot record has lost its 55 AA signature: TSK drops the logical drives silently.",
     "expect": "review: partition-table-damaged names the sector; p1 read as before"},
    {"path": "hostile/vmdk-descriptor-overflow.vmdk",
     "description": "containers/pc42.vmdk whose header puts the embedded descriptor at sector 2^64-1.",
     "expect": "error: image-unreadable; no trap"},
    {"path": "hostile/zip-bad-crc-on-fat.img",
     "description": "A bare FAT12 floppy holding BACKUP.ZIP: up-to-date-sr1 stored in a zip whose first entry's CRC-32 is wrong.",
     "expect": "error: archive-corrupt names BACKUP.ZIP!...; never up-to-date"},
    {"path": "hostile/garbage.img",
     "description": "1 MiB of pseudo-random bytes (Python random.Random(1997)): no partition table, no file system.",
     "expect": "no volumes found; not an error that stops a scan of other inputs"},
    {"path": "hostile/truncated.E01",
     "description": "containers/pc42.E01 cut to its first half: chunks, table and the closing sections (hash, done) are missing.",
     "expect": "reported as an unreadable or damaged image; no crash"},
    {"path": "hostile/truncated.vhd",
     "description": "containers/pc42-dynamic.vhd cut to its first half: the footer at the end is gone (its copy at offset 0 and the dynamic header remain), and blocks the BAT points to lie past the end.",
     "expect": "reported as an unreadable or damaged image (or read as far as it goes with read errors); no crash"},
    {"path": "hostile/truncated-mbr.img",
     "description": "containers/pc42.img cut right after the two FATs: the MBR says the FAT16 partition runs to sector 4262, the file ends inside it (the root folder and all data are gone).",
     "expect": "the partition is reported as truncated/unreadable; no installation; no crash"},
    {"path": "hostile/partition-past-end.img",
     "description": "A 64 KiB disk whose MBR holds one FAT16 partition (0x06) starting at sector 4096, past the end of the 128-sector image.",
     "expect": "the partition is reported as outside the image and skipped; no crash"},
    {"path": "hostile/fat-dir-loop.img", "container": "raw", "layout": "none", "filesystem": "fat16",
     "tree": "patch-needed-sr1", "pathPrefix": "",
     "description": "A bare FAT16 volume holding patch-needed-sr1 and LOOP/SUB/FILE.TXT, where SUB's directory entry has been given LOOP's first cluster: LOOP/SUB is LOOP again, so LOOP/SUB/SUB/... never ends.",
     "expect": "patch-needed-sr1's result; the loop is cut (visited set or depth cap) and may be reported; no hang"},
    {"path": "hostile/fat-crosslinked.img", "container": "raw", "layout": "none", "filesystem": "fat16",
     "tree": "patch-needed-sr1", "pathPrefix": "",
     "description": "A bare FAT16 volume holding patch-needed-sr1 plus README.TXT and NOTES.TXT (4096 bytes, 8 clusters each) whose chains are cross-linked: NOTES.TXT's second cluster links on to README.TXT's third, so both files end in the same six clusters (NOTES.TXT's own last six are lost clusters).",
     "expect": "patch-needed-sr1's result (the Outlook files are intact); no crash"},
    {"path": "hostile/fat-file-larger-than-volume.img", "container": "raw", "layout": "mbr", "filesystem": "fat16",
     "tree": "patch-needed-sr1", "pathPrefix": "p1/",
     "description": "containers/pc42.img with the directory-entry size of WINDOWS/SYSTEM/EMSMDB32.DLL set to 0xFFFFFFF0 (4 GiB - 16) on a 2.1 MB volume; its cluster chain is unchanged (1024 clusters).",
     "expect": "EMSMDB32.DLL reported as damaged/unreadable (size larger than its chain and the volume); no 4 GiB allocation; the other files as in patch-needed-sr1"},
    {"path": "hostile/fat-deep.img", "container": "raw", "layout": "none", "filesystem": "fat16",
     "tree": "patch-needed-sr1", "pathPrefix": "D/" * 100,
     "description": "A bare FAT16 volume with a chain of 100 nested folders D/D/.../D and patch-needed-sr1 at the bottom (its files 102-104 levels deep).",
     "expect": "depends on the scanner's depth cap: below it, patch-needed-sr1's result under the prefix; above it, the cut is reported and no crash (stack) occurs"},
]

RUNTIME = [
    {"path": "hostile/huge-sparse.img",
     "description": "Not committed (64 GiB): a sparse file of apparent size 64 GiB (truncate -s 64G) whose MBR claims one FAT32 partition (0x0c) over the whole disk, with nothing else written (no boot sector, no FAT).",
     "recipe": "truncate -s 64G FILE; printf 'label: dos\\nstart=2048, type=c\\n' | sfdisk FILE",
     "expect": "the partition is reported as having no readable file system; reading stays bounded (no full read of 64 GiB)"},
]

print(json.dumps({"comment": COMMENT, "images": IMAGES + CONTAINERS, "hostile": HOSTILE, "names": NAMES, "runtimeOnly": RUNTIME},
                 indent=2, ensure_ascii=False))
