/*
 * percpu-freelist.c — a per-CPU free list with restartable sequences
 * (<faultline-rseq.h>, docs/rseq.md).
 *
 * NODES (64) nodes start on a shared list. THREADS threads (16) each take
 * a node ITERATIONS (500) times, count one use on it, and give it back.
 * Taking pops from the list of the CPU the thread runs on
 * (rseq_cmpnev_storeoffp_load: head = head->next, committed by one store)
 * and giving pushes onto it (rseq_cmpeqv_storev: head = node if head is
 * still what node->next says). When the CPU's list is empty, a node comes
 * from the shared list under a mutex. A thread whose sections abort TRIES
 * times in a row (time slices shorter than a section), or that has no
 * rseq (qemu-user answers -ENOSYS), takes from and gives back to the
 * shared list only — it never leaves a node on a CPU list it could not
 * take it back from.
 *
 * At the end every node must be on exactly one list and the uses must add
 * up: a lost or doubled push or pop would show.
 *
 * Build and run (with the shipped runtime):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o /tmp/percpu-freelist examples/guest/rseq/percpu-freelist.c \
 *         include/faultline-rt.c -lgcc
 *     node dist/cli/main.js run --cpus 4 --time-slice 1000 /tmp/percpu-freelist
 *
 * Output:
 *
 *     nodes=64 found=64 uses=8000 expected=8000
 *     exact
 */
#include "faultline-rt.h"
#include "faultline-rseq.h"

#define THREADS 16
#define ITERATIONS 500
#define NODES 64
#define MAX_CPUS 64
#define TRIES 16

struct node {
    struct node *next;
    int uses;
};

static struct node nodes[NODES];

/* One list head per CPU, each on its own cache line. */
static struct {
    intptr_t head;
    intptr_t pad[15];
} lists[MAX_CPUS] __attribute__((aligned(64)));

static struct node *shared;
static mutex_t shared_lock = MUTEX_INITIALIZER;

/* Whether this thread's last take() got an answer from its CPU's list
 * (a node, or "empty"): only then does give() use that list. */
static __thread int cpu_list_works;

static struct node *take(void)
{
    cpu_list_works = 0;
    if (rseq_registered()) {
        for (int tries = 0; tries < TRIES; tries++) {
            int cpu = rseq_cpu_start();
            if (cpu >= MAX_CPUS)
                break;
            intptr_t n;
            int r = rseq_cmpnev_storeoffp_load(&lists[cpu].head, 0, __builtin_offsetof(struct node, next), &n, cpu);
            if (r >= 0)
                cpu_list_works = 1;
            if (r == 0)
                return (struct node *)n;
            if (r > 0)
                break; /* this CPU's list is empty */
        }
    }
    mutex_lock(&shared_lock);
    struct node *n = shared;
    if (n != NULL)
        shared = n->next;
    mutex_unlock(&shared_lock);
    return n;
}

static void give(struct node *n)
{
    if (cpu_list_works) {
        for (int tries = 0; tries < TRIES; tries++) {
            int cpu = rseq_cpu_start();
            if (cpu >= MAX_CPUS)
                break;
            intptr_t head = lists[cpu].head;
            n->next = (struct node *)head;
            if (rseq_cmpeqv_storev(&lists[cpu].head, head, (intptr_t)n, cpu) == 0)
                return;
        }
    }
    mutex_lock(&shared_lock);
    n->next = shared;
    shared = n;
    mutex_unlock(&shared_lock);
}

static int work(void *arg)
{
    (void)arg;
    rseq_register_current_thread();
    for (int i = 0; i < ITERATIONS; i++) {
        struct node *n;
        while ((n = take()) == NULL)
            sys_call3(SYS_sched_yield, 0, 0, 0);
        n->uses++;
        give(n);
    }
    return 0;
}

/* Marks the nodes of one list; returns how many, or -1 for a node seen twice or not ours. */
static int walk(struct node *n, unsigned char *seen)
{
    int count = 0;
    for (; n != NULL; n = n->next) {
        int k = (int)(n - nodes);
        if (k < 0 || k >= NODES || seen[k])
            return -1;
        seen[k] = 1;
        count++;
    }
    return count;
}

int main(void)
{
    for (int k = 0; k < NODES; k++) {
        nodes[k].next = shared;
        shared = &nodes[k];
    }
    thread_t t[THREADS];
    for (int k = 0; k < THREADS; k++)
        t[k] = thread_create(work, 0);
    for (int k = 0; k < THREADS; k++)
        thread_join(t[k]);
    unsigned char seen[NODES] = {0};
    int found = walk(shared, seen), uses = 0;
    for (int c = 0; c < MAX_CPUS && found >= 0; c++) {
        int more = walk((struct node *)lists[c].head, seen);
        found = more < 0 ? -1 : found + more;
    }
    for (int k = 0; k < NODES; k++)
        uses += nodes[k].uses;
    int expected = THREADS * ITERATIONS;
    printf("nodes=%d found=%d uses=%d expected=%d\n", NODES, found, uses, expected);
    int exact = found == NODES && uses == expected;
    printf("%s\n", exact ? "exact" : "WRONG");
    return exact ? 0 : 1;
}
