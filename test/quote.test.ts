/**
 * quote(): names from untrusted input shown in messages stay one line of
 * printable text, and the original can be read back from it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeValue, quote } from '../src/quote.js';

/** Undoes quote() for strings of at most 120 characters. */
function unquote(q: string): string {
  return JSON.parse(q.replace(/\\x([0-9a-f]{2})/g, '\\u00$1')) as string;
}

describe('quote', () => {
  it('escapes newlines, terminal escapes, DEL, C1 controls and bidirectional overrides', () => {
    expect(quote('a\nb\x1b[31m\x7f\x9b\u202e"\\')).toBe('"a\\nb\\x1b[31m\\x7f\\x9b\\u202e\\"\\\\"');
  });

  it('keeps printable text, including non-Latin letters and astral characters', () => {
    expect(quote('heap é 日本 😀')).toBe('"heap é 日本 😀"');
  });

  it('gives one line of printable text for any string, from which a short string is recovered exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => {
        const q = quote(s);
        expect(q).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        expect(unquote(q)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts long names', () => {
    expect(quote('x'.repeat(5000))).toBe(`"${'x'.repeat(120)}…"`);
  });

  it('describes wrong values without calling into them', () => {
    const hostile = { toString: () => { throw new Error('no'); } };
    expect([null, undefined, 'a', 42, true, [], hostile, new Uint8Array(1), new ArrayBuffer(1)].map(describeValue)).toEqual([
      'null', 'undefined', 'a string', 'the number 42', 'true', 'an array', 'an object', 'a Uint8Array', 'an ArrayBuffer',
    ]);
  });
});
