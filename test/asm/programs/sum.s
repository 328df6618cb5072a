# Sums 1..100 with a loop, prints the sum in decimal through a helper
# function (call/ret, div/rem, a buffer in .bss), then exits with the
# sum masked to 8 bits (5050 & 0xff = 186).
# expect-stdout: "sum=5050\n"
# expect-exit: 186
    .text
    .globl  _start
_start:
    li      t0, 0               # sum
    li      t1, 1               # i
    li      t2, 100
1:  add     t0, t0, t1
    addi    t1, t1, 1
    ble     t1, t2, 1b
    la      s0, total
    sw      t0, 0(s0)

    li      a0, 1
    la      a1, prefix
    li      a2, 4
    li      a7, 64
    ecall

    lw      a0, 0(s0)
    call    print_decimal

    la      s0, total
    lw      a0, 0(s0)
    andi    a0, a0, 0xff
    li      a7, 93
    ecall

# print_decimal(a0 = value >= 0): writes the digits and a newline.
print_decimal:
    la      t3, buffer_end
    li      t4, 10
    addi    t3, t3, -1
    sb      t4, 0(t3)           # '\n'
2:  remu    t5, a0, t4
    divu    a0, a0, t4
    addi    t5, t5, '0'
    addi    t3, t3, -1
    sb      t5, 0(t3)
    bnez    a0, 2b
    la      t6, buffer_end
    sub     a2, t6, t3
    mv      a1, t3
    li      a0, 1
    li      a7, 64
    ecall
    ret

    .data
prefix:
    .ascii  "sum="
    .align  2
total:
    .word   0

    .bss
buffer:
    .space  16
buffer_end:
