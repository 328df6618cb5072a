/**
 * Test-only helpers for ELF tests: a sample program, raw field access to
 * patch headers, readelf output parsers and program comparison.
 */

import { Prot } from '../../src/memory/page.js';
import type { Program, ProgramSegment } from '../../src/loader/program.js';

/** `li a0, 42; li a7, 93; ecall` as little-endian words. */
export const EXIT42_WORDS = [0x02a00513, 0x05d00893, 0x00000073] as const;

/** Little-endian bytes of 32-bit words. */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return out;
}

/**
 * A small program with code, read-only data, data plus bss, a pure bss
 * segment, symbols and two exception-table entries.
 */
export function sampleProgram(): Program {
  const code = wordsToBytes([...EXIT42_WORDS]);
  return {
    name: 'sample',
    entry: 0x10000,
    segments: [
      { vaddr: 0x10000, data: code, memSize: code.length, flags: Prot.Read | Prot.Exec },
      { vaddr: 0x11000, data: new TextEncoder().encode('hello\n'), memSize: 6, flags: Prot.Read },
      { vaddr: 0x12000, data: Uint8Array.of(1, 2, 3, 4), memSize: 0x1800, flags: Prot.Read | Prot.Write },
      { vaddr: 0x20000, data: new Uint8Array(0), memSize: 0x2000, flags: Prot.Read | Prot.Write },
    ],
    symbols: new Map([
      ['_start', 0x10000],
      ['message', 0x11000],
      ['table', 0x12000],
      ['heap_end', 0x22000],
      ['absolute', 0xdead0000],
    ]),
    extable: [
      { insn: 0x10004, fixup: 0x10008, type: 0, data: 0 },
      { insn: 0x10000, fixup: 0x10008, type: 1, data: 0x2a },
    ],
  };
}

/** Reads a little-endian u32. */
export function get32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
}

/** Reads a little-endian u16. */
export function get16(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint16(offset, true);
}

/** Writes a little-endian u32 in place. */
export function put32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value >>> 0, true);
}

/** Writes a little-endian u16 in place. */
export function put16(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(offset, value & 0xffff, true);
}

/** File offset of program header `index` (trusting the ELF header). */
export function phdrOffset(bytes: Uint8Array, index: number): number {
  return get32(bytes, 28) + index * 32;
}

/** File offsets of every section header (trusting the ELF header). */
export function shdrOffsets(bytes: Uint8Array): number[] {
  const shoff = get32(bytes, 32);
  const shnum = get16(bytes, 48);
  return Array.from({ length: shnum }, (_, i) => shoff + i * 40);
}

/** File offset of the section header named `name` (trusting the file). */
export function shdrOffsetByName(bytes: Uint8Array, name: string): number {
  const offsets = shdrOffsets(bytes);
  const strtab = offsets[get16(bytes, 50)]!;
  const strOff = get32(bytes, strtab + 16);
  for (const at of offsets) {
    const start = strOff + get32(bytes, at);
    const end = bytes.indexOf(0, start);
    if (new TextDecoder().decode(bytes.subarray(start, end)) === name) return at;
  }
  throw new Error(`no section ${name}`);
}

/** A segment reduced to comparable plain values (data as hex). */
export function plainSegment(s: ProgramSegment): { vaddr: number; data: string; memSize: number; flags: number } {
  return { vaddr: s.vaddr, data: Buffer.from(s.data).toString('hex'), memSize: s.memSize, flags: s.flags };
}

/** A program reduced to comparable plain values; segments sorted by address, `sectionName` dropped. */
export function plainProgram(p: Program): unknown {
  return {
    name: p.name,
    entry: p.entry,
    segments: [...p.segments].sort((a, b) => a.vaddr - b.vaddr).map(plainSegment),
    symbols: [...p.symbols].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    extable: p.extable.map((e) => ({ ...e })),
  };
}

/** One LOAD line of `readelf -lW`. */
export interface ReadelfLoad {
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: string;
}

/** PT_LOAD rows of `readelf -lW` output. */
export function parseReadelfLoads(text: string): ReadelfLoad[] {
  const rows: ReadelfLoad[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s([RWE ]{3})\s/.exec(
      line,
    );
    if (m) {
      rows.push({
        offset: Number(m[1]),
        vaddr: Number(m[2]),
        filesz: Number(m[3]),
        memsz: Number(m[4]),
        flags: m[5]!,
      });
    }
  }
  return rows;
}

/** `Entry point address` of `readelf -h`. */
export function parseReadelfEntry(text: string): number {
  const m = /Entry point address:\s+(0x[0-9a-f]+)/.exec(text);
  if (!m) throw new Error('no entry point in readelf output');
  return Number(m[1]);
}

/** One row of `readelf -sW`. */
export interface ReadelfSymbol {
  value: number;
  type: string;
  bind: string;
  ndx: string;
  name: string;
}

/** Rows of the `.symtab` part of `readelf -sW`. */
export function parseReadelfSymbols(text: string): ReadelfSymbol[] {
  const rows: ReadelfSymbol[] = [];
  let inSymtab = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Symbol table')) inSymtab = line.includes("'.symtab'");
    const m = /^\s*\d+:\s+([0-9a-f]{8})\s+\S+\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s?(.*)$/.exec(line);
    if (inSymtab && m) rows.push({ value: parseInt(m[1]!, 16), type: m[2]!, bind: m[3]!, ndx: m[4]!, name: m[5]! });
  }
  return rows;
}

/** The bytes and address of a section from `readelf -x NAME`. */
export function parseReadelfHexDump(text: string): { address: number; bytes: Uint8Array } {
  const bytes: number[] = [];
  let address = -1;
  for (const line of text.split('\n')) {
    // "  0xADDRESS " then four 8-digit groups in a 35-column field, then ASCII.
    const m = /^ {2}0x([0-9a-f]{8}) /.exec(line);
    if (!m) continue;
    if (address < 0) address = parseInt(m[1]!, 16);
    for (const group of line.slice(13, 13 + 35).trim().split(/\s+/)) {
      for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
    }
  }
  return { address, bytes: Uint8Array.from(bytes) };
}
