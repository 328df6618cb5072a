/**
 * parseElf on real programs from the Debian cross compiler, checked
 * against readelf, and on hand-broken files, checked for clear errors.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { parseElf } from '../../src/loader/elf-reader.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import type { Program } from '../../src/loader/program.js';
import { Prot } from '../../src/memory/page.js';
import {
  compileRv32,
  describeWithTools,
  GCC,
  itWithTools,
  QEMU,
  READELF,
  runQemu,
  runTool,
} from '../helpers/toolchain.js';
import {
  get32,
  parseReadelfEntry,
  parseReadelfHexDump,
  parseReadelfLoads,
  parseReadelfSymbols,
  phdrOffset,
  put16,
  put32,
  sampleProgram,
  shdrOffsetByName,
} from './elf-test-utils.js';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const SOURCES = [join(FIXTURES, 'start.S'), join(FIXTURES, 'extable.c')];

/** Build variants of the extable fixture: name → extra gcc flags. */
const VARIANTS: Record<string, string[]> = {
  // Text and data on separate pages, the ELF header inside the text LOAD.
  default: ['-O2'],
  unoptimised: ['-O0'],
  // Text and data share a page: byte ranges do not overlap, pages do.
  'shared page': ['-O2', '-Wl,-z,max-page-size=16', '-Wl,-z,common-page-size=16'],
  // One RWX segment that does not contain the headers (ld -N).
  omagic: ['-O2', '-Wl,-N', '-Wl,--no-warn-rwx-segments'],
  // No .symtab at all; sections (and __ex_table) remain.
  stripped: ['-O2', '-s'],
};

/** readelf's flag column for Prot bits ("R E", "RW "). */
function readelfFlags(prot: number): string {
  return (prot & Prot.Read ? 'R' : ' ') + (prot & Prot.Write ? 'W' : ' ') + (prot & Prot.Exec ? 'E' : ' ');
}

/** Symbols readelf lists that parseElf keeps (same rules, applied to readelf's view). */
function expectedSymbols(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const local = new Map<string, boolean>();
  for (const s of parseReadelfSymbols(text)) {
    if (s.name === '' || s.ndx === 'UND' || ['SECTION', 'FILE', 'TLS'].includes(s.type)) continue;
    if (s.bind === 'LOCAL' && s.type === 'NOTYPE' && /^\$[xd](?:$|\.|rv)/.test(s.name)) continue;
    const seen = local.get(s.name);
    if (seen === undefined || (seen && s.bind !== 'LOCAL')) {
      out.set(s.name, s.value);
      local.set(s.name, s.bind === 'LOCAL');
    }
  }
  return out;
}

