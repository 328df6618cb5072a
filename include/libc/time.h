/*
 * <time.h> — clocks and sleeping through clock_gettime64 and
 * clock_nanosleep_time64 (rv32 is time64-only). Under faultline the time
 * is virtual (from retired instructions) unless the run asks for the
 * host's.
 */
#ifndef FAULTLINE_LIBC_TIME_H
#define FAULTLINE_LIBC_TIME_H

#include <sys/types.h>

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define TIMER_ABSTIME 1

/* 64-bit seconds; nanoseconds in 0..999999999. */
struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

int clock_gettime(clockid_t clock, struct timespec *ts);
/* Sleeps until `req` has passed (or, with TIMER_ABSTIME, until that time).
 * Returns 0 or a positive error number (not errno), as POSIX says. */
int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem);
/* clock_nanosleep(CLOCK_REALTIME, 0, ...); 0, or -1 and errno. */
int nanosleep(const struct timespec *req, struct timespec *rem);
/* Seconds since the epoch (CLOCK_REALTIME); also stored in *t unless NULL. */
time_t time(time_t *t);

#endif /* FAULTLINE_LIBC_TIME_H */
