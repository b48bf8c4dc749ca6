#!/usr/bin/env python3
"""Cross-check `patchaudit inspect --format json` against pefile, an independent PE reader.

Run by scripts/check-against-pefile.sh, which fetches the DLLs and a venv with pefile:

    python check_against_pefile.py --patchaudit BIN --cache DIR \
        [--root DIR]... [--fixtures DIR]... [--batch 200] [--min-files 100]

--root DIR      every PE file (MZ + PE signature) under DIR whose name ends in a PE
                extension (.dll .exe .drv .ocx .cpl .sys .acm .ax .ds .tlb ...)
--fixtures DIR  every regular file in DIR, whatever its name

For each file pefile reads: VS_FIXEDFILEINFO FileVersion and ProductVersion ("a.b.c.d"),
VarFileInfo\\Translation ("040904e4": language then code page, lower-case hex), the
StringFileInfo tables, the stored OptionalHeader.CheckSum and generate_checksum(); hashlib
gives size, sha256, sha1 and md5. Only files that carry a version resource pefile can
read are compared.

patchaudit picks one RT_VERSION entry by a documented rule (language 0x0000, then
0x0409, then the lowest language id); pefile's attributes hold the first entry. For a
file with several entries this script parses the one the rule picks (through pefile's
resource tree) and compares that, and it reports how many such files there were and in
how many pefile's first entry would have said something else.

The last line is "N passed, M failed". Exit status 1 when a file disagrees or fewer than
--min-files files were compared; 2 on a usage or setup error.
"""
import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pefile

SCRIPT_VERSION = 3          # bump when what is extracted changes (invalidates the cache)
RT_VERSION = 16
PE_EXTS = {".dll", ".exe", ".drv", ".ocx", ".cpl", ".sys", ".acm", ".ax", ".ds",
           ".tlb", ".com", ".scr", ".msstyles", ".mui", ".efi"}
HEX8 = re.compile(r"^[0-9a-fA-F]{8}$")


# --------------------------------------------------------------------------- pefile side

def version_string(ms, ls):
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"


def rule_choice(langs):
    """patchaudit's rule: language-neutral 0x0000, then 0x0409, then the lowest id."""
    if 0 in langs:
        return 0
    if 0x0409 in langs:
        return 0x0409
    return min(langs)


def translations_of(pe, var, base_rva):
    """Every Translation pair of a Var (pefile's Var.entry keeps only the last one).

    The Var's value is located exactly as pefile locates it: after the 6-byte header
    and the NUL-terminated UTF-16 key, dword-aligned relative to the resource's RVA.
    """
    entry = getattr(var, "entry", None) or {}
    key = next(iter(entry), None)
    if key is None or key != b"Translation":
        return None
    var_rva = pe.get_rva_from_offset(var.get_file_offset())
    rel = var_rva - base_rva + var.sizeof() + 2 * (len(key) + 1)
    value_rva = base_rva + pe.dword_align(rel, base_rva)
    raw = pe.get_data(value_rva, var.ValueLength)
    pairs = []
    for i in range(0, len(raw) - len(raw) % 4, 4):
        lang, cp = struct.unpack_from("<HH", raw, i)
        pairs.append(f"{lang:04x}{cp:04x}")
    # pefile's own (last) pair must be the last of ours, or our reading is off.
    lang, cp = (int(w, 16) for w in entry[key].split())
    if not pairs or pairs[-1] != f"{lang:04x}{cp:04x}":
        return [f"{lang:04x}{cp:04x}"], "raw Translation pairs disagree with pefile's"
    return pairs, None


def parse_version_entry(pe, data_struct):
    """Parse one RT_VERSION resource (a ResourceDataEntry struct) with pefile."""
    for attr in ("VS_VERSIONINFO", "VS_FIXEDFILEINFO", "FileInfo"):
        if hasattr(pe, attr):
            delattr(pe, attr)
    pe.parse_version_information(data_struct)
    ffi = getattr(pe, "VS_FIXEDFILEINFO", None)
    if not ffi:
        return None
    f = ffi[0]
    out = {
        "fileVersion": version_string(f.FileVersionMS, f.FileVersionLS),
        "productVersion": version_string(f.ProductVersionMS, f.ProductVersionLS),
        "signature": f.Signature,
        "translations": [],
        "strings": {},
        "notes": [],
    }
    infos = getattr(pe, "FileInfo", None) or [[]]
    for fi in infos[0]:
        for st in getattr(fi, "StringTable", []) or []:
            table = out["strings"].setdefault(st.LangID.decode("utf-8", "replace").lower(), {})
            for k, v in st.entries.items():
                table[k.decode("utf-8", "replace")] = v.decode("utf-8", "replace")
        for var in getattr(fi, "Var", []) or []:
            got = translations_of(pe, var, data_struct.OffsetToData)
            if got:
                pairs, note = got
                out["translations"].extend(pairs)
                if note:
                    out["notes"].append(note)
    return out


