/*
 * branches.c — conditional branches beq, bne, blt, bge, bltu, bgeu over
 * every pair of edge operands (signed versus unsigned comparison of
 * 0x80000000 and 0xffffffff), taken and not taken, forward and backward;
 * plus jal/jalr link values relative to the call site.
 */
#include "edge.h"

#define BR(op)                                                              \
    static uint32_t br_##op(uint32_t a, uint32_t b)                          \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile("li %0, 1\n\t" #op " %1, %2, 1f\n\tli %0, 0\n1:"    \
                         : "=&r"(r)                                          \
                         : "r"(a), "r"(b));                                  \
        return r;                                                           \
    }

BR(beq)
BR(bne)
BR(blt)
BR(bge)
BR(bltu)
BR(bgeu)

typedef uint32_t (*binop)(uint32_t, uint32_t);

static const struct {
    const char *name;
    binop fn;
} OPS[] = {
    {"beq", br_beq}, {"bne", br_bne}, {"blt", br_blt},
    {"bge", br_bge}, {"bltu", br_bltu}, {"bgeu", br_bgeu},
};

/* A backward branch: counts down with bnez, returns iterations taken. */
static uint32_t backward(uint32_t n)
{
    uint32_t count = 0;
    __asm__ volatile("beqz %1, 2f\n"
                     "1:\taddi %0, %0, 1\n\t"
                     "addi %1, %1, -1\n\t"
                     "bnez %1, 1b\n"
                     "2:"
                     : "+r"(count), "+r"(n));
    return count;
}

int main(void)
{
    for (unsigned o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
        for (int i = 0; i < EDGE_COUNT; i++) {
            print_str(OPS[o].name);
            print_char(' ');
            print_hexn(EDGE[i], 8);
            print_str(": ");
            for (int j = 0; j < EDGE_COUNT; j++)
                print_char((char)('0' + OPS[o].fn(EDGE[i], EDGE[j])));
            print_nl();
        }
    }
    print_kv("backward 0", (int32_t)backward(0));
    print_kv("backward 17", (int32_t)backward(17));

    /* jal links pc+4; jalr adds a sign-extended offset and clears bit 0. */
    uint32_t link, site, target;
    __asm__ volatile("la %1, 1f\n\t"
                     "1: jal %0, 2f\n\t"
                     ".word 0\n"
                     "2:"
                     : "=r"(link), "=&r"(site));
    print_kx("jal link - site", link - site);
    __asm__ volatile("la %1, 3f\n\t"
                     "addi %1, %1, 9\n\t" /* odd target: bit 0 is cleared */
                     "jalr %0, -8(%1)\n\t"
                     ".word 0\n"
                     "3:\tla %2, 3b"
                     : "=&r"(link), "=&r"(site), "=&r"(target));
    print_kx("jalr link - target", target - link);
    /* jalr with rd == rs1 must use the old rs1. */
    uint32_t r;
    __asm__ volatile("la %0, 4f\n\t"
                     "jalr %0, 0(%0)\n\t"
                     ".word 0\n"
                     "4:\tla %1, 4b\n\t"
                     "sub %0, %1, %0"
                     : "=&r"(r), "=&r"(target));
    print_kx("jalr rd==rs1 target - link", r);
    return 0;
}
