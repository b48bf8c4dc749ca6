#!/usr/bin/env bash
# Seeds for FuzzImage: the smallest disk images of each layout the reader meets, each holding
# a small real DLL as WINDOWS/SYSTEM/EMSMDB32.DLL (and a deleted one), made without mounting.
#   bash Fuzz/Seeds/make-image-seeds.sh     (needs dosfstools mtools fdisk ntfs-3g; committed)
set -euo pipefail
export LC_ALL=C TZ=UTC MTOOLS_SKIP_CHECK=1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$repo/scripts/ensure-packages.sh" dosfstools mtools fdisk ntfs-3g
out="$repo/Fuzz/Seeds/FuzzImage"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out" && mkdir -p "$out"
dll="$repo/Fixtures/dlls/emsmdb32-5.5.2440.0-flipped.dll"
fill() { # fill IMAGE@@OFFSET
    mmd -i "$1" ::/WINDOWS ::/WINDOWS/SYSTEM
    mcopy -i "$1" "$dll" ::/WINDOWS/SYSTEM/EMSMDB32.DLL
    mcopy -i "$1" "$dll" ::/WINDOWS/SYSTEM/MSPST32.DLL
    mdel -i "$1" ::/WINDOWS/SYSTEM/MSPST32.DLL
}
# A bare FAT12 volume of 64 KiB.
mkfs.fat -F 12 -i 19970904 -n SEED -C "$work/fat12.img" 64 >/dev/null
fill "$work/fat12.img"
cp "$work/fat12.img" "$out/bare-fat12.img"
# The same behind an MBR at sector 1 (128 KiB disk).
truncate -s 128K "$work/mbr.img"
printf 'label: dos\nlabel-id: 0x19970904\nstart=1, type=1\n' | sfdisk -q "$work/mbr.img"
mkfs.fat -F 12 -i 19970904 --offset 1 "$work/mbr.img" 120 >/dev/null
fill "$work/mbr.img@@512"
cp "$work/mbr.img" "$out/mbr-fat12.img"
# A 1040 KiB NTFS volume (mkntfs wants more than 1 MiB) with the DLL at its root.
truncate -s 1040K "$work/ntfs.img"
mkntfs -F -Q -q -T -L SEED -p 0 -H 1 -S 1 "$work/ntfs.img" >/dev/null
ntfscp -f "$work/ntfs.img" "$dll" EMSMDB32.DLL >/dev/null 2>&1
cp "$work/ntfs.img" "$out/bare-ntfs.img"
ls -la "$out"
