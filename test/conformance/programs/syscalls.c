/*
 * syscalls.c — the system-call boundary: unknown numbers return -ENOSYS
 * (-38) and change nothing; write returns the byte count (also for length
 * 0 and for a buffer spanning two pages), -EFAULT for an unmapped buffer
 * (the call fails, the guest lives on), -EBADF for a closed descriptor;
 * a7/a0..a5 are the only inputs and only a0 is written; and the exit status
 * of exit_group is masked to 8 bits (300 -> 44).
 */
#include "faultline-rt.h"

int main(void)
{
    print_kv("syscall 999", (int32_t)sys_call6(999, 1, 2, 3, 4, 5, 6));
    print_kv("syscall 4095", (int32_t)sys_call6(4095, 0, 0, 0, 0, 0, 0));
    print_kv("syscall 0xffffffff", (int32_t)sys_call6(-1, 0, 0, 0, 0, 0, 0));

    print_flush();
    print_kv("write length 0", (int32_t)sys_write(1, "x", 0));
    long n = sys_write(1, "hello, world\n", 13);
    print_kv("write 13 bytes", (int32_t)n);

    /* A buffer straddling a page boundary. */
    long m = sys_mmap_anon(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) {
        print_kv("mmap failed", (int32_t)m);
        return 1;
    }
    char *s = (char *)(m + PAGE_SIZE - 6);
    memcpy(s, "across pages\n", 13);
    print_kv("write across pages", (int32_t)sys_write(1, s, 13));

    /* An unmapped buffer: -EFAULT, and the program continues. */
    print_kv("munmap", (int32_t)sys_munmap(m + PAGE_SIZE, PAGE_SIZE));
    print_kv("write unmapped buffer", (int32_t)sys_write(1, (void *)(m + PAGE_SIZE), 8));
    print_kv("write buffer at address 16", (int32_t)sys_write(1, (void *)16, 4));
    print_kv("write to fd 77", (int32_t)sys_write(77, "x", 1));

    /* Registers other than a0 survive an ecall. */
    uint32_t t0v, s1v, a1v;
    __asm__ volatile("li t0, 0x1234\n\t"
                     "li s1, 0x5678\n\t"
                     "li a7, 999\n\t"
                     "li a1, 0x9abc\n\t"
                     "ecall\n\t"
                     "mv %0, t0\n\t"
                     "mv %1, s1\n\t"
                     "mv %2, a1"
                     : "=r"(t0v), "=r"(s1v), "=r"(a1v)
                     :
                     : "t0", "s1", "a0", "a1", "a7", "memory");
    print_kx("t0 after ecall", t0v);
    print_kx("s1 after ecall", s1v);
    print_kx("a1 after ecall", a1v);

    print_str("exiting with 300\n");
    print_flush();
    sys_exit_group(300);
}
