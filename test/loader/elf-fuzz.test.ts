/**
 * Fuzzing parseElf: random bytes and mutated valid files give either a
 * one-line FormatError naming the input and an offset, or a well-formed
 * Program — never another exception, a hang or a crash. 13,000 cases
 * per run (the count is printed).
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { Ehdr, Phdr, Shdr, Sym } from '../../src/loader/elf-format.js';
import { parseElf } from '../../src/loader/elf-reader.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import type { Program } from '../../src/loader/program.js';
import { Prot } from '../../src/memory/page.js';
import { compileRv32, GCC, hasTool } from '../helpers/toolchain.js';
import { EXIT42_WORDS, get16, get32, sampleProgram, shdrOffsetByName, wordsToBytes } from './elf-test-utils.js';

const NAME = 'fuzz.elf';
/** Cases run, printed at the end. */
let cases = 0;
const suiteStarted = performance.now();
/** Longest a single parse may take; a hang would be far longer. */
const PARSE_BUDGET_MS = 1000;

/**
 * The property: parseElf returns a well-formed Program or throws a
 * FormatError whose message starts with the input name.
 */
function checkParse(bytes: Uint8Array): void {
  const started = performance.now();
  cases++;
  let program: Program | undefined;
  try {
    program = parseElf(bytes, NAME);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    expect(error.message).toMatch(/^fuzz\.elf: .*?\boffset 0x[0-9a-f]+\b.*?: \S/);
    expect(error.message).not.toMatch(/[\n\r\x1b]/);
  }
  expect(performance.now() - started).toBeLessThan(PARSE_BUDGET_MS);
  if (program) checkWellFormed(program);
}

const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 2 ** 32;
const isI16 = (v: number): boolean => Number.isInteger(v) && v >= -0x8000 && v <= 0x7fff;

/** Throws unless `p` keeps every promise of the Program contract. */
function checkWellFormed(p: Program): void {
  expect(p.segments.length).toBeGreaterThan(0);
  const sorted = [...p.segments].sort((a, b) => a.vaddr - b.vaddr);
  sorted.forEach((s, i) => {
    expect(isU32(s.vaddr)).toBe(true);
    expect(s.memSize).toBeGreaterThan(0);
    expect(s.data.length).toBeLessThanOrEqual(s.memSize);
    expect(s.vaddr + s.memSize).toBeLessThanOrEqual(2 ** 32);
    expect(s.flags & ~(Prot.Read | Prot.Write | Prot.Exec)).toBe(0);
    if (i > 0) expect(sorted[i - 1]!.vaddr + sorted[i - 1]!.memSize).toBeLessThanOrEqual(s.vaddr);
  });
  expect(p.segments.some((s) => s.flags & Prot.Exec && p.entry >= s.vaddr && p.entry < s.vaddr + s.memSize)).toBe(
    true,
  );
  for (const [name, value] of p.symbols) {
    expect(name.length).toBeGreaterThan(0);
    expect(isU32(value)).toBe(true);
  }
  for (const e of p.extable) {
    expect(isU32(e.insn) && isU32(e.fixup) && isI16(e.type) && isI16(e.data)).toBe(true);
  }
  if (p.programHeaders) expect(isU32(p.programHeaders.address)).toBe(true);
}

/** A header field of a seed file: where it is and how wide. */
interface Field {
  readonly offset: number;
  readonly size: 1 | 2 | 4;
}

/** The header fields of a valid seed (ELF header, all phdrs and shdrs, some symbols, the extable). */
function fieldsOf(bytes: Uint8Array): Field[] {
  const fields: Field[] = [4, 5, 6].map((offset) => ({ offset, size: 1 }));
  for (const [name, offset] of Object.entries(Ehdr)) {
    if (name === 'e_ident') continue;
    fields.push({ offset, size: offset >= Ehdr.e_ehsize || offset < Ehdr.e_version ? 2 : 4 });
  }
  const phoff = get32(bytes, Ehdr.e_phoff);
  for (let i = 0; i < get16(bytes, Ehdr.e_phnum); i++) {
    for (const offset of Object.values(Phdr)) fields.push({ offset: phoff + i * 32 + offset, size: 4 });
  }
  const shoff = get32(bytes, Ehdr.e_shoff);
  for (let i = 0; i < get16(bytes, Ehdr.e_shnum); i++) {
    for (const offset of Object.values(Shdr)) fields.push({ offset: shoff + i * 40 + offset, size: 4 });
  }
  const symtab = trySection(bytes, '.symtab');
  if (symtab !== undefined) {
    const start = get32(bytes, symtab + Shdr.sh_offset);
    const count = Math.min(6, get32(bytes, symtab + Shdr.sh_size) / 16);
    for (let i = 0; i < count; i++) {
      const at = start + i * 16;
      fields.push(
        { offset: at + Sym.st_name, size: 4 },
        { offset: at + Sym.st_value, size: 4 },
        { offset: at + Sym.st_info, size: 1 },
        { offset: at + Sym.st_shndx, size: 2 },
      );
    }
  }
  const extable = trySection(bytes, '__ex_table');
  if (extable !== undefined) {
    const start = get32(bytes, extable + Shdr.sh_offset);
    fields.push({ offset: start, size: 4 }, { offset: start + 4, size: 4 }, { offset: start + 8, size: 2 });
  }
  return fields;
}

function trySection(bytes: Uint8Array, name: string): number | undefined {
  try {
    return shdrOffsetByName(bytes, name);
  } catch {
    return undefined;
  }
}

