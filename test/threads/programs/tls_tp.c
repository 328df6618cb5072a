/*
 * tls_tp.c — thread-local storage through tp (RISC-V TLS variant I, GNU
 * ld's local-exec offsets): every thread starts with a fresh copy of the
 * TLS image — initialised data (.tdata) and zeros (.tbss) — not with the
 * first thread's current values; a 64-byte-aligned variable is aligned in
 * every thread; a variable's offset from tp is the same in every thread
 * while tp itself differs; and updates stay private to their thread.
 */
#include "corpus.h"

#define THREADS 4

__thread int tls_init = 1234;
__thread uint32_t tls_zero;
__thread char tls_text[16] = "abc";
__thread uint32_t tls_aligned __attribute__((aligned(64))) = 7;

struct report {
    int fresh_image, aligned, same_offset, private_sum;
    uintptr_t tp;
    uintptr_t zero_address;
};

static struct report reports[THREADS];
static uintptr_t main_offset; /* &tls_init - tp in the first thread */

static int worker(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    struct report *r = &reports[id];
    r->fresh_image = tls_init == 1234 && tls_zero == 0 && strcmp(tls_text, "abc") == 0 && tls_aligned == 7;
    r->aligned = ((uintptr_t)&tls_aligned & 63) == 0;
    r->tp = (uintptr_t)thread_pointer();
    r->same_offset = (uintptr_t)&tls_init - r->tp == main_offset;
    r->zero_address = (uintptr_t)&tls_zero;
    for (uint32_t i = 0; i < 500 * (id + 1); i++) {
        tls_zero++;
        if (i % 100 == 0)
            sys_sched_yield();
    }
    tls_text[0] = (char)('A' + id);
    r->private_sum = (int)tls_zero + (tls_text[0] - 'A');
    return 0;
}

int main(void)
{
    main_offset = (uintptr_t)&tls_init - (uintptr_t)thread_pointer();
    say("first thread: image values", tls_init == 1234 && tls_zero == 0 && strcmp(tls_text, "abc") == 0);
    say("first thread: 64-byte alignment", ((uintptr_t)&tls_aligned & 63) == 0);
    tls_init = 99; /* threads must not inherit this */
    tls_zero = 5;
    thread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        t[i] = spawn(worker, (void *)(uintptr_t)i);
    for (int i = 0; i < THREADS; i++)
        thread_join(t[i]);
    int distinct = 1;
    for (int i = 0; i < THREADS; i++) {
        struct report *r = &reports[i];
        printf("thread %d: fresh image %s, aligned %s, same offset from tp %s, private sum %d\n", i,
               r->fresh_image ? "yes" : "no", r->aligned ? "yes" : "no", r->same_offset ? "yes" : "no",
               r->private_sum);
        distinct &= r->tp != (uintptr_t)thread_pointer() && r->zero_address != (uintptr_t)&tls_zero;
        for (int j = 0; j < i; j++)
            distinct &= r->tp != reports[j].tp && r->zero_address != reports[j].zero_address;
    }
    say("tp and TLS addresses distinct per thread", distinct);
    printf("first thread after the others: tls_init=%d tls_zero=%lu tls_text=%s\n", tls_init,
           (unsigned long)tls_zero, tls_text);
    return 0;
}
