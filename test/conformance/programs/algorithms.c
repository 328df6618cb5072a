/*
 * algorithms.c — a mixed workload of ordinary compiled C: CRC-32 with a
 * table built at run time, a sieve of Eratosthenes over a 128 KiB .bss
 * bitmap-free byte array, string routines, overlapping memmove, insertion
 * sort of 16-bit values, popcount and bit reversal by shifts and masks, and
 * a small matrix multiply. Every result is printed.
 */
#include "faultline-rt.h"

static uint32_t crc_table[256];
static uint8_t composite[128 * 1024];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t popcount(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (x * 0x01010101u) >> 24;
}

static uint32_t reverse(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
}

static int str_cmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}

int main(void)
{
    crc_init();
    print_kx("crc32(\"123456789\")", crc32((const uint8_t *)"123456789", 9));

    uint32_t n = sizeof composite, primes = 0, last = 0;
    for (uint32_t i = 2; i * i < n; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j < n; j += i)
                composite[j] = 1;
    for (uint32_t i = 2; i < n; i++)
        if (!composite[i]) {
            primes++;
            last = i;
        }
    print_kv("primes below 131072", (int32_t)primes);
    print_kv("largest", (int32_t)last);

    char text[64];
    memcpy(text, "the quick brown fox jumps over the lazy dog", 44);
    print_kv("strlen", (int32_t)strlen(text));
    memmove(text + 4, text, 20);
    print_str(text);
    print_nl();
    memmove(text, text + 10, 30);
    print_str(text);
    print_nl();
    print_kv("cmp less", str_cmp("abc", "abd") < 0);
    print_kv("cmp high byte", str_cmp("a\xff", "a\x01") > 0);
    print_kx("crc32(text)", crc32((const uint8_t *)text, (uint32_t)strlen(text)));

    int16_t vals[40];
    uint32_t seed = 99;
    for (int i = 0; i < 40; i++) {
        seed = seed * 69069u + 1u;
        vals[i] = (int16_t)(seed >> 13);
    }
    for (int i = 1; i < 40; i++) {
        int16_t v = vals[i];
        int j = i - 1;
        while (j >= 0 && vals[j] > v) {
            vals[j + 1] = vals[j];
            j--;
        }
        vals[j + 1] = v;
    }
    for (int i = 0; i < 40; i++) {
        print_dec(vals[i]);
        print_char(i == 39 ? '\n' : ' ');
    }

    uint32_t bits = 0;
    for (uint32_t x = 1; x != 0; x <<= 3)
        bits += popcount(x * 0x9e3779b9u) + reverse(x);
    print_kx("bits", bits);

    int32_t A[6][6], B[6][6], C[6][6];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            A[i][j] = (i + 1) * (j - 3);
            B[i][j] = (i ^ j) - 2;
        }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            int32_t s = 0;
            for (int k = 0; k < 6; k++)
                s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 6; j++) {
            print_dec(C[i][j]);
            print_char(j == 5 ? '\n' : ' ');
        }
    }
    return 0;
}
