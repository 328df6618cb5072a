/*
 * printf-cases.c — runs snprintf cases read from stdin and prints each
 * result, built for the guest (with the faultline C library) and for the
 * host (with its C library) by printf.property.test.ts, which compares
 * the two outputs. A case is one line of tab-separated fields:
 *
 *     TYPE  SIZE  STARS  STAR1  STAR2  VALUE  FORMAT
 *
 * TYPE says how VALUE is passed: i int, I long long, l long, u unsigned,
 * U unsigned long long, L unsigned long, z size_t, Z ssize_t (signed
 * size), c char, s string, p pointer, n nothing. STARS (0..2) int
 * arguments STAR1, STAR2 come first, for '*' widths and precisions. The
 * output per case is "RESULT|TEXT|", where TEXT is what snprintf put in a
 * SIZE-byte buffer (for SIZE 0: whether the buffer was left alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

/* Calls snprintf with the star arguments, then `value`. */
#define CALL(value)                                                           \
    (stars == 0   ? snprintf(buf, size, fmt, value)                           \
     : stars == 1 ? snprintf(buf, size, fmt, star1, value)                    \
                  : snprintf(buf, size, fmt, star1, star2, value))

int main(void)
{
    static char line[4096], buf[512];
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL;
        char *type = strtok_r(line, "\t", &save);
        char *size_s = strtok_r(NULL, "\t", &save);
        char *stars_s = strtok_r(NULL, "\t", &save);
        char *star1_s = strtok_r(NULL, "\t", &save);
        char *star2_s = strtok_r(NULL, "\t", &save);
        char *value = strtok_r(NULL, "\t", &save);
        char *fmt = strtok_r(NULL, "\t", &save);
        if (fmt == NULL) {
            printf("bad case\n");
            return 1;
        }
        size_t size = (size_t)strtoul(size_s, NULL, 10);
        int stars = atoi(stars_s), star1 = atoi(star1_s), star2 = atoi(star2_s);
        long long v = strtoll(value, NULL, 10);
        unsigned long long uv = strtoull(value, NULL, 10);
        memset(buf, '#', sizeof buf);
        int r;
        switch (type[0]) {
        case 'i': r = CALL((int)v); break;
        case 'I': r = CALL(v); break;
        case 'l': r = CALL((long)v); break;
        case 'u': r = CALL((unsigned)uv); break;
        case 'U': r = CALL(uv); break;
        case 'L': r = CALL((unsigned long)uv); break;
        case 'z': r = CALL((size_t)uv); break;
        case 'Z': r = CALL((ssize_t)v); break;
        case 'c': r = CALL((int)v); break;
        case 's': r = CALL(strcmp(value, "-") == 0 ? "" : value); break;
        case 'p': r = CALL((void *)(size_t)uv); break;
        default: r = stars == 0 ? snprintf(buf, size, fmt) : CALL(0); break;
        }
        if (size == 0) /* nothing may be written */
            printf("%d|untouched=%d\n", r, buf[0] == '#');
        else
            printf("%d|%s|\n", r, buf);
    }
    return 0;
}
