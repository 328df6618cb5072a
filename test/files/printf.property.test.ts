/**
 * The C library's printf engine against the host's C library: random
 * snprintf cases — every conversion of <stdio.h>'s subset (d i u o x X c s
 * p %), random flags, widths and precisions (digits or '*', negative '*'
 * included), length modifiers hh h l ll j z, and buffer sizes from 0 (so
 * truncation and the return value are checked too) — are run by the same
 * C program (printf-cases.c) built for the guest with the library and run
 * under qemu-riscv32, and built for the host with `gcc`; the outputs must
 * be equal. Combinations the C standard leaves undefined ('#' with d, '0'
 * with c, s or p, ...) are never generated, and values are kept in the
 * range where the host's types (64-bit long and size_t) give the guest's
 * results.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { buildWithLibc, runUnderQemuWithStdin } from './libc-build.js';

/** The host's C compiler (Debian: gcc libc6-dev). */
const HOST_CC = 'gcc';
const CASES_SOURCE = fileURLToPath(new URL('./printf-cases.c', import.meta.url));

/** The argument kind of a case, as printf-cases.c reads it. */
type ArgType = 'i' | 'I' | 'l' | 'u' | 'U' | 'L' | 'z' | 'Z' | 'c' | 's' | 'p' | 'n';

interface Case {
  readonly type: ArgType;
  readonly size: number;
  readonly stars: readonly number[];
  readonly value: string;
  readonly format: string;
}

const INT32 = fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n });
const UINT32 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n });
const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const UINT64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
/** Interesting integers first: fast-check's bigInt already favours bounds; add small ones. */
const small = fc.bigInt({ min: -300n, max: 300n });
const signedOf = (range: fc.Arbitrary<bigint>): fc.Arbitrary<bigint> => fc.oneof(small, range);
const unsignedOf = (range: fc.Arbitrary<bigint>): fc.Arbitrary<bigint> => fc.oneof(small.map((v) => (v < 0n ? -v : v)), range);
/** Literal text around a conversion: no '%', no tab, no newline. */
const LITERAL = fc.string({ unit: fc.constantFrom(...'ab:[] xyz'.split('')), maxLength: 4 });
const STRING = fc.string({ unit: fc.constantFrom(...'abcdefghij KLMNOP-+.,0123456789'.split('')), minLength: 1, maxLength: 30 });

/** Flags drawn from `allowed`, each at most once, in random order. */
function flags(allowed: string): fc.Arbitrary<string> {
  return fc.subarray(allowed.split('')).chain((set) => fc.shuffledSubarray(set, { minLength: set.length, maxLength: set.length })).map((a) => a.join(''));
}

/** A width or precision: none, digits, or '*' (with its argument, possibly negative). */
const FIELD = fc.oneof(
  fc.constant({ text: '', star: undefined as number | undefined }),
  fc.integer({ min: 0, max: 40 }).map((n) => ({ text: String(n), star: undefined as number | undefined })),
  fc.integer({ min: -30, max: 40 }).map((n) => ({ text: '*', star: n as number | undefined })),
);
const PRECISION = fc.oneof(
  fc.constant({ text: '', star: undefined as number | undefined }),
  fc.constant({ text: '.', star: undefined as number | undefined }),
  fc.integer({ min: 0, max: 30 }).map((n) => ({ text: `.${n}`, star: undefined as number | undefined })),
  fc.integer({ min: -5, max: 30 }).map((n) => ({ text: '.*', star: n as number | undefined })),
);

/** An integer conversion with a length modifier and a value of the matching C type. */
const INTEGER = fc.oneof(
  fc.record({ conv: fc.constantFrom('d', 'i'), len: fc.constantFrom('', 'hh', 'h'), type: fc.constant<ArgType>('i'), value: signedOf(INT32) }),
  fc.record({ conv: fc.constantFrom('d', 'i'), len: fc.constant('l'), type: fc.constant<ArgType>('l'), value: signedOf(INT32) }),
  fc.record({ conv: fc.constantFrom('d', 'i'), len: fc.constantFrom('ll', 'j'), type: fc.constant<ArgType>('I'), value: signedOf(INT64) }),
  fc.record({ conv: fc.constantFrom('d', 'i'), len: fc.constant('z'), type: fc.constant<ArgType>('Z'), value: signedOf(INT32) }),
  fc.record({ conv: fc.constantFrom('u', 'o', 'x', 'X'), len: fc.constantFrom('', 'hh', 'h'), type: fc.constant<ArgType>('u'), value: unsignedOf(UINT32) }),
  fc.record({ conv: fc.constantFrom('u', 'o', 'x', 'X'), len: fc.constant('l'), type: fc.constant<ArgType>('L'), value: unsignedOf(UINT32) }),
  fc.record({ conv: fc.constantFrom('u', 'o', 'x', 'X'), len: fc.constantFrom('ll', 'j'), type: fc.constant<ArgType>('U'), value: unsignedOf(UINT64) }),
  fc.record({ conv: fc.constantFrom('u', 'o', 'x', 'X'), len: fc.constant('z'), type: fc.constant<ArgType>('z'), value: unsignedOf(UINT32) }),
);

