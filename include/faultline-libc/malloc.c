/*
 * faultline-libc/malloc.c — malloc, calloc, realloc, free.
 *
 * Memory comes from the program break (brk), grown in steps of at least
 * HEAP_STEP; when the break cannot grow (another mapping is in the way,
 * or the machine refuses) it comes from anonymous mmap instead. Every
 * block starts with a 16-byte header holding its total size:
 *
 *     [ size | MMAPPED? ][ pad ] [ payload ... ]      (16-byte aligned)
 *
 * Free blocks sit in one list sorted by address; free() puts a block back
 * in its place and merges it with the neighbours it touches, so the heap
 * does not fragment into ever smaller pieces. malloc takes the first block
 * that fits and splits off the rest when the rest can hold a block.
 * Requests of LARGE_REQUEST bytes or more get a mapping of their own,
 * which free() unmaps. One futex mutex guards the list.
 */
#include <stdlib.h>
#include <string.h>

#include "../faultline-rt/thread.h"
#include "libc-private.h"

#define ALIGN 16u
#define HEADER 16u
#define MIN_BLOCK 32u /* header + 16 bytes: the smallest block worth splitting off */
#define HEAP_STEP (128u * 1024u)
#define LARGE_REQUEST (256u * 1024u)
#define MMAPPED 1u

struct block {
    size_t size;         /* total bytes with the header; bit 0: MMAPPED */
    struct block *next;  /* next free block by address (free blocks only) */
    uint32_t pad[2];
};

static mutex_t heap_lock = MUTEX_INITIALIZER;
static struct block *free_list;
static uintptr_t brk_end; /* 0 until the break is first asked */

static size_t heap_round(size_t n, size_t to)
{
    return (n + to - 1) & ~(to - 1);
}

/* Inserts b into the free list in address order and merges it with the
 * blocks on either side that it touches. Caller holds heap_lock. */
static void insert_free(struct block *b)
{
    struct block *prev = NULL, *cur = free_list;
    while (cur != NULL && cur < b) {
        prev = cur;
        cur = cur->next;
    }
    b->next = cur;
    if (cur != NULL && (uintptr_t)b + b->size == (uintptr_t)cur) {
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev == NULL) {
        free_list = b;
    } else if ((uintptr_t)prev + prev->size == (uintptr_t)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else {
        prev->next = b;
    }
}

/* Adds at least `need` bytes to the free list, from the break or from
 * mmap. Returns 0, or -1 when neither gives memory. Caller holds heap_lock. */
static int grow(size_t need)
{
    size_t step = heap_round(need > HEAP_STEP ? need : HEAP_STEP, PAGE_SIZE);
    if (brk_end == 0)
        brk_end = heap_round((uintptr_t)sys_brk(0), ALIGN);
    uintptr_t want = brk_end + step;
    if (want > brk_end && (uintptr_t)sys_brk((long)want) == want) {
        struct block *b = (struct block *)brk_end;
        b->size = step;
        brk_end = want;
        insert_free(b);
        return 0;
    }
    long m = sys_mmap_anon(step, PROT_READ | PROT_WRITE);
    if (sys_failed(m))
        return -1;
    struct block *b = (struct block *)m;
    b->size = step;
    insert_free(b);
    return 0;
}

/* Total block bytes for a request of n, or 0 when it overflows. */
static size_t block_size(size_t n)
{
    if (n > (size_t)-1 - HEADER - ALIGN)
        return 0;
    size_t s = heap_round(n + HEADER, ALIGN);
    return s < MIN_BLOCK ? MIN_BLOCK : s;
}

static void *malloc_large(size_t size)
{
    long m = sys_mmap_anon(size, PROT_READ | PROT_WRITE);
    if (sys_failed(m)) {
        errno = ENOMEM;
        return NULL;
    }
    struct block *b = (struct block *)m;
    b->size = size | MMAPPED;
    return (char *)b + HEADER;
}

void *malloc(size_t n)
{
    size_t size = block_size(n);
    if (size == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (size >= LARGE_REQUEST) {
        size_t mapped = heap_round(size, PAGE_SIZE);
        if (mapped < size) {
            errno = ENOMEM;
            return NULL;
        }
        return malloc_large(mapped);
    }
    mutex_lock(&heap_lock);
    for (int attempt = 0; attempt < 2; attempt++) {
        struct block *prev = NULL;
        for (struct block *b = free_list; b != NULL; prev = b, b = b->next) {
            if (b->size < size)
                continue;
            struct block *rest = b->next;
            if (b->size - size >= MIN_BLOCK) { /* split: the tail stays free */
                struct block *tail = (struct block *)((char *)b + size);
                tail->size = b->size - size;
                tail->next = b->next;
                rest = tail;
                b->size = size;
            }
            if (prev == NULL)
                free_list = rest;
            else
                prev->next = rest;
            mutex_unlock(&heap_lock);
            return (char *)b + HEADER;
        }
        if (grow(size) < 0)
            break;
    }
    mutex_unlock(&heap_lock);
    errno = ENOMEM;
    return NULL;
}

void free(void *p)
{
    if (p == NULL)
        return;
    struct block *b = (struct block *)((char *)p - HEADER);
    if (b->size & MMAPPED) {
        sys_munmap((long)b, b->size & ~MMAPPED);
        return;
    }
    mutex_lock(&heap_lock);
    insert_free(b);
    mutex_unlock(&heap_lock);
}

void *calloc(size_t n, size_t size)
{
    if (size != 0 && n > (size_t)-1 / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n * size);
    /* Hide p's origin: GCC turns malloc followed by memset(0) into a call
     * to calloc, which here would call itself. */
    __asm__("" : "+r"(p));
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    struct block *b = (struct block *)((char *)p - HEADER);
    size_t have = (b->size & ~MMAPPED) - HEADER;
    if (n <= have && !(b->size & MMAPPED))
        return p; /* keeps its block; the slack stays with it */
    void *q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, have < n ? have : n);
    free(p);
    return q;
}
