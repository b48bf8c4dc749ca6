#!/usr/bin/env bash
# Cross-checks patchaudit against independent tools (Debian's openssl and hashdeep):
#   - keys: openssl reads the keys `manifest keygen` writes (same public key, same fingerprint),
#     and patchaudit signs with keys `openssl genpkey -algorithm ed25519` makes;
#   - signatures: openssl verifies the signatures `manifest sign` writes (Ed25519 is deterministic,
#     so both must even make the same bytes), and `manifest verify` / `scan --require-signed`
#     accept a .sig assembled here from an openssl signature; a changed byte, another key, a
#     signature without the header line or a non-canonical one are refused by both (exit 78);
#   - hashdeep: hashdeep reads `scan --format hashdeep` (matching, negative matching and audit
#     mode find exactly the files patchaudit listed), and `manifest import-hashdeep` reads lists
#     hashdeep writes at run time (digests equal to sha256sum/md5sum/sha1sum of the files, and
#     scans with the imported manifest match the good tree and not the altered EMSMDB32.DLL).
#
#   bash scripts/check-interop.sh path/to/patchaudit
#
# Installs openssl and hashdeep when missing (scripts/ensure-packages.sh); reads
# Fixtures/trees/up-to-date-sr1 and altered-restamped (a copy whose EMSMDB32.DLL has one byte
# altered and a re-stamped, valid PE checksum); writes only to a temporary directory.
# The last line is "N passed, M failed"; exit 1 on any failure.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pa=${1:?usage: check-interop.sh path/to/patchaudit}
die() { printf 'check-interop: error: %s\n' "$*" >&2; exit 2; }
# The binary by absolute path: the checks run in other directories.
if [[ $pa == */* ]]; then [[ $pa == /* ]] || pa="$PWD/$pa"; else pa=$(command -v "$pa") || die "patchaudit binary not found: $1"; fi
[ -x "$pa" ] || die "patchaudit binary not found or not executable: $pa"

bash "$repo/scripts/ensure-packages.sh" openssl hashdeep
command -v python3 >/dev/null || bash "$repo/scripts/ensure-packages.sh" python3

good="$repo/Fixtures/trees/up-to-date-sr1"
altered="$repo/Fixtures/trees/altered-restamped"
[ -d "$good" ] && [ -d "$altered" ] || die "Fixtures/trees/up-to-date-sr1 or altered-restamped missing (run Fixtures/generate.sh)"
altered_file=WINDOWS/SYSTEM/EMSMDB32.DLL
header='patchaudit manifest signature v1'
# The 7 files the manifest watches, as the fixture trees spell them.
watched=("Program Files/Microsoft Office/Office/OUTLLIB.DLL" "Program Files/Microsoft Office/Office/OUTLOOK.EXE"
         WINDOWS/SYSTEM/EMSABP32.DLL WINDOWS/SYSTEM/EMSMDB32.DLL WINDOWS/SYSTEM/EMSUI32.DLL
         WINDOWS/SYSTEM/EMSUIX32.DLL WINDOWS/SYSTEM/MSPST32.DLL)

passed=0 failed=0 finished=0 last_error=
tmp=$(mktemp -d)
# A step outside the checks that fails (a file patchaudit should have written is missing, say)
# ends the run as one more failure, still with the summary line.
trap 'last_error="line $LINENO: $BASH_COMMAND"' ERR
on_exit() {
    local status=$?
    if [ "$finished" = 0 ]; then
        echo "FAIL: a step failed (exit $status${last_error:+, $last_error}); the remaining checks were not run"
        echo "$passed passed, $((failed + 1)) failed"
        status=1
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap on_exit EXIT
cd "$tmp"
mkdir log
export LC_ALL=C

check() { # check WHAT CONDITION: CONDITION is eval'd; its output is shown only when it fails
    # (the locals' odd names keep them from hiding the caller's variables CONDITION uses)
    local check_what_=$1 check_cond_=$2 check_detail_
    if check_detail_=$(eval "$check_cond_" 2>&1); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $check_what_"
        [ -z "$check_detail_" ] || printf '%s\n' "$check_detail_" | head -n 20 | sed 's/^/    /'
    fi
}
rc=0
run() { # run TAG ARGS...: patchaudit ARGS; stdout in log/TAG.out, stderr in log/TAG.err, status in $rc
    local tag=$1 try; shift
    for try in 1 2 3 4 5 6 7 8 9 10; do
        rc=0
        "$pa" "$@" >"$tmp/log/$tag.out" 2>"$tmp/log/$tag.err" || rc=$?
        # 126/127 or ETXTBSY: the binary is being relinked (a build running beside us); wait.
        if [ "$rc" -ne 126 ] && [ "$rc" -ne 127 ] && ! grep -q 'Text file busy' "$tmp/log/$tag.err"; then return 0; fi
        [ "$try" = 10 ] || { echo "check-interop: $pa could not be run (exit $rc); retrying in 30 s" >&2; sleep 30; }
    done
}
run_in() { local dir=$1; shift; cd "$dir"; run "$@"; cd "$tmp"; }   # run_in DIR TAG ARGS...
out() { printf '%s' "$tmp/log/$1.out"; }
err() { printf '%s' "$tmp/log/$1.err"; }
why() { printf 'exit %s; stderr: %s' "$rc" "$(head -c 400 "$(err "$1")")"; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
raw_pub() { openssl pkey -pubin -in "$1" -outform DER | tail -c 32; }   # the 32-byte Ed25519 key
fingerprint_of() { raw_pub "$1" | sha256sum | cut -c1-32; }             # first 16 bytes of its SHA-256
message() { printf '%s\n' "$header"; cat "$1"; }                        # what a .sig signs
sig_bytes() { sed -n 's/^signature: //p' "$1" | base64 -d; }
ossl_verify() { # ossl_verify PUB MESSAGE SIG.bin: openssl's answer
    openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" -sigfile "$3"
}
assemble_sig() { # assemble_sig FINGERPRINT MANIFEST SIG.bin > MANIFEST.sig
    printf '%s\nkey: ed25519:%s\nmanifest-sha256: %s\nsignature: %s\n' "$header" "$1" "$(sha256 "$2")" "$(base64 -w0 "$3")"
}
refused_scan() { # refused_scan TAG MANIFEST: exit 78, nothing on stdout, the manifest named on stderr
    [ "$rc" = 78 ] && [ ! -s "$(out "$1")" ] && grep -qF -- "$2" "$(err "$1")" || { why "$1"; echo; echo "stdout: $(head -c 200 "$(out "$1")")"; return 1; }
}

# --- 1. keygen: openssl reads the keys -----------------------------------------------------------
run keygen manifest keygen k
fp_k=$(sed -n 's/^fingerprint ed25519:\([0-9a-f]\{32\}\)$/\1/p' "$(out keygen)")
check "keygen makes a key pair and prints its fingerprint ($(why keygen))" \
    '[ "$rc" = 0 ] && [ -n "$fp_k" ] && [ -s k.key ] && [ -s k.pub ]'
check "keygen writes k.key with mode 600 (got $(stat -c %a k.key 2>&1))" '[ "$(stat -c %a k.key)" = 600 ]'
umask_was=$(umask); umask 000
run keygen-umask manifest keygen loose
umask "$umask_was"
check "keygen writes NAME.key with mode 600 under umask 000 too (got $(stat -c %a loose.key 2>&1))" '[ "$(stat -c %a loose.key)" = 600 ]'
check "openssl reads k.key as an Ed25519 private key" 'openssl pkey -in k.key -noout -text | grep -q "^ED25519 Private-Key"'
check "openssl pkey -in k.key -pubout equals k.pub byte for byte" 'openssl pkey -in k.key -pubout | cmp - k.pub'
check "k.pub is a 44-byte Ed25519 SubjectPublicKeyInfo" \
    '[ "$(openssl pkey -pubin -in k.pub -outform DER | od -An -tx1 -N12 | tr -d " \n")" = 302a300506032b6570032100 ] && [ "$(openssl pkey -pubin -in k.pub -outform DER | wc -c)" = 44 ]'
check "the fingerprint keygen prints ($fp_k) is SHA-256 of the raw public key, first 16 bytes ($(fingerprint_of k.pub))" \
    '[ "$fp_k" = "$(fingerprint_of k.pub)" ]'
cp k.key k.key.before || true; cp k.pub k.pub.before || true
run keygen-again manifest keygen k
check "keygen refuses an existing name with 64 and leaves both files alone ($(why keygen-again))" \
    '[ "$rc" = 64 ] && cmp k.key k.key.before && cmp k.pub k.pub.before'
echo placeholder > half.pub
run keygen-half manifest keygen half
check "keygen refuses when only NAME.pub exists (64, NAME.pub unchanged, no NAME.key) ($(why keygen-half))" \
    '[ "$rc" = 64 ] && [ "$(cat half.pub)" = placeholder ] && [ ! -e half.key ]'

# --- 2. patchaudit signs, openssl verifies ------------------------------------------------------
mkdir signed
run build manifest build --from "$good" --id interop-check --output signed/m.json
check "manifest build records up-to-date-sr1 ($(why build))" '[ "$rc" = 0 ] && [ -s signed/m.json ]'
run sign manifest sign --key k.key signed/m.json
check "manifest sign --key k.key writes m.json.sig ($(why sign))" '[ "$rc" = 0 ] && [ -s signed/m.json.sig ]'
sig=signed/m.json.sig
check "the .sig has the four lines: header, key, manifest-sha256, signature" \
    '[ "$(wc -l < $sig)" = 4 ] && [ "$(sed -n 1p $sig)" = "$header" ] && sed -n 2p $sig | grep -qE "^key: ed25519:[0-9a-f]{32}$" && sed -n 3p $sig | grep -qE "^manifest-sha256: [0-9a-f]{64}$" && sed -n 4p $sig | grep -qE "^signature: [A-Za-z0-9+/]+={0,2}$"'
check "the .sig names keygen's fingerprint" '[ "$(sed -n 2p $sig)" = "key: ed25519:$fp_k" ]'
check "the .sig's manifest-sha256 is sha256sum of the manifest" '[ "$(sed -n 3p $sig)" = "manifest-sha256: $(sha256 signed/m.json)" ]'
sig_bytes "$sig" > signed.bin || true
check "the signature is 64 bytes of base64 (got $(wc -c < signed.bin))" '[ "$(wc -c < signed.bin)" = 64 ]'
message signed/m.json > signed.msg
check "openssl verifies patchaudit's signature of header line + manifest bytes with k.pub" 'ossl_verify k.pub signed.msg signed.bin'
check "openssl signs the same message with k.key into the same 64 bytes (Ed25519 is deterministic)" \
    'openssl pkeyutl -sign -inkey k.key -rawin -in signed.msg | cmp - signed.bin'
check "openssl refuses the signature over the manifest bytes alone (the header line is signed too)" \
    '! ossl_verify k.pub signed/m.json signed.bin'

openssl genpkey -algorithm ed25519 -out o.key
chmod 600 o.key
openssl pkey -in o.key -pubout -out o.pub
fp_o=$(fingerprint_of o.pub)
mkdir by-openssl-key
cp signed/m.json by-openssl-key/m.json
run sign-o manifest sign --key o.key by-openssl-key/m.json
check "manifest sign accepts a key from openssl genpkey -algorithm ed25519 ($(why sign-o))" '[ "$rc" = 0 ] && [ -s by-openssl-key/m.json.sig ]'
check "that .sig names the fingerprint of openssl's public key ($fp_o)" '[ "$(sed -n 2p by-openssl-key/m.json.sig)" = "key: ed25519:$fp_o" ]'
sig_bytes by-openssl-key/m.json.sig > o-signed.bin || true
message by-openssl-key/m.json > o-signed.msg
check "openssl verifies that signature with o.pub" 'ossl_verify o.pub o-signed.msg o-signed.bin'
run verify-o manifest verify --trusted-key o.pub by-openssl-key/m.json
check "manifest verify accepts it with the openssl-derived o.pub ($(why verify-o))" \
    '[ "$rc" = 0 ] && grep -q "verified.*ed25519:$fp_o" "$(out verify-o)"'
for mode in 640 604; do
    mkdir "mode$mode"; cp signed/m.json "mode$mode/m.json"
    cp o.key "o$mode.key"; chmod "$mode" "o$mode.key"
    run "sign-$mode" manifest sign --key "o$mode.key" "mode$mode/m.json"
    check "manifest sign refuses a key file with mode $mode (64, no .sig) ($(why "sign-$mode"))" \
        '[ "$rc" = 64 ] && [ ! -e "mode$mode/m.json.sig" ]'
done

# --- 3. openssl signs, patchaudit verifies ------------------------------------------------------
mkdir assembled
cp signed/m.json assembled/m.json
message assembled/m.json > assembled.msg
openssl pkeyutl -sign -inkey o.key -rawin -in assembled.msg -out assembled.bin
assemble_sig "$fp_o" assembled/m.json assembled.bin > assembled/m.json.sig
run verify-assembled manifest verify --trusted-key o.pub assembled/m.json
check "manifest verify accepts a .sig assembled from an openssl signature ($(why verify-assembled))" '[ "$rc" = 0 ]'
check "the assembled .sig is byte for byte the one manifest sign wrote with the same key" 'cmp assembled/m.json.sig by-openssl-key/m.json.sig'
run scan-assembled scan "$good" --manifest assembled/m.json --require-signed --trusted-key o.pub --format json
check "scan --require-signed accepts it: exit 0, signature verified by ed25519:$fp_o, up-to-date ($(why scan-assembled))" \
    '[ "$rc" = 0 ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
m = d[\"manifests\"]
assert len(m) == 1 and m[0][\"signature\"] == \"verified\" and m[0][\"signer\"] == \"ed25519:\" + sys.argv[2], m
assert d[\"verdict\"] == \"up-to-date\", d[\"verdict\"]
" "$(out scan-assembled)" "$fp_o"'
run verify-both manifest verify --trusted-key k.pub --trusted-key o.pub assembled/m.json signed/m.json
check "manifest verify with both keys trusted accepts manifests signed by either ($(why verify-both))" '[ "$rc" = 0 ]'

mkdir no-header
cp signed/m.json no-header/m.json
openssl pkeyutl -sign -inkey o.key -rawin -in no-header/m.json -out no-header.bin
assemble_sig "$fp_o" no-header/m.json no-header.bin > no-header/m.json.sig
run verify-no-header manifest verify --trusted-key o.pub no-header/m.json
check "manifest verify refuses (78) an openssl signature over the manifest bytes without the header line ($(why verify-no-header))" '[ "$rc" = 78 ]'

# The same signature with S + L (L the group order): the same point equation holds, but RFC 8032
# requires S < L and openssl refuses it; so must patchaudit (no malleable signatures).
mkdir malleable
cp signed/m.json malleable/m.json
python3 - assembled.bin malleable.bin <<'PY'
import sys
L = 2**252 + 27742317777372353535851937790883648493
sig = open(sys.argv[1], "rb").read()
s = int.from_bytes(sig[32:], "little") + L
open(sys.argv[2], "wb").write(sig[:32] + s.to_bytes(32, "little"))
PY
assemble_sig "$fp_o" malleable/m.json malleable.bin > malleable/m.json.sig
run verify-malleable manifest verify --trusted-key o.pub malleable/m.json
check "openssl and manifest verify (78) both refuse the non-canonical signature S + L ($(why verify-malleable))" \
    '! ossl_verify o.pub assembled.msg malleable.bin && [ "$rc" = 78 ]'

mkdir wrong-digest
cp signed/m.json wrong-digest/m.json
sed '3s/^manifest-sha256: 0/manifest-sha256: 1/; t; 3s/^manifest-sha256: ./manifest-sha256: 0/' assembled/m.json.sig > wrong-digest/m.json.sig
run verify-wrong-digest manifest verify --trusted-key o.pub wrong-digest/m.json
check "manifest verify refuses (78) a valid signature whose manifest-sha256 line is wrong ($(why verify-wrong-digest))" \
    '! cmp -s wrong-digest/m.json.sig assembled/m.json.sig && [ "$rc" = 78 ]'

# --- 4. a changed byte, another key, no signature ---------------------------------------------------
run scan-signed scan "$good" --manifest signed/m.json --require-signed --trusted-key k.pub
check "control: scan --require-signed accepts the untouched signed manifest ($(why scan-signed))" '[ "$rc" = 0 ] && [ -s "$(out scan-signed)" ]'
# change_byte MANIFEST WHAT: one character changed in place: a hex digit of the first recorded
# sha256, or one letter of the title.
change_byte() {
    python3 - "$1" "$2" <<'PY'
import sys
path, what = sys.argv[1], sys.argv[2]
data = bytearray(open(path, "rb").read())
key = b'"sha256": "' if what == "sha256" else b'"title": "'
at = data.index(key) + len(key) + (5 if what == "sha256" else 0)
old = data[at]
data[at] = (b"0" if old != ord("0") else b"1")[0] if what == "sha256" else (ord("o") if old != ord("o") else ord("a"))
open(path, "wb").write(data)
PY
}
for what in sha256 title; do
    dir=changed-$what
    mkdir "$dir"; cp signed/m.json signed/m.json.sig "$dir/" || true
    change_byte "$dir/m.json" "$what" || true
    check "one byte of the $what differs between the signed and the changed manifest" \
        '[ "$(cmp -l signed/m.json $dir/m.json | wc -l)" = 1 ]'
    run "lint-$what" manifest lint "$dir/m.json"
    check "the manifest with a changed $what byte still passes lint (so a refusal is the signature's) ($(why "lint-$what"))" '[ "$rc" = 0 ]'
    message "$dir/m.json" > "$dir.msg"
    check "openssl refuses the signature of the manifest with a changed $what byte" '! ossl_verify k.pub "$dir.msg" signed.bin'
    run "verify-$what" manifest verify --trusted-key k.pub "$dir/m.json"
    check "manifest verify refuses (78) the manifest with a changed $what byte ($(why "verify-$what"))" '[ "$rc" = 78 ]'
    run "scan-$what" scan "$good" --manifest "$dir/m.json" --require-signed --trusted-key k.pub
    check "scan --require-signed refuses (78, nothing scanned, the manifest named) the manifest with a changed $what byte" \
        'refused_scan "scan-$what" "$dir/m.json"'
done
run verify-other manifest verify --trusted-key k.pub by-openssl-key/m.json
check "manifest verify refuses (78) a .sig from another key and names that key's fingerprint ed25519:$fp_o ($(why verify-other))" \
    '[ "$rc" = 78 ] && grep -q "ed25519:$fp_o" "$(err verify-other)"'
run scan-other scan "$good" --manifest by-openssl-key/m.json --require-signed --trusted-key k.pub
check "scan --require-signed refuses (78, nothing scanned) a manifest signed by another key, naming it" \
    'refused_scan scan-other by-openssl-key/m.json && grep -q "ed25519:$fp_o" "$(err scan-other)"'
mkdir unsigned
cp signed/m.json unsigned/m.json
run scan-unsigned scan "$good" --manifest unsigned/m.json --require-signed --trusted-key k.pub
check "scan --require-signed refuses (78, nothing scanned) an unsigned manifest" 'refused_scan scan-unsigned unsigned/m.json'

# --- 5. hashdeep reads patchaudit's hashdeep export ------------------------------------------------
strip() { awk -v p="$1" 'index($0, p) == 1 { $0 = substr($0, length(p) + 1) } { print }'; }   # strip PREFIX
# rows LIST PREFIX: the file names of a hashdeep list's rows, PREFIX removed, sorted
rows() { grep -v -e '^%%%%' -e '^##' "$1" | cut -d, -f4- | strip "$2" | sort; }
expected_names() { printf '%s\n' "${watched[@]}" | sort; }
run export scan "$good" --format hashdeep
cp "$(out export)" good.hashdeep
check "scan --format hashdeep on up-to-date-sr1 ($(why export))" \
    '[ "$rc" = 0 ] && [ "$(sed -n 1p good.hashdeep)" = "%%%% HASHDEEP-1.0" ] && [ "$(sed -n 2p good.hashdeep)" = "%%%% size,md5,sha256,filename" ]'
check "the export lists the 7 watched files of the tree" 'diff <(rows good.hashdeep "$good/") <(expected_names)'
check "each row's size, md5 and sha256 are stat, md5sum and sha256sum of the file" '
    grep -v -e "^%%%%" -e "^##" good.hashdeep | while IFS=, read -r size md5 sha name; do
        [ "$size,$md5,$sha" = "$(stat -c %s "$name"),$(md5sum < "$name" | cut -d" " -f1),$(sha256 "$name")" ] || { echo "$name"; exit 1; }
    done'
hashdeep -m -k good.hashdeep -r "$good" > match-good.txt 2> match-good.err || true
check "hashdeep -m -k (matching mode) finds exactly the files patchaudit listed in up-to-date-sr1" \
    'diff <(strip "$good/" < match-good.txt | sort) <(rows good.hashdeep "$good/") && [ "$(wc -l < match-good.txt)" = 7 ]'
hashdeep -m -k good.hashdeep -r "$altered" > match-altered.txt 2> match-altered.err || true
check "hashdeep -m on altered-restamped matches the 6 other files, not $altered_file" \
    'diff <(strip "$altered/" < match-altered.txt | sort) <(expected_names | grep -vxF "$altered_file")'
hashdeep -x -k good.hashdeep -r "$altered" > nomatch-altered.txt 2> nomatch-altered.err || true
check "hashdeep -x (negative matching) on altered-restamped lists only $altered_file" \
    '[ "$(cat nomatch-altered.txt)" = "$altered/$altered_file" ]'
# Audit mode, with names relative to the working directory and a folder name with a space, a
# comma and a non-ASCII letter (hashdeep's file name is the last column, unquoted).
mkdir audit
odd='pc, é 42'
cp -R "$good" "audit/$odd"
run_in audit export-relative scan "$odd" --format hashdeep
cp "$(out export-relative)" relative.hashdeep
check "scan --format hashdeep with a relative target writes relative names ($(why export-relative))" \
    '[ "$rc" = 0 ] && diff <(rows relative.hashdeep "$odd/") <(expected_names) && [ "$(rows relative.hashdeep "" | grep -c "^$odd/")" = 7 ]'
check "hashdeep -l -a (audit) of that copy against patchaudit's list passes" \
    '(cd audit && hashdeep -l -a -k ../relative.hashdeep -r "$odd")'
rm -rf "audit/$odd"; cp -R "$altered" "audit/$odd"
(cd audit && hashdeep -l -a -vvv -k ../relative.hashdeep -r "$odd" > ../audit-altered.txt 2>&1) && audit_rc=0 || audit_rc=$?
check "hashdeep audit of altered-restamped under the same name fails, EMSMDB32.DLL alone not matching (exit $audit_rc)" \
    '[ "$audit_rc" != 0 ] && [ "$(grep -c ": Ok$" audit-altered.txt)" = 6 ] && [ "$(grep ": No match$" audit-altered.txt)" = "$odd/$altered_file: No match" ]'
rm -rf "audit/$odd"; cp -R "$good" "audit/$odd"
echo "not a watched file" > "audit/$odd/notes.txt"
(cd audit && hashdeep -l -x -k ../relative.hashdeep -r "$odd" > ../unlisted.txt 2>&1) || true
check "hashdeep -x on the copy with an extra notes.txt lists only notes.txt" '[ "$(cat unlisted.txt)" = "$odd/notes.txt" ]'

# --- 6. patchaudit reads hashdeep's lists --------------------------------------------------------
hashdeep -c md5,sha256 -r "$good" > known.hashdeep
run import manifest import-hashdeep known.hashdeep --id interop-hashdeep --output imported.json
check "manifest import-hashdeep reads hashdeep -c md5,sha256 -r up-to-date-sr1 ($(why import))" '[ "$rc" = 0 ] && [ -s imported.json ]'
# imported_builds MANIFEST TREE DIGESTS: the builds with digests are exactly one per watched file,
# each with the size and digests (md5,sha256[,sha1]) of that file in TREE, and no version.
imported_builds() {
    python3 - "$1" "$2" "$3" "${watched[@]}" <<'PY'
import hashlib, json, os, sys
manifest, tree, digests, watched = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
want = {}
for rel in watched:
    data = open(os.path.join(tree, rel), "rb").read()
    want[os.path.basename(rel).lower()] = dict(size=len(data), **{d: hashlib.new(d, data).hexdigest() for d in digests})
got = {}
for rule in json.load(open(manifest))["files"]:
    for build in rule.get("builds", []):
        if "sha256" in build:
            got.setdefault(rule["name"], []).append(build)
problems = []
if sorted(got) != sorted(want):
    problems.append(f"files with recorded digests: {sorted(got)}, expected {sorted(want)}")
for name, builds in got.items():
    if len(builds) != 1:
        problems.append(f"{name}: {len(builds)} builds with digests")
    for build in builds:
        if "version" in build:
            problems.append(f"{name}: a version from a hash list: {build['version']}")
        for key, value in want.get(name, {}).items():
            if build.get(key) != value:
                problems.append(f"{name}: {key} {build.get(key)!r}, the file's is {value!r}")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
}
check "each imported build's sha256/md5/size is sha256sum/md5sum/size of a watched file (7 files, no version)" \
    'imported_builds imported.json "$good" md5,sha256'
run lint-imported manifest lint imported.json
check "the imported manifest passes manifest lint ($(why lint-imported))" '[ "$rc" = 0 ]'
(cd audit && hashdeep -l -c md5,sha1,sha256 -r "$odd" > ../known-sha1.hashdeep)
run import-sha1 manifest import-hashdeep known-sha1.hashdeep --id interop-hashdeep-sha1 --output imported-sha1.json
check "manifest import-hashdeep reads a relative md5,sha1,sha256 list with odd names; sha1 is sha1sum ($(why import-sha1))" \
    '[ "$rc" = 0 ] && imported_builds imported-sha1.json "audit/$odd" md5,sha1,sha256'
# baseline_results JSON: "name result" per file of every evaluation, sorted
baseline_results() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [f"{f['name']} {f.get('baseline', {}).get('result')} {f.get('status')}"
        for t in d["targets"] for i in t["installations"] for e in i["evaluations"] for f in e["files"]]
print("\n".join(sorted(rows)))
PY
}
run scan-imported-good scan "$good" --manifest imported.json --format json
check "with the imported manifest, every file of up-to-date-sr1 matches its recorded digest ($(why scan-imported-good))" \
    '[ "$rc" = 0 ] && [ "$(baseline_results "$(out scan-imported-good)" | grep -c "^[a-z0-9.]* matched ")" = 7 ]'
run scan-imported-altered scan "$altered" --manifest imported.json --format json
check "with the imported manifest, altered-restamped matches 6 files and not emsmdb32.dll ($(why scan-imported-altered))" \
    'r=$(baseline_results "$(out scan-imported-altered)"); echo "$r"; [ "$(grep -c "^[a-z0-9.]* matched " <<<"$r")" = 6 ] && grep -q "^emsmdb32.dll " <<<"$r" && ! grep -q "^emsmdb32.dll matched " <<<"$r"'
sed '0,/^[0-9]/s/^\([0-9]*,[0-9a-f]*,[0-9a-f]\{63\}\)[0-9a-f],/\1,/' known.hashdeep > broken.hashdeep
run import-broken manifest import-hashdeep broken.hashdeep --id interop-broken --output broken.json
check "manifest import-hashdeep refuses a list with one sha256 cut short, writing nothing ($(why import-broken))" \
    '! cmp -s broken.hashdeep known.hashdeep && [ "$rc" != 0 ] && [ ! -e broken.json ]'
run build-base manifest build --from "$good" --id interop-baseline --output baseline.json
run scan-altered scan "$altered" --manifest baseline.json --format json
check "scan of altered-restamped with a manifest built from up-to-date-sr1: patch-needed, emsmdb32.dll damaged, no other file damaged ($(why scan-altered))" \
    '[ "$rc" = 1 ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"verdict\"] == \"patch-needed\", d[\"verdict\"]
files = [f for t in d[\"targets\"] for i in t[\"installations\"] for e in i[\"evaluations\"] for f in e[\"files\"]]
damaged = sorted(f[\"name\"] for f in files if f[\"status\"] == \"damaged\")
assert damaged == [\"emsmdb32.dll\"], damaged
ems = [f for f in files if f[\"name\"] == \"emsmdb32.dll\"]
assert all(f[\"sha256\"] == sys.argv[2] for f in ems), [f[\"sha256\"] for f in ems]
" "$(out scan-altered)" "$(sha256 "$altered/$altered_file")"'

finished=1
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1
