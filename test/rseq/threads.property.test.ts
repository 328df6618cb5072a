/**
 * Many threads on several virtual CPUs with random time slices: every
 * abort the machine reports lands as the model says (from a pc inside
 * [start_ip, post_commit), to abort_ip, that thread's rseq_cs already
 * cleared), the per-CPU counters plus the fallback add up exactly, each
 * thread's cpu_id is the CPU it was placed on, and the same program and
 * options abort at the same places again.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/index.js';
import { FILLERS, counterProgram, symbol, type CounterShape } from './programs.js';

interface Abort { tid: number; from: number; to: number; cleared: boolean }

function runOnce(shape: CounterShape, cpus: number, timeSlice: number): { aborts: Abort[]; counters: number[]; fallback: number; m: Machine } {
  const program = counterProgram(shape);
  const start = symbol(program, 'start'), post = symbol(program, 'post'), area = symbol(program, 'rseq_areas');
  const m = new Machine({ cpus, timeSlice, memoryQuota: 32 << 20 });
  m.load(program);
  const aborts: Abort[] = [];
  m.events.on('rseqAbort', (tid, from, to) => {
    const at = area + 32 * (tid - 1); // thread k (tid k + 1) registers rseq_areas + 32 k
    aborts.push({ tid, from, to, cleared: m.addressSpace.readU32(at + 8) === 0 && m.addressSpace.readU32(at + 12) === 0 });
    if (from < start || from >= post) throw new Error(`abort from ${from.toString(16)}, outside the section`);
  });
  expect(m.run({ maxInstructions: 50_000_000 })).toEqual({ kind: 'exit', exitCode: 0 });
  const at = symbol(program, 'counters');
  const counters = Array.from({ length: shape.slots }, (_, c) => m.addressSpace.readU32(at + 4 * c));
  for (let k = 0; k < shape.threads; k++) expect(m.addressSpace.readU32(area + 32 * k + 4)).toBe(k % cpus);
  return { aborts, counters, fallback: m.addressSpace.readU32(symbol(program, 'fallback')), m };
}

describe('rseq with many threads (reference model)', () => {
  it('random threads, CPUs and slices: aborts land on abort_ip with rseq_cs cleared, totals exact, per CPU exact when every commit used rseq, deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 5, max: 60 }),
        fc.array(fc.integer({ min: 0, max: FILLERS.length - 1 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        (threads, cpus, timeSlice, iterations, before, amount) => {
          const shape: CounterShape = { threads, iterations, amount, before, after: [], fallbackAfter: 8, slots: 4 };
          const a = runOnce(shape, cpus, timeSlice);
          const abortIp = symbol(counterProgram(shape), 'abort');
          for (const e of a.aborts) expect(e).toEqual({ tid: e.tid, from: e.from, to: abortIp, cleared: true });
          const total = a.counters.reduce((x, y) => x + y, 0) + a.fallback;
          expect(total).toBe(threads * iterations * amount);
          if (a.fallback === 0) {
            // Thread k runs on CPU k mod cpus the whole time: its commits all go there.
            const expected = [0, 1, 2, 3].map((c) => c < cpus ? Array.from({ length: threads }, (_, k) => k).filter((k) => k % cpus === c).length * iterations * amount : 0);
            expect(a.counters).toEqual(expected);
          }
          const b = runOnce(shape, cpus, timeSlice);
          expect(b.aborts).toEqual(a.aborts);
          expect(b.m.cpu.instret).toBe(a.m.cpu.instret);
        },
      ),
      { numRuns: process.env['CI'] ? 300 : 60 },
    );
  });
});
