import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import type { Program } from '../../src/loader/program.js';
import { Prot } from '../../src/memory/page.js';

/** Where {@link programFromWords} puts code and data. */
export const TEXT_BASE = 0x10000;
export const DATA_BASE = 0x20000;

/**
 * A program whose text is `words` at TEXT_BASE and whose data segment is
 * `dataSize` zero bytes (or `data`) at DATA_BASE.
 */
export function programFromWords(words: readonly number[], data: Uint8Array = new Uint8Array(4096)): Program {
  const text = new Uint8Array(new Int32Array(words.map((w) => w | 0)).buffer);
  return {
    name: 'test',
    entry: TEXT_BASE,
    segments: [
      { vaddr: TEXT_BASE, data: text, memSize: Math.max(text.length, 4), flags: Prot.Read | Prot.Exec },
      { vaddr: DATA_BASE, data, memSize: Math.max(data.length, 4096), flags: Prot.Read | Prot.Write },
    ],
    symbols: new Map(),
    extable: [],
  };
}

/** A machine with `words` loaded (see {@link programFromWords}). */
export function machineFromWords(words: readonly number[], options: MachineOptions = {}): Machine {
  const machine = new Machine({ memoryQuota: 64 << 20, ...options });
  machine.load(programFromWords(words));
  return machine;
}

/* Encoders for the few formats tests hand-assemble (RISC-V unprivileged spec, ch. 2). */

/** R-type: funct7 rs2 rs1 funct3 rd opcode. */
export function rType(opcode: number, funct3: number, funct7: number, rd: number, rs1: number, rs2: number): number {
  return ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** I-type: imm[11:0] rs1 funct3 rd opcode. */
export function iType(opcode: number, funct3: number, rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** S-type: imm[11:5] rs2 rs1 funct3 imm[4:0] opcode. */
export function sType(funct3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 31) << 7) | 0x23) >>> 0;
}

/** U-type: imm[31:12] rd opcode. */
export function uType(opcode: number, rd: number, imm: number): number {
  return ((imm & 0xfffff000) | (rd << 7) | opcode) >>> 0;
}

/** `ecall`. */
export const ECALL = 0x00000073;
/** `ebreak`. */
export const EBREAK = 0x00100073;

/** Words that load `value` into register `rd` (lui + addi, as `li` does). */
export function li(rd: number, value: number): number[] {
  const lo = (value << 20) >> 20;
  const hi = (value - lo) | 0;
  return [uType(0x37, rd, hi), iType(0x13, 0, rd, rd, lo)];
}

/** Words of `exit(code)` via a0/a7. */
export function exitWords(code: number): number[] {
  return [...li(10, code), ...li(17, 93), ECALL];
}