describeWithTools([GCC, READELF], 'parseElf on programs built by riscv64-unknown-elf-gcc', () => {
  let dir: string;
  const built = new Map<string, { path: string; bytes: Uint8Array; program: Program }>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-elf-'));
    for (const [variant, flags] of Object.entries(VARIANTS)) {
      const path = join(dir, `${variant.replace(/\W/g, '-')}.elf`);
      compileRv32(SOURCES, path, flags);
      const bytes = new Uint8Array(readFileSync(path));
      built.set(variant, { path, bytes, program: parseElf(bytes, path) });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const variant of Object.keys(VARIANTS)) {
    describe(`${variant} build`, () => {
      it('has the entry point readelf reports', () => {
        const { path, program } = built.get(variant)!;
        expect(program.entry).toBe(parseReadelfEntry(runTool(READELF, ['-hW', path])));
      });

      it('has one segment per PT_LOAD with the bytes, size and rights readelf reports', () => {
        const { path, bytes, program } = built.get(variant)!;
        const loads = parseReadelfLoads(runTool(READELF, ['-lW', path]));
        expect(loads.length).toBeGreaterThan(0);
        expect(
          program.segments.map((s) => ({
            vaddr: s.vaddr,
            memSize: s.memSize,
            flags: readelfFlags(s.flags),
            data: Buffer.from(s.data).toString('hex'),
          })),
        ).toEqual(
          loads.map((l) => ({
            vaddr: l.vaddr,
            memSize: l.memsz,
            flags: l.flags,
            data: Buffer.from(bytes.subarray(l.offset, l.offset + l.filesz)).toString('hex'),
          })),
        );
      });

      it('has the symbols readelf lists, less section, file, undefined and mapping symbols', () => {
        const { path, program } = built.get(variant)!;
        const expected = expectedSymbols(runTool(READELF, ['-sW', path]));
        expect(new Map([...program.symbols].sort())).toEqual(new Map([...expected].sort()));
        if (variant === 'stripped') expect(program.symbols.size).toBe(0);
        else expect(program.symbols.get('main')).toBeTypeOf('number');
      });

      it('decodes __ex_table as readelf dumps it, relative to each field', () => {
        const { path, program } = built.get(variant)!;
        const dump = parseReadelfHexDump(runTool(READELF, ['-x', '__ex_table', path]));
        const view = new DataView(dump.bytes.buffer);
        const expected = [];
        for (let k = 0; k < dump.bytes.length; k += 12) {
          const at = dump.address + k;
          expected.push({
            insn: (at + view.getInt32(k, true)) >>> 0,
            fixup: (at + 4 + view.getInt32(k + 4, true)) >>> 0,
            type: view.getInt16(k + 8, true),
            data: view.getInt16(k + 10, true),
          });
        }
        expect(expected).toHaveLength(2);
        expect(program.extable).toEqual(expected);
      });

      if (variant !== 'stripped') {
        it('resolves __ex_table entries to the labelled instructions and fixups', () => {
          const { program } = built.get(variant)!;
          const sym = (name: string): number => program.symbols.get(name)!;
          expect(program.extable).toEqual([
            { insn: sym('probe_load'), fixup: sym('probe_fixup'), type: 3, data: 0x25 },
            { insn: sym('probe_store'), fixup: sym('probe_after_store'), type: 0, data: 0 },
          ]);
        });
      }
    });
  }

  it('finds the program headers inside the first LOAD (AT_PHDR = vaddr + e_phoff)', () => {
    const { bytes, program } = built.get('default')!;
    const loads = parseReadelfLoads(runTool(READELF, ['-lW', built.get('default')!.path]));
    expect(loads[0]!.offset).toBe(0);
    expect(program.programHeaders).toEqual({
      address: loads[0]!.vaddr + get32(bytes, 28),
      entrySize: 32,
      count: bytes[44],
    });
  });

  it('leaves programHeaders unset when no segment loads them (ld -N)', () => {
    expect(built.get('omagic')!.program.programHeaders).toBeUndefined();
  });

  it('accepts text and data on one page when their bytes do not overlap', () => {
    const { program } = built.get('shared page')!;
    const [text, data] = [...program.segments].sort((a, b) => a.vaddr - b.vaddr);
    expect(text!.flags).toBe(Prot.Read | Prot.Exec);
    expect(data!.flags).toBe(Prot.Read | Prot.Write);
    expect(text!.vaddr >>> 12).toBe(data!.vaddr >>> 12);
    expect(text!.vaddr + text!.memSize).toBeLessThanOrEqual(data!.vaddr);
  });

  // The shared-page build is congruent to its addresses only modulo 16, so
  // qemu (and Linux) cannot mmap it with 4 KiB pages; faultline copies
  // segment bytes and can load it.
  itWithTools(QEMU, 'uses fixtures that run under qemu-riscv32 (exit 42)', () => {
    for (const [variant, { path }] of built) {
      if (variant !== 'shared page') expect(runQemu(path).status, variant).toBe(42);
    }
  });
});

/** Expects `parseElf(bytes)` to throw a FormatError whose message matches `pattern`. */
function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  let error: unknown;
  try {
    parseElf(bytes, 'prog.elf');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toMatch(/^prog\.elf: /);
  expect((error as Error).message).toMatch(pattern);
}

