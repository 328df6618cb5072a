/*
 * thread_fault.c — a thread that stores to an unmapped page ends the whole
 * process as Linux does with SIGSEGV: exit status 139, and the first
 * thread, blocked in thread_join, never prints again. The page is the
 * middle one of three that main mapped, then unmapped: a one-page hole no
 * later mapping (the thread's stack takes many pages) can land in.
 */
#include "corpus.h"

static int faulter(void *arg)
{
    volatile uint32_t *p = arg;
    print_str("faulter: storing to an unmapped page\n");
    *p = 1;
    print_str("faulter: not reached\n");
    return 0;
}

int main(void)
{
    long three = sys_mmap_anon(3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    long page = three + PAGE_SIZE;
    if (sys_failed(three) || sys_munmap(page, PAGE_SIZE) != 0)
        return 120;
    print_str("main: joining a thread that faults\n");
    thread_join(spawn(faulter, (void *)(page + 16)));
    print_str("main: not reached\n");
    return 0;
}
