#!/usr/bin/env bash
# Cross-checks `patchaudit inspect --format json` against pefile (an independent PE
# reader, from PyPI) on ~500 real Windows DLLs and EXEs with version resources:
# wine's PE modules (Debian's libwine, amd64 = PE32+ and i386 = PE32), mingw-w64's
# libwinpthread, a Mono assembly, and patchaudit's own Fixtures/dlls.
#
#   bash scripts/check-against-pefile.sh [path/to/patchaudit]
#
# Without an argument it builds a debug patchaudit (`swift build`). The packages are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache
# ($PEFILE_CACHE, default /tmp/patchaudit-pefile): nothing is installed system-wide
# except, when missing, the tools this script runs (python3-venv). The i386 package
# comes through a private apt state in the cache (no `dpkg --add-architecture`).
# pefile goes into a venv in the cache; its results are cached per file.
#
# The last line is "N passed, M failed"; exit 1 on any mismatch or when fewer than
# 100 files were compared.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PEFILE_CACHE:-/tmp/patchaudit-pefile}
# Debian packages whose files are extracted: wine's PE modules carry most of the
# version resources; mingw-w64's -dev packages ship libwinpthread-1.dll, the only one
# of mingw-w64's DLLs with a version resource; Mono's System.dll has a language-neutral
# one written by another toolchain.
amd64_pkgs=(libwine mingw-w64-i686-dev mingw-w64-x86-64-dev libmono-system4.0-cil)
i386_pkgs=(libwine)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'check-against-pefile: error: %s\n' "$*" >&2; exit 2; }
start=$(date +%s)

apt_updated=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "$@" >&2; then
        if [ "$apt_updated" = 0 ]; then apt-get update -q >&2 || true; apt_updated=1; fi
        apt-get install -y -q "$@" >&2
    fi
}
command -v python3 >/dev/null || apt_install python3
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (this script needs Debian)"
mkdir -p "$cache/debs" "$cache/root"

# --- the packages ------------------------------------------------------------
# apt-get download into $cache/debs; "-o APT::Sandbox::User=root" because _apt may
# not be able to write there.
fetch() { # fetch ARCH PKG...: download the .debs not yet in the cache
    local arch=$1; shift
    local want=() p
    for p in "$@"; do
        compgen -G "$cache/debs/${p}_*_${arch}.deb" >/dev/null \
            || compgen -G "$cache/debs/${p}_*_all.deb" >/dev/null || want+=("$p")
    done
    [ ${#want[@]} -eq 0 ] && return 0
    say "downloading ($arch): ${want[*]}"
    if [ "$arch" = amd64 ]; then
        (cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "${want[@]}" >&2) || {
            [ "$apt_updated" = 0 ] && { apt-get update -q >&2 || true; apt_updated=1; }
            (cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "${want[@]}" >&2)
        }
    else
        # A private apt state for the foreign architecture: its own lists, an empty
        # dpkg status, the system's sources. A failing index (e.g. a mirror syncing)
        # is tolerated as long as the download works.
        local st="$cache/apt-$arch"
        mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
        touch "$st/status"
        local o=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
                 -o "Dir::State::Lists=$st/lists" -o "Dir::State::status=$st/status"
                 -o "Dir::Cache=$st/cache" -o Debug::NoLocking=1
                 -o APT::Sandbox::User=root)
        if ! compgen -G "$st/lists/*Packages*" >/dev/null; then
            apt-get "${o[@]}" update -q >&2 || say "warning: apt-get update ($arch) reported errors"
        fi
        (cd "$cache/debs" && apt-get "${o[@]}" download -q "${want[@]/%/:$arch}" >&2) || {
            apt-get "${o[@]}" update -q >&2 || true
            (cd "$cache/debs" && apt-get "${o[@]}" download -q "${want[@]/%/:$arch}" >&2)
        }
    fi
}
dl_start=$(date +%s)
fetch amd64 "${amd64_pkgs[@]}"
fetch i386 "${i386_pkgs[@]}" || say "warning: the i386 packages could not be fetched; PE32 coverage comes from the fixtures and mingw-w64 only"
roots=()
for deb in "$cache"/debs/*.deb; do
    [ -e "$deb" ] || continue
    name=$(basename "$deb" .deb)
    dest="$cache/root/$name"
    if [ ! -e "$dest/.extracted" ]; then
        say "extracting $name"
        rm -rf "$dest"; mkdir -p "$dest"
        dpkg-deb -x "$deb" "$dest"
        touch "$dest/.extracted"
    fi
    roots+=(--root "$dest")
done
[ ${#roots[@]} -gt 0 ] || die "no packages were downloaded"
say "packages ready in $(( $(date +%s) - dl_start )) s"

# --- pefile --------------------------------------------------------------------
venv="$cache/venv"
if ! "$venv/bin/python" -c 'import pefile' 2>/dev/null; then
    say "installing pefile into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >&2; then
        rm -rf "$venv"
        apt_install python3-venv
        python3 -m venv "$venv" >&2
    fi
    "$venv/bin/pip" install -q pefile >&2
fi

# --- patchaudit ----------------------------------------------------------------
pa=${1:-}
if [ -z "$pa" ]; then
    command -v swift >/dev/null || die "swift not found (or pass the patchaudit binary)"
    say "building patchaudit (swift build)"
    (cd "$repo" && swift build >&2)
    pa="$(cd "$repo" && swift build --show-bin-path)/patchaudit"
fi
[ -x "$pa" ] || die "patchaudit binary not found or not executable: $pa"

fixtures=()
[ -d "$repo/Fixtures/dlls" ] && fixtures=(--fixtures "$repo/Fixtures/dlls")
say "comparing (setup took $(( $(date +%s) - start )) s)"
exec "$venv/bin/python" "$repo/scripts/check_against_pefile.py" \
    --patchaudit "$pa" --cache "$cache" "${roots[@]}" "${fixtures[@]}"
