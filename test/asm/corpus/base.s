# Every RV32IMA base instruction, with edge-case operands.
    .text
    .globl _start
_start:
    # R-type, I and M extensions, numeric and ABI register names
    add     a0, a1, a2
    sub     x1, x2, x3
    sll     t0, t1, t2
    slt     s0, s1, s2
    sltu    s3, s4, s5
    xor     s6, s7, s8
    srl     s9, s10, s11
    sra     t3, t4, t5
    or      t6, zero, ra
    and     sp, gp, tp
    mul     fp, a3, a4
    mulh    a5, a6, a7
    mulhsu  x31, x30, x29
    mulhu   x0, x1, x2
    div     a0, a0, a1
    divu    a2, a3, a4
    rem     a5, a6, a7
    remu    s0, s1, s2
    # immediates at the bounds
    addi    a0, a1, -2048
    addi    a0, a1, 2047
    addi    a0, a1, 0
    addi    a0, a1, -1
    slti    a0, a1, -2048
    sltiu   a0, a1, 2047
    xori    a0, a1, -1
    ori     a0, a1, 0x7ff
    andi    a0, a1, -0x800
    addi    a0, a0, 0xfffff800
    slli    a0, a1, 0
    slli    a0, a1, 31
    srli    a0, a1, 31
    srai    a0, a1, 1
    # loads and stores, negative offsets and bare (reg)
    lb      a0, -2048(sp)
    lh      a1, 2047(sp)
    lw      a2, 0(a0)
    lw      a3, (a1)
    lbu     a4, -1(s0)
    lhu     a5, 16(t0)
    sb      a0, -2048(sp)
    sh      a1, 2047(sp)
    sw      a5, 0(a0)
    sw      a6, -4(fp)
    sw      a7, (a2)
    # upper immediates
    lui     a0, 0
    lui     a0, 0xfffff
    lui     a0, 0x12345
    auipc   a0, 0
    auipc   t1, 0xfffff
    # jumps
    jal     ra, target
    jal     zero, _start
    jal     t0, target
    jalr    ra, 0(a0)
    jalr    zero, -2048(a1)
    jalr    t0, 2047(t1)
    jalr    a0, a1, 12
    # branches in both directions
target:
    beq     a0, a1, target
    bne     a0, a1, 1f
    blt     a0, zero, target
    bge     zero, a0, 1f
    bltu    s0, s1, target
    bgeu    t0, t1, 1f
1:
    # system, fences
    ecall
    ebreak
    fence
    fence   rw, rw
    fence   iorw, iorw
    fence   i, o
    fence   r, w
    fence.tso
    fence.i
    # atomics, every ordering
    lr.w        a0, (a1)
    lr.w.aq     a0, (a1)
    lr.w.aqrl   a0, (a1)
    sc.w        a0, a2, (a1)
    sc.w.rl     a0, a2, (a1)
    amoswap.w   a0, a1, (a2)
    amoadd.w    a0, a1, (a2)
    amoxor.w.aq a0, a1, (a2)
    amoand.w.rl a0, a1, (a2)
    amoor.w.aqrl a0, a1, (a2)
    amomin.w    t0, t1, (sp)
    amomax.w    t0, t1, 0(sp)
    amominu.w   s0, s1, (s2)
    amomaxu.w   x31, x30, (x29)
    # CSRs
    csrrw   a0, cycle, a1
    csrrs   a0, time, zero
    csrrc   a0, instret, a1
    csrrwi  a0, 0xc00, 0
    csrrsi  a0, cycleh, 31
    csrrci  a0, 0x3ff, 17
    csrrs   a0, 0xfff, zero