describe('parseElf refuses malformed or unsupported files with a FormatError naming the field', () => {
  const good = (): Uint8Array => writeElf(sampleProgram());
  // Program headers of the sample, sorted by address: 0x10000 text, 0x11000
  // rodata, 0x12000 data, 0x20000 bss; the header segment at 0xf000 is first.
  const TEXT = 1;
  const DATA = 3;

  it('reads the unmodified sample', () => {
    expect(parseElf(good(), 'prog.elf').entry).toBe(0x10000);
  });

  it('refuses a file shorter than the ELF header', () => {
    expectFormatError(good().subarray(0, 51), /ELF header at offset 0x0: file is 51 bytes, shorter than the 52-byte/);
  });

  it('refuses a non-ELF file', () => {
    expectFormatError(new TextEncoder().encode('#!/bin/sh\n'.padEnd(64, ' ')), /not an ELF file/);
  });

  it('refuses ELF64, big-endian, ET_DYN, ET_REL and other machines', () => {
    const cases: [number, number, number, RegExp][] = [
      [4, 1, 2, /offset 0x4: e_ident\[EI_CLASS\] 2 \(ELFCLASS64\) is not ELFCLASS32/],
      [5, 1, 2, /offset 0x5: e_ident\[EI_DATA\] 2 is not ELFDATA2LSB/],
      [16, 2, 3, /offset 0x10: e_type 3 \(ET_DYN: a shared object or PIE\)/],
      [16, 2, 1, /e_type 1 \(ET_REL: an object file, not linked\)/],
      [18, 2, 62, /offset 0x12: e_machine 62 is not EM_RISCV \(243\)/],
    ];
    for (const [offset, size, value, pattern] of cases) {
      const bytes = good();
      if (size === 1) bytes[offset] = value;
      else put16(bytes, offset, value);
      expectFormatError(bytes, pattern);
    }
  });

  it('refuses compressed, hard-float and RV32E objects by e_flags', () => {
    for (const [flags, pattern] of [
      [0x1, /e_flags 0x1 has EF_RISCV_RVC/],
      [0x4, /e_flags 0x4 selects a hardware floating-point ABI/],
      [0x8, /e_flags 0x8 has EF_RISCV_RVE/],
    ] as const) {
      const bytes = good();
      put32(bytes, 36, flags);
      expectFormatError(bytes, pattern);
    }
  });

  it('refuses PT_INTERP and PT_DYNAMIC: dynamic programs', () => {
    for (const [type, name] of [
      [3, 'PT_INTERP'],
      [2, 'PT_DYNAMIC'],
    ] as const) {
      const bytes = good();
      put32(bytes, phdrOffset(bytes, DATA), type);
      expectFormatError(
        bytes,
        new RegExp(`program header ${DATA} at offset 0x${(52 + DATA * 32).toString(16)}: ${name}: dynamically linked`),
      );
    }
  });

  it('refuses p_filesz above p_memsz, naming both', () => {
    const bytes = good();
    const at = phdrOffset(bytes, DATA);
    put32(bytes, at + 16, 0x2000);
    expectFormatError(
      bytes,
      new RegExp(`^prog\\.elf: program header ${DATA} at offset 0x${at.toString(16)}: p_filesz 0x2000 exceeds p_memsz 0x1800$`),
    );
  });

  it('refuses a segment whose bytes run past the end of the file', () => {
    const bytes = good();
    put32(bytes, phdrOffset(bytes, TEXT) + 4, bytes.length - 4);
    expectFormatError(bytes, /p_offset 0x[0-9a-f]+ \+ p_filesz 0xc runs past the end of the file/);
  });

  it('refuses a segment past the 32-bit address space', () => {
    const bytes = good();
    put32(bytes, phdrOffset(bytes, DATA) + 8, 0xfffff000);
    expectFormatError(bytes, /p_vaddr 0xfffff000 \+ p_memsz 0x1800 exceeds the 32-bit address space/);
  });

  it('refuses PT_LOAD segments whose bytes overlap', () => {
    const bytes = good();
    put32(bytes, phdrOffset(bytes, DATA) + 8, 0x11004);
    expectFormatError(bytes, /PT_LOAD \[0x11004, 0x12804\) overlaps program header 2 \[0x11000, 0x11006\)/);
  });

  it('refuses a file without PT_LOAD', () => {
    const bytes = good();
    for (let i = 0; i < 5; i++) put32(bytes, phdrOffset(bytes, i), 4 /* PT_NOTE */);
    expectFormatError(bytes, /none of the 5 program headers is PT_LOAD/);
  });

  it('refuses an entry point outside every executable segment', () => {
    const bytes = good();
    put32(bytes, 24, 0x11000);
    expectFormatError(bytes, /offset 0x18: e_entry 0x11000 is not inside an executable PT_LOAD segment/);
  });

  it('refuses program and section header tables outside the file', () => {
    let bytes = good();
    put32(bytes, 28, bytes.length - 10);
    expectFormatError(bytes, /offset 0x1c: program header table at e_phoff 0x[0-9a-f]+ \(5 × 32 bytes\) ends at/);
    bytes = good();
    put16(bytes, 48, 0x7fff);
    expectFormatError(bytes, /section header table at e_shoff 0x[0-9a-f]+ \(32767 × 40 bytes\) ends at 0x[0-9a-f]+, past the end/);
  });

  it('refuses a section name offset outside .shstrtab or without NUL', () => {
    let bytes = good();
    const ex = shdrOffsetByName(bytes, '__ex_table');
    put32(bytes, ex, 0x10000);
    expectFormatError(bytes, /section header \d+ at offset 0x[0-9a-f]+: sh_name 0x10000 is outside \.shstrtab/);
    bytes = good();
    const shstrtab = shdrOffsetByName(bytes, '.shstrtab');
    const start = get32(bytes, shstrtab + 16);
    const size = get32(bytes, shstrtab + 20);
    bytes[start + size - 1] = 0x41; // the last name loses its NUL
    expectFormatError(bytes, /sh_name 0x[0-9a-f]+ in \.shstrtab is not NUL-terminated/);
  });

  it('refuses a malformed .symtab', () => {
    let bytes = good();
    put32(bytes, shdrOffsetByName(bytes, '.symtab') + 36, 12);
    expectFormatError(bytes, /\("\.symtab"\) at offset 0x[0-9a-f]+: SHT_SYMTAB sh_entsize 12 is not 16/);
    bytes = good();
    put32(bytes, shdrOffsetByName(bytes, '.symtab') + 24, 1);
    expectFormatError(bytes, /SHT_SYMTAB sh_link 1 does not name a SHT_STRTAB section/);
    bytes = good();
    const symtab = get32(bytes, shdrOffsetByName(bytes, '.symtab') + 16);
    put32(bytes, symtab + 16, 0xffff);
    expectFormatError(bytes, /symbol 1 at offset 0x[0-9a-f]+: st_name 0xffff is outside "\.strtab"/);
  });

  it('refuses an __ex_table that is not a whole number of 12-byte entries', () => {
    const bytes = good();
    put32(bytes, shdrOffsetByName(bytes, '__ex_table') + 20, 20);
    expectFormatError(bytes, /\("__ex_table"\) at offset 0x[0-9a-f]+: sh_size 0x14 is not a multiple of the 12-byte entry/);
  });

  it('refuses an __ex_table that is not SHT_PROGBITS, whatever its (unchecked) range', () => {
    for (const type of [0 /* SHT_NULL */, 8 /* SHT_NOBITS */]) {
      const bytes = good();
      const ex = shdrOffsetByName(bytes, '__ex_table');
      put32(bytes, ex + 4, type);
      put32(bytes, ex + 16, 0xfffffff0); // sh_offset
      expectFormatError(bytes, new RegExp(`__ex_table has sh_type ${type}, not SHT_PROGBITS`));
    }
  });

  it('reads files without section headers: no symbols, no extable', () => {
    const bytes = good();
    put32(bytes, 32, 0);
    put16(bytes, 48, 0);
    const program = parseElf(bytes, 'prog.elf');
    expect(program.symbols.size).toBe(0);
    expect(program.extable).toEqual([]);
    expect(program.segments).toHaveLength(5);
  });

  it('ignores the reserved section 0 even when it claims to be a symbol table', () => {
    const bytes = good();
    const section0 = get32(bytes, 32);
    put32(bytes, section0 + 4, 2); // sh_type SHT_SYMTAB
    put32(bytes, section0 + 16, 0xfffffff0); // sh_offset far outside the file
    put32(bytes, section0 + 20, 0x100); // sh_size
    put32(bytes, section0 + 36, 16); // sh_entsize
    expect(parseElf(bytes, 'prog.elf').symbols).toEqual(sampleProgram().symbols);
  });

  it('does not alias the input buffer', () => {
    const bytes = good();
    const program = parseElf(bytes, 'prog.elf');
    bytes.fill(0);
    expect(Array.from(program.segments.find((s) => s.vaddr === 0x12000)!.data)).toEqual([1, 2, 3, 4]);
  });

  it('reads a view into a larger buffer at an odd offset', () => {
    const elf = good();
    const big = new Uint8Array(elf.length + 7);
    big.set(elf, 3);
    expect(parseElf(big.subarray(3, 3 + elf.length), 'prog.elf').symbols.get('_start')).toBe(0x10000);
  });
});

