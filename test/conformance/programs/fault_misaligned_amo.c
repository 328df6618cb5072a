/*
 * fault_misaligned_amo.c — AMOs need natural alignment even though plain
 * loads and stores do not: a misaligned lw works, a misaligned amoadd.w is
 * a misaligned-address fault, status 135 (SIGBUS), and memory is unchanged
 * (not observable after death, but the output before it is kept).
 */
#include "faultline-rt.h"

static uint32_t cells[2] __attribute__((aligned(8))) = {0x11223344u, 0x55667788u};

int main(void)
{
    uint32_t v;
    __asm__ volatile("lw %0, 2(%1)" : "=r"(v) : "r"(cells) : "memory");
    print_kx("misaligned lw", v);
    print_str("executing misaligned amoadd.w\n");
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(v) : "r"((uint8_t *)cells + 2), "r"(1) : "memory");
    print_str("not reached\n");
    return 0;
}
