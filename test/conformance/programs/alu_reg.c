/*
 * alu_reg.c — RV32I register-register ALU group: add, sub, sll, slt, sltu,
 * xor, srl, sra, or, and, over every pair of edge operands (shift amounts
 * above 31 must use only their low five bits). Each instruction is forced
 * with inline asm so the compiler cannot fold it. Prints one hex line per
 * (operation, rs1) with the result for every rs2.
 */
#include "edge.h"

#define RR(op)                                                              \
    static uint32_t do_##op(uint32_t a, uint32_t b)                          \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));      \
        return r;                                                           \
    }

RR(add)
RR(sub)
RR(sll)
RR(slt)
RR(sltu)
RR(xor)
RR(srl)
RR(sra)
RR(or)
RR(and)

typedef uint32_t (*binop)(uint32_t, uint32_t);

static const struct {
    const char *name;
    binop fn;
} OPS[] = {
    {"add", do_add}, {"sub", do_sub}, {"sll", do_sll}, {"slt", do_slt},
    {"sltu", do_sltu}, {"xor", do_xor}, {"srl", do_srl}, {"sra", do_sra},
    {"or", do_or}, {"and", do_and},
};

int main(void)
{
    uint32_t sum = 0;
    for (unsigned o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
        for (int i = 0; i < EDGE_COUNT; i++) {
            print_str(OPS[o].name);
            print_char(' ');
            print_hexn(EDGE[i], 8);
            print_char(':');
            for (int j = 0; j < EDGE_COUNT; j++) {
                uint32_t r = OPS[o].fn(EDGE[i], EDGE[j]);
                sum = sum * 31u + r;
                print_char(' ');
                print_hexn(r, 8);
            }
            print_nl();
        }
    }
    /* x0 as destination discards, x0 as source reads zero. */
    uint32_t z;
    __asm__ volatile("add x0, %1, %1\n\tadd %0, x0, x0" : "=r"(z) : "r"(0x1234u));
    print_kx("x0", z);
    print_kx("checksum", sum);
    return 0;
}
