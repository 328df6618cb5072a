/**
 * Deterministic scheduling: a random multi-threaded program run twice with
 * the same options gives the same trace — output, faults with their
 * threads, final memory, instruction count and switches — interpreted or
 * compiled; and the interpreted and compiled runs agree with each other.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { assembleThreaded, finishTrace, threadedMachine, threadedProgram, traceThreaded } from './random-threads.js';

describe('deterministic scheduling of random threaded programs', () => {
  it('the same program and time slice give the same trace, run after run and in either execution mode', () => {
    fc.assert(
      fc.property(threadedProgram, fc.integer({ min: 1, max: 60 }), (threads, timeSlice) => {
        const program = assembleThreaded(threads);
        const interpreted = traceThreaded(program, { timeSlice, jit: false });
        expect(interpreted.result).toMatch(/^exit /);
        expect(traceThreaded(program, { timeSlice, jit: false })).toEqual(interpreted);
        expect(traceThreaded(program, { timeSlice, jit: true })).toEqual(interpreted);
      }),
      { numRuns: process.env['CI'] ? 150 : 60 },
    );
  });

  it('a checkpoint at a random instruction, restored eagerly or lazily, continues with the same interleaving', () => {
    fc.assert(
      fc.property(threadedProgram, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4000 }), fc.boolean(), (threads, timeSlice, at, lazy) => {
        const program = assembleThreaded(threads);
        const options = { timeSlice, jit: false };
        const whole = traceThreaded(program, options);
        const faults: Array<[number, number]> = [];
        const output: number[] = [];
        const a = threadedMachine(program, options, faults, output);
        const cp = checkpoint();
        a.use(cp);
        if (a.run({ maxInstructions: at }).kind !== 'limit') return; // ended before the checkpoint
        const image = cp.checkpoint();
        const b = threadedMachine(null, options, faults, output);
        const restored = restoreCheckpoint(b, [{ name: 'threads.ckpt', bytes: image }], { lazy });
        expect(b.threads.map((t) => t.tid)).toEqual(a.threads.map((t) => t.tid));
        const result = b.run({ maxInstructions: 10_000_000 });
        restored.lazy?.complete();
        expect(finishTrace(b, program, result.kind === 'exit' ? `exit ${result.exitCode}` : result.kind, faults, output)).toEqual(whole);
      }),
      { numRuns: process.env['CI'] ? 150 : 50 },
    );
  });
});
