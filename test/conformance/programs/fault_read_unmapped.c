/*
 * fault_read_unmapped.c — two pages mapped, the second unmapped again; a
 * read of the first works, a read of the second is a load page fault on a
 * page that is not mapped: status 139.
 */
#include "faultline-rt.h"

int main(void)
{
    long p = sys_mmap_anon(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(p))
        return 1;
    *(volatile uint32_t *)p = 42;
    print_kv("munmap second page", (int32_t)sys_munmap(p + PAGE_SIZE, PAGE_SIZE));
    print_kv("first page", (int32_t)*(volatile uint32_t *)p);
    print_str("reading unmapped page\n");
    print_kv("second page", (int32_t)*(volatile uint32_t *)(p + PAGE_SIZE + 4));
    return 0;
}
