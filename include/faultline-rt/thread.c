/*
 * faultline-rt/thread.c — threads, mutex and condition variable (see
 * thread.h).
 *
 * A thread's mapping, low to high addresses:
 *
 *     | guard page (PROT_NONE) | stack ... <- sp | descriptor | TLS block | pad |
 *                                               ^ struct rt_thread     ^ tp
 *
 * tp is aligned to the TLS image's alignment (at least 16) and the
 * descriptor sits right below it, so thread_self() is tp - 1 descriptor;
 * the stack grows down from the descriptor.
 */
#include "print.h"
#include "runtime-private.h"
#include "string.h"
#include "syscall.h"
#include "thread.h"

struct rt_tls_image __rt_tls;

#define THREAD_FLAGS                                                                  \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* Space the first thread's block has without a system call. */
#define FIRST_BLOCK_BYTES 1024u

static unsigned char first_block[FIRST_BLOCK_BYTES] __attribute__((aligned(64)));

/*
 * sys_clone(flags, stack, parent_tid, tls, child_tid, entry, arg): the
 * system call takes a0..a4 as they are; entry and arg are stored on the
 * child's stack first, because the child starts with the parent's
 * registers but on the new stack, and loads them from there. The child
 * never returns into this function's caller: it calls entry(arg) and
 * exits with the result.
 */
__asm__(".pushsection .text, \"ax\", @progbits\n"
        ".globl sys_clone\n"
        ".type sys_clone, @function\n"
        ".p2align 2\n"
        "sys_clone:\n"
        "    andi a1, a1, -16\n"
        "    addi a1, a1, -16\n"
        "    sw   a5, 0(a1)\n" /* entry */
        "    sw   a6, 4(a1)\n" /* arg */
        "    li   a7, 220\n"   /* SYS_clone */
        "    ecall\n"
        "    beqz a0, 1f\n"
        "    ret\n" /* parent: the child's tid, or -errno */
        "1:  lw   a1, 0(sp)\n"
        "    lw   a0, 4(sp)\n"
        "    jalr a1\n"
        "    li   a7, 93\n" /* SYS_exit(entry's result) */
        "    ecall\n"
        "    .word 0\n"
        ".size sys_clone, . - sys_clone\n"
        ".popsection\n");

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) & ~(to - 1);
}

static size_t tls_align(void)
{
    return __rt_tls.align > 16 ? __rt_tls.align : 16;
}

/* Bytes a descriptor and a TLS block need, whatever the placement. */
static size_t block_bytes(void)
{
    return sizeof(struct rt_thread) + __rt_tls.memsz + tls_align();
}

/*
 * Places a zeroed descriptor and a fresh copy of the TLS image at the top
 * of a range ending at `hi` that holds at least block_bytes(); returns the
 * descriptor (tp is right above it).
 */
static thread_t place_block(unsigned char *hi)
{
    uintptr_t tp = ((uintptr_t)hi - __rt_tls.memsz) & ~(uintptr_t)(tls_align() - 1);
    thread_t t = (thread_t)tp - 1;
    memset(t, 0, sizeof *t);
    memcpy((void *)tp, __rt_tls.init, __rt_tls.filesz);
    memset((unsigned char *)tp + __rt_tls.filesz, 0, __rt_tls.memsz - __rt_tls.filesz);
    return t;
}

void __rt_init_first_thread(void)
{
    unsigned char *hi = first_block + FIRST_BLOCK_BYTES;
    size_t need = block_bytes();
    if (need > FIRST_BLOCK_BYTES) {
        size_t size = round_up(need, PAGE_SIZE);
        long base = sys_mmap_anon(size, PROT_READ | PROT_WRITE);
        if (sys_failed(base)) {
            static const char msg[] = "faultline-rt: no memory for the first thread's TLS block\n";
            sys_write(2, msg, sizeof msg - 1);
            sys_exit_group(127);
        }
        hi = (unsigned char *)base + size;
    }
    thread_t t = place_block(hi);
    __asm__ volatile("mv tp, %0" : : "r"(t + 1) : "memory");
}

