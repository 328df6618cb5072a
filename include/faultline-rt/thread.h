/*
 * faultline-rt/thread.h — threads, a futex mutex, a condition variable and
 * thread-local storage, made the way glibc and musl make them on Linux
 * riscv (part of <faultline-rt.h>).
 *
 * - thread_create() maps a stack (with a PROT_NONE guard page below it)
 *   and the thread's block (its descriptor and its copy of the program's
 *   TLS image), then calls clone with CLONE_VM | CLONE_FS | CLONE_FILES |
 *   CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
 *   CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID. The kernel writes the new
 *   tid into the descriptor before clone returns, and clears it (and wakes
 *   it as a futex) when the thread has exited: thread_join() waits for 0.
 * - `tp` points at the thread's TLS block, with the descriptor right below
 *   it (RISC-V TLS variant I, the layout GNU ld's local-exec offsets
 *   assume), so `__thread` variables work in every thread.
 * - Atomics: GCC's __atomic builtins on 32-bit objects (lr/sc and AMOs of
 *   RV32A); 64-bit atomics would need libatomic and do not link.
 *
 * Output through print.h is per thread and line-buffered: each line
 * reaches stdout in one write, so lines of different threads never mix.
 */
#ifndef FAULTLINE_RT_THREAD_H
#define FAULTLINE_RT_THREAD_H

#include "types.h"

/* A thread's buffered output line, in its descriptor (see print.h). */
#define RT_LINE_MAX 256

/* Stack size thread_create() gives a thread. */
#define THREAD_STACK_DEFAULT (64u * 1024u)

/*
 * A thread's descriptor, just below its tp. Fields are the runtime's;
 * programs use the functions below.
 */
struct rt_thread {
    /* Thread id while the thread lives, 0 once it has exited (the
     * kernel's CLONE_PARENT_SETTID and CLONE_CHILD_CLEARTID word). */
    volatile int tid_word;
    /* The thread id, kept after the thread has exited. */
    int tid;
    /* What the thread runs, and what it returned or passed thread_exit(). */
    int (*fn)(void *arg);
    void *arg;
    int result;
    /* The mapping holding stack, descriptor and TLS (unmapped by join);
     * NULL for the first thread's static block. */
    void *map;
    size_t map_size;
    /* The line being printed (see print.h). */
    uint32_t out_len;
    char out[RT_LINE_MAX];
} __attribute__((aligned(16)));

typedef struct rt_thread *thread_t;

/*
 * Starts a thread running fn(arg) with a THREAD_STACK_DEFAULT stack. The
 * thread ends when fn returns (its return value is the result) or calls
 * thread_exit(). Returns NULL when the memory or the thread cannot be had
 * (mmap or clone failed).
 */
thread_t thread_create(int (*fn)(void *arg), void *arg);

/* As thread_create(), with a stack of `stack_bytes` (rounded up to pages;
 * 0 means THREAD_STACK_DEFAULT; NULL above 1 GiB). */
thread_t thread_create_stack(int (*fn)(void *arg), void *arg, size_t stack_bytes);

/*
 * Waits until thread `t` (from thread_create) has exited (its
 * CLONE_CHILD_CLEARTID word is 0), releases its stack and block, and
 * returns its result. Join each thread created exactly once; the first
 * thread cannot be joined.
 */
int thread_join(thread_t t);

/*
 * Ends the calling thread with `result` (what thread_join() returns),
 * after writing out its unfinished output line. The process goes on while
 * other threads live; from the first thread too. The Linux exit status of
 * the process is not this: use rt_exit() / return from main for that.
 */
__attribute__((noreturn)) void thread_exit(int result);

/* The calling thread. */
static inline thread_t thread_self(void)
{
    thread_t tp;
    __asm__("mv %0, tp" : "=r"(tp));
    return tp - 1;
}

/* The value of `tp`: the start of the calling thread's TLS block. */
static inline void *thread_pointer(void)
{
    void *tp;
    __asm__("mv %0, tp" : "=r"(tp));
    return tp;
}

/* Thread id of `t` (the process id for the first thread). */
int thread_tid(thread_t t);

/* ---- mutex: Drepper's three-state futex lock ("Futexes Are Tricky") ----- */

/* state: 0 unlocked, 1 locked, 2 locked and maybe waited for. */
typedef struct {
    volatile int state;
} mutex_t;

#define MUTEX_INITIALIZER { 0 }

void mutex_lock(mutex_t *m);
/* 0 when the lock was taken, -EBUSY (16) when it was held. */
int mutex_trylock(mutex_t *m);
void mutex_unlock(mutex_t *m);

/* ---- condition variable: a sequence number to sleep on --------------- */

typedef struct {
    volatile int seq;
} cond_t;

#define COND_INITIALIZER { 0 }

/*
 * Unlocks `m`, sleeps until cond_signal()/cond_broadcast() (or a spurious
 * wakeup: always wait in a loop that re-checks the condition), locks `m`
 * again. The caller holds `m`.
 */
void cond_wait(cond_t *c, mutex_t *m);
/* Wakes one waiter. */
void cond_signal(cond_t *c);
/* Wakes every waiter. */
void cond_broadcast(cond_t *c);

#endif /* FAULTLINE_RT_THREAD_H */