def read_with_pefile(path):
    rec = {"path": path}
    try:
        data = open(path, "rb").read()
    except OSError as e:
        rec["readError"] = str(e)
        return rec
    rec["size"] = len(data)
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    rec["sha1"] = hashlib.sha1(data).hexdigest()
    rec["md5"] = hashlib.md5(data).hexdigest()
    try:
        pe = pefile.PE(data=data, fast_load=True)
        pe.parse_data_directories(
            directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])
    except Exception as e:  # not a PE, or pefile gives up
        rec["pefileError"] = f"{type(e).__name__}: {e}"
        return rec
    rec["pe32plus"] = pe.OPTIONAL_HEADER.Magic == 0x20B
    entries = []        # [(name id or string, [(lang, data struct), ...]), ...]
    for t in getattr(getattr(pe, "DIRECTORY_ENTRY_RESOURCE", None), "entries", []) or []:
        if t.id != RT_VERSION or not hasattr(t, "directory"):
            continue
        for n in t.directory.entries:
            langs = []
            for l in getattr(getattr(n, "directory", None), "entries", []) or []:
                if hasattr(l, "data"):
                    langs.append((l.id, l.data.struct))
            entries.append((n.id if n.id is not None else str(n.name), langs))
    rec["rtVersion"] = [[name, [l for l, _ in langs]] for name, langs in entries]
    if not entries or not entries[0][1]:
        return rec
    # patchaudit's rule, over the languages of the first name (as pefile does).
    langs = dict(entries[0][1])
    first_lang = entries[0][1][0][0]
    chosen = rule_choice(list(langs))
    rec["chosenLang"] = chosen
    rec["firstLang"] = first_lang
    try:
        rec["version"] = parse_version_entry(pe, langs[chosen])
        if chosen != first_lang:
            rec["firstVersion"] = parse_version_entry(pe, langs[first_lang])
    except Exception as e:
        rec["pefileError"] = f"version resource: {type(e).__name__}: {e}"
        rec.pop("version", None)
        return rec
    if rec.get("version") is None:
        return rec
    try:
        rec["peChecksum"] = {"stored": pe.OPTIONAL_HEADER.CheckSum,
                             "computed": pe.generate_checksum()}
    except Exception as e:
        rec["pefileError"] = f"checksum: {type(e).__name__}: {e}"
        rec.pop("version", None)
    return rec


def collect(roots, fixture_dirs):
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if os.path.splitext(name)[1].lower() not in PE_EXTS:
                    continue
                p = os.path.join(dirpath, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as fh:
                        if fh.read(2) != b"MZ":
                            continue
                except OSError:
                    continue
                found.append(p)
    for d in fixture_dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p):
                found.append(p)
    return [os.path.abspath(p) for p in found]


def pefile_side(files, cache_path, jobs):
    """pefile's records for files, cached by path, size, mtime and versions."""
    tag = f"{SCRIPT_VERSION}/{pefile.__version__}"
    cache = {}
    try:
        with open(cache_path) as fh:
            doc = json.load(fh)
        if doc.get("tag") == tag:
            cache = doc["files"]
    except (OSError, ValueError, KeyError):
        pass
    out, todo = {}, []
    for p in files:
        st = os.stat(p)
        key = [st.st_size, st.st_mtime_ns]
        hit = cache.get(p)
        if hit and hit["key"] == key:
            out[p] = hit["rec"]
        else:
            todo.append((p, key))
    if todo:
        # Big files first, so that the slowest checksums do not come last.
        todo.sort(key=lambda t: -t[1][0])
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            for (p, key), rec in zip(todo, ex.map(read_with_pefile, [p for p, _ in todo],
                                                 chunksize=4)):
                out[p] = rec
                cache[p] = {"key": key, "rec": rec}
        tmp = cache_path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"tag": tag, "files": cache}, fh)
        os.replace(tmp, cache_path)
    return out, len(files) - len(todo)


# ----------------------------------------------------------------------- patchaudit side

