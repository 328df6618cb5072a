/*
 * selfmod.c — self-modifying code. Instructions are written into an
 * mmap'ed RWX page, made visible with fence.i and called; then overwritten
 * with different instructions, fence.i, and called again: the new bytes
 * must run, not a stale translation. The same with a RW page switched to
 * RX by mprotect (and back to RW for the rewrite), patching one
 * instruction in the middle of already-executed code, and generated code
 * that patches its own next instructions, executes fence.i, and runs them.
 */
#include "faultline-rt.h"

/* Encoders for the few instructions used (RV32I base formats). */
#define REG_ZERO 0
#define REG_RA 1
#define REG_T0 5
#define REG_A0 10
#define REG_A1 11

static uint32_t i_type(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t opc)
{
    return ((uint32_t)imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
static uint32_t r_type(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t opc)
{
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
static uint32_t s_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31u) << 7) | 0x23u;
}
#define ADDI(rd, rs1, imm) i_type((imm), (rs1), 0, (rd), 0x13u)
#define SLLI(rd, rs1, sh) i_type((sh), (rs1), 1, (rd), 0x13u)
#define ADD(rd, rs1, rs2) r_type(0, (rs2), (rs1), 0, (rd), 0x33u)
#define MUL(rd, rs1, rs2) r_type(1, (rs2), (rs1), 0, (rd), 0x33u)
#define SW(rs2, imm, rs1) s_type((imm), (rs2), (rs1), 2)
#define RET i_type(0, REG_RA, 0, REG_ZERO, 0x67u)
#define NOP ADDI(REG_ZERO, REG_ZERO, 0)
#define FENCE_I 0x0000100fu

typedef uint32_t (*fn1)(uint32_t);
typedef uint32_t (*fn2)(uint32_t, uint32_t);

static void put(volatile uint32_t *code, const uint32_t *insns, int n)
{
    for (int i = 0; i < n; i++)
        code[i] = insns[i];
}

int main(void)
{
    long page = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (mmap_failed(page)) {
        print_kv("mmap rwx failed", (int32_t)page);
        return 1;
    }
    volatile uint32_t *code = (volatile uint32_t *)page;
    fn1 f = (fn1)page;

    /* 1. li a0, 42; ret */
    const uint32_t v1[] = {ADDI(REG_A0, REG_ZERO, 42), RET};
    put(code, v1, 2);
    fence_i();
    print_kv("rwx first", (int32_t)f(0));

    /* 2. a0 = a0 * 3 + 7, longer code over the same bytes. */
    const uint32_t v2[] = {SLLI(REG_T0, REG_A0, 1), ADD(REG_A0, REG_A0, REG_T0), ADDI(REG_A0, REG_A0, 7), RET};
    put(code, v2, 4);
    fence_i();
    print_kv("rwx second (5*3+7)", (int32_t)f(5));

    /* 3. Patch only the middle instruction of already-run code. */
    for (int k = 1; k <= 3; k++) {
        code[2] = ADDI(REG_A0, REG_A0, 100 * k);
        fence_i();
        print_kv("patched middle", (int32_t)f(5));
    }

    /* 4. Code that patches its own next instruction:
     *    sw a1, 16(a0); fence.i; nop; nop; li a0, 1; ret
     * called with (code address, "li a0, 77") returns 77. */
    const uint32_t v4[] = {SW(REG_A1, 16, REG_A0), FENCE_I, NOP, NOP, ADDI(REG_A0, REG_ZERO, 1), RET};
    put(code + 64, v4, 6);
    fence_i();
    fn2 g = (fn2)(page + 64 * 4);
    print_kv("self-patching", (int32_t)g((uint32_t)(page + 64 * 4), ADDI(REG_A0, REG_ZERO, 77)));
    print_kv("self-patching again", (int32_t)g((uint32_t)(page + 64 * 4), ADDI(REG_A0, REG_ZERO, -5)));

    /* 5. RW page, mprotect to RX, run; back to RW, rewrite, RX, run. */
    long rw = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(rw)) {
        print_kv("mmap rw failed", (int32_t)rw);
        return 1;
    }
    volatile uint32_t *c2 = (volatile uint32_t *)(rw + 512);
    const uint32_t w1[] = {MUL(REG_A0, REG_A0, REG_A0), RET};
    put(c2, w1, 2);
    print_kv("mprotect rx", (int32_t)sys_mprotect(rw, PAGE_SIZE, PROT_READ | PROT_EXEC));
    fence_i();
    fn1 h = (fn1)(rw + 512);
    print_kv("rx first (12*12)", (int32_t)h(12));
    print_kv("mprotect rw", (int32_t)sys_mprotect(rw, PAGE_SIZE, PROT_READ | PROT_WRITE));
    const uint32_t w2[] = {ADDI(REG_A0, REG_A0, -1000), RET};
    put(c2, w2, 2);
    print_kv("mprotect rx again", (int32_t)sys_mprotect(rw, PAGE_SIZE, PROT_READ | PROT_EXEC));
    fence_i();
    print_kv("rx second (12-1000)", (int32_t)h(12));

    /* 6. munmap the code page, map fresh code at the same place. */
    print_kv("munmap rx", (int32_t)sys_munmap(rw, PAGE_SIZE));
    long again = sys_mmap(rw, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    print_kv("remapped at same address", again == rw);
    const uint32_t w3[] = {ADDI(REG_A0, REG_A0, 3), ADDI(REG_A0, REG_A0, 3), RET};
    put(c2, w3, 3);
    fence_i();
    print_kv("remapped code (12+6)", (int32_t)h(12));
    return 0;
}
