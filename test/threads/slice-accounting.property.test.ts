import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

/*
 * A thread that runs alone goes through its slice ends without stopping
 * (src/threads/scheduler.ts, runsAlone/consumeSlice). The slice must then
 * stand where stopping at every end and renewing the slice would have
 * left it, so that the next switch falls on the same instruction.
 */

/** The reference: retire one instruction at a time, renewing the slice whenever it is used up. */
function stepwise(sliceLeft: number, timeSlice: number, ran: number): number {
  let left = sliceLeft;
  for (let k = 0; k < ran; k++) {
    if (left === 0) left = timeSlice;
    left--;
  }
  return left;
}

describe('slice accounting when a thread runs through its slice ends', () => {
  it('leaves the slice where stopping at every slice end would have', () => {
    const s = new Machine().scheduler;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat(), fc.integer({ min: 0, max: 600 }), (timeSlice, start, ran) => {
        s.timeSlice = timeSlice;
        const sliceLeft = 1 + (start % timeSlice);
        s.sliceLeft = sliceLeft;
        s.consumeSlice(ran);
        expect(s.sliceLeft).toBe(stepwise(sliceLeft, timeSlice, ran));
      }),
      { numRuns: 2000 },
    );
  });
});
