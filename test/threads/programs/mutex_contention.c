/*
 * mutex_contention.c — the futex mutex (Drepper's three states) under
 * contention: threads update a two-field record whose invariant (b == 2a)
 * only holds outside the critical section, and yield while holding the
 * lock every few rounds so that the others queue on the futex (state 2,
 * FUTEX_WAIT, FUTEX_WAKE). Also mutex_trylock: -EBUSY while held, 0 when
 * free.
 */
#include "corpus.h"

#define THREADS 6
#define ROUNDS 1500

static mutex_t lock = MUTEX_INITIALIZER;
static struct {
    uint32_t a, b;
    uint64_t weighted; /* sum of (id + 1) over every round */
    uint32_t broken;   /* rounds that found b != 2a        */
} record;

static int worker(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        mutex_lock(&lock);
        if (record.b != 2 * record.a)
            record.broken++;
        record.a++;
        if (i % 32 == 0)
            sys_sched_yield(); /* hold the lock across a switch */
        record.b += 2;
        record.weighted += id + 1;
        mutex_unlock(&lock);
    }
    return 0;
}

static int try_once(void *arg)
{
    (void)arg;
    int r = mutex_trylock(&lock);
    if (r == 0)
        mutex_unlock(&lock);
    return r;
}

int main(void)
{
    thread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        t[i] = spawn(worker, (void *)(uintptr_t)i);
    for (int i = 0; i < THREADS; i++)
        thread_join(t[i]);
    printf("a=%lu b=%lu weighted=%llu broken=%lu\n", (unsigned long)record.a, (unsigned long)record.b,
           (unsigned long long)record.weighted, (unsigned long)record.broken);
    printf("lock state after the workers=%d\n", lock.state);

    mutex_lock(&lock);
    printf("trylock from another thread while held=%d\n", thread_join(spawn(try_once, NULL)));
    mutex_unlock(&lock);
    printf("trylock from another thread when free=%d\n", thread_join(spawn(try_once, NULL)));
    printf("trylock here when free=%d\n", mutex_trylock(&lock));
    printf("trylock here when held=%d\n", mutex_trylock(&lock));
    mutex_unlock(&lock);
    return 0;
}
