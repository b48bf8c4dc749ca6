#ifndef PATCHAUDIT_CLIBARCHIVE_SHIM_H
#define PATCHAUDIT_CLIBARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

// A UTF-8 character-type locale for the reading thread (uselocale), so libarchive hands out
// UTF-8 entry names as they are; LC_CTYPE_MASK is a macro Swift cannot import.
static inline locale_t pa_utf8_locale(void) {
    locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    return loc;
}

// Return codes and entry types are macros Swift may not import; give them typed constants.
static const int PA_ARCHIVE_EOF = ARCHIVE_EOF;
static const int PA_ARCHIVE_OK = ARCHIVE_OK;
static const int PA_ARCHIVE_RETRY = ARCHIVE_RETRY;
static const int PA_ARCHIVE_WARN = ARCHIVE_WARN;
static const int PA_ARCHIVE_FAILED = ARCHIVE_FAILED;
static const int PA_ARCHIVE_FATAL = ARCHIVE_FATAL;

static const unsigned int PA_AE_IFMT = AE_IFMT;
static const unsigned int PA_AE_IFREG = AE_IFREG;
static const unsigned int PA_AE_IFDIR = AE_IFDIR;
static const unsigned int PA_AE_IFLNK = AE_IFLNK;

// Filters appended by code (archive_read_append_filter): patchaudit decides the filter chain
// from the bytes itself instead of letting libarchive bid filter after filter.
static const int PA_ARCHIVE_FILTER_GZIP = ARCHIVE_FILTER_GZIP;
static const int PA_ARCHIVE_FILTER_BZIP2 = ARCHIVE_FILTER_BZIP2;
static const int PA_ARCHIVE_FILTER_XZ = ARCHIVE_FILTER_XZ;
static const int PA_ARCHIVE_FILTER_LZMA = ARCHIVE_FILTER_LZMA;
static const int PA_ARCHIVE_FILTER_ZSTD = ARCHIVE_FILTER_ZSTD;

// archive_set_error is variadic, which Swift cannot call: a fixed-format wrapper for the
// read callbacks, so libarchive's error string says what our source found.
static inline void pa_set_error(struct archive *a, int code, const char *message) {
    archive_set_error(a, code, "%s", message);
}

static const int PA_ARCHIVE_FORMAT_BASE_MASK = ARCHIVE_FORMAT_BASE_MASK;
static const int PA_ARCHIVE_FORMAT_ZIP = ARCHIVE_FORMAT_ZIP;
static const int PA_ARCHIVE_FORMAT_TAR = ARCHIVE_FORMAT_TAR;
static const int PA_ARCHIVE_FORMAT_7ZIP = ARCHIVE_FORMAT_7ZIP;
static const int PA_ARCHIVE_FORMAT_CAB = ARCHIVE_FORMAT_CAB;
static const int PA_ARCHIVE_FORMAT_ISO9660 = ARCHIVE_FORMAT_ISO9660;

#endif
