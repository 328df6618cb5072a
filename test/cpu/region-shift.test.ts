/**
 * A fixed example found by the differential conformance suite (seed
 * 4072354994, sequence 171): a logical right shift of a negative number by
 * 0 gives back the negative number, and a signed branch on it must see it
 * negative in every tier. The region tier keeps registers in JavaScript
 * locals, where `>>>` leaves an unsigned number; it took the branch the
 * other way.
 */
import { describe, expect, it } from 'vitest';
import { Machine, assemble } from '../../src/index.js';
import { TIERS } from '../../src/cpu/cpu.js';

const PROGRAM = `
  .text
  .globl _start
_start:
  li   s0, 100          # rounds, so the loop is compiled (threshold 1 compiles at once anyway)
  li   s1, 0            # times the shifted value was seen negative
loop:
  li   t0, -8
  li   t2, 0
  srl  t1, t0, t2       # register shift by 0
  srli t3, t0, 0        # immediate shift by 0
  bge  t1, x0, 1f
  addi s1, s1, 1
1:
  bge  t3, x0, 2f
  addi s1, s1, 1
2:
  addi s0, s0, -1
  bnez s0, loop
  mv   a0, s1
  li   a7, 93
  ecall
`;

describe('logical right shift by 0 of a negative number', () => {
  for (const tier of TIERS) {
    it(`stays negative for a signed branch in the ${tier} tier`, () => {
      const machine = new Machine({ tier, jitThreshold: 1 });
      machine.load(assemble(PROGRAM, { fileName: 'region-shift.s' }));
      const result = machine.run();
      expect(result).toMatchObject({ kind: 'exit', exitCode: 200 });
    });
  }
});
