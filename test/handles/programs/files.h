/*
 * files.h — the file and handle calls as thin wrappers over sys_call6,
 * for the differential programs (the scratch directory is argv[1]).
 * Every wrapper returns the kernel's value: a negative errno on failure.
 */
#ifndef FILES_H
#define FILES_H

#include <faultline-rt.h>

#define SYS_getcwd 17
#define SYS_dup 23
#define SYS_dup3 24
#define SYS_fcntl64 25
#define SYS_mkdirat 34
#define SYS_unlinkat 35
#define SYS_ftruncate64 46
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
#define SYS_fstatat64 79
#define SYS_fstat64 80
#define SYS_umask 166
#define SYS_renameat2 276
#define SYS_statx 291

#define AT_FDCWD (-100)
#define AT_REMOVEDIR 0x200
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

struct iovec { void *iov_base; size_t iov_len; };

/* struct stat64 (asm-generic, 104 bytes): the fields the programs print. */
struct stat64 {
    unsigned long long st_dev, st_ino;
    unsigned int st_mode, st_nlink, st_uid, st_gid;
    unsigned long long st_rdev, pad1;
    long long st_size;
    int st_blksize, pad2;
    long long st_blocks;
    int times[6];
    unsigned int unused[2];
};

static inline long f_call(long n, long a, long b, long c, long d, long e) { return sys_call6(n, a, b, c, d, e, 0); }
static inline int f_open(const char *p, int flags, int mode) { return f_call(SYS_openat, AT_FDCWD, (long)p, flags, mode, 0); }
static inline int f_close(int fd) { return f_call(SYS_close, fd, 0, 0, 0, 0); }
static inline long f_read(int fd, void *b, size_t n) { return sys_read(fd, b, n); }
static inline long f_write(int fd, const void *b, size_t n) { return sys_write(fd, b, n); }
static inline long f_puts(int fd, const char *s) { return sys_write(fd, s, strlen(s)); }
static inline long f_lseek(int fd, long off, int whence)
{
    long long result = -1;
    long r = f_call(SYS_llseek, fd, off < 0 ? -1 : 0, off, (long)&result, whence);
    return r < 0 ? r : (long)result;
}
static inline long f_pread(int fd, void *b, size_t n, long off) { return f_call(SYS_pread64, fd, (long)b, n, off, 0); }
static inline long f_pwrite(int fd, const void *b, size_t n, long off) { return f_call(SYS_pwrite64, fd, (long)b, n, off, 0); }
static inline int f_dup(int fd) { return f_call(SYS_dup, fd, 0, 0, 0, 0); }
static inline int f_dup3(int a, int b, int flags) { return f_call(SYS_dup3, a, b, flags, 0, 0); }
static inline int f_fcntl(int fd, int cmd, long arg) { return f_call(SYS_fcntl64, fd, cmd, arg, 0, 0); }
static inline int f_mkdir(const char *p, int mode) { return f_call(SYS_mkdirat, AT_FDCWD, (long)p, mode, 0, 0); }
static inline int f_unlink(const char *p) { return f_call(SYS_unlinkat, AT_FDCWD, (long)p, 0, 0, 0); }
static inline int f_rmdir(const char *p) { return f_call(SYS_unlinkat, AT_FDCWD, (long)p, AT_REMOVEDIR, 0, 0); }
static inline int f_rename(const char *a, const char *b, int flags) { return f_call(SYS_renameat2, AT_FDCWD, (long)a, AT_FDCWD, (long)b, flags); }
static inline int f_ftruncate(int fd, long len) { return f_call(SYS_ftruncate64, fd, len, 0, 0, 0); }
static inline int f_pipe2(int fds[2], int flags) { return f_call(SYS_pipe2, (long)fds, flags, 0, 0, 0); }
static inline int f_fstat(int fd, struct stat64 *st) { return f_call(SYS_fstat64, fd, (long)st, 0, 0, 0); }
static inline int f_stat(const char *p, struct stat64 *st) { return f_call(SYS_fstatat64, AT_FDCWD, (long)p, (long)st, 0, 0); }
static inline int f_chdir(const char *p) { return f_call(SYS_chdir, (long)p, 0, 0, 0, 0); }
static inline long f_getcwd(char *b, size_t n) { return f_call(SYS_getcwd, (long)b, n, 0, 0, 0); }
static inline long f_getdents(int fd, void *b, size_t n) { return f_call(SYS_getdents64, fd, (long)b, n, 0, 0); }
static inline int f_umask(int m) { return f_call(SYS_umask, m, 0, 0, 0, 0); }

/* dir + "/" + name into out (at most 255 bytes). */
static inline const char *f_path(char *out, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
    return out;
}

/* Prints "label: value" for a call result. */
static inline void f_show(const char *label, long v) { printf("%s: %ld\n", label, v); }

#endif
