/*
 * faultline-picolibc.c — runs programs built against Debian's picolibc
 * (package picolibc-riscv64-unknown-elf) as Linux user processes under
 * faultline and qemu-riscv32. Build (see docs/c-programs.md):
 *
 *     riscv64-unknown-elf-gcc --specs=picolibc.specs -march=rv32ima -mabi=ilp32 \
 *         -static -nostartfiles -O2 -T include/picolibc/faultline.ld \
 *         -o prog prog.c include/picolibc/faultline-picolibc.c
 *
 * picolibc is made for bare machines: its own crt0 sets a stack and copies
 * data from flash. Here the loader has done that, so -nostartfiles drops
 * picolibc's crt0 and this file gives:
 *
 *   - _start: gp, the thread pointer on a copy of the TLS image (errno is
 *     a __thread variable in picolibc), constructors, then
 *     exit(main(argc, argv, envp)) with argc/argv/envp from the Linux
 *     initial stack;
 *   - the POSIX calls picolibc's library calls (read, write, open, close,
 *     lseek, fstat, stat, unlink, _exit, sbrk for malloc, getentropy,
 *     gettimeofday, times, getpid, kill, sigprocmask) as Linux rv32
 *     system calls, translating picolibc's open flags, struct stat and
 *     errno numbers from and to Linux's;
 *   - stdin (buffered), stdout (line-buffered) and stderr (unbuffered) on
 *     descriptors 0, 1 and 2 through picolibc's bufio streams, so fopen'd
 *     files and the standard streams share one implementation.
 *
 * exit() flushes stdout and stderr; a file opened with fopen must be
 * fclose'd (tinystdio keeps no list of open streams).
 */
#include <errno.h>
#include <fcntl.h>
#include <picotls.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio-bufio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

/* ---- Linux rv32 system calls ------------------------------------------- */

#define LX_getcwd 17
#define LX_openat 56
#define LX_close 57
#define LX_read 63
#define LX_write 64
#define LX_llseek 62
#define LX_unlinkat 35
#define LX_exit_group 94
#define LX_kill 129
#define LX_rt_sigprocmask 135
#define LX_getpid 172
#define LX_brk 214
#define LX_getrandom 278
#define LX_statx 291
#define LX_clock_gettime64 403

#define LX_AT_FDCWD (-100)
#define LX_AT_EMPTY_PATH 0x1000

static long lx_call(long n, long a, long b, long c, long d, long e)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
    return a0;
}

/* Linux's errno numbers above 34 differ from picolibc's (newlib's). */
static int from_linux_errno(int e)
{
    if (e <= 34)
        return e; /* EPERM..ERANGE: the same numbers in both */
    switch (e) {
    case 35: return EDEADLK;
    case 36: return ENAMETOOLONG;
    case 37: return ENOLCK;
    case 38: return ENOSYS;
    case 39: return ENOTEMPTY;
    case 40: return ELOOP;
    case 75: return EOVERFLOW;
    case 95: return ENOTSUP;
    case 110: return ETIMEDOUT;
    default: return EINVAL;
    }
}

/* A kernel result as the C library wants it: -1 and errno on failure. */
static long lx_ret(long r)
{
    if ((unsigned long)r >= (unsigned long)-4095) {
        errno = from_linux_errno((int)-r);
        return -1;
    }
    return r;
}

/* ---- process --------------------------------------------------------- */

void _exit(int status)
{
    for (;;)
        lx_call(LX_exit_group, status, 0, 0, 0, 0);
}

pid_t getpid(void)
{
    return (pid_t)lx_call(LX_getpid, 0, 0, 0, 0, 0);
}

int kill(pid_t pid, int sig)
{
    return (int)lx_ret(lx_call(LX_kill, pid, sig, 0, 0, 0));
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    /* Linux's rt_sigprocmask with its 8-byte mask; picolibc's sigset_t is one word */
    uint32_t in[2] = { set != NULL ? (uint32_t)*set : 0, 0 }, out[2] = { 0, 0 };
    long r = lx_ret(lx_call(LX_rt_sigprocmask, how, set != NULL ? (long)in : 0, (long)out, 8, 0));
    if (r == 0 && old != NULL)
        *old = (sigset_t)out[0];
    return (int)r;
}

