#!/usr/bin/env bash
# Regenerates Fixtures/images: disk images of the install trees (Fixtures/trees/<name>) in the
# partition layouts, file systems and container formats patchaudit reads, and hostile images;
# plus Fixtures/images/expected.json. Fixtures/images/README.md and .gitattributes are kept.
#
#   bash Fixtures/tools/images/make-images.sh      (any working directory)
#
# No mounting, loop devices or root: FAT through mtools, NTFS through libntfs-3g
# (ntfs-populate.c, built here), ext2 through mke2fs -d, tables through sfdisk, containers
# through qemu-img and ewfacquire. Missing Debian packages are installed with
# scripts/ensure-packages.sh. Only Fixtures/trees is read; only Fixtures/images is written; the
# work is done in a temporary folder removed on exit.
#
# Deterministic: fixed volume serials, labels, disk identifiers and GUIDs; every file, folder
# and volume dated 1997-09-04 00:00 UTC (mtools honours SOURCE_DATE_EPOCH; mkfs.fat, mke2fs and
# ewfacquire run under fixed-time.so, an LD_PRELOAD shim fixing the real-time clock; debugfs sets
# the ext2 inode ctimes mke2fs -d copies from the host; ntfs-populate fixes libntfs-3g's clock;
# mkntfs -T gives its system files 1970-01-01 and a fixed serial); files copied in byte order of
# their paths; qemu-img runs with one coroutine (-m 1) and normalize.py replaces the GUIDs, time
# stamps and CIDs it draws at random. Two runs give the same bytes with the same tool versions.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

EPOCH=873331200                                   # 1997-09-04 00:00:00 UTC
export SOURCE_DATE_EPOCH=$EPOCH E2FSPROGS_FAKE_TIME=$EPOCH
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0 MTOOLSRC=/dev/null

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="$(cd "$HERE/../.." && pwd)"
REPO="$(cd "$FIXTURES/.." && pwd)"
TREES="$FIXTURES/trees"
OUT="$FIXTURES/images"

bash "$REPO/scripts/ensure-packages.sh" dosfstools mtools fdisk ntfs-3g ntfs-3g-dev qemu-utils \
    ewf-tools e2fsprogs gcc pkg-config python3

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
mkdir -p out/containers out/hostile

cc -O2 -Wall -o ntfs-populate "$HERE/ntfs-populate.c" $(pkg-config --cflags --libs libntfs-3g)
cc -O2 -Wall -shared -fPIC -o fixed-time.so "$HERE/fixed-time.c" -ldl
HOSTILE="$HERE/hostile.py"
# mkfs.fat dates the root folder's volume-label entry with time(), ignoring SOURCE_DATE_EPOCH.
mkfs_fat() { LD_PRELOAD="$WORK/fixed-time.so" mkfs.fat "$@"; }

S=512             # sector size
P63=63            # Win9x/NT4-era first partition: sector 63 (track 0 left to the MBR)
# The smallest sensible FAT16: 4200 sectors with one-sector clusters gives 4133 clusters (FAT16
# needs 4085 or more; patch-needed-sr1 takes about 2610). Disks are 63 + 4200 sectors rounded up
# to whole KiB. NTFS needs more room than FAT for review-missing-file: 6080 sectors.
FATSEC=4200
DISK=4264
NTFSSEC=6080

# ----------------------------------------------------------------------------- helpers

# stage TREE DIR: a copy of Fixtures/trees/TREE in DIR, every entry dated EPOCH.
stage() {
    rm -rf "$2"
    mkdir -p "$2"
    cp -R "$TREES/$1/." "$2/"
    redate "$2"
}
redate() { find "$1" -exec touch -h -d "@$EPOCH" {} +; }

# fat_put IMAGE SECTOR SRC [DEST]: copies folder SRC into the FAT volume at SECTOR of IMAGE,
# under ::DEST (default the root), folders first, in byte order of the paths (mcopy -s would
# follow the host's readdir order).
fat_put() {
    local image="$1@@$(($2 * S))" src="$3" dest="${4:-}" rel
    while IFS= read -r -d '' rel; do
        rel="${rel#./}"
        if [ -d "$src/$rel" ]; then
            mmd -i "$image" "::$dest/$rel"
        else
            mcopy -m -i "$image" "$src/$rel" "::$dest/$rel"
        fi
    done < <(cd "$src" && find . -mindepth 1 -print0 | sort -z)
}

