#!/usr/bin/env bash
# Validates the shipped manifests against Manifests/manifest.schema.json with an independent
# JSON Schema validator (python-jsonschema from PyPI), and checks that the schema and
# patchaudit's own loader agree on a set of broken manifests (both must refuse each one;
# patchaudit with exit status 78).
#
#   bash scripts/check-manifest-schema.sh path/to/patchaudit
#
# The last line is "N passed, M failed"; exit 1 on any failure.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PEFILE_CACHE:-/tmp/patchaudit-pefile}
pa=${1:?usage: check-manifest-schema.sh path/to/patchaudit}
venv="$cache/schema-venv"
if ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
    rm -rf "$venv"; mkdir -p "$cache"
    python3 -m venv "$venv" >&2 || { rm -rf "$venv"; bash "$repo/scripts/ensure-packages.sh" python3-venv; python3 -m venv "$venv" >&2; }
    "$venv/bin/pip" install -q jsonschema >&2
fi
exec "$venv/bin/python" - "$repo" "$pa" <<'PY'
import copy, json, os, subprocess, sys, tempfile
import jsonschema
repo, pa = sys.argv[1], sys.argv[2]
schema = json.load(open(os.path.join(repo, "Manifests/manifest.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
passed = failed = 0
def check(ok, what):
    global passed, failed
    if ok: passed += 1
    else:
        failed += 1
        print("FAIL:", what)
shipped = sorted(f for f in os.listdir(os.path.join(repo, "Manifests")) if f.endswith(".json") and not f.endswith(".schema.json"))
check(len(shipped) >= 2, "the shipped manifests are there")
for name in shipped:
    errors = list(validator.iter_errors(json.load(open(os.path.join(repo, "Manifests", name)))))
    check(not errors, f"{name} validates: {[e.message for e in errors]}")
base = json.load(open(os.path.join(repo, "Manifests/outlook97-archive-patch.json")))
def mutated(change):
    doc = copy.deepcopy(base); change(doc); return doc
broken = {
    "unknown field": lambda d: d["files"][0].update(patchVersion="5.5.2502.0"),
    "malformed version": lambda d: d["files"][0].update(patchedVersion="5.5.25O2"),
    "upper-case name": lambda d: d["files"][0].update(name="EMSABP32.DLL"),
    "bad location": lambda d: d["files"][0].update(location="windows"),
    "bad label": lambda d: d["files"][0]["builds"][0].update(label="good"),
    "format version 2": lambda d: d.update(formatVersion=2),
    "no files": lambda d: d.update(files=[]),
    "installed without patched version": lambda d: d["files"][0].pop("patchedVersion"),
    "bad language": lambda d: d["patch"].update(languages=["English"]),
    "bad id": lambda d: d.update(id="Outlook 97"),
    "missing title": lambda d: d.pop("title"),
    "negative size": lambda d: d["files"][0]["builds"][0].update(size=-1),
}
tree = os.path.join(repo, "Fixtures/trees/up-to-date-sr1")
with tempfile.TemporaryDirectory() as tmp:
    for what, change in broken.items():
        doc = mutated(change)
        check(list(validator.iter_errors(doc)), f"schema refuses: {what}")
        path = os.path.join(tmp, "m.json")
        json.dump(doc, open(path, "w"))
        run = subprocess.run([pa, "scan", tree, "--manifest", path, "--format", "json"], capture_output=True, text=True)
        check(run.returncode == 78 and path in run.stderr and run.stdout == "", f"patchaudit refuses with 78: {what} (got {run.returncode}: {run.stderr.strip()})")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
