/* <sys/random.h> — getrandom (faultline libc). Under faultline the bytes come from the run's seed. */
#ifndef FAULTLINE_LIBC_SYS_RANDOM_H
#define FAULTLINE_LIBC_SYS_RANDOM_H

#include <sys/types.h>

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2

/* Bytes written to buf (possibly fewer than len), or -1 and errno. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags);

#endif /* FAULTLINE_LIBC_SYS_RANDOM_H */
