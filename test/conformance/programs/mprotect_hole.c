/*
 * mprotect_hole.c — mprotect over a range that includes unmapped pages.
 *
 * LINUX SEMANTICS, NOT QEMU'S: this program is checked against the hard
 * expectation file mprotect_hole.expected, never against qemu-riscv32
 * (qemu 7.2 returns 0 here). The contract (docs/design.md §1, §4): mprotect
 * over a range with an unmapped page fails with -ENOMEM and changes
 * nothing, so every page of the range that was writable stays writable.
 * A write below that faults (status 139) means the call changed something.
 * (Real kernels, mm/mprotect.c, apply the new protection to the mappings
 * in front of the first hole before failing; faultline's contract is the
 * stricter all-or-nothing one, and this file asserts the contract. A range
 * that starts in a hole changes nothing on both.)
 *
 * Also here because qemu 7.2 disagrees with Linux: mprotect with length 0
 * succeeds (Linux returns 0 before looking at any mapping; qemu -ENOMEM).
 *
 * Layout: four pages P0..P3 from one mmap; P1 and P3 unmapped again.
 *   [P0 rw][P1 hole][P2 rw][P3 hole]
 */
#include "faultline-rt.h"

#define RW (PROT_READ | PROT_WRITE)

static void poke(const char *what, long addr, uint32_t value)
{
    print_str("write ");
    print_str(what);
    print_str(": ");
    print_flush();
    *(volatile uint32_t *)addr = value;
    print_str(*(volatile uint32_t *)addr == value ? "ok\n" : "wrong value\n");
}

int main(void)
{
    long p = sys_mmap_anon(4 * PAGE_SIZE, RW);
    if (mmap_failed(p)) {
        print_kv("mmap failed", (int32_t)p);
        return 1;
    }
    long p0 = p, p1 = p + PAGE_SIZE, p2 = p + 2 * PAGE_SIZE, p3 = p + 3 * PAGE_SIZE;
    *(volatile uint32_t *)p0 = 100;
    *(volatile uint32_t *)p2 = 200;
    print_kv("munmap P1", (int32_t)sys_munmap(p1, PAGE_SIZE));
    print_kv("munmap P3", (int32_t)sys_munmap(p3, PAGE_SIZE));

    print_kv("mprotect P0..P2 (hole inside) read-only", (int32_t)sys_mprotect(p0, 3 * PAGE_SIZE, PROT_READ));
    poke("P0", p0, 101);
    poke("P2", p2, 201);

    print_kv("mprotect P1..P2 (starts in hole) read-only", (int32_t)sys_mprotect(p1, 2 * PAGE_SIZE, PROT_READ));
    poke("P2", p2, 202);

    print_kv("mprotect P2..P3 (ends in hole) read-only", (int32_t)sys_mprotect(p2, 2 * PAGE_SIZE, PROT_READ));
    poke("P2", p2, 203);

    print_kv("mprotect P1 alone (only hole) read-only", (int32_t)sys_mprotect(p1, PAGE_SIZE, PROT_READ));
    print_kv("mprotect P0..P3 none", (int32_t)sys_mprotect(p0, 4 * PAGE_SIZE, PROT_NONE));
    poke("P0", p0, 104);
    poke("P2", p2, 204);

    /* The mapped pages alone still take mprotect normally. */
    print_kv("mprotect P0 read-only", (int32_t)sys_mprotect(p0, PAGE_SIZE, PROT_READ));
    print_kv("P0 reads", (int32_t)*(volatile uint32_t *)p0);
    print_kv("mprotect P0 read-write", (int32_t)sys_mprotect(p0, PAGE_SIZE, RW));
    poke("P0", p0, 105);
    print_kv("P2 reads", (int32_t)*(volatile uint32_t *)p2);
    print_kv("mprotect length 0 on P0", (int32_t)sys_mprotect(p0, 0, PROT_READ));
    print_kv("mprotect length 0 on hole P1", (int32_t)sys_mprotect(p1, 0, PROT_READ));
    poke("P0", p0, 106);
    return 0;
}
