# Every pseudo-instruction, with li edge values.
    .equ    SIZE, 100
    .text
    .globl _start
_start:
    nop
    li      a0, 0
    li      a0, -1
    li      a0, 1
    li      a0, 2047
    li      a0, -2048
    li      a0, 2048
    li      a0, -2049
    li      a0, 0x7fffffff
    li      a0, 0x80000000
    li      a0, -0x80000000
    li      a0, 0xfffff800
    li      a0, 0xffffffff
    li      a0, 0x1000
    li      a0, 0x12345678
    li      a0, 0x800
    li      a0, 0xfffff7ff
    li      t0, 0x7ffff800
    li      zero, 5
    li      a1, SIZE
    li      a2, SIZE * 4 + (1 << 12)
    la      a0, message
    la      a1, _start
    lla     a2, buffer
    mv      a0, a1
    not     a0, a1
    neg     a0, a1
    seqz    a0, a1
    snez    a0, a1
    sltz    a0, a1
    sgtz    a0, a1
    beqz    a0, 1f
    bnez    a0, 1f
    blez    a0, 1f
    bgez    a0, 1f
    bltz    a0, 1f
    bgtz    a0, 1f
    bgt     a0, a1, 1f
    ble     a0, a1, 1f
    bgtu    a0, a1, 1f
    bleu    a0, a1, 1f
1:  j       1b
    jal     func
    jr      a0
    jr      4(a0)
    jalr    a0
    jalr    t0, a1
    jalr    8(a1)
    call    func
    call    t0, func
    tail    func
    ret
    rdcycle a0
    rdtime  a1
    rdinstret a2
    rdcycleh a3
    rdtimeh a4
    rdinstreth a5
    csrr    a0, cycle
    csrr    a0, 0xc02
    csrw    0x800, a0
    csrs    0x800, a1
    csrc    0x800, a2
    csrwi   0x800, 1
    csrsi   0x800, 31
    csrci   0x800, 0
    # %hi/%lo and %pcrel_hi/%pcrel_lo by hand
    lui     a0, %hi(message)
    addi    a0, a0, %lo(message)
    lw      a1, %lo(message)(a0)
    sw      a1, %lo(message)(a0)
2:  auipc   a0, %pcrel_hi(message)
    addi    a0, a0, %pcrel_lo(2b)
3:  auipc   t0, %pcrel_hi(buffer + 8)
    lw      t1, %pcrel_lo(3b)(t0)
    sw      t1, %pcrel_lo(3b)(t0)
func:
    ret

    .data
message:
    .asciz  "hello"
    .align  2
buffer:
    .zero   64
