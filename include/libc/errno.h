/*
 * <errno.h> — errno (one per thread) and Linux's error numbers
 * (asm-generic/errno-base.h and errno.h), which are what the system calls
 * return negated. Every wrapper in the library that fails sets errno and
 * returns -1 (or NULL).
 */
#ifndef FAULTLINE_LIBC_ERRNO_H
#define FAULTLINE_LIBC_ERRNO_H

/* The calling thread's errno. */
int *__errno_location(void);
#define errno (*__errno_location())

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define EWOULDBLOCK EAGAIN
#define ENOMEM 12
#define EACCES 13
#ifndef EFAULT
#define EFAULT 14
#endif
#define ENOTBLK 15
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOLCK 37
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define ENOTSUP 95
#define EOPNOTSUPP 95
#define EOVERFLOW 75
#define ETIMEDOUT 110

#endif /* FAULTLINE_LIBC_ERRNO_H */