# mbr IMAGE SECTORS ID LINE...: a new disk of SECTORS sectors with an MBR (disk identifier ID)
# holding the sfdisk partition lines given.
mbr() {
    local image="$1" sectors="$2" id="$3"
    shift 3
    rm -f "$image"
    truncate -s $((sectors * S)) "$image"
    { printf 'label: dos\nlabel-id: %s\nunit: sectors\n' "$id"; printf '%s\n' "$@"; } | sfdisk -q --no-reread --no-tell-kernel "$image"
}

# quiet COMMAND...: runs COMMAND, showing its output only when it fails (mkfs.fat warns about
# every --offset volume that does not fill the file: "block count mismatch").
quiet() {
    local log
    log="$("$@" 2>&1)" || { printf '%s\n' "$log" >&2; return 1; }
}

# fat16 IMAGE SECTOR SECTORS SERIAL LABEL: a FAT16 file system, one sector per cluster.
fat16() {
    quiet mkfs_fat -F 16 -s 1 -f 2 -g 255/63 -i "$4" -n "$5" --offset "$2" -h "$2" "$1" $(($3 / 2))
}

# ntfs_volume FILE SECTORS HIDDEN LABEL SRC: an NTFS partition image filled from SRC.
ntfs_volume() {
    rm -f "$1"
    truncate -s $(($2 * S)) "$1"
    mkntfs -F -Q -q -T -s 512 -c 4096 -p "$3" -H 255 -S 63 -L "$4" "$1" "$2" >/dev/null 2>&1
    ./ntfs-populate -8 "$1" "$5"
}

# put_at DISK SECTOR PART: writes partition image PART into DISK at SECTOR.
put_at() { dd if="$3" of="$1" bs=$S seek="$2" conv=notrunc status=none; }

note() { echo "== $*" >&2; }

# ----------------------------------------------------------------------------- layouts

note floppy-fat12.img
stage review-system-only t
mkfs_fat -F 12 -i 19970901 -n OUTLOOK97 -C out/floppy-fat12.img 1440 >/dev/null
fat_put out/floppy-fat12.img 0 t

note bare-fat16.img
stage up-to-date-sr1 t
rm -f out/bare-fat16.img
truncate -s $((FATSEC * S)) out/bare-fat16.img
mkfs_fat -F 16 -s 1 -f 2 -g 255/63 -i 19970902 -n WIN95 out/bare-fat16.img $((FATSEC / 2)) >/dev/null
fat_put out/bare-fat16.img 0 t

note mbr-fat32.img
# 66592 sectors: 65534 clusters of one sector, just above FAT32's 65525-cluster minimum.
stage patch-needed-sr1 t
mbr out/mbr-fat32.img $((P63 + 66592)) 0x19970903 "start=$P63, size=66592, type=c, bootable"
quiet mkfs_fat -F 32 -s 1 -f 2 -g 255/63 -i 19970903 -n WIN98 --offset $P63 -h $P63 out/mbr-fat32.img $((66592 / 2))
fat_put out/mbr-fat32.img $P63 t
mkdir -p d && printf 'This file was deleted.\r\n' > d/gone.txt && redate d
I="out/mbr-fat32.img@@$((P63 * S))"
mmd -i "$I" "::/Old Stuff"
mcopy -m -i "$I" d/gone.txt "::/WINDOWS/Deleted Long Name.txt"
mcopy -m -i "$I" d/gone.txt "::/Old Stuff/A.TXT"
mdel -i "$I" "::/WINDOWS/Deleted Long Name.txt"
mdeltree -i "$I" "::/Old Stuff"

note mbr-extended.img
# p1 primary FAT16; extended partition (0x05) with two logical FAT16 drives (p5, p6).
# Extended partition at 4264 (its first EBR there), p5 at 4264 + 63, p6 at 8528 + 63 (sfdisk puts
# the second EBR in the sector before it).
mbr out/mbr-extended.img 12792 0x19970904 \
    "start=$P63, size=$FATSEC, type=6, bootable" \
    "start=$DISK, size=8528, type=5" \
    "start=4327, size=$FATSEC, type=6" \
    "start=8591, size=$FATSEC, type=6"