/* The program break, grown on demand: malloc's memory. */
void *sbrk(ptrdiff_t incr)
{
    static uintptr_t current;
    if (current == 0)
        current = (uintptr_t)lx_call(LX_brk, 0, 0, 0, 0, 0);
    uintptr_t old = current, want = current + (uintptr_t)incr;
    if (incr != 0 && (uintptr_t)lx_call(LX_brk, (long)want, 0, 0, 0, 0) != want) {
        errno = ENOMEM;
        return (void *)-1;
    }
    current = want;
    return (void *)old;
}

int getentropy(void *buf, size_t len)
{
    if (len > 256) {
        errno = EIO;
        return -1;
    }
    for (size_t done = 0; done < len;) {
        long r = lx_ret(lx_call(LX_getrandom, (long)((char *)buf + done), (long)(len - done), 0, 0, 0));
        if (r < 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    int64_t ts[2];
    if (lx_ret(lx_call(LX_clock_gettime64, 0 /* CLOCK_REALTIME */, (long)ts, 0, 0, 0)) < 0)
        return -1;
    if (tv != NULL) {
        tv->tv_sec = (time_t)ts[0];
        tv->tv_usec = (suseconds_t)(ts[1] / 1000);
    }
    return 0;
}

clock_t times(struct tms *t)
{
    int64_t ts[2];
    if (lx_ret(lx_call(LX_clock_gettime64, 2 /* CLOCK_PROCESS_CPUTIME_ID */, (long)ts, 0, 0, 0)) < 0)
        return (clock_t)-1;
    clock_t ticks = (clock_t)(ts[0] * CLOCKS_PER_SEC + ts[1] / (1000000000 / CLOCKS_PER_SEC));
    if (t != NULL) {
        t->tms_utime = ticks;
        t->tms_stime = 0;
        t->tms_cutime = 0;
        t->tms_cstime = 0;
    }
    return ticks;
}

/* ---- files ------------------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t n)
{
    return lx_ret(lx_call(LX_read, fd, (long)buf, (long)n, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t n)
{
    return lx_ret(lx_call(LX_write, fd, (long)buf, (long)n, 0, 0));
}

int close(int fd)
{
    return (int)lx_ret(lx_call(LX_close, fd, 0, 0, 0, 0));
}

off_t lseek(int fd, off_t offset, int whence)
{
    int64_t off = offset, result = 0;
    long r = lx_call(LX_llseek, fd, (long)(uint32_t)((uint64_t)off >> 32), (long)(uint32_t)off, (long)&result, whence);
    if (lx_ret(r) < 0)
        return -1;
    if (result != (off_t)result) {
        errno = EOVERFLOW;
        return -1;
    }
    return (off_t)result;
}

/* picolibc's open flags as Linux's (asm-generic/fcntl.h). */
static long linux_open_flags(int flags)
{
    long l = flags & O_ACCMODE; /* 0, 1, 2 in both */
    if (flags & O_CREAT) l |= 0100;
    if (flags & O_EXCL) l |= 0200;
    if (flags & O_NOCTTY) l |= 0400;
    if (flags & O_TRUNC) l |= 01000;
    if (flags & O_APPEND) l |= 02000;
    if (flags & O_NONBLOCK) l |= 04000;
    if (flags & O_DIRECTORY) l |= 0200000;
    if (flags & O_CLOEXEC) l |= 02000000;
    return l;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    long mode = (flags & O_CREAT) ? (long)va_arg(ap, int) : 0;
    va_end(ap);
    return (int)lx_ret(lx_call(LX_openat, LX_AT_FDCWD, (long)path, linux_open_flags(flags), mode, 0));
}

int unlink(const char *path)
{
    return (int)lx_ret(lx_call(LX_unlinkat, LX_AT_FDCWD, (long)path, 0, 0, 0));
}

/* struct statx (linux/stat.h): the fields read here. */
struct lx_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};

static int statx_into(int dirfd, const char *path, int flags, struct stat *st)
{
    struct lx_statx x;
    if (lx_ret(lx_call(LX_statx, dirfd, (long)path, flags, 0x7ff /* STATX_BASIC_STATS */, (long)&x)) < 0)
        return -1;
    memset(st, 0, sizeof *st);
    st->st_dev = (dev_t)((x.dev_major << 8) | x.dev_minor);
    st->st_ino = (ino_t)x.ino;
    st->st_mode = x.mode;
    st->st_nlink = (nlink_t)x.nlink;
    st->st_uid = (uid_t)x.uid;
    st->st_gid = (gid_t)x.gid;
    st->st_rdev = (dev_t)((x.rdev_major << 8) | x.rdev_minor);
    st->st_size = (off_t)x.size;
    st->st_blksize = (blksize_t)x.blksize;
    st->st_blocks = (blkcnt_t)x.blocks;
    st->st_atim.tv_sec = (time_t)x.atime.sec;
    st->st_atim.tv_nsec = (long)x.atime.nsec;
    st->st_mtim.tv_sec = (time_t)x.mtime.sec;
    st->st_mtim.tv_nsec = (long)x.mtime.nsec;
    st->st_ctim.tv_sec = (time_t)x.ctime.sec;
    st->st_ctim.tv_nsec = (long)x.ctime.nsec;
    return 0;
}

int fstat(int fd, struct stat *st)
{
    return statx_into(fd, "", LX_AT_EMPTY_PATH, st);
}

int stat(const char *restrict path, struct stat *restrict st)
{
    return statx_into(LX_AT_FDCWD, path, 0, st);
}

/* ---- the standard streams ------------------------------------------------ */

static char stdin_buf[BUFSIZ], stdout_buf[BUFSIZ];

static struct __file_bufio stdin_file =
    FDEV_SETUP_BUFIO(0, stdin_buf, BUFSIZ, read, write, lseek, close, __SRD, 0);
static struct __file_bufio stdout_file =
    FDEV_SETUP_BUFIO(1, stdout_buf, BUFSIZ, read, write, lseek, close, __SWR, __BLBF);

/* stderr: every character straight to descriptor 2. */
static int stderr_put(char c, FILE *f)
{
    (void)f;
    return write(2, &c, 1) == 1 ? (unsigned char)c : EOF;
}

static FILE stderr_file = FDEV_SETUP_STREAM(stderr_put, NULL, NULL, __SWR);

FILE *const stdin = &stdin_file.xfile.cfile.file;
FILE *const stdout = &stdout_file.xfile.cfile.file;
FILE *const stderr = &stderr_file;

/* ---- start-up ------------------------------------------------------------ */

/* The first (only) thread's TLS block; _start checks the image fits. */
static unsigned char tls_block[256] __attribute__((aligned(16)));
extern char __tdata_size[], __tbss_size[], __tbss_offset[];

int main(int argc, char **argv, char **envp);
extern char **environ;
void __libc_init_array(void);

static void flush_standard_streams(void)
{
    fflush(stdout);
    fflush(stderr);
}

__asm__(".pushsection .text._start, \"ax\", @progbits\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la   gp, __global_pointer$\n"
        ".option pop\n"
        "    mv   a0, sp\n"
        "    call __faultline_picolibc_start\n"
        "    .word 0\n"
        ".size _start, . - _start\n"
        ".popsection\n");

__attribute__((noreturn, used)) void __faultline_picolibc_start(uint32_t *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    size_t tls_bytes = (uintptr_t)__tbss_offset + (uintptr_t)__tbss_size;
    if (tls_bytes > sizeof tls_block || (uintptr_t)__tdata_size > tls_bytes) {
        static const char msg[] = "faultline-picolibc: the program's TLS is larger than 256 bytes\n";
        lx_call(LX_write, 2, (long)msg, sizeof msg - 1, 0, 0);
        _exit(127);
    }
    _init_tls(tls_block);
    _set_tls(tls_block);
    environ = envp;
    atexit(flush_standard_streams);
    __libc_init_array();
    exit(main(argc, argv, envp));
}
