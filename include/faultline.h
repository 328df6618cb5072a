/*
 * faultline.h — the guest side of faultline's fault handlers (docs/design.md §2).
 *
 * A guest program running in the faultline machine can catch its own
 * faults: register a function with register_fault_handler(); the machine
 * calls it for every fault the handlers before it in the chain pass on,
 *
 *     int handler(struct user_context *ctx, const struct fault_info *info);
 *
 * on the faulting thread's stack (below a 128-byte red zone), and acts on
 * the status it returns: FAULT_CONTINUE (not mine: ask the next handler),
 * FAULT_FIXED (resume the thread: the handler's changes to *ctx apply; with
 * ctx->pc unchanged the faulting instruction is retried) or FAULT_FAIL (the
 * fault is fatal). A fault inside a handler is fatal. The handler returns
 * through a trampoline the machine maps at FAULTLINE_TRAMPOLINE; it may
 * make ordinary system calls (mmap with MAP_FIXED, write, ...).
 *
 * It also gives Linux riscv's exception-table macros for inline assembly:
 * a faulting instruction listed in __ex_table jumps to its fixup when no
 * handler resolves the fault (the copy_from_user() pattern).
 *
 * Build (no libc; with the shipped runtime, <faultline-rt.h>):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o prog prog.c include/faultline-rt.c -lgcc
 *     faultline run prog
 *
 * The types use `unsigned int` (32 bits under ilp32) instead of uint32_t so
 * the header needs no libc <stdint.h>.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

/* ---- system call numbers (a7) ------------------------------------------ */

#define FAULTLINE_SYS_register_fault_handler   0x1000
#define FAULTLINE_SYS_unregister_fault_handler 0x1001
#define FAULTLINE_SYS_fault_return             0x1002

/* ---- handler statuses (Akaros numbering) -------------------------------- */

#define FAULT_CONTINUE 0 /* not mine: ask the next handler                  */
#define FAULT_FIXED    1 /* resume the thread with *ctx                     */
#define FAULT_FAIL     2 /* the fault is fatal; later handlers are not asked */

/* ---- fault_info.access --------------------------------------------------- */

#define FAULT_ACCESS_READ    0
#define FAULT_ACCESS_WRITE   1
#define FAULT_ACCESS_EXECUTE 2

/* ---- fault_info.flags ---------------------------------------------------- */

/* The page was mapped but the access lacked the right (else: not mapped). */
#define FAULT_FLAG_PROTECTION 1u

/* ---- fault_info.cause: RISC-V exception causes (privileged spec) -------- */

#define FAULT_CAUSE_FETCH_MISALIGNED  0
#define FAULT_CAUSE_ILLEGAL_INSN      2
#define FAULT_CAUSE_BREAKPOINT        3
#define FAULT_CAUSE_LOAD_MISALIGNED   4
#define FAULT_CAUSE_STORE_MISALIGNED  6
#define FAULT_CAUSE_FETCH_PAGE_FAULT 12
#define FAULT_CAUSE_LOAD_PAGE_FAULT  13
#define FAULT_CAUSE_STORE_PAGE_FAULT 15

/* Page the machine maps read+execute for the handlers' return trampoline
 * (`li a7, 0x1002; ecall`); shown as [faultline] in the maps. */
#define FAULTLINE_TRAMPOLINE 0xffffe000u

/* ---- exception-table entry types (Linux riscv asm/asm-extable.h) -------- */

#ifndef EX_TYPE_FIXUP
#define EX_TYPE_FIXUP            0 /* pc <- fixup                                      */
#define EX_TYPE_UACCESS_ERR_ZERO 1 /* err reg <- -EFAULT, zero reg <- 0, pc <- fixup  */
#endif
/* data of EX_TYPE_UACCESS_ERR_ZERO: error register in bits 0-4, zeroed
 * register in bits 5-9. */
#define FAULTLINE_EX_DATA_ERR_SHIFT  0
#define FAULTLINE_EX_DATA_ZERO_SHIFT 5

#ifndef EFAULT
#define EFAULT 14
#endif

#ifndef __ASSEMBLER__

/*
 * The faulting thread's registers as the handler sees them. regs[k] is
 * register xk (regs[0] reads 0, writes are ignored); pc is the faulting
 * instruction (for a fault in a system call's buffer: its ecall).
 * Offsets: regs at 0, pc at 128; 132 bytes.
 */
struct user_context {
    unsigned int regs[32];
    unsigned int pc;
};

/* Offsets: cause 0, address 4, access 8, flags 12; 16 bytes. */
struct fault_info {
    unsigned int cause;   /* FAULT_CAUSE_*                                  */
    unsigned int address; /* faulting address                               */
    unsigned int access;  /* FAULT_ACCESS_*                                 */
    unsigned int flags;   /* FAULT_FLAG_PROTECTION                          */
};

_Static_assert(sizeof(struct user_context) == 132, "struct user_context is 33 words");
_Static_assert(sizeof(struct fault_info) == 16, "struct fault_info is 4 words");

/* Indices into user_context.regs by ABI name. */
enum {
    UC_RA = 1, UC_SP = 2, UC_GP = 3, UC_TP = 4,
    UC_T0 = 5, UC_T1 = 6, UC_T2 = 7, UC_S0 = 8, UC_S1 = 9,
    UC_A0 = 10, UC_A1 = 11, UC_A2 = 12, UC_A3 = 13,
    UC_A4 = 14, UC_A5 = 15, UC_A6 = 16, UC_A7 = 17
};

/* A guest fault handler: returns FAULT_CONTINUE, FAULT_FIXED or FAULT_FAIL. */
typedef int (*fault_handler_t)(struct user_context *ctx, const struct fault_info *info);

/* ecall with two arguments; returns a0. */
static inline long faultline_ecall2(long nr, long arg0, long arg1)
{
    register long a0 __asm__("a0") = arg0;
    register long a1 __asm__("a1") = arg1;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
    return a0;
}

/*
 * Adds `fn` to the machine's fault-handler chain: at the head (asked
 * first) unless `insert_tail` is non-zero. Returns 0, -EINVAL when fn is
 * NULL, not 4-byte aligned or not in an executable mapping, -EEXIST when
 * it is registered already, -ENOMEM when the trampoline page's address is
 * taken by one of the program's own mappings.
 */
static inline int register_fault_handler(fault_handler_t fn, int insert_tail)
{
    return (int)faultline_ecall2(FAULTLINE_SYS_register_fault_handler, (long)fn, insert_tail);
}

/* Removes `fn` from the chain. Returns 0, or -ENOENT when it was not there. */
static inline int unregister_fault_handler(fault_handler_t fn)
{
    return (int)faultline_ecall2(FAULTLINE_SYS_unregister_fault_handler, (long)fn, 0);
}

/* ---- exception tables for inline assembly ------------------------------- */

/*
 * One __ex_table entry in Linux riscv's layout: 12 bytes, `int insn, int
 * fixup` relative to the field's own address, then `short type, short
 * data`. `insn` and `fixup` are assembler labels such as 1b and 2f.
 */
#define __FAULTLINE_EXTABLE_ENTRY(insn, fixup, type, data) \
    ".pushsection __ex_table, \"a\"\n"                     \
    ".balign 4\n"                                          \
    ".long ((" insn ") - .)\n"                             \
    ".long ((" fixup ") - .)\n"                            \
    ".short (" type ")\n"                                  \
    ".short (" data ")\n"                                  \
    ".popsection\n"

/*
 * Assembler symbols .L__faultline_gpr_<name> = register number, for every
 * x<n> and ABI register name, so that a register operand (%0 in inline
 * asm expands to a name like a5) can become a number in `data`. `.set`
 * may be repeated, so every use of the macro below can (re)define them.
 */
#define __FAULTLINE_GPR_NUMBERS                                                                  \
    ".irp num,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n" \
    ".set .L__faultline_gpr_x\\num, \\num\n"                                                     \
    ".endr\n"                                                                                   \
    ".irp num,0,1,2,3,4,5,6,7\n.set .L__faultline_gpr_a\\num, 10 + \\num\n.endr\n"               \
    ".irp num,0,1,2\n.set .L__faultline_gpr_t\\num, 5 + \\num\n.endr\n"                          \
    ".irp num,3,4,5,6\n.set .L__faultline_gpr_t\\num, 25 + \\num\n.endr\n"                       \
    ".irp num,2,3,4,5,6,7,8,9,10,11\n.set .L__faultline_gpr_s\\num, 16 + \\num\n.endr\n"         \
    ".set .L__faultline_gpr_zero, 0\n.set .L__faultline_gpr_ra, 1\n"                              \
    ".set .L__faultline_gpr_sp, 2\n.set .L__faultline_gpr_gp, 3\n"                                \
    ".set .L__faultline_gpr_tp, 4\n.set .L__faultline_gpr_s0, 8\n"                                \
    ".set .L__faultline_gpr_fp, 8\n.set .L__faultline_gpr_s1, 9\n"

#define __FAULTLINE_STRINGIFY(x) #x
#define __FAULTLINE_GPR(reg) ".L__faultline_gpr_" __FAULTLINE_STRINGIFY(reg)

/*
 * _ASM_EXTABLE(insn, fixup): when the instruction at label `insn` faults
 * and no handler resolves the fault, continue at label `fixup`.
 *
 *     __asm__ volatile("1: lw %0, 0(%1)\n"
 *                      "   j 3f\n"
 *                      "2: li %0, -1\n"
 *                      "3:\n"
 *                      _ASM_EXTABLE(1b, 2b)
 *                      : "=&r"(value) : "r"(pointer));
 */
#define _ASM_EXTABLE(insn, fixup) \
    __FAULTLINE_EXTABLE_ENTRY(#insn, #fixup, "0", "0")

/*
 * _ASM_EXTABLE_UACCESS_ERR_ZERO(insn, fixup, err, zero): when `insn`
 * faults and no handler resolves the fault, set register `err` to -EFAULT
 * and register `zero` to 0, and continue at `fixup`. `err` and `zero` are
 * register operands (%0, %1) or names (a0).
 *
 *     long err = 0; unsigned int value;
 *     __asm__ volatile("1: lw %1, 0(%2)\n"
 *                      "2:\n"
 *                      _ASM_EXTABLE_UACCESS_ERR_ZERO(1b, 2b, %0, %1)
 *                      : "+r"(err), "=&r"(value) : "r"(pointer));
 */
#define _ASM_EXTABLE_UACCESS_ERR_ZERO(insn, fixup, err, zero)                    \
    __FAULTLINE_GPR_NUMBERS                                                       \
    __FAULTLINE_EXTABLE_ENTRY(#insn, #fixup, "1",                                 \
        "(" __FAULTLINE_GPR(err) ") | ((" __FAULTLINE_GPR(zero) ") << 5)")

#endif /* !__ASSEMBLER__ */

#endif /* FAULTLINE_H */