/* What a new thread runs first (on its own stack, tp already set). */
static int thread_start(void *arg)
{
    thread_t t = arg;
    /* CLONE_PARENT_SETTID wrote tid_word before the thread started. */
    __atomic_store_n(&t->tid, t->tid_word, __ATOMIC_RELAXED);
    thread_exit(t->fn(t->arg));
}

/* Largest stack thread_create_stack() accepts (the sizes below must not wrap). */
#define THREAD_STACK_MAX (1u << 30)

thread_t thread_create_stack(int (*fn)(void *arg), void *arg, size_t stack_bytes)
{
    if (stack_bytes > THREAD_STACK_MAX || __rt_tls.memsz > THREAD_STACK_MAX)
        return NULL;
    size_t stack = round_up(stack_bytes != 0 ? stack_bytes : THREAD_STACK_DEFAULT, PAGE_SIZE);
    size_t total = round_up(PAGE_SIZE + stack + block_bytes(), PAGE_SIZE);
    long base = sys_mmap_anon(total, PROT_READ | PROT_WRITE);
    if (sys_failed(base))
        return NULL;
    sys_mprotect(base, PAGE_SIZE, PROT_NONE); /* guard page; best effort */
    thread_t t = place_block((unsigned char *)base + total);
    t->fn = fn;
    t->arg = arg;
    t->map = (void *)base;
    t->map_size = total;
    long tid = sys_clone(THREAD_FLAGS, t, &t->tid_word, t + 1, &t->tid_word, thread_start, t);
    if (tid < 0) {
        sys_munmap(base, total);
        return NULL;
    }
    __atomic_store_n(&t->tid, (int)tid, __ATOMIC_RELAXED);
    return t;
}

thread_t thread_create(int (*fn)(void *arg), void *arg)
{
    return thread_create_stack(fn, arg, THREAD_STACK_DEFAULT);
}

int thread_join(thread_t t)
{
    for (;;) {
        int tid = __atomic_load_n(&t->tid_word, __ATOMIC_ACQUIRE);
        if (tid == 0)
            break;
        /*
         * The kernel wakes the CLONE_CHILD_CLEARTID word with a shared
         * (not FUTEX_PRIVATE_FLAG) FUTEX_WAKE, and a private waiter would
         * not match it: wait shared, as glibc's pthread_join does.
         */
        sys_futex(&t->tid_word, FUTEX_WAIT, tid, NULL, NULL, 0);
    }
    int result = __atomic_load_n(&t->result, __ATOMIC_ACQUIRE);
    sys_munmap((long)t->map, t->map_size);
    return result;
}

void thread_exit(int result)
{
    thread_t self = thread_self();
    print_flush();
    __atomic_store_n(&self->result, result, __ATOMIC_RELEASE);
    sys_exit(result);
}

int thread_tid(thread_t t)
{
    int tid = __atomic_load_n(&t->tid, __ATOMIC_RELAXED);
    if (tid == 0 && t->map == NULL) { /* the first thread: its tid is the pid */
        tid = sys_getpid();
        __atomic_store_n(&t->tid, tid, __ATOMIC_RELAXED);
    }
    return tid;
}

/* ---- mutex ------------------------------------------------------------- */

void mutex_lock(mutex_t *m)
{
    int c = 0;
    if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return; /* 0 -> 1: uncontended */
    if (c != 2)
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) { /* mark it contended, sleep until it may be free */
        futex_wait(&m->state, 2, NULL);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
}

int mutex_trylock(mutex_t *m)
{
    int c = 0;
    return __atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ? 0 : -EBUSY;
}

void mutex_unlock(mutex_t *m)
{
    if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) { /* was 2: waiters */
        __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
        futex_wake(&m->state, 1);
    }
}

/* ---- condition variable ------------------------------------------------ */

void cond_wait(cond_t *c, mutex_t *m)
{
    int seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    mutex_unlock(m);
    /* A signal between the unlock and the wait changed seq: -EAGAIN, no sleep. */
    futex_wait(&c->seq, seq, NULL);
    /* Relock as contended (state 2): other waiters may sleep on m. */
    while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0)
        futex_wait(&m->state, 2, NULL);
}

void cond_signal(cond_t *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    futex_wake(&c->seq, 1);
}

void cond_broadcast(cond_t *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    futex_wake(&c->seq, INT32_MAX);
}
