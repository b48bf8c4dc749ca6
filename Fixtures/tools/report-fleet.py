#!/usr/bin/env python3
"""Writes Fixtures/reports/hostile-names.tar: an install whose names are built to break reports.

The report formats (CSV, HTML, JUnit, Prometheus, the store) must show these names as text:
- the machine folder is named like a script tag, so every path and installation id carries it;
- a symbolic link in the system folder is named `<img src=x onerror=alert(1)>.dll` (listed as
  a skipped entry: links are never followed);
- a stray copy of EMSMDB32.DLL lies in a folder whose name is a spreadsheet formula
  (`=HYPERLINK(...)`), and one in a folder starting with `@` and `-`, so CSV cells begin with
  formula characters (CWE-1236);
- one folder name holds a double quote, a comma and a tab.

The files are the patch-needed-sr1 tree's (Office 97 SR-1, so the verdict is patch-needed).
Deterministic: fixed mtimes, owner and order. Run from anywhere:
    python3 Fixtures/tools/report-fleet.py
"""
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
TREE = os.path.join(FIXTURES, "trees", "patch-needed-sr1")
OUT = os.path.join(FIXTURES, "reports", "hostile-names.tar")
MACHINE = "pc<script>alert(1)</script>"


def info(name, size=0, kind=tarfile.REGTYPE):
    entry = tarfile.TarInfo(name)
    entry.size = size
    entry.type = kind
    entry.mtime = 946684800
    entry.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = "root"
    return entry


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    files = []
    for root, dirs, names in os.walk(TREE):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            files.append((os.path.relpath(path, TREE), path))
    with open(os.path.join(TREE, "WINDOWS", "SYSTEM", "EMSMDB32.DLL"), "rb") as handle:
        emsmdb = handle.read()
    with tarfile.open(OUT, "w", format=tarfile.PAX_FORMAT) as tar:
        for relative, path in files:
            with open(path, "rb") as handle:
                data = handle.read()
            tar.addfile(info(f"{MACHINE}/{relative}", len(data)), io.BytesIO(data))
        link = info(f"{MACHINE}/WINDOWS/SYSTEM/<img src=x onerror=alert(1)>.dll", kind=tarfile.SYMTYPE)
        link.linkname = "EMSABP32.DLL"
        tar.addfile(link)
        for folder in ['=HYPERLINK("http://example.invalid/x","click")', "@SUM(1+1)", "-2+3", 'backup "old", copy\tone']:
            tar.addfile(info(f"{MACHINE}/{folder}/emsmdb32.dll", len(emsmdb)), io.BytesIO(emsmdb))


if __name__ == "__main__":
    main()
