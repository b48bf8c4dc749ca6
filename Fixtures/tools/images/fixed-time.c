/* fixed-time.so: LD_PRELOAD shim that makes the wall clock read SOURCE_DATE_EPOCH (default
 * 873331200, 1997-09-04 00:00 UTC) for tools with no option for it (ewfacquire writes the
 * acquisition and system dates into E01 headers). Only the real-time clock is fixed; monotonic
 * clocks pass through, so timeouts and progress code still work.
 *   cc -shared -fPIC -O2 -o fixed-time.so fixed-time.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static time_t epoch(void) {
    const char *s = getenv("SOURCE_DATE_EPOCH");
    return s && *s ? (time_t)strtoll(s, NULL, 10) : (time_t)873331200;
}

time_t time(time_t *t) {
    time_t now = epoch();
    if (t) *t = now;
    return now;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    (void)tz;
    tv->tv_sec = epoch();
    tv->tv_usec = 0;
    return 0;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
        ts->tv_sec = epoch();
        ts->tv_nsec = 0;
        return 0;
    }
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    return real(clock, ts);
}
