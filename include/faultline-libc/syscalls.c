/*
 * faultline-libc/syscalls.c — the POSIX wrappers: <unistd.h>, <fcntl.h>,
 * <sys/stat.h>, <dirent.h>, <time.h>, <sys/random.h>, <sys/uio.h>,
 * <sys/utsname.h> and errno. Each one is a Linux rv32 system call; a
 * failure returns -1 (or NULL) with errno set to the kernel's error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "libc-private.h"

static __thread int thread_errno;

int *__errno_location(void)
{
    return &thread_errno;
}

/* ---- descriptors ---------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t count)
{
    return __libc_ret(sys_call3(SYS_read, fd, (long)buf, (long)count));
}

ssize_t write(int fd, const void *buf, size_t count)
{
    return __libc_ret(sys_call3(SYS_write, fd, (long)buf, (long)count));
}

ssize_t readv(int fd, const struct iovec *iov, int count)
{
    return __libc_ret(sys_call3(SYS_readv, fd, (long)iov, count));
}

ssize_t writev(int fd, const struct iovec *iov, int count)
{
    return __libc_ret(sys_call3(SYS_writev, fd, (long)iov, count));
}

/* _llseek(fd, offset_high, offset_low, &result, whence) */
off_t lseek(int fd, off_t offset, int whence)
{
    off_t result = 0;
    long r = sys_call6(SYS_llseek, fd, HI32(offset), LO32(offset), (long)&result, whence, 0);
    return __libc_ret(r) < 0 ? -1 : result;
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
    return __libc_ret(sys_call6(SYS_pread64, fd, (long)buf, (long)count, LO32(offset), HI32(offset), 0));
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    return __libc_ret(sys_call6(SYS_pwrite64, fd, (long)buf, (long)count, LO32(offset), HI32(offset), 0));
}

int close(int fd)
{
    return (int)__libc_ret(sys_call3(SYS_close, fd, 0, 0));
}

int dup(int fd)
{
    return (int)__libc_ret(sys_call3(SYS_dup, fd, 0, 0));
}

int dup3(int oldfd, int newfd, int flags)
{
    return (int)__libc_ret(sys_call3(SYS_dup3, oldfd, newfd, flags));
}

int dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) /* dup3 refuses equal numbers; dup2 checks and returns */
        return fcntl(oldfd, F_GETFD) < 0 ? -1 : newfd;
    return dup3(oldfd, newfd, 0);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = 0;
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_SETFD || cmd == F_SETFL)
        arg = va_arg(ap, int);
    va_end(ap);
    return (int)__libc_ret(sys_call3(SYS_fcntl64, fd, cmd, arg));
}

int pipe2(int fds[2], int flags)
{
    return (int)__libc_ret(sys_call3(SYS_pipe2, (long)fds, flags, 0));
}

int pipe(int fds[2])
{
    return pipe2(fds, 0);
}

int ftruncate(int fd, off_t length)
{
    return (int)__libc_ret(sys_call3(SYS_ftruncate64, fd, LO32(length), HI32(length)));
}

/* TCGETS: a terminal answers it, anything else gives ENOTTY. */
int isatty(int fd)
{
    uint32_t termios[16];
    return __libc_ret(sys_call3(SYS_ioctl, fd, 0x5401, (long)termios)) == 0;
}

/* ---- paths ---------------------------------------------------------- */

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    unsigned int mode = (flags & O_CREAT) ? va_arg(ap, unsigned int) : 0;
    va_end(ap);
    return (int)__libc_ret(sys_call6(SYS_openat, dirfd, (long)path, flags, (long)mode, 0, 0));
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    unsigned int mode = (flags & O_CREAT) ? va_arg(ap, unsigned int) : 0;
    va_end(ap);
    return openat(AT_FDCWD, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int unlink(const char *path)
{
    return (int)__libc_ret(sys_call3(SYS_unlinkat, AT_FDCWD, (long)path, 0));
}

int rmdir(const char *path)
{
    return (int)__libc_ret(sys_call3(SYS_unlinkat, AT_FDCWD, (long)path, AT_REMOVEDIR));
}

int mkdir(const char *path, mode_t mode)
{
    return (int)__libc_ret(sys_call3(SYS_mkdirat, AT_FDCWD, (long)path, (long)mode));
}

int rename(const char *from, const char *to)
{
    return (int)__libc_ret(sys_call6(SYS_renameat2, AT_FDCWD, (long)from, AT_FDCWD, (long)to, 0, 0));
}

int remove(const char *path)
{
    long r = sys_call3(SYS_unlinkat, AT_FDCWD, (long)path, 0);
    if (r == -EISDIR)
        r = sys_call3(SYS_unlinkat, AT_FDCWD, (long)path, AT_REMOVEDIR);
    return (int)__libc_ret(r);
}

int chdir(const char *path)
{
    return (int)__libc_ret(sys_call3(SYS_chdir, (long)path, 0, 0));
}

char *getcwd(char *buf, size_t size)
{
    if (__libc_ret(sys_call3(SYS_getcwd, (long)buf, (long)size, 0)) < 0)
        return NULL;
    return buf;
}

int access(const char *path, int mode)
{
    return (int)__libc_ret(sys_call6(SYS_faccessat, AT_FDCWD, (long)path, mode, 0, 0, 0));
}

/* ---- status: statx ---------------------------------------------------- */

/* struct statx (linux/stat.h), 256 bytes. */
struct k_statx_ts {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
};

struct k_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct k_statx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};

