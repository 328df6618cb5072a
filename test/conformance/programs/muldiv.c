/*
 * muldiv.c — the M extension over every pair of edge operands: mul, mulh,
 * mulhsu, mulhu, div, divu, rem, remu. Covers the defined edge cases:
 * division by zero (quotient all ones, remainder the dividend) and signed
 * overflow (-2^31 / -1 = -2^31, remainder 0), and the signedness of each
 * operand of the high-half multiplies.
 */
#include "edge.h"

#define RR(op)                                                              \
    static uint32_t do_##op(uint32_t a, uint32_t b)                          \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));      \
        return r;                                                           \
    }

RR(mul)
RR(mulh)
RR(mulhsu)
RR(mulhu)
RR(div)
RR(divu)
RR(rem)
RR(remu)

typedef uint32_t (*binop)(uint32_t, uint32_t);

static const struct {
    const char *name;
    binop fn;
} OPS[] = {
    {"mul", do_mul}, {"mulh", do_mulh}, {"mulhsu", do_mulhsu}, {"mulhu", do_mulhu},
    {"div", do_div}, {"divu", do_divu}, {"rem", do_rem},       {"remu", do_remu},
};

int main(void)
{
    for (unsigned o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
        for (int i = 0; i < EDGE_COUNT; i++) {
            print_str(OPS[o].name);
            print_char(' ');
            print_hexn(EDGE[i], 8);
            print_char(':');
            for (int j = 0; j < EDGE_COUNT; j++) {
                print_char(' ');
                print_hexn(OPS[o].fn(EDGE[i], EDGE[j]), 8);
            }
            print_nl();
        }
    }
    /* The named corner cases once more, spelled out. */
    print_kx("div 7/0", do_div(7, 0));
    print_kx("divu 7/0", do_divu(7, 0));
    print_kx("rem 7%0", do_rem(7, 0));
    print_kx("remu 7%0", do_remu(7, 0));
    print_kx("div -7/0", do_div((uint32_t)-7, 0));
    print_kx("rem -7%0", do_rem((uint32_t)-7, 0));
    print_kx("div min/-1", do_div(0x80000000u, 0xffffffffu));
    print_kx("rem min%-1", do_rem(0x80000000u, 0xffffffffu));
    print_kx("div -7/2", do_div((uint32_t)-7, 2));
    print_kx("rem -7%2", do_rem((uint32_t)-7, 2));
    print_kx("rem 7%-2", do_rem(7, (uint32_t)-2));
    print_kx("mulh min*min", do_mulh(0x80000000u, 0x80000000u));
    print_kx("mulhsu -1*max", do_mulhsu(0xffffffffu, 0xffffffffu));
    print_kx("mulhu max*max", do_mulhu(0xffffffffu, 0xffffffffu));
    /* Same register as both operands and as destination. */
    uint32_t x = 0xfffffff9u;
    __asm__ volatile("div %0, %0, %0" : "+r"(x));
    print_kx("div x,x,x", x);
    return 0;
}
