/*
 * faultline-libc/stdlib.c — <stdlib.h> apart from malloc: number
 * conversions, qsort/bsearch, rand, getenv, atexit/exit/abort, and the
 * hooks the runtime's startup and threads call (rt_exit, print_flush).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../faultline-rt/print.h"
#include "libc-private.h"

/*
 * The conversion under strtol and friends: skips spaces, reads a sign,
 * the base prefix (0x for 16 or 0, 0 for 0) and digits. Returns the
 * magnitude, or `limit` with *over set (and errno ERANGE) when it exceeds
 * limit; *neg is the sign; *end the first unread character (s itself
 * when there were no digits).
 */
static unsigned long long parse(const char *s, char **end, int base, unsigned long long limit, int *neg, int *over)
{
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    *neg = 0;
    *over = 0;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end != NULL)
            *end = (char *)s;
        return 0;
    }
    unsigned long long v = 0;
    int any = 0;
    for (;; p++) {
        int c = (unsigned char)*p, d;
        if (isdigit(c))
            d = c - '0';
        else if (isalpha(c))
            d = tolower(c) - 'a' + 10;
        else
            break;
        if (d >= base)
            break;
        any = 1;
        if (v > (limit - (unsigned)d) / (unsigned)base)
            *over = 1;
        else
            v = v * (unsigned)base + (unsigned)d;
    }
    if (end != NULL)
        *end = (char *)(any ? p : s);
    if (*over) {
        errno = ERANGE;
        return limit;
    }
    return v;
}

long long strtoll(const char *s, char **end, int base)
{
    int neg, over;
    unsigned long long v = parse(s, end, base, (unsigned long long)LLONG_MAX + 1, &neg, &over);
    if (!neg && v > (unsigned long long)LLONG_MAX) {
        errno = ERANGE;
        return LLONG_MAX;
    }
    return neg ? (long long)(0 - v) : (long long)v;
}

/* Out of range, either sign: ULLONG_MAX (C11 7.22.1.4). */
unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg, over;
    unsigned long long v = parse(s, end, base, ULLONG_MAX, &neg, &over);
    return neg && !over ? 0 - v : v;
}

long strtol(const char *s, char **end, int base)
{
    int neg, over;
    unsigned long long v = parse(s, end, base, (unsigned long long)LONG_MAX + 1, &neg, &over);
    if (!neg && v > (unsigned long long)LONG_MAX) {
        errno = ERANGE;
        return LONG_MAX;
    }
    return neg ? (long)(0 - (unsigned long)v) : (long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int neg, over;
    unsigned long long v = parse(s, end, base, ULONG_MAX, &neg, &over);
    return neg && !over ? 0 - (unsigned long)v : (unsigned long)v;
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
long long atoll(const char *s) { return strtoll(s, NULL, 10); }
int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }

/* ---- sorting: heapsort (no recursion, no allocation) ----------------- */

static void swap_bytes(char *a, char *b, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Moves element `root` down the heap of the first `n` elements. */
static void sift_down(char *base, size_t root, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_bytes(base + root * size, base + child * size, size);
        root = child;
    }
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(b, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap_bytes(b, b + end * size, size);
        sift_down(b, 0, end, size, cmp);
    }
}

void *bsearch(const void *key, const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    const char *b = base;
    while (n > 0) {
        const char *mid = b + (n / 2) * size;
        int c = cmp(key, mid);
        if (c == 0)
            return (void *)mid;
        if (c > 0) {
            b = mid + size;
            n -= n / 2 + 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}

/* ---- rand: a 64-bit LCG (Knuth's MMIX constants), high bits out ------ */

static uint64_t rand_state = 1;

void srand(unsigned int seed)
{
    rand_state = seed;
}

int rand(void)
{
    rand_state = rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)(rand_state >> 33);
}

/* ---- the environment ------------------------------------------------ */

char *getenv(const char *name)
{
    size_t len = strlen(name);
    for (char **e = environ; e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

/* ---- getopt ---------------------------------------------------------- */

char *optarg;
int optind = 1, opterr = 1, optopt;
/* Where getopt is inside a group of letters ("-abc"): 0 at a new word. */
static int optpos;

int getopt(int argc, char *const argv[], const char *options)
{
    int quiet = options[0] == ':';
    optarg = NULL;
    if (optind == 0) { /* glibc's way to start over */
        optind = 1;
        optpos = 0;
    }
    if (optpos == 0) {
        if (optind >= argc || argv[optind] == NULL || argv[optind][0] != '-' || argv[optind][1] == '\0')
            return -1;
        if (strcmp(argv[optind], "--") == 0) {
            optind++;
            return -1;
        }
        optpos = 1;
    }
    const char *word = argv[optind];
    int c = (unsigned char)word[optpos++];
    const char *spec = c == ':' ? NULL : strchr(options + quiet, c);
    if (word[optpos] == '\0') { /* the group ends here */
        optind++;
        optpos = 0;
    }
    optopt = c;
    if (spec == NULL) {
        if (opterr && !quiet)
            fprintf(stderr, "%s: invalid option -- '%c'\n", argv[0], c);
        return '?';
    }
    if (spec[1] == ':') {
        if (optpos != 0) { /* the rest of this word: "-ofile" */
            optarg = (char *)word + optpos;
            optind++;
            optpos = 0;
        } else if (optind < argc) { /* the next word: "-o file" */
            optarg = argv[optind++];
        } else {
            if (opterr && !quiet)
                fprintf(stderr, "%s: option requires an argument -- '%c'\n", argv[0], c);
            return quiet ? ':' : '?';
        }
    }
    return c;
}

/* ---- ending ---------------------------------------------------------- */

#define ATEXIT_MAX 32

static void (*at_exit[ATEXIT_MAX])(void);
static int at_exit_count;

int atexit(void (*fn)(void))
{
    if (at_exit_count == ATEXIT_MAX)
        return -1;
    at_exit[at_exit_count++] = fn;
    return 0;
}

void exit(int status)
{
    while (at_exit_count > 0)
        at_exit[--at_exit_count]();
    __libc_flush_all();
    sys_exit_group(status);
}

void _Exit(int status)
{
    sys_exit_group(status);
}

#define SIGABRT 6

void abort(void)
{
    fflush(stderr);
    sys_call3(SYS_tgkill, sys_getpid(), sys_gettid(), SIGABRT);
    sys_exit_group(128 + SIGABRT); /* when the signal did not end the process */
}

void __assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "%s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}

/* The runtime's startup (crt0) passes main's result here. */
void rt_exit(int status)
{
    exit(status);
}

/* The runtime's thread_exit() writes out the thread's output here. */
void print_flush(void)
{
    fflush(stdout);
}
