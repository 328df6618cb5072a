/**
 * Disassembler of RV32IMA + Zicsr + Zifencei, printing objdump-style text
 * (`sw a5,0(a0)`, `beq a0,a1,0x10080`) with objdump's common aliases
 * (`nop`, `li`, `mv`, `ret`, `j`, `jr`, `rdcycle`, `csrr`). Its output
 * reassembles to the same word with {@link assemble} placed at the same
 * pc; words that are not instructions print as `.word 0x...`.
 */
import { expectInteger } from '../arguments.js';
import { ABI_REGISTER_NAMES as R, CSR_NAMES } from '../asm/registers.js';

const LOADS = ['lb', 'lh', 'lw', undefined, 'lbu', 'lhu', undefined, undefined];
const STORES = ['sb', 'sh', 'sw'];
const BRANCHES = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu'];
const OPIMM = ['addi', undefined, 'slti', 'sltiu', 'xori', undefined, 'ori', 'andi'];
const OP = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'];
const MULDIV = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];
const CSR_OPS = [undefined, 'csrrw', 'csrrs', 'csrrc', undefined, 'csrrwi', 'csrrsi', 'csrrci'];
const AMOS: Record<number, string> = {
  0x00: 'amoadd.w', 0x01: 'amoswap.w', 0x02: 'lr.w', 0x03: 'sc.w', 0x04: 'amoxor.w',
  0x08: 'amoor.w', 0x0c: 'amoand.w', 0x10: 'amomin.w', 0x14: 'amomax.w', 0x18: 'amominu.w', 0x1c: 'amomaxu.w',
};
const ORDER = ['', '.rl', '.aq', '.aqrl'];
const COUNTERS: Record<number, string> = { 0xc00: 'cycle', 0xc01: 'time', 0xc02: 'instret', 0xc80: 'cycleh', 0xc81: 'timeh', 0xc82: 'instreth' };

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function csrName(csr: number): string {
  return CSR_NAMES.get(csr) ?? hex(csr);
}

function fenceSet(mask: number): string {
  if (mask === 0) return '0';
  return (mask & 8 ? 'i' : '') + (mask & 4 ? 'o' : '') + (mask & 2 ? 'r' : '') + (mask & 1 ? 'w' : '');
}

/**
 * Disassembles one instruction word found at `pc` (default 0; used to
 * print branch and jump targets as absolute addresses). Never throws.
 * Words that are not RV32IMA instructions come out as `.word 0x...`.
 *
 * @param word - the 32-bit instruction word
 * @param pc - the address it was found at
 * @returns GNU objdump-style text, e.g. `addi a0,a0,1`
 * @throws UsageError when `word` or `pc` is not a 32-bit integer (signed or unsigned).
 *
 * @example
 * ```ts
 * disassemble(0x00f52023);          // 'sw a5,0(a0)'
 * disassemble(0x00b50463, 0x10078); // 'beq a0,a1,0x10080'
 * ```
 */
