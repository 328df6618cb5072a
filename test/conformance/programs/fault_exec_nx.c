/*
 * fault_exec_nx.c — a jump into a mapped, readable, writable but not
 * executable page is an instruction page fault: status 139. The page holds
 * a valid `ret`, so only the missing execute right can stop it.
 */
#include "faultline-rt.h"

int main(void)
{
    long p = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(p))
        return 1;
    *(volatile uint32_t *)p = 0x00008067u; /* ret */
    fence_i();
    print_str("jumping to non-executable page\n");
    ((void (*)(void))p)();
    print_str("not reached\n");
    return 0;
}
