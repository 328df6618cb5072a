/*
 * faultline-rt/print.c — per-thread line-buffered output and printf (see
 * print.h). The buffer is the calling thread's, reached through tp, so no
 * lock is needed; a line goes out in one write.
 */
#include "print.h"
#include "string.h"
#include "syscall.h"
#include "thread.h"

void print_flush(void)
{
    thread_t self = thread_self();
    uint32_t done = 0;
    while (done < self->out_len) {
        long r = sys_write(1, self->out + done, self->out_len - done);
        if (r <= 0)
            break; /* nothing more can be written: drop the line */
        done += (uint32_t)r;
    }
    self->out_len = 0;
}

void print_char(char c)
{
    thread_t self = thread_self();
    self->out[self->out_len++] = c;
    if (c == '\n' || self->out_len == RT_LINE_MAX)
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

/*
 * Divides *n by 10 in place and returns the remainder, with 32-bit
 * divisions only (a 64-bit `/` would call libgcc's __udivdi3): the high
 * word, then the low word in two 16-bit steps, carrying the remainder.
 */
static uint32_t divmod10_u64(uint64_t *n)
{
    uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
    uint32_t qhi = hi / 10u, r = hi % 10u;
    uint32_t mid = (r << 16) | (lo >> 16);
    uint32_t qmid = mid / 10u;
    r = mid % 10u;
    uint32_t low = (r << 16) | (lo & 0xffffu);
    uint32_t qlo = low / 10u;
    r = low % 10u;
    *n = ((uint64_t)qhi << 32) | ((uint64_t)qmid << 16) | qlo;
    return r;
}

/* Digits of v in `base` (8, 10 or 16), most significant first, into buf
 * (24 bytes); returns how many. */
static int format_u64(char *buf, uint64_t v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        uint32_t d;
        if (base == 10) {
            d = divmod10_u64(&v);
        } else {
            unsigned shift = base == 16 ? 4 : 3;
            d = (uint32_t)v & (base - 1);
            v >>= shift;
        }
        tmp[n++] = digits[d];
    } while (v != 0);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

void print_udec(uint32_t v)
{
    char buf[24];
    int n = format_u64(buf, v, 10, 0);
    for (int i = 0; i < n; i++)
        print_char(buf[i]);
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

/* Prints `len` bytes of s padded to `width`; returns the count printed. */
static int pad_out(const char *s, int len, int width, int left, char fill)
{
    int count = 0;
    if (!left && fill == '0' && len > 0 && (s[0] == '-') && width > len) {
        print_char('-'); /* zero padding goes after the sign */
        s++;
        len--;
        width--;
        count++;
    }
    for (int i = len; !left && i < width; i++, count++)
        print_char(fill);
    for (int i = 0; i < len; i++, count++)
        print_char(s[i]);
    for (int i = len; left && i < width; i++, count++)
        print_char(' ');
    return count;
}

int vprintf(const char *fmt, va_list ap)
{
    int count = 0;
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            print_char(*fmt);
            count++;
            continue;
        }
        fmt++;
        int left = 0;
        char fill = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                fill = '0';
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int precision = -1;
        if (*fmt == '.') {
            fmt++;
            precision = 0;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                precision = precision * 10 + (*fmt++ - '0');
        }
        int longs = 0;
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        char buf[26];
        int len = 0;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : (int64_t)va_arg(ap, int);
            uint64_t mag = (uint64_t)v;
            if (v < 0) {
                buf[len++] = '-';
                mag = 0u - mag;
            }
            len += format_u64(buf + len, mag, 10, 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : (uint64_t)va_arg(ap, unsigned int);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            len = format_u64(buf, v, base, *fmt == 'X');
            break;
        }
        case 'p':
            buf[0] = '0';
            buf[1] = 'x';
            len = 2 + format_u64(buf + 2, (uintptr_t)va_arg(ap, void *), 16, 0);
            break;
        case 'c':
            buf[0] = (char)va_arg(ap, int);
            len = 1;
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            int n = 0;
            while (s[n] != '\0' && (precision < 0 || n < precision))
                n++;
            count += pad_out(s, n, width, left, ' ');
            continue;
        }
        case '%':
            buf[0] = '%';
            len = 1;
            break;
        case '\0':
            return count; /* a lone '%' ends the format */
        default: /* unknown conversion: print it as it was written */
            buf[0] = '%';
            buf[1] = *fmt;
            len = 2;
            break;
        }
        count += pad_out(buf, len, width, left, fill);
    }
    return count;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    print_str(s);
    print_nl();
    return 0;
}

int putchar(int c)
{
    print_char((char)c);
    return (unsigned char)c;
}

void rt_exit(int status)
{
    print_flush();
    sys_exit_group(status);
}