/** One conversion spec with its arguments. */
const SPEC: fc.Arbitrary<{ spec: string; type: ArgType; value: string; stars: number[] }> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(INTEGER, FIELD, PRECISION, fc.boolean()).chain(([i, w, p]) =>
      flags(i.conv === 'd' || i.conv === 'i' ? '-+ 0' : '-0#').map((f) => ({
        spec: `%${f}${w.text}${p.text}${i.len}${i.conv}`,
        type: i.type,
        value: String(i.value),
        stars: [w.star, p.star].filter((s): s is number => s !== undefined),
      }))) },
  { weight: 1, arbitrary: fc.tuple(flags('-'), FIELD, fc.integer({ min: 32, max: 126 })).map(([f, w, c]) => ({
      spec: `%${f}${w.text}c`, type: 'c' as ArgType, value: String(c), stars: w.star === undefined ? [] : [w.star] })) },
  { weight: 2, arbitrary: fc.tuple(flags('-'), FIELD, PRECISION, STRING).map(([f, w, p, s]) => ({
      spec: `%${f}${w.text}${p.text}s`, type: 's' as ArgType, value: s,
      stars: [w.star, p.star].filter((x): x is number => x !== undefined) })) },
  { weight: 1, arbitrary: fc.tuple(flags('-'), FIELD, fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 32n - 1n }))).map(([f, w, v]) => ({
      spec: `%${f}${w.text}p`, type: 'p' as ArgType, value: String(v), stars: w.star === undefined ? [] : [w.star] })) },
  { weight: 1, arbitrary: fc.constant({ spec: '%%', type: 'n' as ArgType, value: '0', stars: [] as number[] }) },
);

const CASE: fc.Arbitrary<Case> = fc.tuple(LITERAL, SPEC, LITERAL, fc.oneof(fc.constant(200), fc.integer({ min: 0, max: 24 }))).map(([pre, s, post, size]) => ({
  type: s.type,
  size,
  stars: s.stars,
  value: s.value,
  format: `${pre}${s.spec}${post}`,
}));

/** The stdin line printf-cases.c reads for a case (a string value with spaces is fine; '-' would mean empty). */
function caseLine(c: Case): string {
  return [c.type, c.size, c.stars.length, c.stars[0] ?? 0, c.stars[1] ?? 0, c.value, c.format].join('\t');
}

describeWithTools([GCC, QEMU, HOST_CC], "the C library's snprintf against the host's", () => {
  let dir = '';
  let guest = '';
  let host = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-printf-'));
    guest = join(dir, 'cases-guest');
    host = join(dir, 'cases-host');
    await buildWithLibc([CASES_SOURCE], guest);
    execFileSync(HOST_CC, ['-O1', '-Wall', '-Werror', '-o', host, CASES_SOURCE]);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('formats every random case as the host does, with the same return value and truncation', async () => {
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(CASE, { minLength: 1, maxLength: 150 }), async (cases) => {
        const input = join(dir, `cases-${batch++}.txt`);
        writeFileSync(input, cases.map(caseLine).join('\n') + '\n');
        const wanted = spawnSync(host, [], { input: cases.map(caseLine).join('\n') + '\n', encoding: 'utf8' });
        const got = await runUnderQemuWithStdin(guest, [], dir, input);
        expect(got.status).toBe(0);
        const gotLines = got.stdout.split('\n');
        const wantedLines = wanted.stdout.split('\n');
        for (let i = 0; i < cases.length; i++) {
          expect(gotLines[i], `case ${JSON.stringify(cases[i])}`).toBe(wantedLines[i]);
        }
      }),
      {
        numRuns: 30,
        // Found by this property: '#' with the '0' flag and no precision zero-pads octal.
        examples: [[[{ type: 'L', size: 200, stars: [], value: '395393969', format: '%0#39lo' }]]],
      },
    );
  });

  it('the case runner reads what it is given (a fixed case, checked by hand)', async () => {
    const input = join(dir, 'fixed.txt');
    writeFileSync(input, ['i\t200\t1\t-6\t0\t42\t[%*d]', 'U\t5\t0\t0\t0\t18446744073709551615\t%llx', 'p\t200\t0\t0\t0\t0\t%p'].join('\n') + '\n');
    const got = await runUnderQemuWithStdin(guest, [], dir, input);
    expect(got.stdout).toBe('8|[42    ]|\n16|ffff|\n5|(nil)|\n');
  });
});