fat16 out/mbr-extended.img $P63 $FATSEC 19970941 DRIVE_C
fat16 out/mbr-extended.img 4327 $FATSEC 19970945 DRIVE_D
fat16 out/mbr-extended.img 8591 $FATSEC 19970946 DRIVE_E
stage patch-needed-sr1 t && fat_put out/mbr-extended.img $P63 t
stage up-to-date-sr1 t && fat_put out/mbr-extended.img 4327 t
rm -rf t && mkdir -p t/GAMES "t/My Documents"
printf 'Shopping list\r\nMilk\r\nBread\r\n' > "t/My Documents/Shopping List.txt"
printf '[Solitaire]\r\nBack=3\r\n' > t/GAMES/SOL.INI
printf 'Backup of drive E:\r\n' > t/README.TXT
redate t && fat_put out/mbr-extended.img 8591 t

note gpt-fat16.img
stage blocked-german t
rm -f out/gpt-fat16.img
truncate -s $(((2048 + FATSEC + 40) * S)) out/gpt-fat16.img
printf '%s\n' 'label: gpt' 'label-id: 19970904-0000-4000-8000-000000000010' 'unit: sectors' \
    "start=2048, size=$FATSEC, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=19970904-0000-4000-8000-000000000011, name=\"Basic data partition\"" \
    | sfdisk -q --no-reread --no-tell-kernel out/gpt-fat16.img
fat16 out/gpt-fat16.img 2048 $FATSEC 19970905 GERMAN
fat_put out/gpt-fat16.img 2048 t

note mbr-ntfs.img
# NT4-style: NTFS (0x07) at sector 63. The tree's own names (WINNT/SYSTEM32/EMSMDB32.DLL, ...);
# 8.3 names PROGRA~1 and MICROS~1 on the two long folder names; upper-case 8.3 names get
# themselves as DOS name (-8: Win32&DOS namespace); one unrelated deleted file.
stage up-to-date-nt-standalone t
echo PROGRA~1 > "t/Program Files.dosname"
echo MICROS~1 > "t/Program Files/Microsoft Outlook.dosname"
printf 'Setup finished.\r\n' > "t/WINNT/Old Setup Log.txt" && touch "t/WINNT/Old Setup Log.txt.delete"
redate t
ntfs_volume ntfs.part $NTFSSEC $P63 NT4 t
mbr out/mbr-ntfs.img $((P63 + NTFSSEC + 1)) 0x19970906 "start=$P63, size=$NTFSSEC, type=7, bootable"
put_at out/mbr-ntfs.img $P63 ntfs.part

note hostile/ntfs-dos-name-match.img
# A watched file known by its 8.3 (DOS) name only: its Win32 name is another.
stage up-to-date-nt-standalone t
mv t/WINNT/SYSTEM32/EMSMDB32.DLL "t/WINNT/SYSTEM32/Exchange transport.dll"
echo EMSMDB32.DLL > "t/WINNT/SYSTEM32/Exchange transport.dll.dosname"
redate t
ntfs_volume ntfs.part $NTFSSEC $P63 DOSNAME t
mkdir -p out/hostile
mbr out/hostile/ntfs-dos-name-match.img $((P63 + NTFSSEC + 1)) 0x19970955 "start=$P63, size=$NTFSSEC, type=7, bootable"
put_at out/hostile/ntfs-dos-name-match.img $P63 ntfs.part

note mbr-fat16-ext2.img
stage patch-needed-sr1 t
mbr out/mbr-fat16-ext2.img $((DISK + 2048)) 0x19970907 \
    "start=$P63, size=$FATSEC, type=6, bootable" \
    "start=$DISK, size=2048, type=83"
fat16 out/mbr-fat16-ext2.img $P63 $FATSEC 19970907 DOS
fat_put out/mbr-fat16-ext2.img $P63 t
# The ext2 volume holds a copy of up-to-date-sr1 under backup/: a scanner that reads it instead
# of skipping it finds a second (up-to-date) installation.
rm -rf x && mkdir -p x/etc x/backup
printf 'linuxbox\n' > x/etc/hostname
cp -R "$TREES/up-to-date-sr1/." x/backup/
redate x
rm -f ext2.part
truncate -s 1M ext2.part
LD_PRELOAD="$WORK/fixed-time.so" quiet mke2fs -q -F -t ext2 -b 1024 -I 256 -N 64 -m 0 -L linux -U 19970904-0000-4000-8000-000000000020 \
    -E hash_seed=19970904-0000-4000-8000-000000000021,root_owner=0:0 -d x ext2.part 1024
