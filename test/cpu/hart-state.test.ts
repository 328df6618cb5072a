import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HartState } from '../../src/cpu/hart-state.js';
import { Machine } from '../../src/machine/machine.js';

const hartArb = fc.record({
  regs: fc.array(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), { minLength: 32, maxLength: 32 }),
  pc: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  instret: fc.nat(),
  reservationValid: fc.boolean(),
  reservationAddress: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  reservationValue: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
});

describe('HartState', () => {
  it('save then load gives back every architectural field of the hart, and x0 stays 0', () => {
    fc.assert(fc.property(hartArb, hartArb, (a, b) => {
      const cpu = new Machine().cpu;
      const state = new HartState();
      state.copyFrom(a);
      state.load(cpu);
      const saved = new HartState();
      saved.save(cpu);
      expect(cpu.x[0]).toBe(0);
      expect(Array.from(saved.regs.subarray(1))).toEqual(a.regs.slice(1));
      expect([saved.pc, saved.instret, saved.reservationValid, saved.reservationAddress, saved.reservationValue])
        .toEqual([a.pc, a.instret, a.reservationValid, a.reservationAddress, a.reservationValue]);
      // Scribble another state over the hart; loading the saved record restores it exactly.
      const other = new HartState();
      other.copyFrom(b);
      other.load(cpu);
      saved.load(cpu);
      const again = new HartState();
      again.save(cpu);
      expect(again.equals(saved)).toBe(true);
    }));
  });

  it('has the shape of a checkpoint image CPU section, so a record can be compared with one', () => {
    const cpu = new Machine().cpu;
    cpu.x[5] = 7; cpu.pc = 0x1000; cpu.instret = 3;
    const s = new HartState();
    s.save(cpu);
    expect(s.equals({ regs: s.regs.slice(), pc: 0x1000, instret: 3, reservationValid: false, reservationAddress: 0, reservationValue: 0 })).toBe(true);
    expect(s.equals({ regs: new Int32Array(32), pc: 0x1000, instret: 3, reservationValid: false, reservationAddress: 0, reservationValue: 0 })).toBe(false);
  });
});
