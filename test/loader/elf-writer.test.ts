/**
 * writeElf: files binutils and qemu accept, and a round trip through
 * parseElf that gives the program back.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseElf } from '../../src/loader/elf-reader.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import type { ExtableEntry, Program, ProgramSegment } from '../../src/loader/program.js';
import { Prot } from '../../src/memory/page.js';
import { describeWithTools, OBJDUMP, QEMU, READELF, runQemu, runTool } from '../helpers/toolchain.js';
import {
  EXIT42_WORDS,
  parseReadelfHexDump,
  parseReadelfLoads,
  parseReadelfSymbols,
  plainProgram,
  sampleProgram,
  wordsToBytes,
} from './elf-test-utils.js';

/** The exit-42 program alone: one text segment at 0x10000. */
function exit42(): Program {
  const code = wordsToBytes([...EXIT42_WORDS]);
  return {
    name: 'exit42',
    entry: 0x10000,
    segments: [{ vaddr: 0x10000, data: code, memSize: code.length, flags: Prot.Read | Prot.Exec }],
    symbols: new Map([['_start', 0x10000]]),
    extable: [],
  };
}

/** Symbol names: identifiers, and any valid Unicode without NUL. */
const symbolName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_.][A-Za-z0-9_.$]{0,15}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\0')),
);

const u32 = fc.nat({ max: 0xffffffff });
const i16 = fc.integer({ min: -0x8000, max: 0x7fff });

/**
 * Random valid programs: 1-5 segments laid out upwards from a random base
 * with random gaps (so some share a page), at least one executable segment
 * holding the entry, random symbols and exception-table entries.
 */
