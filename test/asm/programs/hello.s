# Prints a greeting with the write system call and exits with status 0.
# expect-stdout: "Hello, world!\n"
# expect-exit: 0
    .equ    SYS_write, 64
    .equ    SYS_exit, 93
    .equ    STDOUT, 1

    .text
    .globl  _start
_start:
    li      a0, STDOUT
    la      a1, message
    li      a2, message_end - message
    li      a7, SYS_write
    ecall
    li      a0, 0
    li      a7, SYS_exit
    ecall

    .section .rodata
message:
    .ascii  "Hello, world!\n"
message_end:
