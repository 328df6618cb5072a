/*
 * <faultline-thread.h> — threads for libc programs: the runtime's
 * thread_create/thread_join, mutex_t and cond_t (see
 * ../faultline-rt/thread.h). Every stdio stream and malloc are safe to
 * use from several threads.
 */
#ifndef FAULTLINE_LIBC_THREAD_H
#define FAULTLINE_LIBC_THREAD_H

#include "../faultline-rt/thread.h"

#endif /* FAULTLINE_LIBC_THREAD_H */
