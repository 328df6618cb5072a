import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HartState } from '../../src/cpu/hart-state.js';
import type { FaultHandler } from '../../src/fault/fault-chain.js';
import { FaultStatus } from '../../src/fault/status.js';
import { iType, machineFromWords, TEXT_BASE } from '../helpers/guest-program.js';

/*
 * Context changes apply only on Fixed: random chains of handlers that
 * scribble on registers and pc and answer random statuses, against a
 * model where every handler sees the thread as it was at the fault and
 * only the Fixed handler's writes survive.
 */

interface Write { readonly reg: number; readonly value: number }
interface Step { readonly writes: readonly Write[]; readonly newPc: number | null; readonly answer: number }

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const step: fc.Arbitrary<Step> = fc.record({
  writes: fc.array(fc.record({ reg: fc.integer({ min: 0, max: 31 }), value: int32 }), { maxLength: 4 }),
  newPc: fc.option(fc.constantFrom(TEXT_BASE + 4, TEXT_BASE + 8), { nil: null }),
  answer: fc.constantFrom(FaultStatus.Continue, FaultStatus.Continue, FaultStatus.Fixed, FaultStatus.Fail),
  // A Fixed that left pc alone would retry the load, fault again, and livelock: Fixed always moves on.
}).map((s) => (s.answer === FaultStatus.Fixed && s.newPc === null ? { ...s, newPc: TEXT_BASE + 4 } : s));

/** The model: what each handler sees, and the thread after the dispatch. */
function model(at: HartState, steps: readonly Step[]): { seen: number; regs: number[]; pc: number; outcome: string } {
  const regs = Array.from(at.regs);
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    if (s.answer === FaultStatus.Continue) continue;
    if (s.answer === FaultStatus.Fail) return { seen: k + 1, regs, pc: at.pc, outcome: 'fail' };
    for (const w of s.writes) if (w.reg !== 0) regs[w.reg] = w.value;
    return { seen: k + 1, regs, pc: s.newPc ?? at.pc, outcome: 'fixed' };
  }
  return { seen: steps.length, regs, pc: at.pc, outcome: 'unresolved' };
}

describe('a handler\'s context changes apply only when it answers Fixed', () => {
  it('every handler sees the context of the fault; after Continue/Fail/unresolved the thread is as it was, after Fixed it has that handler\'s changes', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.array(int32, { minLength: 32, maxLength: 32 }), (steps, initial) => {
        // lw t0, 0(zero) faults (page 0 unmapped); two nops after it.
        const machine = machineFromWords([iType(0x03, 2, 5, 0, 0), 0x13, 0x13]);
        for (let k = 1; k < 32; k++) machine.cpu.x[k] = initial[k]!;
        const atFault = new HartState();
        atFault.save(machine.cpu);
        const seenOk: boolean[] = [];
        const now = new HartState();
        // Register in reverse so that steps[0] is at the head.
        for (let k = steps.length - 1; k >= 0; k--) {
          const s = steps[k]!;
          const handler: FaultHandler = (_fault, ctx) => {
            now.save(machine.cpu);
            seenOk.push(now.equals(atFault));
            for (const w of s.writes) ctx.regs[w.reg] = w.value;
            if (s.newPc !== null) ctx.pc = s.newPc;
            return s.answer as FaultStatus;
          };
          machine.registerFaultHandler(handler, { name: `h${k}` });
        }
        let after: HartState | null = null;
        const keep = () => { after = new HartState(); after.save(machine.cpu); };
        machine.events.on('fixed', keep);
        machine.events.on('unresolved', keep);
        const result = machine.run({ maxInstructions: 1 });
        const expected = model(atFault, steps);
        expect(seenOk).toEqual(new Array(expected.seen).fill(true));
        expect(after).not.toBeNull();
        const got = after! as HartState;
        expect(Array.from(got.regs)).toEqual(expected.regs);
        expect(got.pc).toBe(expected.pc);
        expect(got.instret).toBe(atFault.instret);
        if (expected.outcome === 'fixed') expect(result.kind).not.toBe('fault');
        else {
          expect(result.kind).toBe('fault');
          if (result.kind === 'fault') expect(result.fault.pc).toBe(TEXT_BASE);
          // The thread stays at the faulting instruction with its registers intact.
          expect(Array.from(machine.cpu.x.subarray(0, 32))).toEqual(Array.from(atFault.regs));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a handler that changes the context and throws leaves the thread as it was at the fault', () => {
    const machine = machineFromWords([iType(0x03, 2, 5, 0, 0)]);
    machine.cpu.x[10] = 77;
    machine.registerFaultHandler((_f, ctx) => { ctx.regs[10] = 1; ctx.pc = 0; throw new Error('boom'); }, { name: 'thrower' });
    expect(() => machine.run()).toThrow(/fault handler 'thrower' threw: boom/);
    expect([machine.cpu.x[10], machine.cpu.pc]).toEqual([77, TEXT_BASE]);
  });

  it('a write to x0 by a handler that passes is undone: x0 reads 0 again (found by the property, seed -614985629)', () => {
    const machine = machineFromWords([iType(0x03, 2, 5, 0, 0)]);
    machine.registerFaultHandler((_f, ctx) => { ctx.regs[0] = 1; return FaultStatus.Continue; }, { name: 'scribbler' });
    const result = machine.run();
    expect(result.kind).toBe('fault');
    expect(machine.cpu.x[0]).toBe(0);
  });
});
