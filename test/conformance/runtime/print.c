/*
 * print.c — line-buffered stdout for freestanding guest programs, plus the
 * few libc memory routines gcc may call on its own.
 */
#include "print.h"

#define OUT_CAP 256

static char out_buf[OUT_CAP];
static uint32_t out_len;

/* Writes the whole buffer, retrying short writes; drops it on an error. */
void print_flush(void)
{
    uint32_t done = 0;
    while (done < out_len) {
        long r = sys_write(1, out_buf + done, out_len - done);
        if (r <= 0)
            break;
        done += (uint32_t)r;
    }
    out_len = 0;
}

void print_char(char c)
{
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == OUT_CAP)
        print_flush();
}

void print_str(const char *s)
{
    while (*s)
        print_char(*s++);
}

void print_nl(void)
{
    print_char('\n');
}

void print_udec(uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        print_char(tmp[--n]);
}

void print_dec(int32_t v)
{
    if (v < 0) {
        print_char('-');
        print_udec(0u - (uint32_t)v);
    } else {
        print_udec((uint32_t)v);
    }
}

void print_hexn(uint32_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        print_char(hex[(v >> (4 * i)) & 15u]);
}

void print_hex(uint32_t v)
{
    print_str("0x");
    print_hexn(v, 8);
}

void print_kv(const char *label, int32_t v)
{
    print_str(label);
    print_char('=');
    print_dec(v);
    print_nl();
}

void print_kx(const char *label, uint32_t v)
{
    print_str(label);
    print_char('=');
    print_hex(v);
    print_nl();
}

void rt_exit(int status)
{
    print_flush();
    sys_exit(status);
}

/*
 * The loops below must not be turned back into calls to themselves, hence
 * the optimize attribute.
 */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
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
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
