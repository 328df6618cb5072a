/**
 * An obviously-right model of RV32IM register-register and immediate
 * operations, in BigInt, for property tests of the CPU.
 */

const MASK = (1n << 32n) - 1n;
const u = (v: number) => BigInt(v >>> 0);
const s = (v: number) => BigInt(v | 0);
const toI32 = (v: bigint) => Number(BigInt.asIntN(32, v & MASK));

/** funct3/funct7 of every OP (0x33) instruction, with its meaning. */
export const REG_OPS: { name: string; funct3: number; funct7: number; eval: (a: number, b: number) => number }[] = [
  { name: 'add', funct3: 0, funct7: 0, eval: (a, b) => toI32(s(a) + s(b)) },
  { name: 'sub', funct3: 0, funct7: 0x20, eval: (a, b) => toI32(s(a) - s(b)) },
  { name: 'sll', funct3: 1, funct7: 0, eval: (a, b) => toI32(u(a) << BigInt(b & 31)) },
  { name: 'slt', funct3: 2, funct7: 0, eval: (a, b) => ((a | 0) < (b | 0) ? 1 : 0) },
  { name: 'sltu', funct3: 3, funct7: 0, eval: (a, b) => (u(a) < u(b) ? 1 : 0) },
  { name: 'xor', funct3: 4, funct7: 0, eval: (a, b) => toI32(u(a) ^ u(b)) },
  { name: 'srl', funct3: 5, funct7: 0, eval: (a, b) => toI32(u(a) >> BigInt(b & 31)) },
  { name: 'sra', funct3: 5, funct7: 0x20, eval: (a, b) => toI32(s(a) >> BigInt(b & 31)) },
  { name: 'or', funct3: 6, funct7: 0, eval: (a, b) => toI32(u(a) | u(b)) },
  { name: 'and', funct3: 7, funct7: 0, eval: (a, b) => toI32(u(a) & u(b)) },
  { name: 'mul', funct3: 0, funct7: 1, eval: (a, b) => toI32(s(a) * s(b)) },
  { name: 'mulh', funct3: 1, funct7: 1, eval: (a, b) => toI32((s(a) * s(b)) >> 32n) },
  { name: 'mulhsu', funct3: 2, funct7: 1, eval: (a, b) => toI32((s(a) * u(b)) >> 32n) },
  { name: 'mulhu', funct3: 3, funct7: 1, eval: (a, b) => toI32((u(a) * u(b)) >> 32n) },
  {
    name: 'div', funct3: 4, funct7: 1,
    eval: (a, b) => (b === 0 ? -1 : (a | 0) === -0x80000000 && b === -1 ? -0x80000000 : toI32(s(a) / s(b))),
  },
  { name: 'divu', funct3: 5, funct7: 1, eval: (a, b) => (b === 0 ? -1 : toI32(u(a) / u(b))) },
  {
    name: 'rem', funct3: 6, funct7: 1,
    eval: (a, b) => (b === 0 ? a | 0 : (a | 0) === -0x80000000 && b === -1 ? 0 : toI32(s(a) % s(b))),
  },
  { name: 'remu', funct3: 7, funct7: 1, eval: (a, b) => (b === 0 ? a | 0 : toI32(u(a) % u(b))) },
];

/** funct3 of every OP-IMM (0x13) instruction (shifts carry funct7 in the immediate). */
export const IMM_OPS: { name: string; funct3: number; shift?: number; eval: (a: number, imm: number) => number }[] = [
  { name: 'addi', funct3: 0, eval: (a, i) => toI32(s(a) + BigInt(i)) },
  { name: 'slti', funct3: 2, eval: (a, i) => ((a | 0) < i ? 1 : 0) },
  { name: 'sltiu', funct3: 3, eval: (a, i) => (u(a) < u(i) ? 1 : 0) },
  { name: 'xori', funct3: 4, eval: (a, i) => toI32(u(a) ^ u(i)) },
  { name: 'ori', funct3: 6, eval: (a, i) => toI32(u(a) | u(i)) },
  { name: 'andi', funct3: 7, eval: (a, i) => toI32(u(a) & u(i)) },
  { name: 'slli', funct3: 1, shift: 0, eval: (a, i) => toI32(u(a) << BigInt(i & 31)) },
  { name: 'srli', funct3: 5, shift: 0, eval: (a, i) => toI32(u(a) >> BigInt(i & 31)) },
  { name: 'srai', funct3: 5, shift: 0x20, eval: (a, i) => toI32(s(a) >> BigInt(i & 31)) },
];
