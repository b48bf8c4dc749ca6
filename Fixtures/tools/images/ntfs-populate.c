/* ntfs-populate [-8] IMAGE SRCDIR: copies a host folder tree into the root of an NTFS volume held
 * in a plain file (a partition image made by mkntfs), through libntfs-3g: no mounting, no root.
 *
 *   cc -O2 -o ntfs-populate ntfs-populate.c $(pkg-config --cflags --libs libntfs-3g)
 *
 * Markers beside an entry NAME in SRCDIR (never copied themselves):
 *   NAME.dosname  first word is an 8.3 short name to give NAME (the long name then lives in the
 *                 Win32 namespace and the short one in the DOS namespace, as Windows writes them)
 *   NAME.delete   NAME (a file, at any depth) is written, then deleted once the whole tree is in:
 *                 its MFT record is marked free, its clusters are released and its index entry
 *                 removed, but the record keeps its name, parent reference and data runs (what a
 *                 deleted file looks like on NTFS); deleting last keeps later files from reusing
 *                 the record
 * -8: an entry whose name already is a valid upper-case 8.3 name (WINNT, EMSMDB32.DLL) gets that
 *     name as its DOS name too, which makes it one Win32&DOS name as Windows stores such names.
 *
 * Deterministic: entries are copied in byte order of their names (not readdir order), and every
 * time libntfs-3g asks for (creation, modification, MFT change, access) is SOURCE_DATE_EPOCH
 * (default 873331200, 1997-09-04 00:00 UTC): this program defines clock_gettime, gettimeofday
 * and time, which the library's own calls bind to. random() is seeded with a constant. */
#define _GNU_SOURCE
/* libntfs-3g's installed headers expect its config.h macros (they include these headers only
 * when told they exist). */
#define HAVE_STDARG_H 1
#define HAVE_STDDEF_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDIO_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_TIME_H 1
#define HAVE_CLOCK_GETTIME 1
#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/unistr.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static time_t fixed_epoch = 873331200;

/* Interposed for libntfs-3g (ntfs_current_time calls clock_gettime). */
int clock_gettime(clockid_t clk, struct timespec *ts) {
    (void)clk;
    ts->tv_sec = fixed_epoch;
    ts->tv_nsec = 0;
    return 0;
}
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    (void)tz;
    tv->tv_sec = fixed_epoch;
    tv->tv_usec = 0;
    return 0;
}
time_t time(time_t *t) {
    if (t) *t = fixed_epoch;
    return fixed_epoch;
}

static int dos_self = 0;

/* Files marked .delete are deleted after the whole tree is written, so that no later file
 * reuses their MFT records (libntfs-3g hands out the lowest free record). */
struct pending { u64 dir, file; char *name; };
static struct pending *pending;
static size_t npending;

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && !strcmp(s + n - m, suffix);
}

static int skip_marker(const struct dirent *e) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) return 0;
    return !has_suffix(e->d_name, ".dosname") && !has_suffix(e->d_name, ".delete");
}

static int by_bytes(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* A valid upper-case 8.3 name: 1-8 characters, optionally a dot and 1-3 more, no lower case,
 * no characters DOS names forbid. */
static int is_upper_83(const char *name) {
    const char *dot = strchr(name, '.');
    size_t base = dot ? (size_t)(dot - name) : strlen(name);
    size_t ext = dot ? strlen(dot + 1) : 0;
    if (base < 1 || base > 8 || (dot && (ext < 1 || ext > 3 || strchr(dot + 1, '.')))) return 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (p == dot) continue;
        if (c <= ' ' || c >= 0x7f || islower(c) || strchr("\"*+,/:;<=>?[\\]|", c)) return 0;
    }
    return 1;
}

static int write_file(ntfs_inode *ni, const char *path) {
    ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
    int fd = open(path, O_RDONLY);
    char buf[65536];
    ssize_t r;
    s64 pos = 0;
    if (!na || fd < 0) { perror(path); return -1; }
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        if (ntfs_attr_pwrite(na, pos, r, buf) != r) { perror("ntfs_attr_pwrite"); return -1; }
        pos += r;
    }
    if (r < 0) { perror(path); return -1; }
    close(fd);
    ntfs_attr_close(na);
    return 0;
}

