/*
 * <fcntl.h> — open() and fcntl() with Linux's generic flag values (the
 * ones riscv uses: asm-generic/fcntl.h).
 */
#ifndef FAULTLINE_LIBC_FCNTL_H
#define FAULTLINE_LIBC_FCNTL_H

#include <sys/types.h>

#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_ACCMODE 03
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

/* The "current directory" descriptor of the *at() calls. */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000

/* Opens `path` (relative to the current directory); `mode` (an
 * unsigned int) is read only with O_CREAT. A descriptor, or -1 and errno. */
int open(const char *path, int flags, ...);
/* As open(), relative to directory descriptor `dirfd` (or AT_FDCWD). */
int openat(int dirfd, const char *path, int flags, ...);
/* open(path, O_WRONLY | O_CREAT | O_TRUNC, mode). */
int creat(const char *path, mode_t mode);
/* F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL (one int
 * argument where the command takes one). The result, or -1 and errno. */
int fcntl(int fd, int cmd, ...);

#endif /* FAULTLINE_LIBC_FCNTL_H */
