/*
 * futex_timeout.c — futex_time64 results that do not depend on timing:
 * FUTEX_WAIT returns -EAGAIN when the word already differs, -ETIMEDOUT
 * when a relative timeout (struct timespec64: 64-bit seconds and
 * nanoseconds) passes with nobody waking it — also a zero timeout, and
 * also in a thread — and -EINVAL for a bad timeout or a misaligned word;
 * an unknown futex operation gives -ENOSYS; FUTEX_WAKE with nobody waiting
 * wakes 0; a waiter with no timeout returns once the word changed and it
 * was woken. Private (FUTEX_PRIVATE_FLAG) and shared forms alike.
 */
#include "corpus.h"

static volatile int word = 5;
static volatile int flag;
static volatile uint32_t pair[2];

static int timed_waiter(void *arg)
{
    (void)arg;
    static volatile int alone = 1;
    struct timespec64 ms = { 0, 1000000 };
    return (int)futex_wait(&alone, 1, &ms);
}

static int flag_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) == 0)
        futex_wait(&flag, 0, NULL);
    return flag;
}

int main(void)
{
    struct timespec64 ms = { 0, 1000000 }, zero = { 0, 0 };
    struct timespec64 bad_nsec = { 0, 1000000000 }, negative = { -1, 0 };
    printf("wait, word differs=%ld\n", futex_wait(&word, 6, NULL));
    printf("wait 1 ms, nobody wakes=%ld\n", futex_wait(&word, 5, &ms));
    printf("wait 0 ms=%ld\n", futex_wait(&word, 5, &zero));
    printf("wait, tv_nsec 1e9=%ld\n", futex_wait(&word, 5, &bad_nsec));
    printf("wait, negative tv_sec=%ld\n", futex_wait(&word, 5, &negative));
    printf("shared wait 1 ms=%ld\n", sys_futex(&word, FUTEX_WAIT, 5, &ms, NULL, 0));
    printf("shared wait, word differs=%ld\n", sys_futex(&word, FUTEX_WAIT, 4, &ms, NULL, 0));
    printf("wake, nobody waiting=%ld\n", futex_wake(&word, 1));
    printf("shared wake, nobody waiting=%ld\n", sys_futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    volatile int *misaligned = (volatile int *)((uintptr_t)pair + 2);
    printf("wait on a misaligned word=%ld\n", futex_wait(misaligned, 0, &ms));
    printf("unknown futex operation=%ld\n", sys_futex(&word, 99 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));

    printf("thread's 1 ms wait=%d\n", thread_join(spawn(timed_waiter, NULL)));

    thread_t w = spawn(flag_waiter, NULL);
    __atomic_store_n(&flag, 7, __ATOMIC_RELEASE);
    futex_wake(&flag, 1);
    printf("woken waiter saw=%d\n", thread_join(w));
    return 0;
}