describe('parseElf stays linear on adversarial files', () => {
  /**
   * Runs parseElf, expecting a FormatError matching `pattern`. The bound is
   * a guard against quadratic blow-up (minutes on these inputs), not a
   * speed test: it holds on a loaded machine by two orders of magnitude.
   */
  const expectFastError = (bytes: Uint8Array, pattern: RegExp): void => {
    const started = performance.now();
    expectFormatError(bytes, pattern);
    expect(performance.now() - started).toBeLessThan(30_000);
  };

  it('bounds name scanning when thousands of symbols point into one long string', () => {
    const elf = writeElf(sampleProgram());
    const count = 20_000;
    const strtabSize = 400_000; // 'a' × (size - 1), then one NUL
    const bytes = new Uint8Array(elf.length + count * 16 + strtabSize);
    bytes.set(elf);
    const symtabAt = elf.length;
    const strtabAt = symtabAt + count * 16;
    bytes.fill(0x61, strtabAt, strtabAt + strtabSize - 1);
    for (let i = 1; i < count; i++) {
      put32(bytes, symtabAt + i * 16, i); // st_name: a distinct suffix each
      put16(bytes, symtabAt + i * 16 + 14, 1); // st_shndx: a real section
    }
    const symtab = shdrOffsetByName(bytes, '.symtab');
    put32(bytes, symtab + 16, symtabAt);
    put32(bytes, symtab + 20, count * 16);
    const strtab = shdrOffsetByName(bytes, '.strtab');
    put32(bytes, strtab + 16, strtabAt);
    put32(bytes, strtab + 20, strtabSize);
    expectFastError(bytes, /st_name 0x[0-9a-f]+: names in "\.strtab" overlap too much/);
  });

  it('refuses PT_LOADs that reuse the same file bytes over and over', () => {
    const segments = Array.from({ length: 400 }, (_, i) => ({
      vaddr: 0x100000 + i * 0x400000,
      data: Uint8Array.of(0x73, 0, 0, 0),
      memSize: 4,
      flags: Prot.Read | Prot.Exec,
    }));
    const bytes = writeElf({ name: 'many', entry: 0x100000, segments, symbols: new Map(), extable: [] }, { headerSegment: false });
    for (let i = 0; i < segments.length; i++) {
      const at = phdrOffset(bytes, i);
      put32(bytes, at + 4, 0); // p_offset
      put32(bytes, at + 16, bytes.length); // p_filesz
      put32(bytes, at + 20, 0x400000); // p_memsz
    }
    expectFastError(bytes, /PT_LOAD segments hold 0x[0-9a-f]+ file bytes in total, more than the file's/);
  });

  it('refuses a second __ex_table instead of decoding the same bytes again', () => {
    const bytes = writeElf(sampleProgram());
    const name = get32(bytes, shdrOffsetByName(bytes, '__ex_table'));
    put32(bytes, shdrOffsetByName(bytes, '.text'), name);
    expectFastError(bytes, /section header \d+ \("__ex_table"\) at offset 0x[0-9a-f]+: a second __ex_table \(the first is section \d+\)/);
  });
});
