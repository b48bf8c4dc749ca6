#!/usr/bin/env bash
# Runs the whole suite (`make check`) from a copy of this checkout that lies in a folder only its
# owner may enter, with TMPDIR in another such folder: what `mktemp -d` makes, and where a fresh
# machine's CI may clone. Tests that run the binary as another user, or that assume /tmp, fail
# here and nowhere else, so `make test` always runs them this way (issue 8: a test that passed
# in /work failed in a 0700 clone).
#
#   bash scripts/test-in-private-copy.sh      (what `make test` runs; `make check` runs in place)
#
# The copy holds the working tree as it is (committed or not), without build output. It is
# built from scratch (one debug build), and removed afterwards.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
private=$(mktemp -d)
scratch=$(mktemp -d)
trap 'rm -rf "$private" "$scratch"' EXIT
chmod 700 "$private" "$scratch"
copy="$private/patchaudit"
mkdir "$copy"
tar -C "$repo" --exclude=.build --exclude='.build-*' --exclude=.git --exclude=Package.resolved -cf - . |
    tar -xf - -C "$copy"
echo "==> running the suite from $copy (mode $(stat -c %a "$private")), TMPDIR=$scratch (mode $(stat -c %a "$scratch"))" >&2
TMPDIR=$scratch make -C "$copy" check
