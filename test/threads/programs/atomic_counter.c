/*
 * atomic_counter.c — workers summing into shared counters with RV32A
 * atomics only: amoadd.w (__atomic_fetch_add), an lr.w/sc.w
 * compare-and-swap loop, amoor.w (__atomic_fetch_or), a CAS-based maximum
 * and an amoswap.w spin lock around a plain counter. All workers start
 * together (a start gate) so that the atomics really race. Totals are
 * exact whatever the interleaving.
 */
#include "corpus.h"

#define WORKERS 8
#define ROUNDS 4000

static volatile uint32_t start_gate;
static volatile uint32_t amo_total;  /* += 1 per round (amoadd.w)         */
static volatile uint32_t cas_total;  /* += 3 per round (lr.w/sc.w loop)    */
static volatile uint32_t seen_bits;  /* bit id set by each worker (amoor)  */
static volatile int32_t max_id;      /* largest id * 100 (CAS maximum)     */
static volatile uint32_t spin;       /* amoswap.w lock for plain_total     */
static uint32_t plain_total;         /* += 1 per round under the spin lock */

static int worker(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    while (__atomic_load_n(&start_gate, __ATOMIC_ACQUIRE) == 0)
        sys_sched_yield();
    uint32_t mine = 0;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&amo_total, 1, __ATOMIC_SEQ_CST);
        uint32_t old = __atomic_load_n(&cas_total, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_total, &old, old + 3, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
        }
        while (__atomic_exchange_n(&spin, 1, __ATOMIC_ACQUIRE) != 0)
            sys_sched_yield();
        plain_total++;
        __atomic_store_n(&spin, 0, __ATOMIC_RELEASE);
        mine += id;
    }
    __atomic_fetch_or(&seen_bits, 1u << id, __ATOMIC_SEQ_CST);
    int32_t want = (int32_t)id * 100, cur = __atomic_load_n(&max_id, __ATOMIC_RELAXED);
    while (cur < want && !__atomic_compare_exchange_n(&max_id, &cur, want, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return (int)mine;
}

int main(void)
{
    thread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        t[i] = spawn(worker, (void *)(uintptr_t)i);
    __atomic_store_n(&start_gate, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < WORKERS; i++)
        printf("worker %d returned %d\n", i, thread_join(t[i]));
    printf("amoadd total=%lu\n", (unsigned long)amo_total);
    printf("cas total=%lu\n", (unsigned long)cas_total);
    printf("spin-locked total=%lu\n", (unsigned long)plain_total);
    printf("bits=0x%lx max=%ld\n", (unsigned long)seen_bits, (long)max_id);
    return 0;
}
