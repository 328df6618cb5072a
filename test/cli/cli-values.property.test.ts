/**
 * Values the command line decodes from users and from images, held to a
 * plain model: sizes with suffixes, and the `faultline-cli` plugin state
 * (round trip, and nothing but a FormatError for any other bytes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { cliContributor, decodeCliState, type CliState } from '../../cli/cli-state.js';
import { CommandLineError, parseSize } from '../../cli/usage-error.js';

/** The model: the number times the suffix's power of 1024, when it is an exact JavaScript integer. */
function modelSize(n: bigint, suffix: string): number | null {
  const power = { '': 0n, k: 10n, m: 20n, g: 30n }[suffix.charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g'];
  const value = n << power;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}

describe('parseSize', () => {
  it('is the number times 1024^k for the suffixes K, M, G (any case, optional iB/B), in decimal or hex', () => {
    const suffix = fc.constantFrom('', 'K', 'k', 'M', 'm', 'G', 'g', 'KiB', 'MiB', 'GiB', 'KB', 'mb', 'gib');
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 60n }), suffix, fc.boolean(), (n, s, hex) => {
      const text = `${hex ? `0x${n.toString(16)}` : n.toString()}${s}`;
      const expected = modelSize(n, s);
      if (expected === null) expect(() => parseSize('memory-quota', text)).toThrow(CommandLineError);
      else expect(parseSize('memory-quota', text)).toBe(expected);
    }));
  });

  it('refuses anything else with a CommandLineError naming the option', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      fc.pre(!/^(0x[0-9a-f]+|[0-9]+)([kmg](i?b)?)?$/i.test(text));
      expect(() => parseSize('memory-quota', text)).toThrow(/^--memory-quota: expected a size in bytes/);
    }));
  });
});

const count = fc.nat({ max: 2 ** 40 });
const range = fc.record({ at: fc.nat({ max: 2 ** 19 }), size: fc.integer({ min: 1, max: 2 ** 12 }) })
  .map(({ at, size }) => ({ at: at * 4096, size: Math.min(size, 2 ** 20 - at) * 4096 }))
  .filter((r) => r.size > 0);
/** A cause or handler name as --stats prints it (no control characters). */
const name = fc.string({ maxLength: 20 }).map((n) => n.replace(/[\x00-\x1f\x7f]/g, '?'));
const state: fc.Arbitrary<CliState> = fc.record({
  stdoutBytes: count,
  stderrBytes: count,
  every: count,
  fullEvery: fc.integer({ min: 1, max: 1000 }),
  faults: count,
  config: fc.record({ demandPaging: fc.array(range, { maxLength: 4 }), dirtyLog: fc.boolean(), stats: fc.boolean(), traceFaults: fc.boolean() }),
  stats: fc.option(fc.record({
    byCause: fc.array(fc.tuple(name, count), { maxLength: 4 }),
    byHandler: fc.array(fc.tuple(name, count), { maxLength: 4 }),
    unresolved: count,
  })),
  dirty: fc.option(fc.record({ pages: fc.array(fc.nat({ max: 2 ** 20 - 1 }), { maxLength: 20 }), faults: count })),
});

describe('the faultline-cli plugin state', () => {
  it('decodes to what was saved', () => {
    fc.assert(fc.property(state, (s) => {
      const bytes = cliContributor(s, () => {}).saveState();
      expect(decodeCliState(bytes, 'x.ckpt')).toEqual(s);
    }));
  });

  it('any other bytes or JSON give a state or a FormatError naming the image, nothing else', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
      state.chain((s) => fc.tuple(fc.constant(s), fc.string({ maxLength: 8 }), fc.jsonValue())).map(([s, key, v]) => {
        const json = JSON.parse(new TextDecoder().decode(cliContributor(s, () => {}).saveState())) as Record<string, unknown>;
        const keys = Object.keys(json);
        json[keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : key] = v;
        return new TextEncoder().encode(JSON.stringify(json));
      }),
    );
    fc.assert(fc.property(anyBytes, (bytes) => {
      try {
        const s = decodeCliState(bytes, 'x.ckpt');
        for (const k of ['stdoutBytes', 'stderrBytes', 'every', 'fullEvery', 'faults'] as const) expect(Number.isSafeInteger(s[k]) && s[k] >= 0).toBe(true);
        for (const r of s.config.demandPaging) expect(r.at % 4096 === 0 && r.size > 0 && r.at + r.size <= 2 ** 32).toBe(true);
        for (const [n] of [...(s.stats?.byCause ?? []), ...(s.stats?.byHandler ?? [])]) expect(n).not.toMatch(/[\x00-\x1f\x7f]/);
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError);
        expect((err as Error).message).toMatch(/^x\.ckpt: plugin state 'faultline-cli': /);
      }
    }), { numRuns: 2000 });
  });
});
