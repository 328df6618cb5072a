/*
 * fault_illegal.c — an all-zero instruction word is illegal: status 132
 * (SIGILL), output before it preserved.
 */
#include "faultline-rt.h"

int main(void)
{
    print_str("executing an illegal instruction\n");
    __asm__ volatile(".word 0x00000000");
    print_str("not reached\n");
    return 0;
}
