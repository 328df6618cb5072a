/*
 * faultline-libc/format.c — the printf engine: one pass over the format,
 * writing to a sink (a stream, or a string with a capacity), counting
 * every character the full result would have. vsnprintf, vfprintf and the
 * rest are thin layers over format_to().
 *
 * A conversion is  %[flags][width][.precision][length]conversion  with
 *     flags      - + space # 0
 *     width      digits or * (a negative * means '-' and its magnitude)
 *     precision  digits or * (a negative * means none)
 *     length     hh h l ll z j t
 *     conversion d i u o x X c s p %
 * as C11 7.21.6.1 describes them (no floating point, no %n). %p prints as
 * %#x and a null pointer as "(nil)", as glibc does. An unknown conversion
 * is copied out as written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libc-private.h"

/* Where formatted text goes: a stream (f) or the string buf[0..cap-1]. */
struct sink {
    FILE *f;
    char *buf;
    size_t cap;   /* string: bytes buf can take, the NUL included */
    size_t count; /* characters produced so far (all of them, stored or not) */
};

static void out(struct sink *s, const char *p, size_t n)
{
    if (s->f != NULL) {
        __libc_put_unlocked(s->f, p, n);
    } else if (s->count + 1 < s->cap) {
        size_t room = s->cap - 1 - s->count;
        memcpy(s->buf + s->count, p, n < room ? n : room);
    }
    s->count += n;
}

static void repeat(struct sink *s, char c, int n)
{
    char chunk[16];
    memset(chunk, c, sizeof chunk);
    while (n > 0) {
        int k = n < (int)sizeof chunk ? n : (int)sizeof chunk;
        out(s, chunk, (size_t)k);
        n -= k;
    }
}

/* Digits of v in `base`, most significant first, into the end of buf
 * (which has 24 bytes); returns where they start. */
static char *digits_of(char *end, unsigned long long v, unsigned base, int upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    if (v <= 0xffffffffu) { /* the common case, in 32-bit arithmetic */
        uint32_t w = (uint32_t)v;
        do {
            *--p = set[w % base];
            w /= base;
        } while (w != 0);
    } else {
        do {
            *--p = set[v % base];
            v /= base;
        } while (v != 0);
    }
    return p;
}

/* The flags and sizes of one conversion. */
struct spec {
    int left, plus, space, alt, zero;
    int width;
    int precision; /* -1: none given */
};

/* Prints prefix, zeros, digits within the field as C11 describes. */
static void emit_number(struct sink *s, const struct spec *sp, const char *prefix, const char *digits, int ndigits)
{
    int plen = (int)strlen(prefix);
    int zeros = sp->precision > ndigits ? sp->precision - ndigits : 0;
    if (sp->zero && !sp->left && sp->precision < 0 && sp->width > plen + ndigits)
        zeros = sp->width - plen - ndigits;
    int total = plen + zeros + ndigits;
    if (!sp->left)
        repeat(s, ' ', sp->width - total);
    out(s, prefix, (size_t)plen);
    repeat(s, '0', zeros);
    out(s, digits, (size_t)ndigits);
    if (sp->left)
        repeat(s, ' ', sp->width - total);
}

/* Prints n bytes of text padded with spaces to the field width. */
static void emit_text(struct sink *s, const struct spec *sp, const char *text, int n)
{
    if (!sp->left)
        repeat(s, ' ', sp->width - n);
    out(s, text, (size_t)n);
    if (sp->left)
        repeat(s, ' ', sp->width - n);
}

enum length { LEN_HH, LEN_H, LEN_NONE, LEN_L, LEN_LL, LEN_Z };

