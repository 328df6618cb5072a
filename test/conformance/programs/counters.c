/*
 * counters.c — the user counters and fences: rdcycle, rdtime and rdinstret
 * execute without trapping (their values differ between machines and are
 * never printed; only that cycle and instret advanced over a busy loop);
 * fence, fence.i and a nop-like hint run as no-ops; writes to x0 vanish.
 */
#include "faultline-rt.h"

int main(void)
{
    uint32_t c0 = rd_cycle();
    uint32_t i0 = rd_instret();
    (void)rd_time();
    volatile uint32_t x = 0;
    for (int i = 0; i < 10000; i++)
        x += (uint32_t)i;
    uint32_t c1 = rd_cycle();
    uint32_t i1 = rd_instret();
    (void)rd_time();
    print_kv("cycle advanced", c1 - c0 != 0);
    print_kv("instret advanced", i1 - i0 != 0);
    print_kv("loop sum", (int32_t)x);

    __asm__ volatile("fence" ::: "memory");
    __asm__ volatile("fence rw, rw" ::: "memory");
    __asm__ volatile("fence iorw, iorw" ::: "memory");
    fence_i();
    /* HINT encodings of the base ISA: addi x0 with nonzero operands, and
     * an R-type with rd = x0. They must not trap and must not write x0. */
    uint32_t z;
    __asm__ volatile("addi x0, x0, 5\n\t"
                     "add x0, %1, %1\n\t"
                     "lui x0, 0x12345\n\t"
                     "mv %0, x0"
                     : "=r"(z)
                     : "r"(77));
    print_kv("x0 after hints", (int32_t)z);
    print_str("fences ok\n");
    return 0;
}
