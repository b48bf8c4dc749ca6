#ifndef PATCHAUDIT_CRASH_NOTE_H
#define PATCHAUDIT_CRASH_NOTE_H

#include <stddef.h>

// What a worker process was reading, kept where a signal handler can reach it without
// allocating: a fixed buffer, written by the one thread that scans and read by the handler.
//
// pa_crash_note_install(fd) makes the worker write, on a fatal signal (SIGSEGV, SIGBUS,
// SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGXCPU) or on SIGUSR1 (the supervisor asking before it
// stops a worker that ran out of time or memory), one frame to `fd`:
//     uint32 length (little endian, of what follows) | uint8 type 3 | int32 signal | note bytes
// then, for a fatal signal, dies of that signal as it would have. Until installed, setting
// the note costs one branch.
void pa_crash_note_install(int fd);
void pa_crash_note_set(const void *bytes, size_t count);
void pa_crash_note_clear(void);

// Test hooks (the worker honours them in debug builds only): a real fault in C code.
void pa_test_segfault(void);
void pa_test_spin(void);

#endif
