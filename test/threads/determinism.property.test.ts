/**
 * Deterministic scheduling: a random multi-threaded program run twice with
 * the same options gives the same trace — output, faults with their
 * threads, final memory, instruction count and switches — interpreted or
 * compiled; and the interpreted and compiled runs agree with each other.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleThreaded, threadedProgram, traceThreaded } from './random-threads.js';

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
});
