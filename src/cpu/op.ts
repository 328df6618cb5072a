/**
 * Numbers of predecoded operations. A decoded instruction is two int32
 * words in a code page's cache:
 *
 *   word 0:  31      24 23      16 15       8 7        0
 *           +----------+----------+----------+----------+
 *           |   rs2    |   rs1    |    rd    |    op    |
 *           +----------+----------+----------+----------+
 *   word 1:  immediate, or an absolute target / value resolved at decode
 *
 * `rd` = 0 is decoded as register 32, a scratch slot, so that writes to
 * x0 need no test on the hot path.
 *
 * A `const enum`, so that `case Op.Addi:` compiles to a literal and V8
 * builds a jump table for the interpreter's switch.
 *
 * @internal
 */
export const enum Op {
  /** Slot not decoded yet: decode it from memory and dispatch again. */
  Undecoded = 0,
  /** lui, and auipc (pc + imm resolved at decode): rd ← imm. */
  LoadConstant = 1,
  Jal = 2,
  Jalr = 3,
  Beq = 4, Bne = 5, Blt = 6, Bge = 7, Bltu = 8, Bgeu = 9,
  Lb = 10, Lh = 11, Lw = 12, Lbu = 13, Lhu = 14,
  Sb = 15, Sh = 16, Sw = 17,
  Addi = 18, Slti = 19, Sltiu = 20, Xori = 21, Ori = 22, Andi = 23, Slli = 24, Srli = 25, Srai = 26,
  Add = 27, Sub = 28, Sll = 29, Slt = 30, Sltu = 31, Xor = 32, Srl = 33, Sra = 34, Or = 35, And = 36,
  Mul = 37, Mulh = 38, Mulhsu = 39, Mulhu = 40, Div = 41, Divu = 42, Rem = 43, Remu = 44,
  LrW = 45, ScW = 46,
  AmoSwap = 47, AmoAdd = 48, AmoXor = 49, AmoAnd = 50, AmoOr = 51, AmoMin = 52, AmoMax = 53, AmoMinu = 54, AmoMaxu = 55,
  /** fence (a no-op for one hart). */
  Fence = 56,
  FenceI = 57,
  Ecall = 58,
  Ebreak = 59,
  /** csrrw/csrrs/csrrc and immediate forms; executed from the raw word. */
  Csr = 60,
  /** Raises an illegal-instruction fault. */
  Illegal = 61,
  /** A jump or taken branch whose target is not 4-byte aligned: faults when taken. */
  MisalignedJump = 62,
}
