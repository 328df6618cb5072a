/*
 * crt0.S — entry point of every conformance and benchmark guest program.
 *
 * The loader (qemu-riscv32 or faultline) starts us with the Linux ELF ABI
 * initial stack: sp -> argc, argv[0..argc-1], NULL, envp..., NULL, auxv.
 * We set up gp for linker relaxation, call
 *     int main(int argc, char **argv, char **envp)
 * and hand its result to rt_exit(), which flushes stdout and calls exit (93).
 * Nothing here depends on absolute addresses chosen by the loader.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    lw      a0, 0(sp)           /* argc */
    addi    a1, sp, 4           /* argv */
    slli    t0, a0, 2
    add     a2, a1, t0
    addi    a2, a2, 4           /* envp = &argv[argc + 1] */
    call    main
    call    rt_exit             /* does not return */
    .word   0                   /* illegal instruction: rt_exit returned */
    .size _start, . - _start
