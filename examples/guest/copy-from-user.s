# copy-from-user.s — Linux's copy_from_user() pattern with an exception table.
#
# What it shows: copy_from_user(dst, src, n) copies n bytes and returns 0,
# or -EFAULT (-14) when src is a bad pointer — without crashing. Its one
# load that may fault is listed with `.extable insn, fixup, type, data`:
# type 1 is UACCESS_ERR_ZERO, data names the error register (a0, bits 0-4)
# and the register to zero (t0, bits 5-9) as Linux riscv does. When the load
# faults and no fault handler resolves it, the machine sets a0 = -EFAULT,
# t0 = 0 and continues at the fixup label (the routine's return).
#
# Run it (no cross tools needed, faultline assembles it):
#
#     npx tsc -p tsconfig.json && node dist/cli/main.js run examples/guest/copy-from-user.s
#
# Output:
#
#     copy_from_user(good) = 0: hello, faultline
#     copy_from_user(bad) = -14

    .equ    SYS_WRITE, 64
    .equ    SYS_EXIT, 93
    .equ    BAD_POINTER, 0x10           # in the unmapped page at 0

    .text
    .globl  _start
_start:
    # The good copy: the message into buffer.
    la      a0, buffer
    la      a1, message
    li      a2, MESSAGE_LEN
    call    copy_from_user
    mv      s0, a0
    la      a0, good_label
    call    puts
    mv      a0, s0
    call    put_int
    la      a0, colon
    call    puts
    la      a0, buffer
    call    puts
    la      a0, newline
    call    puts

    # The bad copy: from an unmapped address.
    la      a0, buffer
    li      a1, BAD_POINTER
    li      a2, 8
    call    copy_from_user
    mv      s0, a0
    la      a0, bad_label
    call    puts
    mv      a0, s0
    call    put_int
    la      a0, newline
    call    puts

    li      a0, 0
    li      a7, SYS_EXIT
    ecall

# copy_from_user(a0 = dst, a1 = src, a2 = n) -> a0 = 0, or -EFAULT when a
# byte of src cannot be read (dst then holds the bytes before it).
copy_from_user:
    mv      t1, a0                      # t1 = next byte of dst
    li      a0, 0                       # a0 = error (UACCESS_ERR_ZERO sets it)
1:  beqz    a2, 3f
2:  lbu     t0, 0(a1)                   # the user access: may fault
    sb      t0, 0(t1)
    addi    a1, a1, 1
    addi    t1, t1, 1
    addi    a2, a2, -1
    j       1b
3:  ret
    .extable 2b, 3b, 1, (10 | (5 << 5)) # a0 = -EFAULT, t0 = 0, pc = 3b

# puts(a0 = NUL-terminated string): writes it to stdout.
puts:
    mv      a1, a0
    li      a2, 0
1:  add     t0, a1, a2
    lbu     t0, 0(t0)
    beqz    t0, 2f
    addi    a2, a2, 1
    j       1b
2:  li      a0, 1
    li      a7, SYS_WRITE
    ecall
    ret

# put_int(a0 = signed value): writes it in decimal to stdout.
put_int:
    la      t2, digits_end              # digits are built backwards
    mv      t0, a0
    bgez    t0, 1f
    neg     t0, t0
1:  li      t3, 10
2:  remu    t4, t0, t3
    addi    t4, t4, '0'
    addi    t2, t2, -1
    sb      t4, 0(t2)
    divu    t0, t0, t3
    bnez    t0, 2b
    bgez    a0, 3f
    li      t4, '-'
    addi    t2, t2, -1
    sb      t4, 0(t2)
3:  mv      a1, t2
    la      t0, digits_end
    sub     a2, t0, t2
    li      a0, 1
    li      a7, SYS_WRITE
    ecall
    ret

    .data
message:
    .asciz  "hello, faultline"
    .equ    MESSAGE_LEN, 17             # with the NUL
good_label:
    .asciz  "copy_from_user(good) = "
bad_label:
    .asciz  "copy_from_user(bad) = "
colon:
    .asciz  ": "
newline:
    .asciz  "\n"

    .bss
buffer:
    .zero   64
digits:
    .zero   12
digits_end:
