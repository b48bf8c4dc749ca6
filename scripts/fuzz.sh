#!/usr/bin/env bash
# libFuzzer with AddressSanitizer over each parser of untrusted bytes (Fuzz/README.md).
#
#   bash scripts/fuzz.sh SECONDS [TARGET...]     (make fuzz: FUZZ_SECONDS, default 600;
#                                                 make test: 20 s each as a smoke run)
#
# For each target: builds Fuzz/ with libFuzzer and AddressSanitizer (debug, -Onone: -O
# would drop the bounds checks on unsafe buffers that the parsers must not need), replays the
# committed findings (Fuzz/Findings/TARGET: every input that once crashed or hung must now run
# clean), then fuzzes for SECONDS from a corpus seeded with Fixtures/ and Fuzz/Seeds/. The
# corpus grows in .build-fuzz/corpus/TARGET (kept between runs, ignored by git); a crash, leak,
# timeout or out-of-memory input lands in .build-fuzz/findings/TARGET and the script exits 1.
#
# Environment: FUZZ_JOBS (targets fuzzed at once, default 1), FUZZ_TIMEOUT (seconds one input
# may take, default 10), FUZZ_RSS_MB (memory per input, default 2048).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:?usage: fuzz.sh SECONDS [TARGET...]}
shift
all=(FuzzPE FuzzZipDirectory FuzzManifest FuzzHashdeep FuzzTrust FuzzArchive FuzzImage)
targets=("${@:-${all[@]}}")
[ "$#" -gt 0 ] || targets=("${all[@]}")
work="$repo/.build-fuzz"
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
export SWIFT_BACKTRACE=enable=no
# Swift's runtime keeps a few allocations for the life of the process (metadata caches), which
# LeakSanitizer would report at exit; every other ASan check stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

say() { printf '==> %s\n' "$*" >&2; }

# swiftc honours only the last -sanitize= it is given: SwiftPM's `--sanitize=fuzzer
# --sanitize=address` leaves Swift code with AddressSanitizer but without the coverage
# counters libFuzzer steers by. The combined flag, passed last, gives Swift code both; C code
# gets both from SwiftPM's flags. (Checked below: a fuzz build without counters is refused.)
# Linked by lld (in the Swift toolchain): gold prints "Cannot export local symbol" for each of
# the sanitizer runtime's hidden symbols, about 140 lines per target.
sanitize=(--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
# SwiftPM keeps the build plan of a path dependency between builds: a source file added to the
# main package since the last fuzz build would be missing from it ("cannot find ... in scope").
# Planning again costs a second.
rm -f "$repo"/Fuzz/.build/*/debug/description.json
say "building ${targets[*]} (swift build --package-path Fuzz ${sanitize[*]})"
for target in "${targets[@]}"; do
    swift build --package-path "$repo/Fuzz" "${sanitize[@]}" --product "$target" >&2
done
bin=$(swift build --package-path "$repo/Fuzz" "${sanitize[@]}" --show-bin-path)
for tool in objdump nm; do
    command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool (binutils) is needed to check the fuzz build; install binutils" >&2; exit 2; }
done
for object in "$bin/PatchAuditKit.build/ZipLayout.swift.o" "$bin/PatchAuditKit.build/PEReader.swift.o"; do
    # (grep -c, not -q: with pipefail an early exit of grep would fail the pipe by SIGPIPE)
    if [ "$(objdump -h "$object" | grep -c sancov_cntrs)" = 0 ] || [ "$(nm "$object" | grep -c __asan)" = 0 ]; then
        echo "fuzz.sh: $object lacks libFuzzer's coverage counters or AddressSanitizer's checks; the fuzz build is not what it must be" >&2
        exit 2
    fi
done

# Seeds: small committed files of the kind each target reads (libFuzzer reads a folder of files).
seed() { # seed TARGET DIR
    local target=$1
    local dir=$2
    rm -rf "$dir"
    mkdir -p "$dir"
    local -a files=()
    case $target in
        FuzzPE) mapfile -d '' files < <(find "$repo/Fixtures/dlls" "$repo/Tests/PatchAuditKitTests/Resources/PE" -type f -name '*.dll' -size -16k -print0) ;;
        FuzzZipDirectory) mapfile -d '' files < <(find "$repo/Fixtures" -type f -name '*.zip' -size -64k -print0) ;;
        FuzzArchive) mapfile -d '' files < <(find "$repo/Fixtures/archives" "$repo/Fixtures/robustness" "$repo/Fixtures/hostile-archives" "$repo/Fixtures/zip-in-place" -type f \
            \( -name '*.zip' -o -name '*.tar*' -o -name '*.7z' -o -name '*.cab' -o -name '*.iso' -o -name '*.gz' -o -name '*.001' \) -size -64k -print0) ;;
        FuzzManifest) mapfile -d '' files < <(find "$repo/Manifests" -type f -name '*.json' -print0) ;;
        FuzzHashdeep) mapfile -d '' files < <(find "$repo/Fixtures/hashdeep" -type f -name '*.hashdeep' -print0) ;;
        FuzzImage) mapfile -d '' files < <(find "$repo/Fuzz/Seeds/FuzzImage" -type f -print0) ;;
        FuzzTrust) files=() ;;
    esac
    local file i=0
    for file in "${files[@]}"; do cp "$file" "$dir/$i-$(basename "$file")"; i=$((i + 1)); done
    if [ -d "$repo/Fuzz/Seeds/$target" ] && [ "$target" != FuzzImage ]; then cp "$repo/Fuzz/Seeds/$target"/* "$dir/"; fi
}

max_len() {
    case $1 in
        FuzzPE) echo 16384 ;;
        FuzzArchive|FuzzZipDirectory) echo 65536 ;;
        FuzzImage) echo 1100000 ;;
        *) echo 32768 ;;
    esac
}

failed=0
run_one() { # run_one TARGET: replay findings, then fuzz; prints one summary line
    # One `local` per variable: bash expands every word of a `local` line before assigning any.
    local target=$1
    local corpus="$work/corpus/$target" seeds="$work/seeds/$target" findings="$work/findings/$target"
    mkdir -p "$corpus" "$findings"
    seed "$target" "$seeds"
    local log="$work/logs/$target.log"
    mkdir -p "$work/logs"
    if [ -d "$repo/Fuzz/Findings/$target" ] && compgen -G "$repo/Fuzz/Findings/$target/*" >/dev/null; then
        if ! "$bin/$target" -timeout="$timeout" -rss_limit_mb="$rss" "$repo/Fuzz/Findings/$target"/* >"$log.replay" 2>&1; then
            echo "$target: a committed finding fails again (see $log.replay)"
            return 1
        fi
    fi
    local status=0
    "$bin/$target" "$corpus" "$seeds" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
        -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || status=$?
    local runs cov
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    if [ "$status" != 0 ] || compgen -G "$findings/*" >/dev/null; then
        echo "$target: FAILED after $runs runs (exit $status); findings in $findings, log $log"
        grep -m3 -E 'ERROR|SUMMARY|deadly signal|Fatal error' "$log" | sed 's/^/    /'
        return 1
    fi
    echo "$target: $runs runs in ${seconds} s, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs, no findings"
}

export -f run_one seed max_len
export repo work bin timeout rss seconds
if [ "$jobs" -gt 1 ]; then
    printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' || failed=1
else
    for target in "${targets[@]}"; do run_one "$target" || failed=1; done
fi
exit $failed
