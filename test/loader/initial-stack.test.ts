/**
 * buildInitialStack: the Linux RV32 initial stack, word by word.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { AT, AT_ENTRY, AT_EXECFN, AT_NULL, AT_PAGESZ, AT_RANDOM, buildInitialStack } from '../../src/loader/initial-stack.js';
import type { InitialStack } from '../../src/loader/initial-stack.js';

const TOP = 0xc0000000;
const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

/** Reads the 32-bit word at guest address `address` of a built stack. */
function word(stack: InitialStack, address: number): number {
  return new DataView(stack.bytes.buffer).getUint32(address - stack.base, true);
}

/** The NUL-terminated UTF-8 string at guest address `address`. */
function cString(stack: InitialStack, address: number): string {
  const start = address - stack.base;
  const end = stack.bytes.indexOf(0, start);
  expect(end).toBeGreaterThanOrEqual(start);
  return new TextDecoder().decode(stack.bytes.subarray(start, end));
}

describe('buildInitialStack', () => {
  it('lays out argc, argv, envp, auxv, AT_RANDOM and the strings as Linux does', () => {
    const stack = buildInitialStack({
      stackTop: TOP,
      argv: ['prog', '-v'],
      envp: ['HOME=/', 'A=b'],
      auxv: [
        [AT.PAGESZ, 4096],
        [AT.ENTRY, 0x10000],
      ],
      random16: RANDOM,
    });
    // Strings end 4 bytes below the top: "prog\0-v\0HOME=/\0A=b\0" is 19 bytes.
    // The random bytes sit at the 16-byte boundary below them, and sp is the
    // 16-byte boundary below the 15 words of tables.
    expect(stack.sp).toBe(0xbfffff90);
    expect(stack.base).toBe(stack.sp);
    expect(stack.bytes.length).toBe(TOP - stack.sp);
    const words = Array.from({ length: 15 }, (_, i) => word(stack, stack.sp + 4 * i));
    expect(words).toEqual([
      2, // argc
      0xbfffffe9, // argv[0] -> "prog"
      0xbfffffee, // argv[1] -> "-v"
      0, // end of argv
      0xbffffff1, // envp[0] -> "HOME=/"
      0xbffffff8, // envp[1] -> "A=b"
      0, // end of envp
      AT_PAGESZ, 4096,
      AT_ENTRY, 0x10000,
      AT_RANDOM, 0xbfffffd0,
      AT_NULL, 0,
    ]);
    expect(cString(stack, 0xbfffffe9)).toBe('prog');
    expect(cString(stack, 0xbfffffee)).toBe('-v');
    expect(cString(stack, 0xbffffff1)).toBe('HOME=/');
    expect(cString(stack, 0xbffffff8)).toBe('A=b');
    expect(stack.bytes.subarray(0xbfffffd0 - stack.base, 0xbfffffe0 - stack.base)).toEqual(RANDOM);
    // Padding between the tables and AT_RANDOM, and the top word, are zero.
    expect(stack.bytes.subarray(15 * 4, 0xbfffffd0 - stack.base).every((b) => b === 0)).toBe(true);
    expect(word(stack, TOP - 4)).toBe(0);
  });

  it('puts execfn at the very top and points AT_EXECFN at it', () => {
    const stack = buildInitialStack({
      stackTop: TOP,
      argv: ['a'],
      envp: [],
      auxv: [],
      random16: RANDOM,
      execfn: '/bin/a',
    });
    // argc, argv[0], NULL, NULL, then AT_RANDOM, AT_EXECFN, AT_NULL pairs.
    expect(word(stack, stack.sp)).toBe(1);
    expect(word(stack, stack.sp + 16)).toBe(AT_RANDOM);
    expect(word(stack, stack.sp + 24)).toBe(AT_EXECFN);
    const execfn = word(stack, stack.sp + 28);
    expect(execfn).toBe(TOP - 4 - 7);
    expect(cString(stack, execfn)).toBe('/bin/a');
    expect(cString(stack, word(stack, stack.sp + 4))).toBe('a');
    expect(word(stack, stack.sp + 32)).toBe(AT_NULL);
  });

  it('keeps sp 16-byte aligned and every string reachable for any arguments', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 6 }),
        fc.array(text, { maxLength: 6 }),
        fc.array(fc.tuple(fc.constantFrom(3, 4, 5, 6, 9, 11, 12, 13, 14, 16), fc.nat({ max: 0xffffffff })), {
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 0xfffff }).map((n) => n * 4096),
        (argv, envp, auxv, stackTop) => {
          const stack = buildInitialStack({ stackTop, argv, envp, auxv, random16: RANDOM });
          expect(stack.sp % 16).toBe(0);
          expect(stack.base + stack.bytes.length).toBe(stackTop);
          let at = stack.sp;
          const next = (): number => {
            const w = word(stack, at);
            at += 4;
            return w;
          };
          expect(next()).toBe(argv.length);
          for (const s of argv) expect(cString(stack, next())).toBe(s);
          expect(next()).toBe(0);
          for (const s of envp) expect(cString(stack, next())).toBe(s);
          expect(next()).toBe(0);
          for (const [type, value] of auxv) expect([next(), next()]).toEqual([type, value]);
          expect(next()).toBe(AT_RANDOM);
          const random = next();
          expect(random % 16).toBe(0);
          expect(random).toBeGreaterThanOrEqual(at + 8);
          expect(stack.bytes.subarray(random - stack.base, random - stack.base + 16)).toEqual(RANDOM);
          expect([next(), next()]).toEqual([AT_NULL, 0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses bad input with a UsageError naming it', () => {
    const ok = { stackTop: TOP, argv: ['a'], envp: [], auxv: [], random16: RANDOM };
    const cases: [object, RegExp][] = [
      [{ stackTop: TOP + 4 }, /stackTop 3221225476 is not a 16-byte aligned address/],
      [{ stackTop: 0 }, /stackTop 0 is not/],
      [{ random16: new Uint8Array(8) }, /random16 has 8 bytes, not 16/],
      [{ argv: ['a\0b'] }, /argv\[0\] "a\\x00b" contains NUL/],
      [{ envp: ['X=1', 'Y\0'] }, /envp\[1\]/],
      [{ auxv: [[AT_RANDOM, 1]] }, /auxv\[0\] type 25 is added by the builder itself/],
      [{ auxv: [[AT_NULL, 0]] }, /auxv\[0\] type 0 is added by the builder/],
      [{ auxv: [[AT_PAGESZ, -1]] }, /auxv\[0\] \[6, -1\] is not a pair of 32-bit values/],
      [{ stackTop: 64, argv: ['a'.repeat(100)] }, /do not fit below stackTop 64/],
    ];
    for (const [change, pattern] of cases) {
      const spec = { ...ok, ...change } as Parameters<typeof buildInitialStack>[0];
      expect(() => buildInitialStack(spec)).toThrow(UsageError);
      expect(() => buildInitialStack(spec)).toThrow(pattern);
    }
  });
});
