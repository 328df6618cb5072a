# Exercises atomics, a far branch (relaxed by the assembler), rdcycle and
# a jump table in .rodata; prints "ok\n" when every check passes and
# exits with status 7, or prints "bad\n" and exits with status 1.
# expect-stdout: "ok\n"
# expect-exit: 7
    .text
    .globl  _start
_start:
    la      s0, counter
    li      t0, 5
    amoadd.w t1, t0, (s0)       # t1 = 10, counter = 15
    li      t2, 10
    bne     t1, t2, fail
    lr.w    t3, (s0)
    addi    t3, t3, 1
    sc.w    t4, t3, (s0)        # counter = 16 when it succeeds
    lw      t5, 0(s0)
    bnez    t4, 1f              # a failed sc.w is allowed: retry is not needed here
    li      t6, 16
    bne     t5, t6, fail
1:  rdcycle a0
    la      t0, table
    lw      t1, 4(t0)
    jr      t1

    .space  5000                # makes the branches to `fail` far
second:
    li      a0, -1
    li      a1, 0xfffff800
    bgeu    a1, a0, fail
    j       pass

fail:
    li      a0, 1
    la      a1, bad
    li      a2, 4
    li      a7, 64
    ecall
    li      a0, 1
    li      a7, 93
    ecall
pass:
    li      a0, 1
    la      a1, good
    li      a2, 3
    li      a7, 64
    ecall
    li      a0, 7
    li      a7, 93
    ecall

    .section .rodata
    .align  2
table:
    .word   fail, second
good:
    .ascii  "ok\n"
bad:
    .ascii  "bad\n"

    .data
    .align  2
counter:
    .word   10
