/*
 * fault_ebreak.c — ebreak with no debugger attached: status 133 (SIGTRAP),
 * output before it preserved.
 */
#include "faultline-rt.h"

int main(void)
{
    print_str("executing ebreak\n");
    __asm__ volatile("ebreak");
    print_str("not reached\n");
    return 0;
}