# mke2fs -d copies each host file's ctime (which touch cannot set): set every inode's ctime.
( cd x && find . -mindepth 1 | sort | sed 's|^\.\(.*\)$|sif "\1" ctime 19970904000000|' ) > ext2.cmds
printf 'sif / ctime 19970904000000\nsif /lost+found ctime 19970904000000\n' >> ext2.cmds
LD_PRELOAD="$WORK/fixed-time.so" quiet debugfs -w -f ext2.cmds ext2.part
put_at out/mbr-fat16-ext2.img $DISK ext2.part

note deleted-fat16.img
# review-missing-file plus its missing file (WINDOWS/SYSTEM/EMSUI32.DLL, the same bytes as in
# patch-needed-sr1) written into its folder in order and then deleted with mdel.
stage review-missing-file t
cp "$TREES/patch-needed-sr1/WINDOWS/SYSTEM/EMSUI32.DLL" t/WINDOWS/SYSTEM/ && redate t
mbr out/deleted-fat16.img $DISK 0x19970908 "start=$P63, size=$FATSEC, type=6, bootable"
fat16 out/deleted-fat16.img $P63 $FATSEC 19970908 DELETED
fat_put out/deleted-fat16.img $P63 t
mdel -i "out/deleted-fat16.img@@$((P63 * S))" ::/WINDOWS/SYSTEM/EMSUI32.DLL

note deleted-ntfs.img
stage review-missing-file t
cp "$TREES/patch-needed-sr1/WINDOWS/SYSTEM/EMSUI32.DLL" t/WINDOWS/SYSTEM/
touch t/WINDOWS/SYSTEM/EMSUI32.DLL.delete
echo PROGRA~1 > "t/Program Files.dosname"
echo MICROS~1 > "t/Program Files/Microsoft Office.dosname"
redate t
ntfs_volume ntfs.part $NTFSSEC $P63 DELETED t
mbr out/deleted-ntfs.img $((P63 + NTFSSEC + 1)) 0x19970909 "start=$P63, size=$NTFSSEC, type=7, bootable"
put_at out/deleted-ntfs.img $P63 ntfs.part

# ----------------------------------------------------------------------------- containers

note containers
C=out/containers
stage patch-needed-sr1 t
mbr $C/pc42.img $DISK 0x19970942 "start=$P63, size=$FATSEC, type=6, bootable"
fat16 $C/pc42.img $P63 $FATSEC 19970942 PC42
fat_put $C/pc42.img $P63 t
RAW=$C/pc42.img
qemu-img convert -m 1 -f raw -O vpc -o subformat=fixed,force_size=on "$RAW" $C/pc42-fixed.vhd
qemu-img convert -m 1 -f raw -O vpc -o subformat=dynamic,force_size=on "$RAW" $C/pc42-dynamic.vhd
qemu-img convert -m 1 -f raw -O vhdx -o subformat=dynamic,block_size=1M,log_size=1M "$RAW" $C/pc42.vhdx
python3 "$HERE/normalize.py" --compact-vhdx $C/pc42.vhdx
qemu-img convert -m 1 -f raw -O vmdk -o subformat=monolithicSparse "$RAW" $C/pc42.vmdk
qemu-img convert -m 1 -f raw -O vmdk -o subformat=streamOptimized "$RAW" $C/pc42-stream.vmdk
qemu-img convert -m 1 -f raw -O vmdk -o subformat=monolithicFlat "$RAW" $C/pc42-flat.vmdk
qemu-img convert -m 1 -f raw -O vmdk -o subformat=twoGbMaxExtentSparse "$RAW" $C/pc42-split.vmdk
qemu-img convert -m 1 -f raw -O qcow2 "$RAW" $C/pc42.qcow2
python3 "$HERE/normalize.py" $C/pc42-fixed.vhd $C/pc42-dynamic.vhd $C/pc42.vhdx \
    $C/pc42.vmdk $C/pc42-stream.vmdk $C/pc42-flat.vmdk $C/pc42-split.vmdk
EWF=(-u -q -C PC42 -D "patchaudit fixture pc42" -e patchaudit -E pc42 -N "-" -m fixed -M physical -f encase6)
( cd $C && LD_PRELOAD="$WORK/fixed-time.so" ewfacquire "${EWF[@]}" -c deflate:fast -t pc42 pc42.img </dev/null >/dev/null )
# 1 MiB is ewfacquire's smallest segment size; uncompressed, the 2.1 MB disk takes 3 segments.
( cd $C && LD_PRELOAD="$WORK/fixed-time.so" ewfacquire "${EWF[@]}" -c none -S 1048576 -t pc42-split pc42.img </dev/null >/dev/null )
split -b 1M -d -a 3 --numeric-suffixes=1 "$RAW" $C/pc42.raw.

