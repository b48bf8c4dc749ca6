#include "crash_note.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define NOTE_CAPACITY 4000

static volatile int note_fd = -1;
static unsigned char note[NOTE_CAPACITY];
static volatile size_t note_length = 0;

void pa_crash_note_set(const void *bytes, size_t count) {
    if (note_fd < 0) return;
    if (count > NOTE_CAPACITY) count = NOTE_CAPACITY;
    note_length = 0;
    memcpy(note, bytes, count);
    note_length = count;
}

void pa_crash_note_clear(void) {
    note_length = 0;
}

// Async-signal-safe: only write(2) on a stack buffer, no allocation, no locks.
static void write_note(int signal_number) {
    unsigned char frame[4 + 1 + 4 + NOTE_CAPACITY];
    size_t count = note_length;
    if (count > NOTE_CAPACITY) count = NOTE_CAPACITY;
    uint32_t length = (uint32_t)(1 + 4 + count);
    frame[0] = (unsigned char)(length & 0xff);
    frame[1] = (unsigned char)((length >> 8) & 0xff);
    frame[2] = (unsigned char)((length >> 16) & 0xff);
    frame[3] = (unsigned char)((length >> 24) & 0xff);
    frame[4] = 3;
    uint32_t number = (uint32_t)signal_number;
    frame[5] = (unsigned char)(number & 0xff);
    frame[6] = (unsigned char)((number >> 8) & 0xff);
    frame[7] = (unsigned char)((number >> 16) & 0xff);
    frame[8] = (unsigned char)((number >> 24) & 0xff);
    memcpy(frame + 9, note, count);
    size_t total = 9 + count, done = 0;
    while (done < total) {
        ssize_t wrote = write(note_fd, frame + done, total - done);
        if (wrote <= 0) break;
        done += (size_t)wrote;
    }
}

static void on_fatal(int signal_number) {
    write_note(signal_number);
    // SA_RESETHAND restored the default action: die of the same signal.
    raise(signal_number);
}

static void on_request(int signal_number) {
    write_note(signal_number);
}

// The handler's own stack, so a stack overflow (SIGSEGV on a full stack) still gets its note out.
static unsigned char alternate_stack[64 * 1024];

void pa_crash_note_install(int fd) {
    note_fd = fd;
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    sigaltstack(&stack, NULL);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGXCPU};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_fatal;
    action.sa_flags = SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaction(fatal[i], &action, NULL);
    struct sigaction request;
    memset(&request, 0, sizeof request);
    request.sa_handler = on_request;
    request.sa_flags = SA_RESTART;
    sigemptyset(&request.sa_mask);
    sigaction(SIGUSR1, &request, NULL);
}

void pa_test_segfault(void) {
    volatile int *nowhere = (volatile int *)(uintptr_t)8;
    *nowhere = 1;
}

void pa_test_spin(void) {
    volatile unsigned long counter = 0;
    for (;;) counter++;
}
