/*
 * strings.c — the runtime's memory and string functions against obvious
 * byte-at-a-time reference versions, for every source and destination
 * alignment 0..7 and every length 0..67 (memcpy, memset, memmove both
 * ways, memcmp with a difference at every position, strlen, strcmp,
 * strncmp, strchr). The bytes around each destination must stay
 * untouched. Prints the number of cases and of wrong results per function.
 */
#include "faultline-rt.h"

#define ALIGNS 8
#define LENGTHS 68
#define AREA 256
#define GUARD 0xa5

static unsigned char src[AREA], dst[AREA], ref[AREA];

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16) | 1; /* never 0: usable as string bytes */
    }
}

static int same(const unsigned char *a, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static void report(const char *name, uint32_t cases, uint32_t wrong)
{
    printf("%-8s %5lu cases, %lu wrong\n", name, (unsigned long)cases, (unsigned long)wrong);
}

int main(void)
{
    uint32_t cases, wrong;

    cases = wrong = 0;
    for (int sa = 0; sa < ALIGNS; sa++)
        for (int da = 0; da < ALIGNS; da++)
            for (int n = 0; n < LENGTHS; n++, cases++) {
                fill(src, AREA, (uint32_t)(sa * 977 + da * 31 + n));
                for (int i = 0; i < AREA; i++)
                    dst[i] = ref[i] = GUARD;
                for (int i = 0; i < n; i++)
                    ref[64 + da + i] = src[sa + i];
                void *r = memcpy(dst + 64 + da, src + sa, (size_t)n);
                wrong += r != dst + 64 + da || !same(dst, ref, AREA);
            }
    report("memcpy", cases, wrong);

    cases = wrong = 0;
    for (int da = 0; da < ALIGNS; da++)
        for (int n = 0; n < LENGTHS; n++, cases++) {
            for (int i = 0; i < AREA; i++)
                dst[i] = ref[i] = GUARD;
            int c = 0x100 + n; /* only the low byte counts */
            for (int i = 0; i < n; i++)
                ref[64 + da + i] = (unsigned char)c;
            void *r = memset(dst + 64 + da, c, (size_t)n);
            wrong += r != dst + 64 + da || !same(dst, ref, AREA);
        }
    report("memset", cases, wrong);

    cases = wrong = 0;
    for (int shift = -9; shift <= 9; shift++)
        for (int a = 0; a < ALIGNS; a++)
            for (int n = 0; n < LENGTHS; n++, cases++) {
                fill(dst, AREA, (uint32_t)(shift * 7 + a * 3 + n));
                for (int i = 0; i < AREA; i++)
                    ref[i] = dst[i];
                int from = 80 + a, to = from + shift;
                for (int i = 0; i < n; i++) /* reference: through a copy */
                    src[i] = ref[from + i];
                for (int i = 0; i < n; i++)
                    ref[to + i] = src[i];
                void *r = memmove(dst + to, dst + from, (size_t)n);
                wrong += r != dst + to || !same(dst, ref, AREA);
            }
    report("memmove", cases, wrong);

    cases = wrong = 0;
    for (int n = 0; n < LENGTHS; n++) {
        fill(src, AREA, (uint32_t)n);
        for (int i = 0; i < AREA; i++)
            dst[i] = src[i];
        cases++;
        wrong += memcmp(src, dst, (size_t)n) != 0;
        for (int at = 0; at < n; at++, cases += 2) {
            dst[at] = (unsigned char)(src[at] == 0xff ? 0xfe : src[at] + 1);
            int d = (int)src[at] - (int)dst[at]; /* unsigned bytes compared */
            int ab = memcmp(src, dst, (size_t)n), ba = memcmp(dst, src, (size_t)n);
            wrong += ((ab < 0) != (d < 0)) + ((ba < 0) != (d > 0));
            dst[at] = src[at];
        }
    }
    report("memcmp", cases, wrong);

    cases = wrong = 0;
    for (int a = 0; a < ALIGNS; a++)
        for (int n = 0; n < LENGTHS; n++, cases++) {
            fill(src, AREA, (uint32_t)(a + n));
            src[a + n] = '\0';
            wrong += strlen((const char *)src + a) != (size_t)n;
        }
    report("strlen", cases, wrong);

    cases = wrong = 0;
    for (int n = 0; n < LENGTHS; n++) {
        fill(src, AREA, (uint32_t)n);
        src[n] = '\0';
        for (int i = 0; i <= n; i++)
            dst[i] = src[i];
        cases += 3;
        wrong += strcmp((char *)src, (char *)dst) != 0;
        wrong += strncmp((char *)src, (char *)dst, (size_t)n + 5) != 0;
        wrong += strchr((char *)src, 0) != (char *)src + n;
        for (int at = 0; at < n; at++, cases += 4) {
            unsigned char keep = dst[at];
            dst[at] = (unsigned char)(keep == 0xff ? 0xfe : keep + 1);
            int d = (int)src[at] - (int)dst[at];
            wrong += (strcmp((char *)src, (char *)dst) < 0) != (d < 0);
            wrong += strncmp((char *)src, (char *)dst, (size_t)at) != 0;
            wrong += (strncmp((char *)src, (char *)dst, (size_t)at + 1) < 0) != (d < 0);
            char *first = NULL;
            for (int k = 0; k <= n && first == NULL; k++)
                if (src[k] == src[at])
                    first = (char *)src + k;
            wrong += strchr((char *)src, src[at]) != first;
            dst[at] = keep;
        }
        cases++;
        wrong += strchr((char *)src, 0x100) != (char *)src + n; /* converted to char: '\0' */
    }
    report("str*", cases, wrong);
    return 0;
}
