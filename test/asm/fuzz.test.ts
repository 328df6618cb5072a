/**
 * Random text and mutated valid sources either assemble or give an
 * AssemblyError whose every diagnostic has file:line:column — never
 * another exception, never a hang. 12,000 cases per run (printed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { AssemblyError } from '../../src/asm/assembly-error.js';

const CORPUS = join(import.meta.dirname, 'corpus');
// jumps.s is left out: it reserves a megabyte, which only slows the fuzzing
const SEEDS = ['base.s', 'pseudo.s', 'branches.s', 'directives.s', 'extable.s'].map((f) => readFileSync(join(CORPUS, f), 'utf8'));

/** Fragments that stress the lexer, parser and layout when spliced in. */
const SNIPPETS = [
  '(', ')', ',', ':', '"', "'", '\\', '/*', '*/', '#', ';', '\n', ' ', '%hi(', '%lo(', '%pcrel_lo(1b)', '%pcrel_hi(',
  '1f', '1b', '9:', '.', '. - 4', '<<', '>>', '~', '-', '*', '/ 0', '% 0', '0x', '0b', '08', '0xffffffffffffffffff',
  '99999999999999999999999', '-2048', '2048', '4096', 'li a0, ', 'beq a0, a1, ', 'j ', 'call ', 'la a0, ',
  '.space 0x7fffffff', '.space -1', '.zero 100000', '.align 30', '.balign 3', '.p2align 16', '.equ x, x + 1',
  '.set y, z', '.equ z, y', '.section', '.section .foo', '.pushsection __ex_table, "a"', '.popsection', '.previous',
  '.bss', '.data', '.text', '.word', '.byte 300', '.half', '.ascii', '.asciz "\\x', '.extable', '.extable 1b, 1f, 1, 2',
  '.option rvc', '.globl undefined_symbol', 'x = .', '_start:', 'a0', 'zero', 'x32', 'amoadd.w.aqrl', 'lr.w',
  'fence iorw, q', 'csrr a0, 0x1000', '((((((((((', '))))))))', '\u00e9', '\u0000', '\t', '\r\n',
];

/** Checks the outcome of assembling `source`: success, or a well-formed AssemblyError. */
function check(source: string): void {
  cases++;
  let result: unknown;
  try {
    result = assemble(source, { fileName: 'fuzz.s' });
  } catch (e) {
    expect(e).toBeInstanceOf(AssemblyError);
    const err = e as AssemblyError;
    expect(err.diagnostics.length).toBeGreaterThan(0);
    const lines = source.split('\n').length;
    for (const d of err.diagnostics) {
      expect(d.file).toBe('fuzz.s');
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.line).toBeLessThanOrEqual(lines);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.message.length).toBeGreaterThan(0);
    }
    for (const line of err.message.split('\n')) expect(line).toMatch(/^fuzz\.s:\d+:\d+: \S/);
    return;
  }
  expect(result).toBeDefined();
}

/** Cases run, printed at the end. */
let cases = 0;
const suiteStarted = performance.now();
afterAll(() => {
  console.log(`assembler fuzz: ${cases} cases in ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`);
});

type Mutation = (lines: string[]) => string[];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // splice a snippet into a line
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...SNIPPETS)).map(([l, c, s]): Mutation => (lines) => {
    const i = l % lines.length;
    const line = lines[i]!;
    const at = c % (line.length + 1);
    return lines.map((x, k) => (k === i ? line.slice(0, at) + s + line.slice(at) : x));
  }),
  // delete a slice of a line
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 8 })).map(([l, c, n]): Mutation => (lines) => {
    const i = l % lines.length;
    const line = lines[i]!;
    const at = c % (line.length + 1);
    return lines.map((x, k) => (k === i ? line.slice(0, at) + line.slice(at + n) : x));
  }),
  // replace a number with another
  fc.tuple(fc.nat(), fc.constantFrom('0', '-1', '4096', '-4097', '0x80000000', '0x100000000', '31', '32', '1 << 63', '(-1 >> 1)')).map(
    ([l, v]): Mutation => (lines) => {
      const i = l % lines.length;
      return lines.map((x, k) => (k === i ? x.replace(/-?\b(0x[0-9a-f]+|\d+)\b/i, v) : x));
    },
  ),
  // duplicate, drop or swap lines
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('dup', 'drop', 'swap')).map(([a, b, op]): Mutation => (lines) => {
    const i = a % lines.length;
    const j = b % lines.length;
    const out = [...lines];
    if (op === 'dup') out.splice(i, 0, lines[i]!);
    else if (op === 'drop') out.splice(i, 1);
    else [out[i], out[j]] = [out[j]!, out[i]!];
    return out.length === 0 ? [''] : out;
  }),
);

const mutatedSource = fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([seed, ms]) => ms.reduce((lines, m) => m(lines), seed.split('\n')).join('\n'));

const asmAlphabet = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyz0123456789 \t\n,.:;()%#"\'\\+-*/<>&|^~!=_$xX'.split(''),
  'a0', 'sp', 'li ', 'addi ', 'beq ', '.word ', '.space ', '.equ ', '%hi(', '1f', '1b', '\n_start:\n',
);

describe('assembler fuzzing', () => {
  it('reports random assembly-like text as file:line:column diagnostics (5,000 cases)', () => {
    fc.assert(fc.property(fc.array(asmAlphabet, { maxLength: 200 }).map((a) => a.join('')), check), { numRuns: 5_000 });
  });

  it('reports arbitrary Unicode text as file:line:column diagnostics (2,000 cases)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 2_000 });
  });

  it('reports mutated valid sources as file:line:column diagnostics (5,000 cases)', () => {
    fc.assert(fc.property(mutatedSource, check), { numRuns: 5_000 });
  });
});
