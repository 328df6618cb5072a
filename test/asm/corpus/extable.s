# Exception tables in Linux riscv's layout (.pushsection __ex_table)
# and with the .extable directive (which adds no bytes).
    .text
    .globl _start
_start:
1:  lw      a0, 0(a1)
2:  li      a0, -14
    .pushsection __ex_table, "a"
    .balign 4
    .long   (1b - .), (2b - .)
    .short  1, (10 | (11 << 5))
    .popsection
3:  sw      a0, 0(a1)
4:  nop
    .extable 3b, 4b
    .extable 3b, 4b, 1, 10
    .pushsection __ex_table, "a"
    .long   (3b - .), (4b - .)
    .short  0, 0
    .popsection
    ret
