import { Op } from './op.js';

/**
 * RV32IMA + Zicsr/Zifencei predecoder. Turns one instruction word at a known
 * pc into the two-word form of {@link Op}, resolving pc-relative values
 * (auipc, jal and branch targets) at decode time: a decoded page is keyed
 * by its virtual page, so the pc of every slot is fixed.
 *
 * Base opcodes (bits 6..0), RISC-V unprivileged spec, table 24.1:
 *   0110111 LUI     0010111 AUIPC   1101111 JAL     1100111 JALR
 *   1100011 BRANCH  0000011 LOAD    0100011 STORE   0010011 OP-IMM
 *   0110011 OP      0001111 MISC-MEM 1110011 SYSTEM 0101111 AMO
 */

/** Register 32 stands for x0 as a destination (writes vanish there). */
export const ZERO_SINK = 32;

const BRANCH_OPS = [Op.Beq, Op.Bne, -1, -1, Op.Blt, Op.Bge, Op.Bltu, Op.Bgeu];
const REG_OPS = [Op.Add, Op.Sll, Op.Slt, Op.Sltu, Op.Xor, Op.Srl, Op.Or, Op.And];
const MULDIV_OPS = [Op.Mul, Op.Mulh, Op.Mulhsu, Op.Mulhu, Op.Div, Op.Divu, Op.Rem, Op.Remu];

/** Condition code of a {@link Op.MisalignedJump} that always jumps (jal). */
export const JUMP_ALWAYS = 8;

function pack(op: number, rd: number, rs1: number, rs2: number): number {
  return op | ((rd === 0 ? ZERO_SINK : rd) << 8) | (rs1 << 16) | (rs2 << 24);
}

/**
 * Decodes `word` found at `pc` into `out[index]` (operation and registers)
 * and `out[index + 1]` (immediate or resolved value). Never throws: words
 * that are not RV32IMA instructions decode to {@link Op.Illegal}.
 */
export function decodeInto(word: number, pc: number, out: Int32Array, index: number): void {
  const opcode = word & 0x7f;
  const rd = (word >>> 7) & 31;
  const funct3 = (word >>> 12) & 7;
  const rs1 = (word >>> 15) & 31;
  const rs2 = (word >>> 20) & 31;
  const funct7 = word >>> 25;
  const immI = word >> 20;
  let op: number = Op.Illegal;
  let imm = 0;
  switch (opcode) {
    case 0x37: // LUI
      op = Op.LoadConstant; imm = word & 0xfffff000;
      break;
    case 0x17: // AUIPC
      op = Op.LoadConstant; imm = (pc + (word & 0xfffff000)) | 0;
      break;
    case 0x6f: { // JAL: imm[20|10:1|11|19:12]
      const off = ((word >> 11) & 0xfff00000) | (word & 0xff000) | ((word >>> 9) & 0x800) | ((word >>> 20) & 0x7fe);
      imm = (pc + off) | 0;
      if ((off & 3) === 0) { op = Op.Jal; break; }
      out[index] = Op.MisalignedJump | (JUMP_ALWAYS << 8);
      out[index + 1] = imm;
      return;
    }
    case 0x67: // JALR
      if (funct3 === 0) { op = Op.Jalr; imm = immI; }
      break;
    case 0x63: { // BRANCH: imm[12|10:5] rs2 rs1 funct3 imm[4:1|11]
      const off = ((word >> 19) & 0xfffff000) | ((word << 4) & 0x800) | ((word >>> 20) & 0x7e0) | ((word >>> 7) & 0x1e);
      imm = (pc + off) | 0;
      const b = BRANCH_OPS[funct3]!;
      if (b < 0) break;
      if ((off & 3) === 0) { op = b; break; }
      // Taken only if the condition holds: keep funct3 as the condition.
      out[index] = Op.MisalignedJump | (funct3 << 8) | (rs1 << 16) | (rs2 << 24);
      out[index + 1] = imm;
      return;
    }
    case 0x03: // LOAD
      imm = immI;
      switch (funct3) {
        case 0: op = Op.Lb; break;
        case 1: op = Op.Lh; break;
        case 2: op = Op.Lw; break;
        case 4: op = Op.Lbu; break;
        case 5: op = Op.Lhu; break;
      }
      break;
    case 0x23: // STORE: imm[11:5] rs2 rs1 funct3 imm[4:0]
      imm = ((word >> 20) & ~31) | rd;
      switch (funct3) {
        case 0: op = Op.Sb; break;
        case 1: op = Op.Sh; break;
        case 2: op = Op.Sw; break;
      }
      out[index] = pack(op, 0, rs1, rs2);
      out[index + 1] = op === Op.Illegal ? 0 : imm;
      return;
    case 0x13: // OP-IMM
      imm = immI;
      switch (funct3) {
        case 0: op = Op.Addi; break;
        case 2: op = Op.Slti; break;
        case 3: op = Op.Sltiu; break;
        case 4: op = Op.Xori; break;
        case 6: op = Op.Ori; break;
        case 7: op = Op.Andi; break;
        case 1: if (funct7 === 0) { op = Op.Slli; imm = rs2; } break;
        case 5:
          if (funct7 === 0) { op = Op.Srli; imm = rs2; }
          else if (funct7 === 0x20) { op = Op.Srai; imm = rs2; }
          break;
      }
      break;
    case 0x33: // OP
      if (funct7 === 0) {
        op = REG_OPS[funct3]!;
      } else if (funct7 === 0x20) {
        if (funct3 === 0) op = Op.Sub;
        else if (funct3 === 5) op = Op.Sra;
      } else if (funct7 === 1) {
        op = MULDIV_OPS[funct3]!;
      }
      break;
    case 0x0f: // MISC-MEM
      if (funct3 === 0) op = Op.Fence;
      else if (funct3 === 1) op = Op.FenceI;
      break;
    case 0x73: // SYSTEM
      if (funct3 === 0) {
        if (word === 0x00000073) op = Op.Ecall;
        else if (word === 0x00100073) op = Op.Ebreak;
      } else if (funct3 !== 4) {
        // rs2's slot carries funct3; rs1 is a register or a 5-bit immediate.
        out[index] = pack(Op.Csr, rd, rs1, funct3);
        out[index + 1] = word >>> 20;
        return;
      }
      break;
    case 0x2f: // AMO, funct5 in bits 31..27, aq/rl ignored on one hart
      if (funct3 === 2) {
        switch (word >>> 27) {
          case 0x02: if (rs2 === 0) op = Op.LrW; break;
          case 0x03: op = Op.ScW; break;
          case 0x01: op = Op.AmoSwap; break;
          case 0x00: op = Op.AmoAdd; break;
          case 0x04: op = Op.AmoXor; break;
          case 0x0c: op = Op.AmoAnd; break;
          case 0x08: op = Op.AmoOr; break;
          case 0x10: op = Op.AmoMin; break;
          case 0x14: op = Op.AmoMax; break;
          case 0x18: op = Op.AmoMinu; break;
          case 0x1c: op = Op.AmoMaxu; break;
        }
      }
      break;
  }
  if (op === Op.Illegal) {
    out[index] = Op.Illegal;
    out[index + 1] = word;
    return;
  }
  out[index] = pack(op, rd, rs1, rs2);
  out[index + 1] = imm;
}
