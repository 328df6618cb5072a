/*
 * <stdlib.h> — memory allocation, conversions, sorting, the environment
 * and ending the process (faultline libc).
 *
 * malloc keeps a free list of blocks carved from the program break (brk),
 * or from anonymous mmap when the break cannot grow; requests of 256 KiB
 * or more get their own mapping, returned by free. Blocks are 16-byte
 * aligned. It is thread-safe (one futex mutex).
 */
#ifndef FAULTLINE_LIBC_STDLIB_H
#define FAULTLINE_LIBC_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 0x7fffffff

void *malloc(size_t size);
/* Zeroed; NULL (errno ENOMEM) when n * size overflows. */
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int abs(int v);
long labs(long v);
long long llabs(long long v);

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* A deterministic generator (same sequence for the same seed). */
int rand(void);
void srand(unsigned int seed);

/* The value of NAME in the environment main received, or NULL. */
char *getenv(const char *name);

/* Up to 32 functions, run last-registered first by exit(). */
int atexit(void (*fn)(void));
/* Runs the atexit functions, flushes every stdio stream and ends the
 * process (every thread) with `status`. Returning from main calls it. */
__attribute__((noreturn)) void exit(int status);
/* Ends the process as killed by SIGABRT (status 134 in a shell). */
__attribute__((noreturn)) void abort(void);
__attribute__((noreturn)) void _Exit(int status);

#endif /* FAULTLINE_LIBC_STDLIB_H */
