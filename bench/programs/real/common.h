/*
 * common.h — shared by the realistic benchmark programs (bench/programs/real):
 * argument parsing, a deterministic random stream, the checksum and the
 * verdict. Every program takes one optional argument, a work multiplier
 * (ROUNDS), prints "<name> rounds=<n> checksum=0x<hex>" and exits 0 only
 * when its own self-check passed (1 otherwise, after printing why).
 */
#ifndef REAL_COMMON_H
#define REAL_COMMON_H

#include "faultline-rt.h"

static uint32_t parse_rounds(int argc, char **argv, uint32_t fallback)
{
    const char *s = argc > 1 ? argv[1] : 0;
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

/* xorshift32: a deterministic stream, the same under every emulator. */
static uint32_t rng_state = 2463534242u;

static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* FNV-1a over 32-bit words. */
static uint32_t mix(uint32_t h, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        h ^= (v >> (8 * i)) & 0xffu;
        h *= 16777619u;
    }
    return h;
}

/* Prints the verdict line and returns the exit status (0 when ok). */
static int finish(const char *name, uint32_t rounds, uint32_t checksum, int ok, const char *why)
{
    print_str(name);
    print_str(" rounds=");
    print_udec(rounds);
    print_str(" checksum=");
    print_hex(checksum);
    if (!ok) {
        print_str(" SELF-CHECK FAILED: ");
        print_str(why);
    }
    print_nl();
    return ok ? 0 : 1;
}

#endif /* REAL_COMMON_H */
