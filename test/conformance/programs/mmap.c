/*
 * mmap.c — anonymous private mappings (syscall 222), munmap (215) and
 * mprotect (226) on mapped ranges. New mappings read as zero; lengths are
 * rounded up to whole pages; MAP_FIXED maps at exactly the given address,
 * also over existing pages (replacing them with zero pages) and into a hole
 * left by munmap, leaving the neighbours intact; contents survive mprotect
 * to PROT_NONE and back; a PROT_NONE mapping made writable works; munmap of
 * an already unmapped range succeeds; a large mapping is usable at both
 * ends; invalid arguments give -EINVAL and an impossible size -ENOMEM.
 * No address is printed: only flags, counts and checksums.
 */
#include "faultline-rt.h"

#define RW (PROT_READ | PROT_WRITE)

static uint32_t nonzero(const uint8_t *p, uint32_t len)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += p[i] != 0;
    return n;
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    for (uint32_t i = 0; i < len; i++)
        p[i] = (uint8_t)((i * 13u + seed) ^ (i >> 8));
}

static uint32_t sum(const uint8_t *p, uint32_t len)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = s * 31u + p[i];
    return s;
}

static long must_map(long addr, size_t len, int prot, int flags)
{
    long r = sys_mmap(addr, len, prot, flags, -1, 0);
    if (mmap_failed(r)) {
        print_kv("unexpected mmap failure", (int32_t)r);
        rt_exit(1);
    }
    return r;
}

