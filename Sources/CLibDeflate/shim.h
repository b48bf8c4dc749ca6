#ifndef PATCHAUDIT_CLIBDEFLATE_SHIM_H
#define PATCHAUDIT_CLIBDEFLATE_SHIM_H

// Debian's libdeflate-dev (1.14): whole-buffer DEFLATE decompression and its CRC-32, for zip
// entries whose bytes patchaudit locates itself (ArchiveWalk+ZipInPlace.swift).
#include <libdeflate.h>

#endif
