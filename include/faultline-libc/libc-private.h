/*
 * faultline-libc/libc-private.h — what the C library's own files share and
 * programs do not see: the system-call numbers it uses beyond the
 * runtime's, the errno convention, and the stdio hooks exit() needs.
 */
#ifndef FAULTLINE_LIBC_PRIVATE_H
#define FAULTLINE_LIBC_PRIVATE_H

#include "../faultline-rt/syscall.h"
#include <errno.h>
#include <stdio.h>

/* Linux asm-generic numbers (rv32: time64 and 64-bit-offset variants). */
#define SYS_getcwd 17
#define SYS_dup 23
#define SYS_dup3 24
#define SYS_fcntl64 25
#define SYS_ioctl 29
#define SYS_mkdirat 34
#define SYS_unlinkat 35
#define SYS_ftruncate64 46
#define SYS_faccessat 48
#define SYS_chdir 49
#define SYS_openat 56
#define SYS_close 57
#define SYS_pipe2 59
#define SYS_getdents64 61
#define SYS_llseek 62
#define SYS_readv 65
#define SYS_writev 66
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_tgkill 131
#define SYS_uname 160
#define SYS_renameat2 276
#define SYS_getrandom 278
#define SYS_statx 291
#define SYS_clock_gettime64 403
#define SYS_clock_nanosleep_time64 407

/*
 * Turns a kernel result into the C library's: a negative errno becomes -1
 * with errno set; anything else is returned unchanged.
 */
static inline long __libc_ret(long r)
{
    if (sys_failed(r)) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* The two 32-bit halves of a 64-bit system-call argument, low first (the
 * ilp32 register-pair order the kernel's 64-bit parameters take). */
#define LO32(v) ((long)(uint32_t)(uint64_t)(v))
#define HI32(v) ((long)(uint32_t)((uint64_t)(v) >> 32))

/* struct __kernel_timespec: both fields 64-bit. */
struct __libc_kts {
    int64_t sec;
    int64_t nsec;
};

/* ---- what stdio.c gives the printf engine (format.c) and exit() ---- */

/* Flushes every open stream (exit() calls it). */
void __libc_flush_all(void);
/* Locks and unlocks a stream. */
void __libc_lock_file(FILE *f);
void __libc_unlock_file(FILE *f);
/* Appends n bytes to f's output; 0 or EOF. Caller holds f's lock. */
int __libc_put_unlocked(FILE *f, const char *p, size_t n);
/* Non-zero once f has had an error. Caller holds f's lock. */
int __libc_error_unlocked(FILE *f);
/* Gives an unbuffered stream `tmp` as its buffer until __libc_call_flush(),
 * so one printf is one write. Caller holds f's lock throughout. */
void __libc_call_buffer(FILE *f, unsigned char *tmp, size_t size);
void __libc_call_flush(FILE *f);

#endif /* FAULTLINE_LIBC_PRIVATE_H */
