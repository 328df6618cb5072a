/* <sys/uio.h> — scatter/gather I/O (readv 65, writev 66). */
#ifndef FAULTLINE_LIBC_SYS_UIO_H
#define FAULTLINE_LIBC_SYS_UIO_H

#include <sys/types.h>

struct iovec {
    void *iov_base;
    size_t iov_len;
};

ssize_t readv(int fd, const struct iovec *iov, int count);
ssize_t writev(int fd, const struct iovec *iov, int count);

#endif /* FAULTLINE_LIBC_SYS_UIO_H */
