/*
 * copy-from-user.c — Linux's copy_from_user() pattern in C, with the
 * exception-table macros of <faultline.h>.
 *
 * What it shows: the one instruction of copy_from_user() that touches the
 * caller's pointer is listed in the ELF section __ex_table with
 * _ASM_EXTABLE_UACCESS_ERR_ZERO: when it faults and no fault handler
 * resolves the fault, the machine puts -EFAULT in the error register, 0 in
 * the value register and jumps to the fixup label. probe_word() uses the
 * plain _ASM_EXTABLE (pc <- fixup) with its own fixup code. A good pointer
 * copies; a bad one returns -EFAULT (-14) instead of killing the program.
 * (Under qemu-riscv32 the bad copy kills the program with SIGSEGV: the
 * fixups are applied by faultline, as Linux's are by the kernel.)
 *
 * Build and run (with the shipped guest runtime, include/faultline-rt.c):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o /tmp/copy-from-user examples/guest/copy-from-user.c include/faultline-rt.c -lgcc
 *     node dist/cli/main.js run /tmp/copy-from-user
 *
 * Output:
 *
 *     copy_from_user(good) = 0: hello, faultline
 *     copy_from_user(bad) = -14
 *     probe_word(good) = 0 value=0x2a
 *     probe_word(bad) = -14
 */
#include "faultline.h"
#include "faultline-rt.h"

#define BAD_POINTER ((const void *)0x10) /* in the unmapped page at 0 */

/* Copies n bytes from src to dst; 0, or -EFAULT when src cannot be read. */
static long copy_from_user(void *dst, const void *src, unsigned long n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (unsigned long i = 0; i < n; i++) {
        long err = 0;
        unsigned long byte;
        __asm__ volatile("1: lbu %1, 0(%2)\n"
                         "2:\n"
                         _ASM_EXTABLE_UACCESS_ERR_ZERO(1b, 2b, %0, %1)
                         : "+r"(err), "=&r"(byte)
                         : "r"(s + i)
                         : "memory");
        if (err != 0)
            return err;
        d[i] = (unsigned char)byte;
    }
    return 0;
}

/* Reads one word at p into *value; 0, or -EFAULT (fixup code of its own). */
static long probe_word(const unsigned int *p, unsigned int *value)
{
    long err;
    unsigned int v;
    __asm__ volatile("   li %0, 0\n"
                     "1: lw %1, 0(%2)\n"
                     "   j 3f\n"
                     "2: li %0, -14\n"
                     "   li %1, 0\n"
                     "3:\n"
                     _ASM_EXTABLE(1b, 2b)
                     : "=&r"(err), "=&r"(v)
                     : "r"(p)
                     : "memory");
    *value = v;
    return err;
}

static const char message[] = "hello, faultline";
static char buffer[64];
static const unsigned int answer = 42;

int main(void)
{
    long rc = copy_from_user(buffer, message, sizeof message);
    print_str("copy_from_user(good) = ");
    print_dec(rc);
    print_str(": ");
    print_str(buffer);
    print_nl();

    rc = copy_from_user(buffer, BAD_POINTER, 8);
    print_str("copy_from_user(bad) = ");
    print_dec(rc);
    print_nl();

    unsigned int value;
    rc = probe_word(&answer, &value);
    print_str("probe_word(good) = ");
    print_dec(rc);
    print_str(" value=0x");
    print_hexn(value, 2);
    print_nl();

    rc = probe_word(BAD_POINTER, &value);
    print_str("probe_word(bad) = ");
    print_dec(rc);
    print_nl();
    return 0;
}
