/*
 * libc-functions.c — calls the string, conversion, character-class,
 * sorting, error-text and allocation functions of <string.h>,
 * <stdlib.h> and <ctype.h> on fixed inputs and prints the results.
 * libc-functions.test.ts builds it for the guest (faultline's C library,
 * under qemu-riscv32) and for the host (its C library) and compares the
 * output: where the C standard and POSIX fix a result, the two agree.
 * Values are printed as long long so 32- and 64-bit `long` print alike.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* truncating on purpose is what strncpy/strncat are tested for */
#pragma GCC diagnostic ignored "-Wstringop-truncation"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void conversions(void)
{
    static const char *inputs[] = {
        "0", "42", "  -17xyz", "+8", "0x1F", "0X", "0x", "017", "089", "z", "Zz", "-", "", "   ",
        "2147483647", "-2147483648", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "18446744073709551616", "99999999999999999999999", "-1", "\t\n 12 34", "1e5", "0b101",
    };
    static const int bases[] = { 0, 2, 8, 10, 16, 36 };
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        for (unsigned b = 0; b < sizeof bases / sizeof bases[0]; b++) {
            char *end;
            errno = 0;
            long long v = strtoll(inputs[i], &end, bases[b]);
            int e1 = errno;
            long e1off = (long)(end - inputs[i]);
            errno = 0;
            unsigned long long u = strtoull(inputs[i], &end, bases[b]);
            printf("[%s] base %d: strtoll %lld end %ld%s, strtoull %llu end %ld%s\n", inputs[i], bases[b], v, e1off,
                   e1 == ERANGE ? " ERANGE" : "", u, (long)(end - inputs[i]), errno == ERANGE ? " ERANGE" : "");
        }
        /* strtol on values that fit 32 bits (long differs between the machines above that) */
        errno = 0;
        long long small = strtoll(inputs[i], NULL, 0);
        if (small >= -2147483647LL - 1 && small <= 2147483647LL && errno == 0) {
            char *end;
            long v = strtol(inputs[i], &end, 0);
            printf("  strtol %lld end %ld atoi %d atol %lld\n", (long long)v, (long)(end - inputs[i]), atoi(inputs[i]),
                   (long long)atol(inputs[i]));
        }
    }
    printf("abs %d %lld %lld\n", abs(-5), (long long)labs(-7L), llabs(-9000000000LL));
}

static void strings(void)
{
    const char *hay = "the faultline fault handler chain";
    printf("strstr %ld %ld %s %ld\n", (long)(strstr(hay, "fault") - hay), (long)(strstr(hay, "handler") - hay),
           strstr(hay, "nope") ? "found" : "NULL", (long)(strstr(hay, "") - hay));
    printf("strchr %ld %ld %s\n", (long)(strchr(hay, 'f') - hay), (long)(strchr(hay, '\0') - hay), strchr(hay, 'z') ? "found" : "NULL");
    printf("strrchr %ld %s\n", (long)(strrchr(hay, 'f') - hay), strrchr(hay, 'q') ? "found" : "NULL");
    printf("strspn %zu %zu strcspn %zu %zu\n", strspn(hay, "the "), strspn(hay, "xyz"), strcspn(hay, "ua"), strcspn(hay, "Q"));
    printf("strpbrk %s\n", strpbrk(hay, "dc"));
    printf("strcmp %d %d %d %d\n", sign(strcmp("abc", "abd")), sign(strcmp("abc", "abc")), sign(strcmp("b", "abc")),
           sign(strcmp("a\xff", "a\x01")));
    printf("strncmp %d %d\n", sign(strncmp("abcX", "abcY", 3)), sign(strncmp("abcX", "abcY", 4)));
    printf("memcmp %d %d\n", sign(memcmp("\x80", "\x7f", 1)), sign(memcmp("same", "same", 4)));
    char buf[32] = "abc";
    printf("strlen %zu strnlen %zu %zu\n", strlen(hay), strnlen(hay, 5), strnlen(buf, sizeof buf));
    const char *m = memchr(hay, 'h', 20);
    printf("memchr %ld %s\n", (long)(m - hay), memchr(hay, 'h', 1) ? "found" : "NULL");

    memset(buf, 'x', sizeof buf);
    strncpy(buf, "abc", 6);
    printf("strncpy");
    for (int i = 0; i < 8; i++)
        printf(" %02x", (unsigned char)buf[i]);
    printf("\n");
    strcpy(buf, "head");
    strcat(buf, "-tail");
    strncat(buf, "123456", 3);
    printf("strcat %s\n", buf);

    char text[] = "  one, two,,three  four ";
    char *save, *tok;
    printf("strtok_r:");
    for (tok = strtok_r(text, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save))
        printf(" [%s]", tok);
    printf("\n");
    char text2[] = "a:b::c";
    printf("strtok:");
    for (tok = strtok(text2, ":"); tok != NULL; tok = strtok(NULL, ":"))
        printf(" [%s]", tok);
    printf("\n");
    char *d = strdup(hay), *n = strndup(hay, 9);
    printf("strdup %s | strndup %s\n", d, n);
    free(d);
    free(n);
    char ov[16] = "0123456789";
    memmove(ov + 2, ov, 8);
    printf("memmove %s\n", ov);
}