int main(void)
{
    /* One page: zero, aligned, writable. */
    long a = must_map(0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    print_kv("one page aligned", (a & (PAGE_SIZE - 1)) == 0);
    print_kv("one page nonzero", (int32_t)nonzero((uint8_t *)a, PAGE_SIZE));
    fill((uint8_t *)a, PAGE_SIZE, 1);
    print_kx("one page sum", sum((uint8_t *)a, PAGE_SIZE));

    /* Sixteen pages, then a hole punched in the middle and refilled. */
    long b = must_map(0, 16 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    print_kv("16 pages nonzero", (int32_t)nonzero((uint8_t *)b, 16 * PAGE_SIZE));
    fill((uint8_t *)b, 16 * PAGE_SIZE, 2);
    print_kx("16 pages sum", sum((uint8_t *)b, 16 * PAGE_SIZE));
    print_kv("munmap pages 4..7", (int32_t)sys_munmap(b + 4 * PAGE_SIZE, 4 * PAGE_SIZE));
    print_kv("munmap them again", (int32_t)sys_munmap(b + 4 * PAGE_SIZE, 4 * PAGE_SIZE));
    long f = sys_mmap(b + 4 * PAGE_SIZE, 4 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    print_kv("MAP_FIXED into hole at requested address", f == b + 4 * (long)PAGE_SIZE);
    print_kv("refilled hole nonzero", (int32_t)nonzero((uint8_t *)f, 4 * PAGE_SIZE));
    print_kx("pages 0..3 sum", sum((uint8_t *)b, 4 * PAGE_SIZE));
    print_kx("pages 8..15 sum", sum((uint8_t *)b + 8 * PAGE_SIZE, 8 * PAGE_SIZE));

    /* MAP_FIXED over live pages replaces them with zero pages. */
    f = sys_mmap(b + 10 * PAGE_SIZE, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    print_kv("MAP_FIXED over live pages at requested address", f == b + 10 * (long)PAGE_SIZE);
    print_kv("replaced pages nonzero", (int32_t)nonzero((uint8_t *)f, 2 * PAGE_SIZE));
    print_kx("pages 8..9 sum", sum((uint8_t *)b + 8 * PAGE_SIZE, 2 * PAGE_SIZE));
    print_kx("pages 12..15 sum", sum((uint8_t *)b + 12 * PAGE_SIZE, 4 * PAGE_SIZE));

    /* Lengths round up to whole pages. */
    long c = must_map(0, 5000, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    ((volatile uint8_t *)c)[2 * PAGE_SIZE - 1] = 0x5a;
    print_kv("5000 bytes: last byte of second page", ((volatile uint8_t *)c)[2 * PAGE_SIZE - 1]);
    print_kv("munmap 5000 bytes", (int32_t)sys_munmap(c, 5000));

    /* Contents survive protection changes. */
    print_kv("mprotect read-only", (int32_t)sys_mprotect(a, PAGE_SIZE, PROT_READ));
    print_kx("read-only sum", sum((uint8_t *)a, PAGE_SIZE));
    print_kv("mprotect none", (int32_t)sys_mprotect(a, PAGE_SIZE, PROT_NONE));
    print_kv("mprotect read-write", (int32_t)sys_mprotect(a, PAGE_SIZE, RW));
    print_kx("after none and back sum", sum((uint8_t *)a, PAGE_SIZE));
    ((uint8_t *)a)[7] ^= 0xff;
    print_kx("written again sum", sum((uint8_t *)a, PAGE_SIZE));
    print_kv("mprotect 100 bytes (rounds to page)", (int32_t)sys_mprotect(a, 100, PROT_READ));
    print_kv("mprotect back to rw", (int32_t)sys_mprotect(a, PAGE_SIZE, RW));
    ((uint8_t *)a)[4095] = 1;

    /* A PROT_NONE mapping made usable. */
    long n = must_map(0, 2 * PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    print_kv("mprotect PROT_NONE mapping to rw", (int32_t)sys_mprotect(n, 2 * PAGE_SIZE, RW));
    print_kv("prot-none mapping nonzero", (int32_t)nonzero((uint8_t *)n, 2 * PAGE_SIZE));
    fill((uint8_t *)n, 2 * PAGE_SIZE, 3);
    print_kx("prot-none mapping sum", sum((uint8_t *)n, 2 * PAGE_SIZE));

    /* munmap and map again: fresh zero pages. */
    print_kv("munmap 16 pages", (int32_t)sys_munmap(b, 16 * PAGE_SIZE));
    long d = must_map(0, 16 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    print_kv("remapped nonzero", (int32_t)nonzero((uint8_t *)d, 16 * PAGE_SIZE));

    /* A hint without MAP_FIXED still gives a usable zero mapping. */
    long h = must_map(d, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    print_kv("hinted mapping nonzero", (int32_t)nonzero((uint8_t *)h, PAGE_SIZE));
    print_kx("remapped untouched by hint", sum((uint8_t *)d, 16 * PAGE_SIZE));

    /* 64 MiB, touched at both ends. */
    long big = must_map(0, 64u << 20, RW, MAP_PRIVATE | MAP_ANONYMOUS);
    ((volatile uint32_t *)big)[0] = 0x11223344u;
    ((volatile uint32_t *)(big + (64 << 20)))[-1] = 0x55667788u;
    print_kx("64 MiB first word", ((volatile uint32_t *)big)[0]);
    print_kx("64 MiB last word", ((volatile uint32_t *)(big + (64 << 20)))[-1]);
    print_kv("munmap 64 MiB", (int32_t)sys_munmap(big, 64u << 20));

    /* Errors. */
    print_kv("mmap length 0", (int32_t)sys_mmap(0, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    print_kv("mmap MAP_FIXED unaligned", (int32_t)sys_mmap(d + 1, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    print_kv("mmap neither private nor shared", (int32_t)sys_mmap(0, PAGE_SIZE, RW, MAP_ANONYMOUS, -1, 0));
    print_kv("mmap 4 GiB - 1 page", (int32_t)sys_mmap(0, 0xfffff000u, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    print_kv("munmap unaligned", (int32_t)sys_munmap(d + 1, PAGE_SIZE));
    print_kv("munmap length 0", (int32_t)sys_munmap(d, 0));
    print_kv("mprotect unaligned", (int32_t)sys_mprotect(d + 1, PAGE_SIZE, PROT_READ));
    print_kv("remapped still intact", nonzero((uint8_t *)d, 16 * PAGE_SIZE) == 0);
    return 0;
}
