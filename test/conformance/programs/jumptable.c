/*
 * jumptable.c — indirect control flow: a dense switch that gcc compiles to
 * a jump table (lw of a table entry + jr), a sparse switch (branch tree),
 * computed goto (&&label) through a table of label addresses, arrays of
 * function pointers, function pointers passed as arguments and returned
 * from functions, and indirect tail calls.
 */
#include "faultline-rt.h"

__attribute__((noinline)) static uint32_t dense(uint32_t k, uint32_t x)
{
    switch (k) {
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x ^ 0x5555u;
    case 3: return x >> 2;
    case 4: return x << 5;
    case 5: return ~x;
    case 6: return x - 77;
    case 7: return x | 0x80000000u;
    case 8: return x & 0xff00ffu;
    case 9: return x * x;
    case 10: return x / 7u;
    case 11: return x % 11u;
    default: return 0xdeadu;
    }
}

__attribute__((noinline)) static int sparse(int k)
{
    switch (k) {
    case -100000: return 1;
    case -7: return 2;
    case 3: return 3;
    case 1000: return 4;
    case 65536: return 5;
    case 0x7fffffff: return 6;
    default: return 0;
    }
}

__attribute__((noinline)) static uint32_t interp(const uint8_t *code, uint32_t x)
{
    static const void *const ops[] = {&&op_inc, &&op_dbl, &&op_neg, &&op_rot, &&op_end};
    const uint8_t *pc = code;
    goto *ops[*pc++];
op_inc:
    x += 1;
    goto *ops[*pc++];
op_dbl:
    x *= 2;
    goto *ops[*pc++];
op_neg:
    x = -x;
    goto *ops[*pc++];
op_rot:
    x = (x << 7) | (x >> 25);
    goto *ops[*pc++];
op_end:
    return x;
}

typedef uint32_t (*unop)(uint32_t);

__attribute__((noinline)) static uint32_t f_a(uint32_t x) { return x + 0x1000; }
__attribute__((noinline)) static uint32_t f_b(uint32_t x) { return x ^ 0xffffffffu; }
__attribute__((noinline)) static uint32_t f_c(uint32_t x) { return x * 2654435761u; }
__attribute__((noinline)) static uint32_t f_d(uint32_t x) { return (x >> 16) | (x << 16); }

static unop const TABLE[] = {f_a, f_b, f_c, f_d};

__attribute__((noinline)) static unop pick(uint32_t i) { return TABLE[i & 3]; }

__attribute__((noinline)) static uint32_t apply_n(unop f, uint32_t x, int n)
{
    while (n-- > 0)
        x = f(x);
    return x;
}

/* An indirect tail call: gcc emits `jr` to the callee. */
__attribute__((noinline)) static uint32_t tail(uint32_t i, uint32_t x)
{
    unop volatile f = TABLE[i & 3];
    return f(x);
}

int main(void)
{
    for (uint32_t k = 0; k < 14; k++) {
        print_str("dense ");
        print_udec(k);
        print_char(' ');
        print_hex(dense(k, 0x12345678u));
        print_nl();
    }
    static const int keys[] = {-100000, -7, 3, 1000, 65536, 0x7fffffff, 4, -8, 0};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        print_kv("sparse", sparse(keys[i]));

    static const uint8_t prog1[] = {0, 1, 1, 2, 3, 0, 4};
    static const uint8_t prog2[] = {3, 3, 3, 1, 2, 0, 0, 0, 3, 4};
    print_kx("interp1", interp(prog1, 5));
    print_kx("interp2", interp(prog2, 0xdeadbeefu));

    uint32_t x = 1;
    for (uint32_t i = 0; i < 16; i++) {
        x = pick(i * 7 + 3)(x);
        x = apply_n(TABLE[(x >> 3) & 3], x, (int)(i & 3));
        x = tail(i, x);
        print_hexn(x, 8);
        print_char(i == 15 ? '\n' : ' ');
    }
    return 0;
}
