/**
 * Bit layouts of the RV32 base instruction formats (unprivileged spec,
 * "Base Instruction Formats"). Callers pass fields already range-checked;
 * each function masks them into place and returns the word as an unsigned
 * 32-bit number.
 *
 *        31      25 24  20 19  15 14 12 11       7 6      0
 *   R   | funct7   | rs2  | rs1  | f3 |    rd     | opcode |
 *   I   | imm[11:0]       | rs1  | f3 |    rd     | opcode |
 *   S   | imm[11:5]| rs2  | rs1  | f3 | imm[4:0]  | opcode |
 *   B   |[12|10:5] | rs2  | rs1  | f3 |[4:1|11]   | opcode |
 *   U   | imm[31:12]                 |    rd     | opcode |
 *   J   | imm[20|10:1|11|19:12]      |    rd     | opcode |
 */

/** Major opcodes (bits 6..0). */
export const Opcode = {
  Load: 0x03,
  MiscMem: 0x0f,
  OpImm: 0x13,
  Auipc: 0x17,
  Store: 0x23,
  Amo: 0x2f,
  Op: 0x33,
  Lui: 0x37,
  Branch: 0x63,
  Jalr: 0x67,
  Jal: 0x6f,
  System: 0x73,
} as const;

/** R-type word. */
export function encodeR(opcode: number, funct3: number, funct7: number, rd: number, rs1: number, rs2: number): number {
  return ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** I-type word; `imm` is a signed 12-bit value (or a 12-bit CSR number). */
export function encodeI(opcode: number, funct3: number, rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** S-type word; `imm` is a signed 12-bit offset. */
export function encodeS(opcode: number, funct3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 0x1f) << 7) | opcode) >>> 0;
}

/** B-type word; `offset` is even, in -4096..4094. */
export function encodeB(opcode: number, funct3: number, rs1: number, rs2: number, offset: number): number {
  const b12 = (offset >> 12) & 1;
  const b11 = (offset >> 11) & 1;
  const b10_5 = (offset >> 5) & 0x3f;
  const b4_1 = (offset >> 1) & 0xf;
  return ((b12 << 31) | (b10_5 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (b4_1 << 8) | (b11 << 7) | opcode) >>> 0;
}

/** U-type word; `imm20` is the 20-bit upper immediate (0..0xfffff). */
export function encodeU(opcode: number, rd: number, imm20: number): number {
  return (((imm20 & 0xfffff) << 12) | (rd << 7) | opcode) >>> 0;
}

/** J-type word; `offset` is even, in -1048576..1048574. */
export function encodeJ(opcode: number, rd: number, offset: number): number {
  const b20 = (offset >> 20) & 1;
  const b10_1 = (offset >> 1) & 0x3ff;
  const b11 = (offset >> 11) & 1;
  const b19_12 = (offset >> 12) & 0xff;
  return ((b20 << 31) | (b10_1 << 21) | (b11 << 20) | (b19_12 << 12) | (rd << 7) | opcode) >>> 0;
}
