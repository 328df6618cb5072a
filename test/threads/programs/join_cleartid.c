/*
 * join_cleartid.c — joining by CLONE_CHILD_CLEARTID, with and without the
 * runtime's thread library.
 *
 * 1. Raw clone (sys_clone, no CLONE_SETTLS): CLONE_PARENT_SETTID writes the
 *    tid into the parent's word before clone returns, CLONE_CHILD_SETTID
 *    into the child's word before the child runs, and at the child's exit
 *    the kernel writes 0 there and wakes it (a shared futex wake): the
 *    parent sleeps on the word with FUTEX_WAIT until it reads 0.
 * 2. thread_join: four threads joined in the reverse order of creation,
 *    and a thread joined after it has already gone (its word polled to 0
 *    first): join returns at once with the thread's result.
 */
#include "corpus.h"

#define RAW_STACK 8192

static unsigned char raw_stack[RAW_STACK] __attribute__((aligned(16)));
static volatile int parent_word = -1, child_word = -1;
static volatile int child_saw_word, child_tid;

/* Runs on the raw clone: no descriptor of its own, so it must not print. */
static int raw_child(void *arg)
{
    (void)arg;
    child_tid = sys_gettid();
    child_saw_word = child_word; /* CLONE_CHILD_SETTID wrote it */
    return 0;
}

static int result_of(void *arg)
{
    return (int)(uintptr_t)arg * 10 + 1;
}

int main(void)
{
    const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
                                CLONE_CHILD_CLEARTID;
    long tid = sys_clone(flags, raw_stack + RAW_STACK, &parent_word, NULL, &child_word, raw_child, NULL);
    say("raw clone returned a tid", tid > 0);
    say("CLONE_PARENT_SETTID word holds it when clone returns", parent_word == tid);
    int waits = 0;
    for (;;) {
        int v = __atomic_load_n(&child_word, __ATOMIC_ACQUIRE);
        if (v == 0)
            break;
        sys_futex(&child_word, FUTEX_WAIT, v, NULL, NULL, 0);
        waits++;
    }
    say("CLONE_CHILD_CLEARTID word is 0 after the exit", child_word == 0);
    say("the child saw its tid in the CLONE_CHILD_SETTID word", child_saw_word == tid);
    say("the child's gettid is clone's return value", child_tid == tid);
    say("the parent's tid is not the child's", sys_gettid() != tid);

    thread_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(result_of, (void *)(uintptr_t)i);
    for (int i = 3; i >= 0; i--)
        printf("join thread %d -> %d\n", i, thread_join(t[i]));

    thread_t gone = spawn(result_of, (void *)(uintptr_t)7);
    while (__atomic_load_n(&gone->tid_word, __ATOMIC_ACQUIRE) != 0)
        sys_sched_yield();
    printf("join after the thread is gone -> %d\n", thread_join(gone));
    (void)waits;
    return 0;
}
