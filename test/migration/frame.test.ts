/**
 * Frames (handlers/migration/frame.ts) survive any cutting of the byte
 * stream, and any damaged byte is refused naming the stream offset; the
 * pre-copy policy stops exactly where its rules say.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType, encodeFrame, type FrameTypeValue } from '../../handlers/migration/frame.js';
import { PreCopyPolicy } from '../../handlers/migration/policy.js';
import type { MigrationRound } from '../../handlers/migration/source.js';

const types = Object.values(FrameType) as FrameTypeValue[];
const frameArb = fc.record({ type: fc.constantFrom(...types), payload: fc.uint8Array({ maxLength: 300 }) });

/** The frames' bytes as one stream. */
function stream(frames: { type: FrameTypeValue; payload: Uint8Array }[]): Uint8Array {
  const parts = frames.flatMap((f) => encodeFrame(f.type, f.payload));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

describe('migration frames', () => {
  it('decode to the frames sent, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat(400), { maxLength: 10 }), (frames, cuts) => {
        const bytes = stream(frames);
        const d = new FrameDecoder('peer');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const p of [...points, bytes.length]) { d.push(bytes.subarray(from, p)); from = p; }
        const got = [];
        for (let f = d.next(); f !== undefined; f = d.next()) got.push({ type: f.type, payload: Array.from(f.payload) });
        expect(got).toEqual(frames.map((f) => ({ type: f.type, payload: Array.from(f.payload) })));
        expect(d.partial).toBe(false);
      }),
    );
  });

  it('refuse any flipped bit, naming the peer and the frame\'s stream offset', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (frames, at, bit) => {
        const bytes = stream(frames);
        const k = at % bytes.length;
        bytes[k]! ^= 1 << bit;
        const d = new FrameDecoder('10.0.0.2:7000');
        let error: unknown = null;
        try {
          d.push(bytes);
        } catch (err) {
          error = err;
        }
        // The header has its own CRC: even a damaged length is caught at once.
        expect(error).not.toBeNull();
        expect((error as Error).message).toMatch(/^migration: peer 10\.0\.0\.2:7000: stream offset \d+: .*fails its CRC .*\(corrupted on the way\)$/);
      }),
    );
  });
});

describe('the pre-copy policy', () => {
  const round = (pages: number): MigrationRound => ({ round: 0, pages, bytes: pages * 4096, instructions: 0 });
  it('stops on convergence, on a dirty set that stops shrinking, and at each bound', () => {
    const p = new PreCopyPolicy({ maxRounds: 5, maxBytes: 1e9, maxMs: 1000, targetPages: 10 }, 0);
    expect(p.stop([round(1000)], 0, 0)).toBeNull();
    expect(p.stop([round(1000), round(500)], 0, 0)).toBeNull();
    expect(p.stop([round(1000), round(10)], 0, 0)).toMatch(/^converged/);
    expect(p.stop([round(1000), round(500), round(500)], 0, 0)).toMatch(/stopped shrinking \(500 then 500 pages\)/);
    expect(p.stop([1000, 900, 800, 700, 600].map(round), 0, 0)).toMatch(/^5 rounds/);
    expect(p.stop([round(1000)], 1e9, 0)).toMatch(/bytes sent/);
    expect(p.stop([round(1000)], 0, 1000)).toMatch(/ms \(the bound is 1000\)/);
    expect(() => new PreCopyPolicy({ maxRounds: -1 }, 0)).toThrow('migrateOut: maxRounds must be a non-negative number, got -1');
  });
});
