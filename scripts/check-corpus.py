#!/usr/bin/env python3
"""Runs `patchaudit scan` on every file of one or more corpora (other projects' test archives,
a fuzzer's findings, a user's own odd files) and checks what a new user's files must get:

- an answer within the time limit (default 30 s per file; no hang),
- a documented exit status (0, 1, 2 or 3: never a signal, never 64, 74 or 78),
- one JSON document with one target whose verdict is a known one,
- for an `error` or `review` target, a reason that says why.

    python3 scripts/check-corpus.py [--binary PATH] [--timeout S] [--jobs N] DIR...

Prints one line per file that breaks a rule and a summary (files, exit statuses, verdicts,
slowest file); exits 1 when any file broke a rule. Each file is scanned on its own (one process
per file), so a crash costs that file's line only. Files are read, never changed.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import time

VERDICTS = {"up-to-date", "patch-needed", "blocked", "not-applicable", "review", "error"}


def scan(binary, path, timeout):
    start = time.monotonic()
    try:
        run = subprocess.run([binary, "scan", path, "--format", "json"], capture_output=True, timeout=timeout,
                             env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    except subprocess.TimeoutExpired:
        return path, None, time.monotonic() - start, None, f"no answer within {timeout} s"
    elapsed = time.monotonic() - start
    status = run.returncode
    if status < 0:
        return path, status, elapsed, None, f"killed by signal {-status}: {run.stderr.decode(errors='replace')[-300:]}"
    if status not in (0, 1, 2, 3):
        return path, status, elapsed, None, f"exit status {status}: {run.stderr.decode(errors='replace')[-300:]}"
    try:
        targets = json.loads(run.stdout)["targets"]
        target = targets[0]
        verdict = target["verdict"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return path, status, elapsed, None, f"output is not one JSON document with a target ({error})"
    if len(targets) != 1 or verdict not in VERDICTS:
        return path, status, elapsed, verdict, f"unexpected target list or verdict {verdict!r}"
    if verdict in ("error", "review"):
        said = target.get("reasons") or target.get("limitsHit") or any(
            e.get("reasons") for i in target.get("installations", []) for e in i.get("evaluations", []))
        if not said:
            return path, status, elapsed, verdict, f"{verdict} without a reason"
    return path, status, elapsed, verdict, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("PATCHAUDIT", ".build/debug/patchaudit"))
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("corpora", nargs="+")
    args = parser.parse_args()
    files = []
    for corpus in args.corpora:
        for root, _, names in os.walk(corpus):
            files += [os.path.join(root, name) for name in sorted(names)]
    files.sort()
    statuses, verdicts, broken = collections.Counter(), collections.Counter(), []
    slowest = (0.0, "")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for path, status, elapsed, verdict, problem in pool.map(lambda f: scan(args.binary, f, args.timeout), files):
            statuses[status] += 1
            verdicts[verdict] += 1
            slowest = max(slowest, (elapsed, path))
            if problem:
                broken.append(path)
                print(f"BROKEN {path}: {problem}")
    print(f"{len(files)} files; exit statuses {dict(sorted(statuses.items(), key=str))}; "
          f"verdicts {dict(sorted(verdicts.items(), key=str))}; slowest {slowest[0]:.2f} s ({slowest[1]})")
    print(f"{len(files) - len(broken)} passed, {len(broken)} failed")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