def run_patchaudit(binary, files, batch):
    """patchaudit's objects, one per file (None where a batch failed), and the calls' errors."""
    results, errors = [], []
    for i in range(0, len(files), batch):
        chunk = files[i:i + batch]
        cmd = [binary, "inspect", "--format", "json", *chunk]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        objs = None
        try:
            doc = json.loads(proc.stdout)
            objs = doc["files"] if isinstance(doc, dict) else None
            if not isinstance(objs, list):
                raise ValueError('no "files" array at the top level')
            if len(objs) != len(chunk):
                raise ValueError(f"{len(objs)} objects for {len(chunk)} files")
        except (ValueError, KeyError, TypeError) as e:
            errors.append(f"batch {i // batch + 1} (files {i + 1}-{i + len(chunk)}): exit "
                          f"{proc.returncode}, {e}; stderr: "
                          f"{proc.stderr.decode('utf-8', 'replace')[-400:].strip()}")
            objs = [None] * len(chunk)
        results.extend(objs)
    return results, errors


def norm_entries(v):
    if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
        return dict(v)
    if isinstance(v, list):
        out = {}
        for e in v:
            if not isinstance(e, dict):
                raise ValueError("entry is not an object")
            k = e.get("key", e.get("name"))
            val = e.get("value")
            if not isinstance(k, str) or not isinstance(val, str):
                raise ValueError("entry without key/name and value")
            out[k] = val
        return out
    raise ValueError("entries neither an object of strings nor a list of key/value")


def norm_strings(x):
    """patchaudit's `strings` as {table id: {key: value}}; '*' for a flat object."""
    if x is None:
        return {}
    if isinstance(x, dict):
        if all(isinstance(v, str) for v in x.values()):
            return {"*": dict(x)}
        if all(isinstance(v, (dict, list)) for v in x.values()):
            return {k.lower(): norm_entries(v) for k, v in x.items()}
        raise ValueError("object mixing strings and tables")
    if isinstance(x, list):
        out = {}
        for t in x:
            if not isinstance(t, dict):
                raise ValueError("table is not an object")
            tid, entries, lang, cp = None, None, None, None
            for k, v in t.items():
                kl = k.lower()
                if isinstance(v, str) and HEX8.match(v) and tid is None:
                    tid = v.lower()
                elif isinstance(v, int) and "lang" in kl:
                    lang = v
                elif isinstance(v, int) and ("codepage" in kl or "charset" in kl):
                    cp = v
                elif isinstance(v, (dict, list)) and entries is None:
                    entries = norm_entries(v)
            if tid is None and lang is not None and cp is not None:
                tid = f"{lang:04x}{cp:04x}"
            if tid is None or entries is None:
                raise ValueError(f"table without an 8-hex-digit id or entries: {sorted(t)}")
            out.setdefault(tid, {}).update(entries)
        return out
    raise ValueError(f"strings is a {type(x).__name__}")


def short(v, limit=160):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + "..."


def compare(given, rec, obj):
    """[(field, pefile's value, patchaudit's value), ...] for one file."""
    bad = []
    if obj is None:
        return [("output", "an object", None)]
    if not isinstance(obj, dict):
        return [("output", "an object", obj)]
    if obj.get("error") is not None:
        bad.append(("error", None, obj.get("error")))
    p = obj.get("path")
    if p != given and not (isinstance(p, str) and os.path.exists(p)
                           and os.path.realpath(p) == os.path.realpath(given)):
        bad.append(("path", given, p))
    for field in ("size", "sha256", "sha1", "md5"):
        mine = obj.get(field)
        if isinstance(mine, str) and field != "size":
            mine = mine.lower()
        if mine != rec[field]:
            bad.append((field, rec[field], obj.get(field, "(missing)")))
    ver = rec["version"]
    for field in ("fileVersion", "productVersion"):
        if obj.get(field, "(missing)") != ver[field]:
            bad.append((field, ver[field], obj.get(field, "(missing)")))
    if obj.get("translations", "(missing)") != ver["translations"]:
        bad.append(("translations", ver["translations"], obj.get("translations", "(missing)")))
    ck = obj.get("peChecksum")
    for part in ("stored", "computed"):
        mine = ck.get(part, "(missing)") if isinstance(ck, dict) else "(missing)"
        if mine != rec["peChecksum"][part]:
            bad.append((f"peChecksum.{part}", rec["peChecksum"][part], mine))
    if "strings" not in obj:
        bad.append(("strings", "tables", "(missing)"))
        return bad
    try:
        theirs = norm_strings(obj["strings"])
    except ValueError as e:
        bad.append(("strings", "a table shape this script knows", f"{e}: {short(obj['strings'])}"))
        return bad
    mine = ver["strings"]
    if list(theirs) == ["*"]:           # one flat table: pefile's first
        first = next(iter(mine), None)
        theirs = {first: theirs["*"]} if first else {}
    if sorted(theirs) != sorted(mine):
        bad.append(("strings (tables)", sorted(mine), sorted(theirs)))
    for tid in sorted(set(mine) & set(theirs)):
        a, b = mine[tid], theirs[tid]
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                bad.append((f"strings[{tid}].{k}", a.get(k, "(absent)"), b.get(k, "(absent)")))
    return bad


