/*
 * fault_write_rodata.c — a store into .rodata (loaded read-only with the
 * text segment) is an unresolved store page fault: exit status 139
 * (SIGSEGV), with everything printed before it on stdout.
 */
#include "faultline-rt.h"

static const char message[] = "constant";

int main(void)
{
    print_str("reading rodata: ");
    print_str(message);
    print_nl();
    print_str("writing rodata\n");
    *(volatile char *)&message[0] = 'C';
    print_str("not reached\n");
    return 0;
}
