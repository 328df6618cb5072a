/* <sched.h> — sched_yield (124): let another runnable thread run (faultline libc). */
#ifndef FAULTLINE_LIBC_SCHED_H
#define FAULTLINE_LIBC_SCHED_H

/* Always 0. */
int sched_yield(void);

#endif /* FAULTLINE_LIBC_SCHED_H */
