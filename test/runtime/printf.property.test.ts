/**
 * The runtime's printf against a model of the C standard's rules for the
 * subset it implements (d i u x X o c s; flags '-' and '0'; a width; l and
 * ll; a precision for s): random batches of conversions are compiled into
 * one guest program, run with `faultline run`, and every output line must
 * equal what the model formats. Undefined combinations ('0' with c or s) are
 * never generated.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, RV32_FLAGS, describeWithTools } from '../helpers/toolchain.js';
import { INCLUDE_DIR, RUNTIME_SOURCE } from './guest-build.js';

type Conversion = 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c' | 's';

/** One printf conversion with its argument. */
interface Spec {
  readonly conv: Conversion;
  readonly left: boolean;
  readonly zero: boolean;
  readonly width: number | undefined;
  readonly precision: number | undefined; // %s only
  readonly length: '' | 'l' | 'll';
  /** Integer conversions: the value (in range for the length); c: a char code; s: unused. */
  readonly value: bigint;
  readonly text: string; // s only
}

const INT32 = fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n });
const UINT32 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n });
const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const UINT64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
/** Printable ASCII without the characters a C string literal would need escaped. */
const TEXT = fc.string({ unit: fc.constantFrom(...' abcxyzABC019%-_.:'.split('')), maxLength: 12 });

const specArb: fc.Arbitrary<Spec> = fc
  .record({
    conv: fc.constantFrom<Conversion>('d', 'i', 'u', 'x', 'X', 'o', 'c', 's'),
    left: fc.boolean(),
    zero: fc.boolean(),
    width: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
    precision: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
    length: fc.constantFrom<'' | 'l' | 'll'>('', 'l', 'll'),
    signed32: INT32,
    unsigned32: UINT32,
    signed64: INT64,
    unsigned64: UINT64,
    char: fc.integer({ min: 0x20, max: 0x7e }),
    text: TEXT,
  })
  .map((r): Spec => {
    const integer = r.conv !== 'c' && r.conv !== 's';
    const signed = r.conv === 'd' || r.conv === 'i';
    const length = integer ? r.length : '';
    const value = !integer
      ? BigInt(r.char)
      : length === 'll'
        ? (signed ? r.signed64 : r.unsigned64)
        : (signed ? r.signed32 : r.unsigned32);
    return {
      conv: r.conv,
      left: r.left,
      zero: integer && r.zero,
      width: r.width,
      precision: r.conv === 's' ? r.precision : undefined,
      length,
      value,
      text: r.text,
    };
  });

/** The conversion as written in the format string. */
function formatOf(s: Spec): string {
  return `%${s.left ? '-' : ''}${s.zero ? '0' : ''}${s.width ?? ''}${s.precision === undefined ? '' : `.${s.precision}`}${s.length}${s.conv}`;
}

/** The argument as a C expression of the type the conversion reads. */
function argumentOf(s: Spec): string {
  if (s.conv === 's') return `"${s.text}"`;
  if (s.conv === 'c') return `${s.value}`;
  const signed = s.conv === 'd' || s.conv === 'i';
  if (s.length === 'll') {
    if (signed) return s.value === -(2n ** 63n) ? '(-9223372036854775807LL - 1)' : `${s.value}LL`;
    return `${s.value}ULL`;
  }
  const type = signed ? (s.length === 'l' ? 'long' : 'int') : (s.length === 'l' ? 'unsigned long' : 'unsigned int');
  // (type)(long long) keeps INT32_MIN and large unsigned values exact.
  return `(${type})${s.value}LL`;
}

/** The model: what C's printf prints for `s` (7.21.6.1, for this subset). */
function model(s: Spec): string {
  let body: string;
  switch (s.conv) {
    case 'd':
    case 'i':
      body = s.value.toString(10);
      break;
    case 'u':
      body = s.value.toString(10);
      break;
    case 'x':
      body = s.value.toString(16);
      break;
    case 'X':
      body = s.value.toString(16).toUpperCase();
      break;
    case 'o':
      body = s.value.toString(8);
      break;
    case 'c':
      body = String.fromCharCode(Number(s.value));
      break;
    case 's':
      body = s.precision === undefined ? s.text : s.text.slice(0, s.precision);
      break;
  }
  const width = s.width ?? 0;
  if (body.length >= width) return body;
  if (s.left) return body + ' '.repeat(width - body.length);
  if (s.zero) {
    const sign = body.startsWith('-') ? '-' : '';
    return sign + '0'.repeat(width - body.length) + body.slice(sign.length);
  }
  return ' '.repeat(width - body.length) + body;
}

describeWithTools(GCC, 'printf of the guest runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-printf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let build = 0;

  it('prints every conversion as the C standard says (random batches, faultline run)', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 100, maxLength: 150 }), (specs) => {
        build++;
        const source = join(dir, `printf-${build}.c`);
        const elf = join(dir, `printf-${build}`);
        const calls = specs.map((s, k) => `    printf("${k}:[${formatOf(s)}]\\n", ${argumentOf(s)});`);
        writeFileSync(source, `#include "faultline-rt.h"\nint main(void)\n{\n${calls.join('\n')}\n    return 0;\n}\n`);
        const cc = spawnSync(GCC, [...RV32_FLAGS, '-O2', '-I', INCLUDE_DIR, '-o', elf, source, RUNTIME_SOURCE, '-lgcc'], { encoding: 'utf8' });
        if (cc.status !== 0) throw new Error(`gcc failed on ${source}:\n${cc.stderr}`);
        const run = faultline(['run', elf]);
        const want = specs.map((s, k) => `${k}:[${model(s)}]`);
        const got = run.stdout.split('\n').slice(0, -1);
        const wrong = want.flatMap((w, k) => (got[k] === w ? [] : [`printf("${formatOf(specs[k] as Spec)}", ${argumentOf(specs[k] as Spec)}): got ${got[k]}, want ${w}`]));
        expect({ status: run.status, lines: got.length, wrong: wrong.slice(0, 5) }).toEqual({ status: 0, lines: specs.length, wrong: [] });
      }),
      // Each batch costs a compile and a run, so no shrinking: the message
      // already names each wrong conversion on its own (a minimal case).
      { numRuns: 4, endOnFailure: true },
    );
  }, 300_000);
});
