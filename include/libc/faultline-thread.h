/*
 * <faultline-thread.h> — threads for libc programs: the runtime's
 * thread_create/thread_join, mutex_t and cond_t (see
 * ../faultline-rt/thread.h). Every stdio stream and malloc are safe to
 * use from several threads.
 */
#ifndef FAULTLINE_LIBC_THREAD_H
#define FAULTLINE_LIBC_THREAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
/* The runtime's own type header would define the <stdint.h> types a second
 * time (a C99 -pedantic warning): the headers above give them already. */
#ifndef FAULTLINE_RT_TYPES_H
#define FAULTLINE_RT_TYPES_H
#endif
#include "../faultline-rt/thread.h"

#endif /* FAULTLINE_LIBC_THREAD_H */
