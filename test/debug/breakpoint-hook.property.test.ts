/**
 * The CPU's breakpoint hook (`cpu.breakpoints`, src/cpu/cpu.ts): on random
 * threaded programs, with compiled blocks already hot, a run stops at the
 * first instruction whose address is a breakpoint — the same instruction
 * count single-stepping finds — without executing it, and resuming from
 * there goes on to the next hit; the final state equals a run without
 * breakpoints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/index.js';
import { assembleThreaded, threadedMachine, threadedProgram } from '../threads/random-threads.js';

const OPTIONS = { timeSlice: 5, jit: true };

describe('cpu.breakpoints', () => {
  it('stops exactly where single-stepping first reaches the address, then goes on', () => {
    expect(StopReason.Breakpoint).toBe(3);
    fc.assert(
      fc.property(threadedProgram, fc.nat(), fc.integer({ min: 0, max: 400 }), (threads, pick, warm) => {
        const program = assembleThreaded(threads);
        const text = program.segments.find((s) => (s.flags & 4) !== 0)!;
        // Reference: every instruction count at which the next instruction is at `bp`.
        const ref = threadedMachine(program, OPTIONS, [], []);
        const trail: number[] = [];
        for (;;) {
          trail.push(ref.cpu.pc >>> 0);
          const before = ref.cpu.instret;
          const r = ref.run({ maxInstructions: 1 });
          if (r.kind !== 'limit' || ref.cpu.instret === before) break;
        }
        const bp = trail[pick % trail.length]!;
        expect(bp >= text.vaddr && bp < text.vaddr + text.data.length).toBe(true);
        const hits = trail.map((pc, k) => (pc === bp ? k : -1)).filter((k) => k >= Math.min(warm, trail.length - 1));
        // Under test: warm the blocks up without breakpoints, then set one.
        const m = threadedMachine(program, OPTIONS, [], []);
        m.run({ maxInstructions: Math.min(warm, trail.length - 1) });
        m.cpu.breakpoints = new Set([bp]);
        m.cpu.breakpointResume = -1;
        const seen: number[] = [];
        for (let guard = 0; guard < 10_000; guard++) {
          const r = m.run({ maxInstructions: 1_000_000 });
          if (r.kind !== 'limit') break;
          expect(m.cpu.pc >>> 0).toBe(bp);
          seen.push(m.cpu.instret);
          m.cpu.breakpointResume = m.cpu.instret;
        }
        expect(seen).toEqual(hits);
        expect(m.cpu.instret).toBe(ref.cpu.instret);
        expect(Array.from(m.cpu.regs)).toEqual(Array.from(ref.cpu.regs));
      }),
      { numRuns: process.env['CI'] ? 60 : 20 },
    );
  });
});
