# Data directives, alignment, sections, symbols and expressions.
    .option norvc
    .equ    COUNT, 3
    .set    MASK, (1 << 8) - 1
    WIDTH = COUNT * 4
    .text
    .globl  _start
_start:
    li      a0, COUNT
    li      a1, MASK & ~0xf
    li      a2, WIDTH / 2
    li      a3, -(COUNT + 1) * 3
    li      a4, (MASK | 0x100) ^ 0x0f0
    li      a5, 1000 % 7
    li      a6, 0x100 >> 4
    addi    a0, a0, 'A'
    .p2align 3
    nop
    .balign 16
    nop
    .align  4
    .byte   1, 2, 3
    .balign 4
    nop
    .balign 8, 0
    .word   0x11223344

    .section .rodata
table:
    .word   _start, target, table + 4, -1, 0xffffffff
    .half   -32768, 65535, 0x1234
    .short  1, 2
    .byte   -128, 255, 'a', '\n', 0x7f
    .long   target - table
    .2byte  7
    .4byte  8
    .ascii  "abc", "def"
    .asciz  "tab\there", "quote\"", "octal\101\x42"
    .string "s"
    .zero   3
    .space  5, 0xaa
    .p2align 2, 0xcc
    .word   . - table

    .data
    .byte   1
    .align  2
target:
    .word   COUNT
msg:
    .ascii  "hello, world\n"
    .equ    len, . - msg
    .balign 8
    .half   len
    .space  2
    .word   (target - msg) * 2

    .section .data.more, "aw"
    .word   0xdeadbeef

    .section .text.extra, "ax"
extra:
    j       _start

    .bss
    .align  3
buffer:
    .zero   100
    .space  28
end_bss:
