/*
 * compute.c — the compute-bound guest program behind the guest_mips and
 * qemu_mips benchmark figures (docs/design.md §7, §9).
 *
 * Usage: compute.elf [ROUNDS]   (decimal, default 100)
 *
 * Each round does the same amount of work, a mix of what guest code spends
 * its time on: integer ALU and multiplies, data-dependent and loop
 * branches, and loads and stores of every width through the MMU.
 *   1. sieve of Eratosthenes over a 256 KiB byte array (byte stores,
 *      strided, then a byte-load scan),
 *   2. an FNV-1a-style hash over a 64 KiB word array, which is then
 *      rewritten with a xorshift stream (word loads/stores, mul),
 *   3. a 24x24 integer matrix multiply (loads, mul, add),
 *   4. memcpy-like copies: 64 KiB by words, 16 KiB by bytes and by halves,
 *   5. Collatz step counting (short, unpredictable branches, div-free).
 * All the arrays live in .bss (about 400 KiB, ~100 pages), so the program
 * touches many pages every round. It prints one checksum line and exits 0.
 *
 * Instruction count (measured on the committed ELF by counting executed
 * instructions under qemu-riscv32 7.2 with `-singlestep -d exec,nochain`,
 * one trace line per instruction, for ROUNDS = 0, 1, 2, 3 and 10):
 *     instructions(ROUNDS) ~= 550 + 4,904,741 * ROUNDS   (within 0.01 %)
 * so ROUNDS = 60 runs ~294 M instructions and ROUNDS = 100 ~490 M.
 * Rebuilding with another compiler changes these figures: measure again.
 */
#include "faultline-rt.h"

#define SIEVE_BYTES (256u * 1024u)
#define HASH_WORDS (16u * 1024u)
#define MAT_N 24
#define COPY_WORDS (16u * 1024u)
#define COPY_BYTES (16u * 1024u)

static uint8_t sieve[SIEVE_BYTES];
static uint32_t hash_data[HASH_WORDS];
static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];
static uint32_t copy_src[COPY_WORDS], copy_dst[COPY_WORDS];

static uint32_t parse_decimal(const char *s, uint32_t fallback)
{
    if (s == 0 || *s == 0)
        return fallback;
    uint32_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return fallback;
        v = v * 10u + (uint32_t)(*s - '0');
    }
    return v;
}

static uint32_t run_sieve(void)
{
    for (uint32_t i = 0; i < SIEVE_BYTES; i += 4)
        *(uint32_t *)&sieve[i] = 0;
    for (uint32_t i = 2; i * i < SIEVE_BYTES; i++)
        if (!sieve[i])
            for (uint32_t j = i * i; j < SIEVE_BYTES; j += i)
                sieve[j] = 1;
    uint32_t count = 0;
    for (uint32_t i = 2; i < SIEVE_BYTES; i++)
        count += sieve[i] ^ 1u;
    return count;
}

static uint32_t run_hash(uint32_t seed)
{
    uint32_t h = 2166136261u ^ seed;
    for (uint32_t i = 0; i < HASH_WORDS; i++) {
        h ^= hash_data[i];
        h *= 16777619u;
        h ^= h >> 15;
    }
    uint32_t x = h | 1u;
    for (uint32_t i = 0; i < HASH_WORDS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        hash_data[i] = x;
    }
    return h;
}

static uint32_t run_matmul(uint32_t seed)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (int32_t)((uint32_t)(i * 31 + j) ^ seed) % 97 - 48;
            mat_b[i][j] = (int32_t)((uint32_t)(j * 17 + i) + seed) % 89 - 44;
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < MAT_N; k++)
                s += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = s;
        }
    uint32_t t = 0;
    for (int i = 0; i < MAT_N; i++)
        t = t * 33u + (uint32_t)mat_c[i][(i * 7) % MAT_N];
    return t;
}

static uint32_t run_copies(uint32_t seed)
{
    for (uint32_t i = 0; i < COPY_WORDS; i++)
        copy_src[i] = i * 2654435761u + seed;
    /* Word copy, unrolled by four as a memcpy would. */
    for (uint32_t i = 0; i < COPY_WORDS; i += 4) {
        copy_dst[i] = copy_src[i];
        copy_dst[i + 1] = copy_src[i + 1];
        copy_dst[i + 2] = copy_src[i + 2];
        copy_dst[i + 3] = copy_src[i + 3];
    }
    /* Byte copy and halfword copy with an offset (overlapping regions). */
    volatile uint8_t *db = (volatile uint8_t *)copy_dst;
    const volatile uint8_t *sb = (const volatile uint8_t *)copy_src;
    for (uint32_t i = 0; i < COPY_BYTES; i++)
        db[i + 3] = sb[i];
    volatile uint16_t *dh = (volatile uint16_t *)copy_dst;
    const volatile int16_t *sh = (const volatile int16_t *)copy_src;
    for (uint32_t i = 0; i < COPY_BYTES / 2; i++)
        dh[i + 4096] = (uint16_t)(sh[i] + 1);
    return copy_dst[COPY_WORDS - 1] ^ copy_dst[1] ^ copy_dst[3000];
}

static uint32_t run_collatz(uint32_t seed)
{
    uint32_t total = 0;
    for (uint32_t n0 = 1; n0 <= 300; n0++) {
        uint32_t n = n0 + (seed & 1u);
        while (n != 1) {
            n = (n & 1u) ? 3u * n + 1u : n >> 1;
            total++;
        }
    }
    return total;
}

int main(int argc, char **argv)
{
    uint32_t rounds = parse_decimal(argc > 1 ? argv[1] : 0, 100);
    uint32_t sum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        sum = sum * 31u + run_sieve();
        sum = sum * 31u + run_hash(r);
        sum = sum * 31u + run_matmul(r);
        sum = sum * 31u + run_copies(r);
        sum = sum * 31u + run_collatz(r);
    }
    print_str("compute rounds=");
    print_udec(rounds);
    print_str(" checksum=");
    print_hex(sum);
    print_nl();
    return 0;
}