const programArb: fc.Arbitrary<Program> = fc
  .record({
    base: fc.oneof(fc.nat({ max: 0x3000 }), fc.nat({ max: 0xfff00000 })),
    parts: fc.array(
      fc.record({
        gap: fc.oneof(fc.nat({ max: 16 }), fc.nat({ max: 0x3000 })),
        data: fc.uint8Array({ maxLength: 40 }),
        extra: fc.oneof(fc.constant(0), fc.nat({ max: 0x2100 })),
        flags: fc.nat({ max: 7 }),
        sectionName: fc.option(fc.constantFrom('.text.hot', '.sdata', 'my data'), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    execIndex: fc.nat(),
    entryOffset: fc.nat(),
    symbols: fc.uniqueArray(fc.tuple(symbolName, u32), { selector: ([name]) => name, maxLength: 8 }),
    extable: fc.array(fc.record({ insn: u32, fixup: u32, type: i16, data: i16 }), { maxLength: 6 }),
  })
  .map(({ base, parts, execIndex, entryOffset, symbols, extable }) => {
    let cursor = base;
    const segments = parts.map((part, i): ProgramSegment => {
      const vaddr = cursor + part.gap;
      const memSize = Math.max(1, part.data.length + part.extra);
      cursor = vaddr + memSize;
      const exec = i === execIndex % parts.length ? Prot.Exec : 0;
      return {
        vaddr,
        data: part.data,
        memSize,
        flags: part.flags | exec,
        ...(part.sectionName ? { sectionName: part.sectionName } : {}),
      };
    });
    const home = segments[execIndex % segments.length]!;
    return {
      name: 'random',
      entry: home.vaddr + (entryOffset % home.memSize),
      segments,
      symbols: new Map(symbols),
      extable: extable as ExtableEntry[],
    };
  })
  .filter((p) => p.segments.every((s) => s.vaddr + s.memSize <= 2 ** 32));

/**
 * Splits a parsed program into the header segment (holding the program
 * headers) and the rest.
 */
function splitHeaderSegment(q: Program): { header: ProgramSegment; rest: Program } {
  const at = q.programHeaders!.address;
  const header = q.segments.find((s) => at >= s.vaddr && at < s.vaddr + s.memSize)!;
  return { header, rest: { ...q, segments: q.segments.filter((s) => s !== header) } };
}

describe('writeElf round trip through parseElf', () => {
  it('gives back entry, segments, symbols and extable, plus a read-only header segment', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const q = parseElf(writeElf(p), p.name);
        const { header, rest } = splitHeaderSegment(q);
        expect(plainProgram(rest)).toEqual(plainProgram(p));
        expect(header.flags).toBe(Prot.Read);
        expect(header.vaddr % 4096).toBe(0);
        expect(q.programHeaders).toEqual({ address: header.vaddr + 52, entrySize: 32, count: p.segments.length + 1 });
        // The header segment shares no page with a program segment.
        for (const s of p.segments) {
          const apart =
            Math.ceil((s.vaddr + s.memSize) / 4096) * 4096 <= header.vaddr ||
            s.vaddr >= Math.ceil((header.vaddr + header.memSize) / 4096) * 4096;
          expect(apart).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives back exactly the program without a header segment when there is no extable', () => {
    fc.assert(
      fc.property(programArb, (p0) => {
        const p = { ...p0, extable: [] };
        const q = parseElf(writeElf(p, { headerSegment: false }), p.name);
        expect(plainProgram(q)).toEqual(plainProgram(p));
        expect(q.programHeaders).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('places the header segment below the lowest segment, else above the highest, or where asked', () => {
    const at = (p: Program, options = {}): number => splitHeaderSegment(parseElf(writeElf(p, options), 'x')).header.vaddr;
    expect(at(sampleProgram())).toBe(0xf000);
    const low = { ...exit42(), entry: 0x1000, segments: [{ ...exit42().segments[0]!, vaddr: 0x1000 }] };
    expect(at(low)).toBe(0x2000);
    expect(at(sampleProgram(), { headerAddress: 0x40000 })).toBe(0x40000);
    expect(() => writeElf(sampleProgram(), { headerAddress: 0x10000 })).toThrow(/headerAddress 0x10000 is not a free/);
  });
});

describe('writeElf refuses programs it cannot write validly', () => {
  const base = sampleProgram();
  const seg0 = base.segments[0]!;
  const cases: [string, Program, RegExp][] = [
    ['no segments', { ...base, segments: [] }, /no segments/],
    ['memSize below data', { ...base, segments: [{ ...seg0, memSize: 4 }] }, /memSize 4 must be at least 1 and at least data.length 12/],
    ['segment past 4 GiB', { ...base, segments: [seg0, { ...seg0, vaddr: 0xfffffff8, flags: Prot.Read }] }, /runs past the 32-bit/],
    ['overlap', { ...base, segments: [seg0, { ...seg0, vaddr: 0x10008, flags: Prot.Read }] }, /segment at 0x10008 overlaps the segment \[0x10000, 0x1000c\)/],
    ['unknown flags', { ...base, segments: [{ ...seg0, flags: 8 | Prot.Exec }] }, /flags 12 has bits other than/],
    ['entry outside code', { ...base, entry: 0x11000 }, /entry 0x11000 is not inside an executable segment/],
    ['empty symbol name', { ...base, symbols: new Map([['', 1]]) }, /symbol name "" must be non-empty/],
    ['NUL in a symbol name', { ...base, symbols: new Map([['a\0b', 1]]) }, /symbol name "a\\x00b"/],
    ['symbol beyond 32 bits', { ...base, symbols: new Map([['big', 2 ** 32]]) }, /symbol big value 4294967296/],
    ['extable type beyond int16', { ...base, extable: [{ insn: 0x10000, fixup: 0x10004, type: 0x8000, data: 0 }] }, /type 32768 or data 0 is outside int16/],
    ['empty section name', { ...base, segments: [{ ...seg0, sectionName: '' }] }, /segment 0 sectionName "" must be non-empty/],
  ];
  for (const [what, program, pattern] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => writeElf(program)).toThrow(UsageError);
      expect(() => writeElf(program)).toThrow(pattern);
    });
  }

  it('refuses headerSegment: false with an exception table', () => {
    expect(() => writeElf(sampleProgram(), { headerSegment: false })).toThrow(/needs an empty exception table/);
  });
});

describeWithTools([READELF, OBJDUMP], 'binutils read what writeElf writes', () => {
  let dir: string;
  let n = 0;
  /** Writes `bytes` to a fresh temporary file and returns its path. */
  const save = (bytes: Uint8Array): string => {
    const path = join(dir, `out${n++}.elf`);
    writeFileSync(path, bytes);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-elfw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `readelf -a` output, failing on any warning or error. */
  const readelfAll = (path: string): string => {
    const out = runTool(READELF, ['-aW', path]);
    expect(out).not.toMatch(/warning|error|corrupt/i);
    return out;
  };

  it('objdump disassembles the exit-42 program', () => {
    const path = save(writeElf(exit42()));
    const text = runTool(OBJDUMP, ['-d', path]);
    expect(text).toMatch(/file format elf32-littleriscv/);
    expect(text).toMatch(/00010000 <_start>:/);
    expect(text).toMatch(/10000:\s+02a00513\s+li\s+a0,42/);
    expect(text).toMatch(/10004:\s+05d00893\s+li\s+a7,93/);
    expect(text).toMatch(/10008:\s+00000073\s+ecall/);
  });

  it('readelf -a accepts the sample without warnings and sees its layout', () => {
    const p = sampleProgram();
    const path = save(writeElf({ ...p, segments: p.segments.map((s, i) => (i === 2 ? { ...s, sectionName: '.sdata' } : s)) }));
    const text = readelfAll(path);
    expect(text).toMatch(/Type:\s+EXEC/);
    expect(text).toMatch(/Machine:\s+RISC-V/);
    expect(text).toMatch(/Flags:\s+0x0\n/);
    expect(text).toMatch(/\] \.text\s+PROGBITS\s+00010000 \w+ 00000c 00\s+AX/);
    expect(text).toMatch(/\] \.rodata\s+PROGBITS\s+00011000 \w+ 000006 00\s+A /);
    expect(text).toMatch(/\] \.sdata\s+PROGBITS\s+00012000 \w+ 000004 00\s+WA/);
    expect(text).toMatch(/\] \.bss\s+NOBITS\s+00012004 \w+ 0017fc 00\s+WA/);
    expect(text).toMatch(/\] \.bss\s+NOBITS\s+00020000 \w+ 002000 00\s+WA/);
    expect(text).toMatch(/\] __ex_table\s+PROGBITS\s+0000f0\w+ \w+ 000018 00\s+A /);
    for (const load of parseReadelfLoads(text)) expect(load.offset % 4096).toBe(load.vaddr % 4096);

    const symbols = new Map(parseReadelfSymbols(text).map((s) => [s.name, s]));
    expect(symbols.get('_start')).toMatchObject({ value: 0x10000, type: 'FUNC', bind: 'GLOBAL' });
    expect(symbols.get('message')).toMatchObject({ value: 0x11000, type: 'NOTYPE', bind: 'GLOBAL' });
    expect(symbols.get('heap_end')).toMatchObject({ value: 0x22000, type: 'NOTYPE' });
    expect(symbols.get('absolute')).toMatchObject({ value: 0xdead0000, ndx: 'ABS' });
  });

  it('readelf dumps __ex_table in the relative layout', () => {
    const p = sampleProgram();
    const path = save(writeElf(p));
    const dump = parseReadelfHexDump(runTool(READELF, ['-x', '__ex_table', path]));
    const view = new DataView(dump.bytes.buffer);
    const decoded = p.extable.map((_, k) => ({
      insn: (dump.address + 12 * k + view.getInt32(12 * k, true)) >>> 0,
      fixup: (dump.address + 12 * k + 4 + view.getInt32(12 * k + 4, true)) >>> 0,
      type: view.getInt16(12 * k + 8, true),
      data: view.getInt16(12 * k + 10, true),
    }));
    expect(decoded).toEqual(p.extable);
  });

  it('readelf -a accepts random written programs without warnings', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        readelfAll(save(writeElf(p)));
      }),
      { numRuns: 40 },
    );
  });
});

describeWithTools(QEMU, 'qemu-riscv32 runs what writeElf writes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-elfq-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 42 from the hand-encoded li a0,42; li a7,93; ecall', () => {
    const path = join(dir, 'exit42.elf');
    writeFileSync(path, writeElf(exit42()));
    expect(runQemu(path).status).toBe(42);
  });

  it('exits 42 from the sample with its header segment, data, bss and extable', () => {
    const path = join(dir, 'sample.elf');
    writeFileSync(path, writeElf(sampleProgram()));
    expect(runQemu(path).status).toBe(42);
  });
});