/** The phdr and shdr records of a valid seed: offset and field offsets, for whole-record rewrites. */
function recordsOf(bytes: Uint8Array): Field[][] {
  const records: Field[][] = [];
  const phoff = get32(bytes, Ehdr.e_phoff);
  for (let i = 0; i < get16(bytes, Ehdr.e_phnum); i++) {
    records.push(Object.values(Phdr).map((o) => ({ offset: phoff + i * 32 + o, size: 4 as const })));
  }
  const shoff = get32(bytes, Ehdr.e_shoff);
  for (let i = 0; i < get16(bytes, Ehdr.e_shnum); i++) {
    records.push(Object.values(Shdr).map((o) => ({ offset: shoff + i * 40 + o, size: 4 as const })));
  }
  return records;
}

/** Boundary values for field overwrites; `len` is the file length. */
function boundaryValues(len: number): number[] {
  return [
    0, 1, 2, 3, 4, 7, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xfeff, 0xff00, 0xfff1, 0xffff,
    0x10000, 0xfffff000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff, len - 1, len, len + 1,
    Math.floor(len / 2),
  ];
}

/** Writes `value` into `field` of `bytes` (little-endian, truncated to the width). */
function overwrite(bytes: Uint8Array, field: Field, value: number): void {
  if (field.offset + field.size > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (field.size === 1) view.setUint8(field.offset, value & 0xff);
  else if (field.size === 2) view.setUint16(field.offset, value & 0xffff, true);
  else view.setUint32(field.offset, value >>> 0, true);
}

afterAll(() => {
  console.log(`ELF fuzz: ${cases} cases in ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`);
});

describe('parseElf under fuzzing', () => {
  const seeds: Uint8Array[] = [];
  const seedFields: Field[][] = [];
  const seedRecords: Field[][][] = [];

  beforeAll(() => {
    const code = wordsToBytes([...EXIT42_WORDS]);
    seeds.push(writeElf(sampleProgram()));
    seeds.push(
      writeElf(
        {
          name: 'exit42',
          entry: 0x10000,
          segments: [{ vaddr: 0x10000, data: code, memSize: 12, flags: Prot.Read | Prot.Exec }],
          symbols: new Map([['_start', 0x10000]]),
          extable: [],
        },
        { headerSegment: false },
      ),
    );
    // Real gcc output when the toolchain is here; the writer's seeds otherwise.
    if (hasTool(GCC)) {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-fuzz-'));
      try {
        const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
        const out = join(dir, 'fixture.elf');
        compileRv32([join(fixtures, 'start.S'), join(fixtures, 'extable.c')], out, ['-O2']);
        seeds.push(new Uint8Array(readFileSync(out)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const seed of seeds) {
      parseElf(seed, 'seed'); // seeds themselves are valid
      seedFields.push(fieldsOf(seed));
      seedRecords.push(recordsOf(seed));
    }
  });

  /** A copy of a seed chosen by `index`. */
  const seedCopy = (index: number): Uint8Array => seeds[index % seeds.length]!.slice();

  it('survives random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), checkParse), { numRuns: 1500 });
  });

  it('survives random bytes behind a valid ELF header', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 800 }), (s, tail) => {
        const head = seedCopy(s).subarray(0, 52);
        const bytes = new Uint8Array(52 + tail.length);
        bytes.set(head);
        bytes.set(tail, 52);
        checkParse(bytes);
      }),
      { numRuns: 1500 },
    );
  });

  it('survives bit flips in valid files', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }), (s, flips) => {
        const bytes = seedCopy(s);
        for (const [at, bit] of flips) bytes[at % bytes.length]! ^= 1 << bit;
        checkParse(bytes);
      }),
      { numRuns: 2500 },
    );
  });

  it('survives byte overwrites in valid files, mostly in the headers', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.oneof(fc.nat({ max: 400 }), fc.nat()), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
        (s, writes) => {
          const bytes = seedCopy(s);
          for (const [at, value] of writes) bytes[at % bytes.length] = value;
          checkParse(bytes);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('survives truncation of valid files', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (s, cut) => {
        const bytes = seedCopy(s);
        checkParse(bytes.subarray(0, cut % bytes.length));
      }),
      { numRuns: 1000 },
    );
  });

  it('survives header fields overwritten with boundary values', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.option(fc.nat({ max: 0xffffffff }))), { minLength: 1, maxLength: 3 }),
        (s, writes) => {
          const bytes = seedCopy(s);
          const fields = seedFields[s % seeds.length]!;
          const values = boundaryValues(bytes.length);
          for (const [f, v, random] of writes) {
            overwrite(bytes, fields[f % fields.length]!, random ?? values[v % values.length]!);
          }
          checkParse(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('survives program and section headers replaced by another header of the same kind, then rewritten', () => {
    const value = fc.oneof(
      fc.constant(undefined), // keep
      fc.constant(undefined),
      fc.nat({ max: 16 }),
      fc.constantFrom(12, 16, 32, 40, 52, 0x1000),
      fc.nat({ max: 0xffffffff }),
      fc.nat().map((n) => -1 - n), // marker: a boundary value, chosen by n
    );
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(value, { minLength: 10, maxLength: 10 }),
        (s, r, donor, values) => {
          const bytes = seedCopy(s);
          const records = seedRecords[s % seeds.length]!;
          const record = records[r % records.length]!;
          // Copy a donor record of the same kind (phdr or shdr) over this one.
          if (donor !== undefined) {
            const sameKind = records.filter((other) => other.length === record.length);
            const from = sameKind[donor % sameKind.length]!;
            bytes.copyWithin(record[0]!.offset, from[0]!.offset, from[0]!.offset + record.length * 4);
          }
          const boundary = boundaryValues(bytes.length);
          record.forEach((field, i) => {
            const v = values[i];
            if (v === undefined) return;
            overwrite(bytes, field, v < 0 ? boundary[(-1 - v) % boundary.length]! : v);
          });
          checkParse(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
