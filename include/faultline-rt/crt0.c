/*
 * faultline-rt/crt0.c — the program's entry point: from the Linux initial
 * stack to main() and back to exit_group.
 *
 * The loader (faultline, qemu-riscv32, Linux) starts _start with
 *
 *     sp -> argc, argv[0..argc-1], NULL, envp[0..], NULL, auxv pairs, AT_NULL
 *
 * _start sets gp (the linker relaxes small-data accesses against it), then
 * __rt_start() finds the program's TLS image through the auxiliary vector
 * (AT_PHDR, AT_PHNUM -> PT_TLS), gives the first thread its descriptor and
 * TLS block and points tp at it, and calls
 *
 *     int main(int argc, char **argv, char **envp)
 *
 * whose result goes to rt_exit(): the thread's output line is written and
 * exit_group ends the process. A program without __thread variables makes
 * no system call before main.
 */
#include "print.h"
#include "runtime-private.h"
#include "syscall.h"

/* auxv entry types and program header fields (ELF gABI) */
#define AT_NULL  0
#define AT_PHDR  3
#define AT_PHENT 4
#define AT_PHNUM 5
#define PT_TLS   7

/* Elf32_Phdr */
struct rt_phdr {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
};

/*
 * GNU ld's default script gathers small constants (.srodata) into the
 * output section .sdata. With no writable small data beside them that
 * section is read-only, joins the text segment, and the data after it
 * makes the segment RWX ("LOAD segment with RWX permissions"). A writable
 * word in .sdata keeps text and data in separate segments.
 */
__attribute__((section(".sdata"), used)) int __rt_sdata_writable = 1;

char **environ;
/* The auxiliary vector: (type, value) pairs up to AT_NULL. */
static const uint32_t *rt_auxv;

uint32_t rt_getauxval(uint32_t type)
{
    for (const uint32_t *a = rt_auxv; a != NULL && a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return a[1];
    return 0;
}

int main(int argc, char **argv, char **envp);

__asm__(".pushsection .text._start, \"ax\", @progbits\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la   gp, __global_pointer$\n"
        ".option pop\n"
        "    mv   a0, sp\n"
        "    call __rt_start\n"
        "    .word 0\n" /* illegal instruction: __rt_start returned */
        ".size _start, . - _start\n"
        ".popsection\n");

/* Finds PT_TLS among the program headers the loader described in auxv. */
static void find_tls_image(void)
{
    const struct rt_phdr *ph = (const struct rt_phdr *)rt_getauxval(AT_PHDR);
    uint32_t n = rt_getauxval(AT_PHNUM), size = rt_getauxval(AT_PHENT);
    if (ph == NULL || size != sizeof(struct rt_phdr))
        return;
    for (uint32_t i = 0; i < n; i++) {
        if (ph[i].p_type == PT_TLS) {
            __rt_tls.init = (const void *)ph[i].p_vaddr;
            __rt_tls.filesz = ph[i].p_filesz;
            __rt_tls.memsz = ph[i].p_memsz;
            __rt_tls.align = ph[i].p_align;
            return;
        }
    }
}

__attribute__((noreturn, used)) void __rt_start(uint32_t *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    while (*p != NULL)
        p++;
    environ = envp;
    rt_auxv = (const uint32_t *)(p + 1);
    find_tls_image();
    __rt_init_first_thread();
    rt_exit(main(argc, argv, envp));
}