static void classes(void)
{
    int (*const fns[])(int) = { isalnum, isalpha, isblank, iscntrl, isdigit, isgraph, islower, isprint, ispunct, isspace, isupper, isxdigit };
    const char *names[] = { "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit" };
    for (unsigned f = 0; f < sizeof fns / sizeof fns[0]; f++) {
        unsigned long h = 5381;
        int count = 0;
        for (int c = 0; c < 256; c++) {
            int yes = fns[f](c) != 0;
            count += yes;
            h = h * 33 + (unsigned long)(yes * (c + 1));
        }
        printf("is%s: %d of 256, hash %08lx\n", names[f], count, h & 0xffffffffUL);
    }
    unsigned long h = 0;
    for (int c = -1; c < 256; c++)
        h = h * 31 + (unsigned long)(tolower(c) + 3 * toupper(c));
    printf("tolower/toupper hash %08lx\n", h & 0xffffffffUL);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void sorting(void)
{
    static int v[1000];
    unsigned s = 12345;
    for (int i = 0; i < 1000; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (int)(s >> 8) % 500 - 250;
    }
    qsort(v, 1000, sizeof v[0], cmp_int);
    int sorted = 1;
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += v[i];
        if (i > 0 && v[i - 1] > v[i])
            sorted = 0;
    }
    printf("qsort sorted %d sum %ld first %d last %d median %d\n", sorted, sum, v[0], v[999], v[500]);
    int keys[] = { -250, 0, 249, 1000, -1000 };
    for (int i = 0; i < 5; i++) {
        int *hit = bsearch(&keys[i], v, 1000, sizeof v[0], cmp_int);
        printf("bsearch %d: %s\n", keys[i], hit != NULL && *hit == keys[i] ? "found" : "NULL");
    }
    qsort(v, 0, sizeof v[0], cmp_int);
    qsort(v, 1, sizeof v[0], cmp_int);
}

static void errors(void)
{
    for (int e = 1; e <= 40; e++)
        if (e != 35 && e != 37 && e != 40) /* texts some C libraries word differently */
            printf("strerror %d: %s\n", e, strerror(e));
}

static void allocation(void)
{
    enum { N = 300 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    unsigned s = 99;
    unsigned long check = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            s = s * 1103515245u + 12345u;
            size_t size = (s >> 10) % (round == 3 ? 300000 : 2000);
            if (blocks[i] != NULL && (s & 1)) {
                for (size_t k = 0; k < sizes[i]; k++)
                    check += blocks[i][k] ^ (unsigned char)(i + k);
                free(blocks[i]);
                blocks[i] = NULL;
            } else if (blocks[i] != NULL) {
                unsigned char *r = realloc(blocks[i], size + 1);
                if (r == NULL) { printf("realloc failed\n"); return; }
                for (size_t k = 0; k < (sizes[i] < size + 1 ? sizes[i] : size + 1); k++)
                    check += r[k] ^ (unsigned char)(i + k);
                blocks[i] = r;
                sizes[i] = size + 1;
                for (size_t k = 0; k < sizes[i]; k++)
                    r[k] = (unsigned char)(i + k);
            } else {
                blocks[i] = (s & 2) ? calloc(size + 1, 1) : malloc(size + 1);
                if (blocks[i] == NULL) { printf("malloc failed\n"); return; }
                if (s & 2)
                    for (size_t k = 0; k < size + 1; k++)
                        check += blocks[i][k]; /* calloc's zeros */
                sizes[i] = size + 1;
                for (size_t k = 0; k < sizes[i]; k++)
                    blocks[i][k] = (unsigned char)(i + k);
                if (((unsigned long)blocks[i] & 15) != 0)
                    printf("misaligned block\n");
            }
        }
    }
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    printf("allocation check %lu (0: every byte kept)\n", check);
    errno = 0;
    volatile size_t half = (size_t)-1 / 2; /* volatile: the compiler must not see the overflow */
    void *huge = calloc(half, 4);
    printf("calloc overflow: %s %s\n", huge == NULL ? "NULL" : "non-NULL", errno == ENOMEM ? "ENOMEM" : "?");
    free(NULL);
}

/* Options before operands only: glibc's getopt would reorder the rest. */
static void options(void)
{
    static const char *vectors[][8] = {
        { "prog", "-a", "-b", "value", "file", NULL },
        { "prog", "-ab", "-cvalue", "--", "-a", NULL },
        { "prog", "-x", "-a", NULL },
        { "prog", "-a", "-c", NULL },
        { "prog", "-a", "-", NULL },
        { "prog", NULL },
    };
    opterr = 0;
    for (unsigned v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        int argc = 0;
        while (vectors[v][argc] != NULL)
            argc++;
        char *args[8]; /* writable: glibc's getopt may reorder it */
        memcpy(args, vectors[v], sizeof args);
        optind = 0;
        printf("getopt %u:", v);
        int c;
        while ((c = getopt(argc, args, "ab:c:")) != -1)
            printf(" %c%s%s", c, optarg ? "=" : "", optarg ? optarg : "");
        printf(" | optind %d\n", optind);
    }
}

static void misc(void)
{
    printf("strcasecmp %d %d %d strncasecmp %d\n", sign(strcasecmp("Hello", "hELLO")), sign(strcasecmp("a", "B")),
           sign(strcasecmp("abc", "AB")), sign(strncasecmp("abcX", "ABCy", 3)));
    unsigned char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap %s", m == MAP_FAILED ? "failed" : "ok");
    if (m != MAP_FAILED) {
        m[0] = 1;
        m[8191] = 2;
        printf(" %d %d", m[0], m[8191]);
        int p = mprotect(m, 4096, PROT_READ);
        int u = munmap(m, 8192);
        printf(" mprotect %d munmap %d", p, u);
    }
    errno = 0;
    void *bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1);
    printf(" misaligned offset %s %s\n", bad == MAP_FAILED ? "MAP_FAILED" : "mapped", errno == EINVAL ? "EINVAL" : "?");
}

int main(void)
{
    conversions();
    strings();
    classes();
    sorting();
    errors();
    allocation();
    options();
    misc();
    return 0;
}