/* The folder is passed by MFT number: ntfs_set_ntfs_dos_name and ntfs_delete close both
 * inodes, so the folder is reopened for each entry. */
static int copy_tree(ntfs_volume *vol, u64 dir_mref, const char *src) {
    struct dirent **list;
    int count = scandir(src, &list, skip_marker, by_bytes);
    if (count < 0) { perror(src); return -1; }
    for (int i = 0; i < count; i++) {
        const char *name = list[i]->d_name;
        char path[4096], marker[4200], dos[32] = {0};
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", src, name);
        if (lstat(path, &st)) { perror(path); return -1; }
        int is_dir = S_ISDIR(st.st_mode);
        if (!is_dir && !S_ISREG(st.st_mode)) { fprintf(stderr, "%s: not a file or folder\n", path); return -1; }

        ntfs_inode *dir_ni = ntfs_inode_open(vol, dir_mref);
        if (!dir_ni) { perror("ntfs_inode_open"); return -1; }
        ntfschar *uname = NULL;
        int ulen = ntfs_mbstoucs(name, &uname);
        if (ulen < 0) { perror("ntfs_mbstoucs"); return -1; }
        ntfs_inode *ni = ntfs_create(dir_ni, const_cpu_to_le32(0), uname, ulen, is_dir ? S_IFDIR : S_IFREG);
        if (!ni) { perror(path); return -1; }
        u64 child = ni->mft_no;
        if (!is_dir && write_file(ni, path)) return -1;

        snprintf(marker, sizeof marker, "%s.delete", path);
        if (!access(marker, F_OK)) {
            if (is_dir) { fprintf(stderr, "%s: .delete is for files only\n", path); return -1; }
            pending = realloc(pending, (npending + 1) * sizeof *pending);
            if (!pending) { perror("realloc"); return -1; }
            pending[npending++] = (struct pending){ dir_mref, child, strdup(name) };
        }
        free(uname);

        snprintf(marker, sizeof marker, "%s.dosname", path);
        FILE *df = fopen(marker, "r");
        int have_dos = df && fscanf(df, "%31s", dos) == 1;
        if (df) fclose(df);
        if (!have_dos && dos_self && is_upper_83(name)) {
            snprintf(dos, sizeof dos, "%s", name);
            have_dos = 1;
        }
        if (have_dos) {
            if (ntfs_set_ntfs_dos_name(ni, dir_ni, dos, strlen(dos), 0)) {
                fprintf(stderr, "%s: cannot set DOS name %s: ", path, dos);
                perror("");
                return -1;
            }                                         /* closed both inodes */
        } else {
            if (ntfs_inode_close_in_dir(ni, dir_ni) || ntfs_inode_close(dir_ni)) { perror("close"); return -1; }
        }
        if (is_dir && copy_tree(vol, child, path)) return -1;
    }
    for (int i = 0; i < count; i++) free(list[i]);
    free(list);
    return 0;
}

int main(int argc, char **argv) {
    int a = 1;
    if (a < argc && !strcmp(argv[a], "-8")) { dos_self = 1; a++; }
    if (argc - a != 2) { fprintf(stderr, "usage: %s [-8] ntfs-partition.img srcdir\n", argv[0]); return 2; }
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) fixed_epoch = (time_t)strtoll(sde, NULL, 10);
    srandom(19970904);
    ntfs_volume *vol = ntfs_mount(argv[a], 0);
    if (!vol) { perror("ntfs_mount"); return 1; }
    int rc = copy_tree(vol, FILE_root, argv[a + 1]);
    for (size_t i = 0; !rc && i < npending; i++) {
        ntfs_inode *dir_ni = ntfs_inode_open(vol, pending[i].dir);
        ntfs_inode *ni = dir_ni ? ntfs_inode_open(vol, pending[i].file) : NULL;
        ntfschar *uname = NULL;
        int ulen = ntfs_mbstoucs(pending[i].name, &uname);
        if (!ni || ulen < 0 || ntfs_delete(vol, NULL, ni, dir_ni, uname, ulen)) {
            perror(pending[i].name);                  /* ntfs_delete closes both inodes */
            rc = -1;
        }
        free(uname);
        free(pending[i].name);
    }
    if (ntfs_umount(vol, FALSE)) { perror("ntfs_umount"); return 1; }
    return rc ? 1 : 0;
}
