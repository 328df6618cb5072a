/*
 * threads_64.c — 64 threads alive at once (16 KiB stacks from
 * thread_create_stack): each records its tid, waits at a futex barrier
 * until all 64 have arrived (so none has exited before the last one
 * started), does a little arithmetic and returns a value main checks.
 */
#include "corpus.h"

#define THREADS 64

static volatile int arrived;
static volatile int released;
static volatile int tids[THREADS];

/* Returns when all THREADS threads have called it. */
static void barrier(void)
{
    if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == THREADS) {
        __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
        futex_wake(&released, INT32_MAX);
        return;
    }
    while (__atomic_load_n(&released, __ATOMIC_ACQUIRE) == 0)
        futex_wait(&released, 0, NULL);
}

static int worker(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    tids[id] = sys_gettid();
    barrier();
    uint32_t x = id;
    for (int i = 0; i < 100; i++)
        x = x * 1103515245u + 12345u;
    return (int)(x & 0xffff);
}

int main(void)
{
    thread_t t[THREADS];
    int pid = sys_getpid();
    for (int i = 0; i < THREADS; i++) {
        t[i] = thread_create_stack(worker, (void *)(uintptr_t)i, 16 * 1024);
        if (t[i] == NULL) {
            printf("thread %d: thread_create_stack failed\n", i);
            return 120;
        }
    }
    uint32_t wrong = 0, checksum = 0;
    for (int i = 0; i < THREADS; i++) {
        uint32_t x = (uint32_t)i;
        for (int k = 0; k < 100; k++)
            x = x * 1103515245u + 12345u;
        int r = thread_join(t[i]);
        wrong += r != (int)(x & 0xffff);
        checksum += (uint32_t)r;
    }
    int distinct = 1, not_pid = 1;
    for (int i = 0; i < THREADS; i++) {
        not_pid &= tids[i] != pid && tids[i] > 0;
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
    }
    printf("threads=%d arrived at the barrier=%d\n", THREADS, arrived);
    printf("wrong results=%lu checksum=%lu\n", (unsigned long)wrong, (unsigned long)checksum);
    say("64 distinct tids", distinct);
    say("no thread has the pid as its tid", not_pid);
    return 0;
}