export function disassemble(word: number, pc = 0): string {
  expectInteger('disassemble', 'word', word, -(2 ** 31), 2 ** 32 - 1);
  expectInteger('disassemble', 'pc', pc, -(2 ** 31), 2 ** 32 - 1);
  const w = word >>> 0;
  const opcode = w & 0x7f;
  const rd = (w >>> 7) & 31;
  const f3 = (w >>> 12) & 7;
  const rs1 = (w >>> 15) & 31;
  const rs2 = (w >>> 20) & 31;
  const f7 = w >>> 25;
  const immI = (w | 0) >> 20;
  const invalid = `.word ${hex(w)}`;
  switch (opcode) {
    case 0x37: // LUI
      return `lui ${R[rd]},${hex(w >>> 12)}`;
    case 0x17: // AUIPC
      return `auipc ${R[rd]},${hex(w >>> 12)}`;
    case 0x6f: { // JAL imm[20|10:1|11|19:12]
      const off = ((w | 0) >> 31 << 20) | (((w >>> 21) & 0x3ff) << 1) | (((w >>> 20) & 1) << 11) | (((w >>> 12) & 0xff) << 12);
      const target = hex(pc + off);
      if (rd === 0) return `j ${target}`;
      if (rd === 1) return `jal ${target}`;
      return `jal ${R[rd]},${target}`;
    }
    case 0x67: // JALR
      if (f3 !== 0) return invalid;
      if (rd === 0 && rs1 === 1 && immI === 0) return 'ret';
      if (rd === 0 && immI === 0) return `jr ${R[rs1]}`;
      if (rd === 1 && immI === 0) return `jalr ${R[rs1]}`;
      return `jalr ${R[rd]},${immI}(${R[rs1]})`;
    case 0x63: { // BRANCH imm[12|10:5] rs2 rs1 f3 imm[4:1|11]
      const name = BRANCHES[f3];
      if (name === undefined) return invalid;
      const off = ((w | 0) >> 31 << 12) | (((w >>> 25) & 0x3f) << 5) | (((w >>> 8) & 0xf) << 1) | (((w >>> 7) & 1) << 11);
      return `${name} ${R[rs1]},${R[rs2]},${hex(pc + off)}`;
    }
    case 0x03: { // LOAD
      const name = LOADS[f3];
      return name === undefined ? invalid : `${name} ${R[rd]},${immI}(${R[rs1]})`;
    }
    case 0x23: { // STORE
      const name = STORES[f3];
      const imm = ((w | 0) >> 25 << 5) | rd;
      return name === undefined ? invalid : `${name} ${R[rs2]},${imm}(${R[rs1]})`;
    }
    case 0x13: { // OP-IMM
      if (f3 === 1 || f3 === 5) {
        const shamt = rs2;
        if (f3 === 1 && f7 === 0) return `slli ${R[rd]},${R[rs1]},${shamt}`;
        if (f3 === 5 && f7 === 0) return `srli ${R[rd]},${R[rs1]},${shamt}`;
        if (f3 === 5 && f7 === 0x20) return `srai ${R[rd]},${R[rs1]},${shamt}`;
        return invalid;
      }
      if (f3 === 0) {
        if (rd === 0 && rs1 === 0 && immI === 0) return 'nop';
        if (rs1 === 0) return `li ${R[rd]},${immI}`;
        if (immI === 0) return `mv ${R[rd]},${R[rs1]}`;
      }
      return `${OPIMM[f3]} ${R[rd]},${R[rs1]},${immI}`;
    }
    case 0x33: { // OP
      let name: string | undefined;
      if (f7 === 0) name = OP[f3];
      else if (f7 === 1) name = MULDIV[f3];
      else if (f7 === 0x20 && f3 === 0) name = 'sub';
      else if (f7 === 0x20 && f3 === 5) name = 'sra';
      return name === undefined ? invalid : `${name} ${R[rd]},${R[rs1]},${R[rs2]}`;
    }
    case 0x0f: // MISC-MEM
      if (w === 0x8330000f) return 'fence.tso';
      if (w === 0x0000100f) return 'fence.i';
      if (f3 === 0 && rd === 0 && rs1 === 0 && (w >>> 28) === 0) {
        const pred = (w >>> 24) & 15;
        const succ = (w >>> 20) & 15;
        return pred === 15 && succ === 15 ? 'fence' : `fence ${fenceSet(pred)},${fenceSet(succ)}`;
      }
      return invalid;
    case 0x73: { // SYSTEM
      if (w === 0x00000073) return 'ecall';
      if (w === 0x00100073) return 'ebreak';
      if (w === 0xc0001073) return 'unimp';
      const name = CSR_OPS[f3];
      if (name === undefined) return invalid;
      const csr = w >>> 20;
      if (name === 'csrrs' && rs1 === 0) {
        const counter = COUNTERS[csr];
        return counter !== undefined ? `rd${counter} ${R[rd]}` : `csrr ${R[rd]},${csrName(csr)}`;
      }
      return `${name} ${R[rd]},${csrName(csr)},${f3 >= 5 ? rs1 : R[rs1]}`;
    }
    case 0x2f: { // AMO
      const funct5 = w >>> 27;
      const name = AMOS[funct5];
      if (f3 !== 2 || name === undefined) return invalid;
      const order = ORDER[(w >>> 25) & 3];
      if (name === 'lr.w') return rs2 === 0 ? `lr.w${order} ${R[rd]},(${R[rs1]})` : invalid;
      return `${name}${order} ${R[rd]},${R[rs2]},(${R[rs1]})`;
    }
    default:
      return invalid;
  }
}
