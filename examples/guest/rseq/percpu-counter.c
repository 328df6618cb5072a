/*
 * percpu-counter.c — a per-CPU counter updated with restartable sequences
 * (<faultline-rseq.h>, docs/rseq.md).
 *
 * THREADS threads (16) each add ITERATIONS (2000) times to the counter of
 * the CPU they run on, with rseq_addv(): load, add, store, and the store
 * commits only if the thread was not preempted, migrated, interrupted by
 * a fault handler or restored in between — otherwise it restarts. No lock,
 * no atomic instruction. After TRIES aborts in a row (a time slice shorter
 * than the section, say) an addition falls back to one atomic add on a
 * shared counter, and so does every addition where rseq is missing
 * (qemu-user answers -ENOSYS). The total is exact either way.
 *
 * Build and run (with the shipped runtime):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o /tmp/percpu-counter examples/guest/rseq/percpu-counter.c \
 *         include/faultline-rt.c -lgcc
 *     node dist/cli/main.js run --cpus 4 --time-slice 1000 --stats /tmp/percpu-counter
 *
 * Output:
 *
 *     threads=16 total=62000 expected=62000
 *     exact
 */
#include "faultline-rt.h"
#include "faultline-rseq.h"

#define THREADS 16
#define ITERATIONS 2000
#define MAX_CPUS 64
#define TRIES 16

/* One counter per CPU, each on its own cache line. */
static struct {
    intptr_t value;
    intptr_t pad[15];
} per_cpu[MAX_CPUS] __attribute__((aligned(64)));

/* Where additions go when rseq cannot commit or is missing. */
static int fallback;

static void add(intptr_t n)
{
    if (rseq_registered()) {
        for (int tries = 0; tries < TRIES; tries++) {
            int cpu = rseq_cpu_start();
            if (cpu >= MAX_CPUS)
                break;
            if (rseq_addv(&per_cpu[cpu].value, n, cpu) == 0)
                return;
        }
    }
    __atomic_fetch_add(&fallback, (int)n, __ATOMIC_RELAXED);
}

static int work(void *arg)
{
    int id = (int)(intptr_t)arg;
    rseq_register_current_thread(); /* -ENOSYS under qemu: the fallback does it all */
    for (int i = 0; i < ITERATIONS; i++)
        add(1 + id % 3);
    return 0;
}

int main(void)
{
    thread_t t[THREADS];
    int expected = 0;
    for (int k = 0; k < THREADS; k++) {
        t[k] = thread_create(work, (void *)(intptr_t)k);
        expected += ITERATIONS * (1 + k % 3);
    }
    for (int k = 0; k < THREADS; k++)
        thread_join(t[k]);
    int total = fallback;
    for (int c = 0; c < MAX_CPUS; c++)
        total += (int)per_cpu[c].value;
    printf("threads=%d total=%d expected=%d\n", THREADS, total, expected);
    printf("%s\n", total == expected ? "exact" : "WRONG");
    return total == expected ? 0 : 1;
}
