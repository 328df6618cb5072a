/*
 * condvar_prodcons.c — producers and consumers around a four-slot ring
 * buffer with one mutex and two condition variables (not_full,
 * not_empty). Producers block when it is full, consumers when it is
 * empty; the end is announced with cond_broadcast. Checks: every item is
 * consumed exactly once, the total count and sum, and that each
 * producer's items come out in the order it put them in.
 */
#include "corpus.h"

#define SLOTS 4
#define PRODUCERS 2
#define CONSUMERS 3
#define ITEMS 400 /* per producer */

static mutex_t lock = MUTEX_INITIALIZER;
static cond_t not_full = COND_INITIALIZER;
static cond_t not_empty = COND_INITIALIZER;
static uint32_t ring[SLOTS];
static uint32_t head, count;
static int finished;

static volatile uint32_t taken[PRODUCERS][ITEMS]; /* times each item was consumed */
static int32_t last_of[PRODUCERS] = { -1, -1 };   /* under lock: last item index taken */
static uint32_t out_of_order;                     /* under lock */
static volatile uint32_t consumed, sum;

static int producer(void *arg)
{
    uint32_t p = (uint32_t)(uintptr_t)arg;
    for (uint32_t i = 0; i < ITEMS; i++) {
        mutex_lock(&lock);
        while (count == SLOTS)
            cond_wait(&not_full, &lock);
        ring[(head + count) % SLOTS] = p << 16 | i;
        count++;
        cond_signal(&not_empty);
        mutex_unlock(&lock);
    }
    return 0;
}

static int consumer(void *arg)
{
    (void)arg;
    for (;;) {
        mutex_lock(&lock);
        while (count == 0 && !finished)
            cond_wait(&not_empty, &lock);
        if (count == 0) { /* finished and drained */
            mutex_unlock(&lock);
            return 0;
        }
        uint32_t item = ring[head];
        head = (head + 1) % SLOTS;
        count--;
        uint32_t p = item >> 16, i = item & 0xffff;
        if ((int32_t)i <= last_of[p])
            out_of_order++;
        last_of[p] = (int32_t)i;
        cond_signal(&not_full);
        mutex_unlock(&lock);
        __atomic_fetch_add(&taken[p][i], 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&consumed, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&sum, item, __ATOMIC_RELAXED);
    }
}

int main(void)
{
    thread_t c[CONSUMERS], p[PRODUCERS];
    for (int i = 0; i < CONSUMERS; i++)
        c[i] = spawn(consumer, NULL);
    for (int i = 0; i < PRODUCERS; i++)
        p[i] = spawn(producer, (void *)(uintptr_t)i);
    for (int i = 0; i < PRODUCERS; i++)
        thread_join(p[i]);
    mutex_lock(&lock);
    finished = 1;
    cond_broadcast(&not_empty);
    mutex_unlock(&lock);
    for (int i = 0; i < CONSUMERS; i++)
        thread_join(c[i]);

    uint32_t once = 0;
    for (int q = 0; q < PRODUCERS; q++)
        for (int i = 0; i < ITEMS; i++)
            once += taken[q][i] == 1;
    printf("consumed=%lu sum=%lu\n", (unsigned long)consumed, (unsigned long)sum);
    printf("items consumed exactly once=%lu of %d\n", (unsigned long)once, PRODUCERS * ITEMS);
    printf("out of order=%lu left in ring=%lu\n", (unsigned long)out_of_order, (unsigned long)count);
    return 0;
}
