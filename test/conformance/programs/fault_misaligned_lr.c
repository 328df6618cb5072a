/*
 * fault_misaligned_lr.c — lr.w on an address that is not a multiple of 4 is
 * a misaligned-address fault: status 135 (SIGBUS).
 */
#include "faultline-rt.h"

static uint32_t cells[2] __attribute__((aligned(8)));

int main(void)
{
    uint32_t v;
    print_str("executing misaligned lr.w\n");
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"((uint8_t *)cells + 1) : "memory");
    print_str("not reached\n");
    return 0;
}
