/*
 * fault_read_protnone.c — a read of a mapped PROT_NONE page is a load
 * protection fault: status 139, output before it preserved.
 */
#include "faultline-rt.h"

int main(void)
{
    long p = sys_mmap_anon(PAGE_SIZE, PROT_NONE);
    if (mmap_failed(p))
        return 1;
    print_str("reading PROT_NONE page\n");
    print_kv("value", (int32_t)*(volatile uint32_t *)p);
    return 0;
}