#define STATX_BASIC_STATS 0x7ffu

/* Linux's new_encode_dev(): the dev_t glibc and musl report. */
static dev_t make_dev(uint32_t major, uint32_t minor)
{
    return ((uint64_t)(major & 0xfffff000u) << 32) | ((uint64_t)(major & 0xfffu) << 8) |
           ((uint64_t)(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    struct k_statx x;
    long r = sys_call6(SYS_statx, dirfd, (long)path, flags, (long)STATX_BASIC_STATS, (long)&x, 0);
    if (__libc_ret(r) < 0)
        return -1;
    st->st_dev = make_dev(x.dev_major, x.dev_minor);
    st->st_ino = x.ino;
    st->st_mode = x.mode;
    st->st_nlink = x.nlink;
    st->st_uid = x.uid;
    st->st_gid = x.gid;
    st->st_rdev = make_dev(x.rdev_major, x.rdev_minor);
    st->st_size = (off_t)x.size;
    st->st_blksize = (blksize_t)x.blksize;
    st->st_blocks = (blkcnt_t)x.blocks;
    st->st_atim.tv_sec = x.atime.sec;
    st->st_atim.tv_nsec = (long)x.atime.nsec;
    st->st_mtim.tv_sec = x.mtime.sec;
    st->st_mtim.tv_nsec = (long)x.mtime.nsec;
    st->st_ctim.tv_sec = x.ctime.sec;
    st->st_ctim.tv_nsec = (long)x.ctime.nsec;
    return 0;
}

int stat(const char *path, struct stat *st)
{
    return fstatat(AT_FDCWD, path, st, 0);
}

int lstat(const char *path, struct stat *st)
{
    return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

int fstat(int fd, struct stat *st)
{
    return fstatat(fd, "", st, AT_EMPTY_PATH);
}

/* ---- directories ------------------------------------------------------ */

#define DIR_BUFFER 4096

struct faultline_dir {
    int fd;
    int pos; /* next record in buf */
    int len; /* bytes of records in buf */
    /* linux_dirent64 records; 8-byte aligned as their d_ino needs */
    unsigned char buf[DIR_BUFFER] __attribute__((aligned(8)));
};

ssize_t getdents64(int fd, void *buf, size_t len)
{
    return __libc_ret(sys_call3(SYS_getdents64, fd, (long)buf, (long)len));
}

DIR *opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = malloc(sizeof *d);
    if (d == NULL) {
        close(fd);
        return NULL;
    }
    d->fd = fd;
    d->pos = 0;
    d->len = 0;
    return d;
}

struct dirent *readdir(DIR *d)
{
    if (d->pos >= d->len) {
        ssize_t n = getdents64(d->fd, d->buf, sizeof d->buf);
        if (n <= 0)
            return NULL;
        d->len = (int)n;
        d->pos = 0;
    }
    struct dirent *e = (struct dirent *)(d->buf + d->pos);
    d->pos += e->d_reclen;
    return e;
}

int closedir(DIR *d)
{
    int r = close(d->fd);
    free(d);
    return r;
}

int dirfd(DIR *d)
{
    return d->fd;
}

/* ---- time --------------------------------------------------------- */

int clock_gettime(clockid_t clock, struct timespec *ts)
{
    struct __libc_kts k;
    if (__libc_ret(sys_call3(SYS_clock_gettime64, clock, (long)&k, 0)) < 0)
        return -1;
    ts->tv_sec = k.sec;
    ts->tv_nsec = (long)k.nsec;
    return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
    struct __libc_kts k = { req->tv_sec, req->tv_nsec }, left = { 0, 0 };
    long r = sys_call6(SYS_clock_nanosleep_time64, clock, flags, (long)&k, (long)&left, 0, 0);
    if (r == -EINTR && rem != NULL) {
        rem->tv_sec = left.sec;
        rem->tv_nsec = (long)left.nsec;
    }
    return (int)-r;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    int e = clock_nanosleep(CLOCK_REALTIME, 0, req, rem);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}

unsigned int sleep(unsigned int seconds)
{
    struct timespec t = { seconds, 0 };
    clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
    return 0;
}

time_t time(time_t *t)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    if (t != NULL)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

/* ---- the rest ------------------------------------------------------ */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    return __libc_ret(sys_call3(SYS_getrandom, (long)buf, (long)len, (long)flags));
}

int uname(struct utsname *u)
{
    return (int)__libc_ret(sys_call3(SYS_uname, (long)u, 0, 0));
}

int sched_yield(void)
{
    return (int)sys_sched_yield();
}

pid_t getpid(void)
{
    return sys_getpid();
}

void _exit(int status)
{
    sys_exit_group(status);
}

/* ---- memory ------------------------------------------------------------ */

/* rv32's call 222 is mmap2: the offset goes in 4096-byte units, so the
 * library checks its alignment (as musl does) and divides. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    if ((offset & 4095) != 0 || offset < 0 || (offset >> 12) > 0x7fffffff) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    long r = sys_mmap((long)addr, len, prot, flags, fd, (long)(offset >> 12));
    if (sys_failed(r)) {
        __libc_ret(r); /* sets errno */
        return MAP_FAILED;
    }
    return (void *)r;
}

int munmap(void *addr, size_t len)
{
    return (int)__libc_ret(sys_munmap((long)addr, len));
}

int mprotect(void *addr, size_t len, int prot)
{
    return (int)__libc_ret(sys_mprotect((long)addr, len, prot));
}
