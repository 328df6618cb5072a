/*
 * faultline-rseq.h — restartable sequences for guest C programs: Linux's
 * rseq ABI (include/uapi/linux/rseq.h) on rv32, registration of the
 * calling thread, and three critical sections in inline assembly for
 * per-CPU data (docs/rseq.md).
 *
 * A critical section runs on the data of one CPU without a lock. The
 * kernel (or faultline) moves a thread that was preempted, migrated,
 * interrupted by a guest fault handler or restored from a checkpoint
 * while inside a section to the section's abort label, so a section
 * either commits with its last store or has no effect. Each sequence:
 *
 *   1. stores the address of its `struct rseq_cs` descriptor into
 *      rseq_cs (the instruction right before start_ip);
 *   2. start_ip: checks that cpu_id is still the CPU the caller chose
 *      (else abort), then loads, computes;
 *   3. commits with one store; post_commit_ip is right after it;
 *   4. abort_ip, preceded by RSEQ_SIG, jumps to the C abort label.
 *
 * Each function returns 0 when it committed, -1 when it was aborted (try
 * again, with a fresh cpu from rseq_cpu_start()), and 1 where a compare
 * failed (nothing stored).
 *
 * Use with <faultline-rt.h> (or any runtime with __thread support):
 *
 *     if (rseq_register_current_thread() == 0) {
 *         int cpu;
 *         do cpu = rseq_cpu_start(); while (rseq_addv(&counts[cpu], 1, cpu) != 0);
 *     }
 *
 * Where rseq is missing (qemu-user returns -ENOSYS) registration fails
 * and a program uses a fallback (an atomic, a lock).
 */
#ifndef FAULTLINE_RSEQ_H
#define FAULTLINE_RSEQ_H

#include "faultline-rt/types.h"

/* The rseq system call number (asm-generic) and riscv's signature. */
#define SYS_rseq 293
#define RSEQ_SIG 0xf1401073
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_CPU_ID_UNINITIALIZED (-1)

/* struct rseq: 32 bytes, 32-aligned, one per thread. */
struct rseq_area {
    volatile uint32_t cpu_id_start; /* the CPU, always valid once registered */
    volatile uint32_t cpu_id;       /* the CPU, or -1 when not registered */
    volatile uint32_t rseq_cs;      /* struct rseq_cs * (low word) */
    volatile uint32_t rseq_cs_high; /* high word, always 0 on rv32 */
    volatile uint32_t flags;        /* must be 0 */
    volatile uint32_t node_id;      /* NUMA node: 0 */
    volatile uint32_t mm_cid;       /* concurrency id */
    uint32_t padding;
} __attribute__((aligned(32)));

/* struct rseq_cs: the descriptor of one critical section (64-bit fields). */
struct rseq_cs_desc {
    uint32_t version;
    uint32_t flags;
    uint64_t start_ip;
    uint64_t post_commit_offset;
    uint64_t abort_ip;
} __attribute__((aligned(32)));

/* The calling thread's struct rseq: cpu_id is -1 until it registers. A
 * weak definition, so every file of a program that includes this header
 * shares one. */
__attribute__((weak)) __thread struct rseq_area __rseq_area = { .cpu_id = (uint32_t)RSEQ_CPU_ID_UNINITIALIZED };

/* rseq(rseq, len, flags, sig): 0 or -errno. */
static inline long rseq_syscall(struct rseq_area *area, uint32_t len, int flags, uint32_t sig)
{
    register long a0 __asm__("a0") = (long)area;
    register long a1 __asm__("a1") = (long)len;
    register long a2 __asm__("a2") = flags;
    register long a3 __asm__("a3") = (long)sig;
    register long a7 __asm__("a7") = SYS_rseq;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
    return a0;
}

/* Registers the calling thread's __rseq_area with RSEQ_SIG: 0 or -errno
 * (-ENOSYS where the kernel or emulator has no rseq, -EBUSY when done
 * already). */
static inline int rseq_register_current_thread(void)
{
    return (int)rseq_syscall(&__rseq_area, sizeof __rseq_area, 0, RSEQ_SIG);
}

