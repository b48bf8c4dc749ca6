#!/usr/bin/env bash
# Validates the shipped manifests and a baseline made by `patchaudit manifest build` against
# Manifests/manifest.schema.json with an independent JSON Schema validator (python-jsonschema
# from PyPI), and checks that the schema and patchaudit's own loader agree on a set of broken
# manifests (both must refuse each one; `scan` and `manifest lint` with exit status 78). Cases
# the schema cannot see (meaning: the same bytes under two labels, ...) must pass the schema and
# be refused by `manifest lint`.
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
    "sha256 not hex": lambda d: d["files"][0]["builds"][0].update(sha256="g" * 64),
    "sha256 upper case": lambda d: d["files"][0]["builds"][0].update(sha256="A" * 64),
    "md5 too short": lambda d: d["files"][0]["builds"][0].update(md5="0" * 31),
    "build without version or digest": lambda d: d["files"][0]["builds"][0].pop("version"),
    "file rule without name": lambda d: d["files"][0].pop("name"),
}
# What only the meaning checks see: valid to the schema, refused by patchaudit.
digest = "ab" * 32
def two(first, second):
    def change(d):
        d["files"][0]["builds"] = [first, second]
    return change
meaning = {
    "same bytes under two labels": two({"version": "5.5.1960.3", "label": "original", "sha256": digest},
                                       {"version": "5.5.1960.3", "label": "known-good", "sha256": digest}),
    "one build with two versions": two({"version": "5.5.1960.3", "label": "original", "sha256": digest},
                                       {"version": "5.5.1961.0", "label": "original", "sha256": digest}),
    "patched version lower than an original one": two({"version": "5.5.2600.0", "label": "original"},
                                                      {"version": "5.5.1960.3", "label": "original"}),
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
        lint = subprocess.run([pa, "manifest", "lint", path], capture_output=True, text=True)
        check(lint.returncode == 78 and f"{path}: $" in lint.stdout and ": error: " in lint.stdout, f"manifest lint refuses with 78: {what} (got {lint.returncode}: {lint.stdout.strip()})")
    for what, change in meaning.items():
        doc = mutated(change)
        check(not list(validator.iter_errors(doc)), f"schema accepts (a meaning check): {what}")
        path = os.path.join(tmp, "m.json")
        json.dump(doc, open(path, "w"))
        lint = subprocess.run([pa, "manifest", "lint", path], capture_output=True, text=True)
        check(lint.returncode == 78 and f"{path}: $.files[0].builds[" in lint.stdout, f"manifest lint refuses with 78: {what} (got {lint.returncode}: {lint.stdout.strip()})")
    baseline = os.path.join(tmp, "baseline.json")
    run = subprocess.run([pa, "manifest", "build", "--from", tree, "--id", "schema-check", "--output", baseline], capture_output=True, text=True)
    check(run.returncode == 0, f"manifest build makes a baseline (got {run.returncode}: {run.stderr.strip()})")
    if run.returncode == 0:
        errors = list(validator.iter_errors(json.load(open(baseline))))
        check(not errors, f"a baseline from manifest build validates: {[e.message for e in errors]}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