/* Formats `fmt` with `ap` into the sink; returns the characters counted. */
static size_t format_to(struct sink *s, const char *fmt, va_list ap)
{
    while (*fmt != '\0') {
        if (*fmt != '%') {
            const char *lit = fmt;
            while (*fmt != '\0' && *fmt != '%')
                fmt++;
            out(s, lit, (size_t)(fmt - lit));
            continue;
        }
        const char *start = fmt++;
        struct spec sp = { 0, 0, 0, 0, 0, 0, -1 };
        for (;; fmt++) {
            if (*fmt == '-') sp.left = 1;
            else if (*fmt == '+') sp.plus = 1;
            else if (*fmt == ' ') sp.space = 1;
            else if (*fmt == '#') sp.alt = 1;
            else if (*fmt == '0') sp.zero = 1;
            else break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = 1;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                if (sp.precision < 0)
                    sp.precision = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.precision = sp.precision * 10 + (*fmt++ - '0');
            }
        }
        enum length len = LEN_NONE;
        if (fmt[0] == 'h' && fmt[1] == 'h') { len = LEN_HH; fmt += 2; }
        else if (fmt[0] == 'h') { len = LEN_H; fmt++; }
        else if (fmt[0] == 'l' && fmt[1] == 'l') { len = LEN_LL; fmt += 2; }
        else if (fmt[0] == 'l') { len = LEN_L; fmt++; }
        else if (fmt[0] == 'j') { len = LEN_LL; fmt++; }
        else if (fmt[0] == 'z' || fmt[0] == 't') { len = LEN_Z; fmt++; }

        char buf[24];
        char *end = buf + sizeof buf;
        char conv = *fmt;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v;
            switch (len) {
            case LEN_HH: v = (signed char)va_arg(ap, int); break;
            case LEN_H: v = (short)va_arg(ap, int); break;
            case LEN_L: v = va_arg(ap, long); break;
            case LEN_LL: v = va_arg(ap, long long); break;
            case LEN_Z: v = va_arg(ap, ssize_t); break;
            default: v = va_arg(ap, int); break;
            }
            unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            const char *prefix = v < 0 ? "-" : sp.plus ? "+" : sp.space ? " " : "";
            char *d = (mag == 0 && sp.precision == 0) ? end : digits_of(end, mag, 10, 0);
            emit_number(s, &sp, prefix, d, (int)(end - d));
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            unsigned long long v;
            switch (len) {
            case LEN_HH: v = (unsigned char)va_arg(ap, unsigned int); break;
            case LEN_H: v = (unsigned short)va_arg(ap, unsigned int); break;
            case LEN_L: v = va_arg(ap, unsigned long); break;
            case LEN_LL: v = va_arg(ap, unsigned long long); break;
            case LEN_Z: v = va_arg(ap, size_t); break;
            default: v = va_arg(ap, unsigned int); break;
            }
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            char *d = (v == 0 && sp.precision == 0) ? end : digits_of(end, v, base, conv == 'X');
            int n = (int)(end - d);
            const char *prefix = "";
            /* '#': the first digit is a 0. Without a precision, zero padding
               that already puts a 0 first keeps the '0' flag in force. */
            if (sp.alt && conv == 'o' && (n == 0 || d[0] != '0') && sp.precision <= n
                && !(sp.precision < 0 && sp.zero && !sp.left && sp.width > n))
                sp.precision = n + 1;
            if (sp.alt && v != 0 && conv == 'x')
                prefix = "0x";
            if (sp.alt && v != 0 && conv == 'X')
                prefix = "0X";
            emit_number(s, &sp, prefix, d, n);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            if (v == 0) {
                emit_text(s, &sp, "(nil)", 5);
            } else {
                char *d = digits_of(end, v, 16, 0);
                emit_number(s, &sp, sp.plus ? "+0x" : sp.space ? " 0x" : "0x", d, (int)(end - d));
            }
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_text(s, &sp, &c, 1);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL)
                str = (sp.precision < 0 || sp.precision >= 6) ? "(null)" : "";
            int n = (int)(sp.precision < 0 ? strlen(str) : strnlen(str, (size_t)sp.precision));
            emit_text(s, &sp, str, n);
            break;
        }
        case '%':
            out(s, "%", 1);
            break;
        case '\0':
            out(s, start, (size_t)(fmt - start)); /* a format ending inside a conversion */
            continue;
        default:
            out(s, start, (size_t)(fmt + 1 - start));
            break;
        }
        fmt++;
    }
    return s->count;
}

/* Caps a count at INT_MAX for the int results of the printf family. */
static int as_int(size_t n)
{
    if (n > 0x7fffffffu) {
        errno = EOVERFLOW;
        return -1;
    }
    return (int)n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { NULL, buf, size, 0 };
    size_t n = format_to(&s, fmt, ap);
    if (size > 0)
        buf[n < size ? n : size - 1] = '\0';
    return as_int(n);
}

int vsprintf(char *buf, const char *fmt, va_list ap)
{
    return vsnprintf(buf, (size_t)0x7fffffff, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    unsigned char tmp[512];
    __libc_lock_file(f);
    __libc_call_buffer(f, tmp, sizeof tmp);
    struct sink s = { f, NULL, 0, 0 };
    size_t n = format_to(&s, fmt, ap);
    __libc_call_flush(f);
    int failed = __libc_error_unlocked(f);
    __libc_unlock_file(f);
    return failed ? -1 : as_int(n);
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text = small;
    if (n >= (int)sizeof small) {
        text = malloc((size_t)n + 1);
        if (text == NULL) {
            va_end(again);
            return -1;
        }
        vsnprintf(text, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    for (int done = 0; n > 0 && done < n;) {
        long r = sys_write(fd, text + done, (size_t)(n - done));
        if (r <= 0) {
            n = -1;
            break;
        }
        done += (int)r;
    }
    if (text != small)
        free(text);
    return n;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}
