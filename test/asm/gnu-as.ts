/**
 * Test helper: assembles a source with GNU as and links it with GNU ld at
 * the addresses faultline's assembler chose, then extracts the bytes of
 * each output section, for byte-for-byte comparison.
 *
 * GNU as runs with `-march=rv32ima_zicsr_zifencei -mno-relax`:
 *  - binutils 2.40 (Debian) no longer implies Zicsr/Zifencei in `rv32ima`,
 *    so CSR instructions and `fence.i` need them spelled out;
 *  - `-mno-relax` is needed for byte equality: with relaxation, as emits
 *    R_RISCV_RELAX/R_RISCV_ALIGN and ld rewrites `call` into `jal`,
 *    `lui`+`addi` into gp-relative forms and trims alignment nops.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Program } from '../../src/loader/program.js';
import { runTool } from '../helpers/toolchain.js';

/** The GNU tools this helper needs. */
export const GNU_AS = 'riscv64-unknown-elf-as';
export const GNU_LD = 'riscv64-unknown-elf-ld';
export const GNU_OBJCOPY = 'riscv64-unknown-elf-objcopy';
export const GNU_NM = 'riscv64-unknown-elf-nm';
export const GNU_TOOLS = [GNU_AS, GNU_LD, GNU_OBJCOPY, GNU_NM];
/** Flags given to GNU as (see the file comment). */
export const GNU_AS_FLAGS = ['-march=rv32ima_zicsr_zifencei', '-mabi=ilp32', '-mno-relax'];

/** Output sections GNU's bytes come from, by faultline segment protection. */
export interface GnuImage {
  readonly text: Uint8Array;
  readonly rodata: Uint8Array;
  readonly data: Uint8Array;
  /** Symbol addresses from `nm` (local and global, no `.L` names). */
  readonly symbols: Map<string, number>;
}

/** Start address of the segment with protection `flags` in `program`, or undefined. */
export function segmentAt(program: Program, flags: number): { vaddr: number; data: Uint8Array } | undefined {
  return program.segments.find((s) => s.flags === flags);
}

/**
 * Assembles `source` with GNU as and links it so that `.text`, `.rodata`
 * and `.data` start at the given addresses (`.bss` right after `.data`).
 */
export function gnuAssemble(source: string, addresses: { text: number; rodata: number; data: number }): GnuImage {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-gnu-'));
  try {
    const src = join(dir, 'prog.s');
    const obj = join(dir, 'prog.o');
    const elf = join(dir, 'prog.elf');
    const script = join(dir, 'link.ld');
    // `.extable` is faultline's own directive and emits no bytes
    writeFileSync(src, source.replace(/^\s*\.extable\b.*$/gm, ''));
    writeFileSync(script, `
ENTRY(_start)
SECTIONS {
  .text 0x${addresses.text.toString(16)} : { *(.text .text.*) }
  .rodata 0x${addresses.rodata.toString(16)} : { *(.rodata .rodata.* .srodata .srodata.* __ex_table) }
  .data 0x${addresses.data.toString(16)} : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.*) }
  /DISCARD/ : { *(.riscv.attributes) *(.comment) }
}
`);
    runTool(GNU_AS, [...GNU_AS_FLAGS, '-o', obj, src]);
    runTool(GNU_LD, ['-m', 'elf32lriscv', '--no-relax', '-T', script, '-o', elf, obj]);
    const section = (name: string): Uint8Array => {
      const out = join(dir, name.slice(1) + '.bin');
      runTool(GNU_OBJCOPY, ['-O', 'binary', '-j', name, elf, out]);
      return new Uint8Array(readFileSync(out));
    };
    const symbols = new Map<string, number>();
    for (const line of runTool(GNU_NM, [elf]).split('\n')) {
      const m = /^([0-9a-f]+) [a-zA-Z] (\S+)$/.exec(line.trim());
      if (m && !m[2]!.startsWith('.L') && !m[2]!.startsWith('$')) symbols.set(m[2]!, parseInt(m[1]!, 16));
    }
    return { text: section('.text'), rodata: section('.rodata'), data: section('.data'), symbols };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hex dump of the first difference between two byte arrays, for failure messages. */
export function firstDifference(a: Uint8Array, b: Uint8Array, base: number): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const word = (x: Uint8Array): string => Array.from(x.subarray(i & ~3, (i & ~3) + 4), (v) => v.toString(16).padStart(2, '0')).join('');
      return `at 0x${(base + i).toString(16)}: faultline ${word(a)} vs GNU ${word(b)} (lengths ${a.length} and ${b.length})`;
    }
  }
  return undefined;
}