# ---------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patchaudit", required=True)
    ap.add_argument("--cache", required=True, help="folder for pefile's cached results")
    ap.add_argument("--root", action="append", default=[])
    ap.add_argument("--fixtures", action="append", default=[])
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--min-files", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    if not os.access(args.patchaudit, os.X_OK):
        print(f"check: patchaudit not executable: {args.patchaudit}", file=sys.stderr)
        return 2

    t0 = time.time()
    files = collect(args.root, args.fixtures)
    recs, hits = pefile_side(files, os.path.join(args.cache, "pefile-results.json"), args.jobs)
    t1 = time.time()
    unreadable = [p for p in files if "pefileError" in recs[p] or "readError" in recs[p]]
    versioned = [p for p in files if recs[p].get("version")]
    unversioned = [p for p in files if p not in versioned and p not in unreadable]
    pe32p = sum(1 for p in versioned if recs[p].get("pe32plus"))
    print(f"pefile {pefile.__version__}: {len(files)} files read in {t1 - t0:.1f} s "
          f"({hits} from the cache): {len(versioned)} carry a version resource "
          f"({len(versioned) - pe32p} PE32, {pe32p} PE32+), {len(unversioned)} do not, "
          f"{len(unreadable)} unreadable by pefile (not PE or malformed)")
    for p in unreadable:
        if args.fixtures and any(p.startswith(os.path.abspath(d) + os.sep) for d in args.fixtures):
            print(f"  unreadable fixture: {os.path.basename(p)}: "
                  f"{recs[p].get('pefileError') or recs[p].get('readError')}")

    multi = [p for p in versioned if len(recs[p]["rtVersion"][0][1]) > 1]
    multi_names = [p for p in versioned if len(recs[p]["rtVersion"]) > 1]
    differs = []
    for p in multi:
        r = recs[p]
        if r.get("firstVersion") is not None:
            a, b = r["version"], r["firstVersion"]
            if any(a[k] != b[k] for k in ("fileVersion", "productVersion", "translations",
                                          "strings")):
                differs.append(p)
    print(f"more than one RT_VERSION language entry: {len(multi)} files (compared against "
          f"the entry of patchaudit's rule: 0x0000, then 0x0409, then the lowest); pefile's "
          f"first entry would say something else in {len(differs)} of them")
    for p in multi:
        r = recs[p]
        langs = r["rtVersion"][0][1]
        print(f"  {p}: {len(langs)} entries, first 0x{r['firstLang']:04x}, rule picks "
              f"0x{r['chosenLang']:04x}{' (differs)' if p in differs else ''}")
    if multi_names:
        print(f"more than one RT_VERSION name: {len(multi_names)} files (the first name's "
              f"entries are compared)")
    notes = [(p, n) for p in versioned for n in recs[p]["version"]["notes"]]
    for p, n in notes:
        print(f"  note: {p}: {n}")

    t2 = time.time()
    objs, errors = run_patchaudit(args.patchaudit, versioned, args.batch)
    t3 = time.time()
    ncalls = (len(versioned) + args.batch - 1) // args.batch
    print(f"patchaudit inspect: {len(versioned)} files in {ncalls} calls, {t3 - t2:.1f} s")
    for e in errors:
        print(f"  patchaudit call failed: {e}")

    passed, failed = 0, 0
    by_field = {}
    lines = []
    for p, obj in zip(versioned, objs):
        bad = compare(p, recs[p], obj)
        if bad:
            failed += 1
            for field, mine, theirs in bad:
                key = re.sub(r"\[.*?\]", "[]", field)
                by_field[key] = by_field.get(key, 0) + 1
                lines.append(f"MISMATCH {p}: {field}: pefile {short(mine)}, "
                             f"patchaudit {short(theirs)}")
        else:
            passed += 1
    for line in lines:
        print(line)
    if by_field:
        print("mismatches by field: " + ", ".join(f"{k} {v}" for k, v in
                                                 sorted(by_field.items(), key=lambda kv: -kv[1])))
    compared = passed + failed
    if compared < args.min_files:
        print(f"only {compared} files compared; at least {args.min_files} are needed")
    print(f"total {time.time() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or compared < args.min_files else 0


if __name__ == "__main__":
    sys.exit(main())