# ----------------------------------------------------------------------------- hostile

note hostile
H=out/hostile
python3 "$HOSTILE" garbage $H/garbage.img
python3 "$HOSTILE" cut $C/pc42.E01 $H/truncated.E01
python3 "$HOSTILE" cut $C/pc42-dynamic.vhd $H/truncated.vhd
python3 "$HOSTILE" cut-after-fat $RAW $P63 $H/truncated-mbr.img
python3 "$HOSTILE" partition-past-end $H/partition-past-end.img

bare_fat16() {   # bare_fat16 IMAGE SERIAL LABEL: a bare FAT16 volume of FATSEC sectors
    rm -f "$1"
    truncate -s $((FATSEC * S)) "$1"
    mkfs_fat -F 16 -s 1 -f 2 -g 255/63 -i "$2" -n "$3" "$1" $((FATSEC / 2)) >/dev/null
}

stage patch-needed-sr1 t
mkdir -p t/LOOP/SUB && printf 'inside\r\n' > t/LOOP/SUB/FILE.TXT && redate t
bare_fat16 $H/fat-dir-loop.img 19970951 LOOP
fat_put $H/fat-dir-loop.img 0 t
python3 "$HOSTILE" dir-loop $H/fat-dir-loop.img 0 LOOP/SUB

stage patch-needed-sr1 t
python3 -c 'import sys
for name, word in (("t/README.TXT", b"readme"), ("t/NOTES.TXT", b"notes ")):
    open(name, "wb").write(b"".join(b"%s line %04d --------------------\r\n" % (word, i) for i in range(103))[:4096])'
redate t
bare_fat16 $H/fat-crosslinked.img 19970952 CROSSLINK
fat_put $H/fat-crosslinked.img 0 t
python3 "$HOSTILE" crosslink $H/fat-crosslinked.img 0 NOTES.TXT README.TXT

cp $RAW $H/fat-file-larger-than-volume.img
python3 "$HOSTILE" size $H/fat-file-larger-than-volume.img $P63 WINDOWS/SYSTEM/EMSMDB32.DLL 0xFFFFFFF0

stage patch-needed-sr1 t
bare_fat16 $H/fat-deep.img 19970953 DEEP
deep=""
for _ in $(seq 100); do deep="$deep/D"; mmd -i $H/fat-deep.img "::$deep"; done
fat_put $H/fat-deep.img 0 t "$deep"

# Found by the second reader of the image reader (each once crashed it or gave a silent verdict).
python3 "$HOSTILE" gpt-huge out/gpt-fat16.img $H/gpt-huge-partition.img
python3 "$HOSTILE" ebr-broken out/mbr-extended.img $H/ebr-broken.img
python3 "$HOSTILE" vmdk-trap $C/pc42.vmdk $H/vmdk-descriptor-overflow.vmdk
python3 "$HOSTILE" add-partition $RAW 0a $H/boot-manager-partition.img
python3 "$HOSTILE" add-partition $RAW 0b $H/empty-fat32-partition.img
python3 "$HOSTILE" ebr-reorder out/mbr-extended.img $H/ebr-chain-out-of-order.img
stage up-to-date-sr1 t
python3 "$HOSTILE" zip-bad-crc t t.zip && touch -d @873331200 t.zip
rm -f $H/zip-bad-crc-on-fat.img
mkfs_fat -F 12 -i 19970954 -n BADCRC -C $H/zip-bad-crc-on-fat.img 1440 >/dev/null
mcopy -i $H/zip-bad-crc-on-fat.img -m t.zip ::/BACKUP.ZIP
rm -f t.zip

# ----------------------------------------------------------------------------- finish

python3 "$HERE/expected.py" > out/expected.json

mkdir -p "$OUT"
find "$OUT" -mindepth 1 ! -name README.md ! -name .gitattributes -delete
cp -R out/. "$OUT/"
( cd "$OUT" && find . -type f ! -name README.md ! -name .gitattributes ! -name expected.json | sort | xargs sha256sum ) > "$WORK/sums"
note "$(find "$OUT" -type f | wc -l) files, $(du -sb --apparent-size "$OUT" | cut -f1) bytes in $OUT"
note "digest $(sha256sum < "$WORK/sums" | cut -c1-16)"
