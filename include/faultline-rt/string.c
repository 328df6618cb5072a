/*
 * faultline-rt/string.c — memory and string functions (see string.h).
 *
 * memcpy and memset move a word at a time once the destination is aligned
 * (and, for memcpy, the source too); strlen scans a word at a time. A word
 * load never crosses a page, so scanning past the terminator within its
 * word cannot fault where a byte loop would not.
 *
 * GCC recognises these loops as the functions they implement and would
 * turn them into calls to themselves; NO_LIBCALL forbids that.
 */
#include "string.h"

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* A word that may alias any object (the copies go through char buffers). */
typedef uint32_t __attribute__((may_alias)) word_t;

#define WORD sizeof(word_t)
#define ONES 0x01010101u
#define HIGHS 0x80808080u

/* Non-zero when some byte of w is zero (exact: no false positives). */
static inline uint32_t word_has_zero(uint32_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) == 0) {
        while (n > 0 && ((uintptr_t)d & (WORD - 1)) != 0) {
            *d++ = *s++;
            n--;
        }
        word_t *dw = (word_t *)d;
        const word_t *sw = (const word_t *)s;
        for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4, sw += 4) {
            word_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
        for (; n >= WORD; n -= WORD)
            *dw++ = *sw++;
        d = (uint8_t *)dw;
        s = (const uint8_t *)sw;
    }
    while (n-- > 0)
        *d++ = *s++;
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) /* no overlap with d after s */
        return memcpy(dst, src, n);
    while (n-- > 0) /* d inside [s, s + n): copy backwards */
        d[n] = s[n];
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    uint8_t byte = (uint8_t)c;
    while (n > 0 && ((uintptr_t)d & (WORD - 1)) != 0) {
        *d++ = byte;
        n--;
    }
    word_t word = byte * ONES;
    word_t *dw = (word_t *)d;
    for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4) {
        dw[0] = word;
        dw[1] = word;
        dw[2] = word;
        dw[3] = word;
    }
    for (; n >= WORD; n -= WORD)
        *dw++ = word;
    d = (uint8_t *)dw;
    while (n-- > 0)
        *d++ = byte;
    return dst;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

NO_LIBCALL size_t strlen(const char *s)
{
    const char *p = s;
    while (((uintptr_t)p & (WORD - 1)) != 0) {
        if (*p == '\0')
            return (size_t)(p - s);
        p++;
    }
    const word_t *w = (const word_t *)p;
    while (!word_has_zero(*w))
        w++;
    p = (const char *)w;
    while (*p != '\0')
        p++;
    return (size_t)(p - s);
}

NO_LIBCALL int strcmp(const char *a, const char *b)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    while (*x != '\0' && *x == *y) {
        x++;
        y++;
    }
    return (int)*x - (int)*y;
}

NO_LIBCALL int strncmp(const char *a, const char *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (; n > 0; n--, x++, y++) {
        if (*x != *y)
            return (int)*x - (int)*y;
        if (*x == '\0')
            return 0;
    }
    return 0;
}

NO_LIBCALL char *strchr(const char *s, int c)
{
    char ch = (char)c;
    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}