/* Unregisters it: 0 or -errno. */
static inline int rseq_unregister_current_thread(void)
{
    return (int)rseq_syscall(&__rseq_area, sizeof __rseq_area, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

/* The CPU the thread runs on (read before a section; the section checks it). */
static inline int rseq_cpu_start(void)
{
    return (int)__rseq_area.cpu_id_start;
}

/* Whether this thread is registered (cpu_id is not -1). */
static inline int rseq_registered(void)
{
    return (int32_t)__rseq_area.cpu_id >= 0;
}

/*
 * The parts every sequence shares. RSEQ_DESCRIPTOR emits the section's
 * descriptor into .rodata (labels 1: start, 2: post-commit, 4: abort);
 * RSEQ_ENTER stores its address into rseq_cs and checks the CPU at
 * start_ip; RSEQ_ABORT puts the signature and the abort path after the
 * commit, jumped over on the way out.
 */
#define RSEQ_DESCRIPTOR                          \
    ".pushsection .rodata\n"                     \
    ".balign 32\n"                               \
    "3: .word 0, 0\n"                            \
    "   .word 1f, 0\n"                           \
    "   .word 2f - 1f, 0\n"                      \
    "   .word 4f, 0\n"                           \
    ".popsection\n"
#define RSEQ_ENTER                               \
    "la t0, 3b\n"                                \
    "sw t0, 8(%[rs])\n"                          \
    "1:\n"                                       \
    "lw t0, 4(%[rs])\n"                          \
    "bne t0, %[cpu], 4f\n"
#define RSEQ_ABORT(label)                        \
    "2:\n"                                       \
    "j 5f\n"                                     \
    ".word 0xf1401073\n"                         \
    "4: j %l[" label "]\n"                       \
    "5:\n"

/*
 * *v += count on CPU `cpu`'s data: 0 committed, -1 aborted.
 */
static inline int rseq_addv(intptr_t *v, intptr_t count, int cpu)
{
    __asm__ goto(
        RSEQ_DESCRIPTOR
        RSEQ_ENTER
        "lw t1, 0(%[v])\n"
        "add t1, t1, %[count]\n"
        "sw t1, 0(%[v])\n"              /* commit */
        RSEQ_ABORT("abort")
        :
        : [rs] "r"(&__rseq_area), [v] "r"(v), [count] "r"(count), [cpu] "r"(cpu)
        : "t0", "t1", "memory"
        : abort);
    return 0;
abort:
    return -1;
}

/*
 * If *v == expect, *v = newv: 0 committed, 1 *v differed (nothing
 * stored), -1 aborted. A push on a per-CPU list: newv's next is expect.
 */
static inline int rseq_cmpeqv_storev(intptr_t *v, intptr_t expect, intptr_t newv, int cpu)
{
    __asm__ goto(
        RSEQ_DESCRIPTOR
        RSEQ_ENTER
        "lw t1, 0(%[v])\n"
        "bne t1, %[expect], %l[differ]\n"
        "sw %[newv], 0(%[v])\n"         /* commit */
        RSEQ_ABORT("abort")
        :
        : [rs] "r"(&__rseq_area), [v] "r"(v), [expect] "r"(expect), [newv] "r"(newv), [cpu] "r"(cpu)
        : "t0", "t1", "memory"
        : abort, differ);
    return 0;
abort:
    return -1;
differ:
    return 1;
}

/*
 * If *v != expectnot: *load = *v, then *v = *(*v + voffp): 0 committed,
 * 1 *v was expectnot (nothing stored), -1 aborted. A pop from a per-CPU
 * list: expectnot 0 (empty), voffp the offset of the next pointer.
 */
static inline int rseq_cmpnev_storeoffp_load(intptr_t *v, intptr_t expectnot, intptr_t voffp, intptr_t *load, int cpu)
{
    __asm__ goto(
        RSEQ_DESCRIPTOR
        RSEQ_ENTER
        "lw t1, 0(%[v])\n"
        "beq t1, %[expectnot], %l[equal]\n"
        "add t0, t1, %[voffp]\n"
        "lw t0, 0(t0)\n"
        "sw t0, 0(%[v])\n"              /* commit */
        "2:\n"
        "sw t1, 0(%[load])\n"           /* after the commit: the popped node */
        "j 5f\n"
        ".word 0xf1401073\n"
        "4: j %l[abort]\n"
        "5:\n"
        :
        : [rs] "r"(&__rseq_area), [v] "r"(v), [expectnot] "r"(expectnot), [voffp] "r"(voffp), [load] "r"(load), [cpu] "r"(cpu)
        : "t0", "t1", "memory"
        : abort, equal);
    return 0;
abort:
    return -1;
equal:
    return 1;
}

#endif /* FAULTLINE_RSEQ_H */
