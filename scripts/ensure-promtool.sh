#!/usr/bin/env bash
# Puts Prometheus' promtool in /usr/local/bin when no promtool is on the PATH, for the test
# that checks `--format prometheus` with `promtool check metrics`. Only the one binary is taken
# from Debian's `prometheus` package (apt-get download + dpkg-deb -x): installing the package
# would also create a service and start a Prometheus server. Uses sudo when not root.
set -euo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "Installing promtool (from Debian's prometheus package) into /usr/local/bin..." >&2
if ! apt-get download prometheus >/dev/null 2>&1; then
    "${as_root[@]}" apt-get update -qq
    apt-get download prometheus >/dev/null 2>&1
fi
dpkg-deb -x prometheus_*.deb root
"${as_root[@]}" install -m 0755 root/usr/bin/promtool /usr/local/bin/promtool
promtool --version >/dev/null
