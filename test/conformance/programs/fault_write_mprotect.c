/*
 * fault_write_mprotect.c — a page written, made read-only with mprotect,
 * read (allowed), then written again: the write is a protection fault and
 * the program dies with status 139. Output before the fault is kept.
 */
#include "faultline-rt.h"

int main(void)
{
    long p = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(p))
        return 1;
    *(volatile uint32_t *)p = 1234;
    print_kv("mprotect read-only", (int32_t)sys_mprotect(p, PAGE_SIZE, PROT_READ));
    print_kv("read back", (int32_t)*(volatile uint32_t *)p);
    print_str("writing read-only page\n");
    *(volatile uint32_t *)(p + 8) = 5678;
    print_str("not reached\n");
    return 0;
}
