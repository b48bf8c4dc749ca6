#ifndef PATCHAUDIT_CTSK_SHIM_H
#define PATCHAUDIT_CTSK_SHIM_H

// The Sleuth Kit (Debian's libtsk-dev 4.11: raw, E01, VHD/VHDX, VMDK images; DOS and GPT
// partition tables; FAT and NTFS) and libqcow (Debian's libqcow-dev: QCOW2, which TSK 4.11
// does not read; handed to TSK as an external image).
#include <tsk/libtsk.h>
#include <libqcow.h>

// Exported by libtsk but declared only in its internal header: the allocation an external
// image must come from (zeroed, with its cache lock set up) and its release.
extern void *tsk_img_malloc(size_t);
extern void tsk_img_free(void *);

#endif
