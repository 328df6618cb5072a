/*
 * alu_imm.c — RV32I register-immediate group and upper immediates: addi,
 * slti, sltiu (sign-extended immediate compared unsigned), xori, ori, andi
 * over the 12-bit immediate extremes; slli, srli, srai over shift amounts
 * 0..31; lui over 20-bit extremes; auipc checked relative to the address of
 * its own instruction (never printed absolutely).
 */
#include "edge.h"

#define IMMS(X) X(-2048) X(-2047) X(-1) X(0) X(1) X(2) X(31) X(32) X(0x555) X(-0x556) X(2046) X(2047)
#define SHAMTS(X) X(0) X(1) X(2) X(7) X(8) X(15) X(16) X(17) X(30) X(31)
#define LUIS(X) X(0) X(1) X(0x7ffff) X(0x80000) X(0xfffff) X(0x12345) X(0xdeadb)

#define APPLY(op, imm)                                                      \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "i"(imm));    \
        print_char(' ');                                                    \
        print_hexn(r, 8);                                                   \
    }

#define IMM_OP(op)                                                          \
    static void row_##op(uint32_t a)                                        \
    {                                                                       \
        print_str(#op " ");                                                 \
        print_hexn(a, 8);                                                   \
        print_char(':');                                                    \
        IMMS(APPLY_##op) print_nl();                                        \
    }

#define APPLY_addi(i) APPLY(addi, i)
#define APPLY_slti(i) APPLY(slti, i)
#define APPLY_sltiu(i) APPLY(sltiu, i)
#define APPLY_xori(i) APPLY(xori, i)
#define APPLY_ori(i) APPLY(ori, i)
#define APPLY_andi(i) APPLY(andi, i)
IMM_OP(addi)
IMM_OP(slti)
IMM_OP(sltiu)
IMM_OP(xori)
IMM_OP(ori)
IMM_OP(andi)

#define SHIFT_OP(op)                                                        \
    static void row_##op(uint32_t a)                                        \
    {                                                                       \
        print_str(#op " ");                                                 \
        print_hexn(a, 8);                                                   \
        print_char(':');                                                    \
        SHAMTS(APPLY_##op) print_nl();                                      \
    }
#define APPLY_slli(i) APPLY(slli, i)
#define APPLY_srli(i) APPLY(srli, i)
#define APPLY_srai(i) APPLY(srai, i)
SHIFT_OP(slli)
SHIFT_OP(srli)
SHIFT_OP(srai)

#define DO_LUI(imm)                                                         \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile("lui %0, %1" : "=r"(r) : "i"(imm));                \
        print_kx("lui " #imm, r);                                           \
    }

#define DO_AUIPC(imm)                                                       \
    {                                                                       \
        uint32_t r, here;                                                   \
        __asm__ volatile("1: auipc %0, %2\n\tla %1, 1b"                      \
                         : "=&r"(r), "=r"(here)                              \
                         : "i"(imm));                                        \
        print_kx("auipc " #imm " - pc", r - here);                          \
    }

int main(void)
{
    for (int i = 0; i < EDGE_COUNT; i++) {
        uint32_t a = EDGE[i];
        row_addi(a);
        row_slti(a);
        row_sltiu(a);
        row_xori(a);
        row_ori(a);
        row_andi(a);
        row_slli(a);
        row_srli(a);
        row_srai(a);
    }
    LUIS(DO_LUI)
    LUIS(DO_AUIPC)
    /* li of 32-bit constants expands to lui+addi with the addi sign carry. */
    uint32_t v;
    __asm__ volatile("li %0, 0x12345fff" : "=r"(v));
    print_kx("li 0x12345fff", v);
    __asm__ volatile("li %0, 0x80000800" : "=r"(v));
    print_kx("li 0x80000800", v);
    __asm__ volatile("li %0, -2049" : "=r"(v));
    print_kx("li -2049", v);
    return 0;
}
