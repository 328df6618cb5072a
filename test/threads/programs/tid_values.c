/*
 * tid_values.c — gettid, getpid and set_tid_address as Linux defines them,
 * printed only as facts that do not depend on the numbers chosen: the
 * first thread's tid is the pid; every thread shares the pid and has its
 * own tid; clone returned that tid; set_tid_address returns the caller's
 * tid; and after set_tid_address(&w) the kernel clears and wakes w at the
 * thread's exit instead of the CLONE_CHILD_CLEARTID word.
 */
#include "corpus.h"

#define THREADS 4

struct report {
    int tid, pid, set_tid_result;
};

static struct report reports[THREADS];
static volatile int exit_word = -1; /* thread 0's own clear_child_tid word */

static int worker(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    struct report *r = &reports[id];
    r->tid = sys_gettid();
    r->pid = sys_getpid();
    if (id == 0) {
        exit_word = r->tid;
        r->set_tid_result = sys_set_tid_address(&exit_word);
    } else { /* point it back at the runtime's word: join keeps working */
        r->set_tid_result = sys_set_tid_address(&thread_self()->tid_word);
    }
    return 0;
}

int main(void)
{
    int pid = sys_getpid();
    int tid = sys_gettid();
    say("first thread: gettid == getpid", tid == pid);
    volatile int main_word = 0;
    say("first thread: set_tid_address returns the tid", sys_set_tid_address(&main_word) == tid);
    say("thread_tid of the first thread is the pid", thread_tid(thread_self()) == pid);

    thread_t t[THREADS];
    int clone_tids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        t[i] = spawn(worker, (void *)(uintptr_t)i);
        clone_tids[i] = thread_tid(t[i]);
    }

    /* Thread 0 moved its clear_child_tid to exit_word: wait on that one. */
    for (;;) {
        int v = __atomic_load_n(&exit_word, __ATOMIC_ACQUIRE);
        if (v == 0)
            break;
        sys_futex(&exit_word, FUTEX_WAIT, v, NULL, NULL, 0);
    }
    say("thread 0: set_tid_address word cleared at exit", exit_word == 0);
    say("thread 0: CLONE_CHILD_CLEARTID word left alone", t[0]->tid_word == reports[0].tid);
    sys_munmap((long)t[0]->map, t[0]->map_size); /* cannot be joined: free it by hand */
    for (int i = 1; i < THREADS; i++)
        thread_join(t[i]);

    int same_pid = 1, own_tid = 1, clone_tid = 1, set_tid = 1, distinct = 1;
    for (int i = 0; i < THREADS; i++) {
        same_pid &= reports[i].pid == pid;
        own_tid &= reports[i].tid != pid && reports[i].tid > 0;
        clone_tid &= reports[i].tid == clone_tids[i];
        set_tid &= reports[i].set_tid_result == reports[i].tid;
        for (int j = 0; j < i; j++)
            distinct &= reports[i].tid != reports[j].tid;
    }
    say("threads: getpid is the first thread's pid", same_pid);
    say("threads: gettid is not the pid", own_tid);
    say("threads: gettid is what clone returned", clone_tid);
    say("threads: set_tid_address returns the caller's tid", set_tid);
    say("threads: tids are distinct", distinct);
    return 0;
}
