/*
 * <sys/types.h> — the POSIX types of the faultline libc. Linux rv32 is a
 * 64-bit-file, 64-bit-time ABI: off_t, ino_t, blkcnt_t and time_t are
 * 64-bit (as musl and glibc's _TIME_BITS=64 give them).
 */
#ifndef FAULTLINE_LIBC_SYS_TYPES_H
#define FAULTLINE_LIBC_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef __PTRDIFF_TYPE__ ssize_t;
typedef int64_t off_t;
typedef uint64_t ino_t;
typedef uint64_t dev_t;
typedef unsigned int mode_t;
typedef unsigned int nlink_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef int pid_t;
typedef int64_t blkcnt_t;
typedef int blksize_t;
typedef int64_t time_t;
typedef int clockid_t;

#endif /* FAULTLINE_LIBC_SYS_TYPES_H */
