/*
 * brk.c — the program break (syscall 214). brk(0) reports the break; the
 * initial break is the page-aligned end of .bss (as qemu-riscv32 and Linux
 * without randomisation place it); growing returns exactly the requested
 * value and the new memory reads as zero and is writable across several
 * pages; a request below the initial break, or one that cannot be
 * satisfied, fails by returning the unchanged break; shrinking returns the
 * new value, and growing again yields zeroed whole pages. Only offsets
 * from the initial break are printed, never the break itself.
 */
#include "faultline-rt.h"

extern char _end[];

static uint32_t check_zero_and_fill(uint8_t *p, uint32_t len, uint8_t seed)
{
    uint32_t nonzero = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != 0)
            nonzero++;
        p[i] = (uint8_t)(seed + i * 7);
    }
    return nonzero;
}

static uint32_t sum(const uint8_t *p, uint32_t len)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = s * 31u + p[i];
    return s;
}

int main(void)
{
    long b0 = sys_brk(0);
    uint32_t end = (uint32_t)_end;
    print_kv("initial break page aligned", (b0 & (PAGE_SIZE - 1)) == 0);
    print_kv("initial break at end of bss page", (uint32_t)b0 >= end && (uint32_t)b0 - end < PAGE_SIZE);
    print_kv("brk(0) again", sys_brk(0) - b0);

    long r = sys_brk(b0 + 100);
    print_kv("grow 100", r - b0);
    print_kv("grow 100 nonzero bytes", (int32_t)check_zero_and_fill((uint8_t *)b0, 100, 1));

    r = sys_brk(b0 + 3 * PAGE_SIZE + 5);
    print_kv("grow 3 pages + 5", r - b0);
    print_kv("brk(0) after grow", sys_brk(0) - b0);
    print_kv("new bytes nonzero", (int32_t)check_zero_and_fill((uint8_t *)b0 + 100, 3 * PAGE_SIZE + 5 - 100, 2));
    print_kx("heap sum", sum((uint8_t *)b0, 3 * PAGE_SIZE + 5));

    r = sys_brk(b0 - (long)PAGE_SIZE);
    print_kv("below initial break (unchanged)", r - b0);
    r = sys_brk(b0 + 0x60000000L);
    print_kv("grow 1.5 GiB (unchanged)", r - b0);
    print_kv("brk(0) after failures", sys_brk(0) - b0);
    print_kx("heap sum after failures", sum((uint8_t *)b0, 3 * PAGE_SIZE + 5));

    r = sys_brk(b0 + PAGE_SIZE + 17);
    print_kv("shrink to 1 page + 17", r - b0);
    print_kx("kept bytes sum", sum((uint8_t *)b0, PAGE_SIZE + 17));
    r = sys_brk(b0 + 6 * PAGE_SIZE);
    print_kv("grow again to 6 pages", r - b0);
    /* Whole pages above the shrink point are fresh zero pages. */
    print_kv("regrown pages nonzero", (int32_t)check_zero_and_fill((uint8_t *)b0 + 2 * PAGE_SIZE, 4 * PAGE_SIZE, 3));
    print_kx("kept bytes sum again", sum((uint8_t *)b0, PAGE_SIZE + 17));
    /* brk and malloc-like use: a bump allocator on top of it. */
    long top = sys_brk(0);
    uint32_t total = 0;
    for (int i = 1; i <= 20; i++) {
        long want = top + i * 1000;
        long got = sys_brk(want);
        if (got != want)
            break;
        ((uint8_t *)top)[i * 1000 - 1] = (uint8_t)i;
        total += ((uint8_t *)top)[i * 1000 - 1];
    }
    print_kv("bump allocations total", (int32_t)total);
    print_kv("final break", sys_brk(0) - b0);
    return 0;
}
