import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultStatus } from '../../src/fault/status.js';
import type { FaultHandler } from '../../src/fault/fault-chain.js';
import { iType, machineFromWords } from '../helpers/guest-program.js';

/*
 * Model test of the handler chain: random
 * register (head/tail) / unregister / fault operations, with handlers that
 * answer random statuses and register or unregister others from inside a
 * dispatch, against a plain list model.
 */

const HANDLERS = 5;
type SideEffect = { kind: 'none' } | { kind: 'register'; id: number; tail: boolean } | { kind: 'unregister'; id: number };
type Op =
  | { kind: 'register'; id: number; tail: boolean }
  | { kind: 'unregister'; id: number }
  | { kind: 'fault'; answers: number[]; effects: SideEffect[] };

const id = fc.integer({ min: 0, max: HANDLERS - 1 });
const sideEffect: fc.Arbitrary<SideEffect> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constant('register' as const), id, tail: fc.boolean() }),
  fc.record({ kind: fc.constant('unregister' as const), id }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('register' as const), id, tail: fc.boolean() }),
  fc.record({ kind: fc.constant('unregister' as const), id }),
  fc.record({
    kind: fc.constant('fault' as const),
    answers: fc.array(fc.constantFrom(FaultStatus.Continue, FaultStatus.Continue, FaultStatus.Fixed, FaultStatus.Fail), { minLength: HANDLERS, maxLength: HANDLERS }),
    effects: fc.array(sideEffect, { minLength: HANDLERS, maxLength: HANDLERS }),
  }),
);

/** The obviously-right model: a list, walked as it was when the fault came. */
class ListModel {
  list: number[] = [];
  register(id: number, tail: boolean): boolean {
    if (this.list.includes(id)) return false;
    this.list = tail ? [...this.list, id] : [id, ...this.list];
    return true;
  }
  unregister(id: number): boolean {
    const had = this.list.includes(id);
    this.list = this.list.filter((h) => h !== id);
    return had;
  }
  fault(answers: number[], effects: SideEffect[]): { calls: number[]; outcome: string } {
    const snapshot = this.list;
    const calls: number[] = [];
    for (const h of snapshot) {
      calls.push(h);
      const e = effects[h]!;
      if (e.kind === 'register') this.register(e.id, e.tail);
      else if (e.kind === 'unregister') this.unregister(e.id);
      if (answers[h] === FaultStatus.Fixed) return { calls, outcome: 'fixed' };
      if (answers[h] === FaultStatus.Fail) return { calls, outcome: `fail:h${h}` };
    }
    return { calls, outcome: 'unresolved' };
  }
}

describe('fault chain vs a list model', () => {
  it('calls the same handlers in the same order with the same outcome, also when handlers change the chain mid-dispatch', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        // Guest: lw t0, 0(zero) faults (page 0 is unmapped); then jal x0, -4 back to it.
        const machine = machineFromWords([iType(0x03, 2, 5, 0, 0), 0xffdff06f]);
        const model = new ListModel();
        let script: Extract<Op, { kind: 'fault' }> | null = null;
        let calls: number[] = [];
        const handlers: FaultHandler[] = [];
        for (let h = 0; h < HANDLERS; h++) {
          const handler: FaultHandler = (_fault, ctx) => {
            calls.push(h);
            const e = script!.effects[h]!;
            if (e.kind === 'register') {
              if (!machine.chain.list().some((x) => x.handler === handlers[e.id])) machine.registerFaultHandler(handlers[e.id]!, { tail: e.tail, name: `h${e.id}` });
            } else if (e.kind === 'unregister') machine.unregisterFaultHandler(handlers[e.id]!);
            const answer = script!.answers[h]!;
            if (answer === FaultStatus.Fixed) ctx.pc = ctx.pc + 4; // skip the load
            return answer as FaultStatus;
          };
          handlers.push(handler);
        }
        for (const o of ops) {
          if (o.kind === 'register') {
            const expected = model.register(o.id, o.tail);
            if (expected) machine.registerFaultHandler(handlers[o.id]!, { tail: o.tail, name: `h${o.id}` });
            else expect(() => machine.registerFaultHandler(handlers[o.id]!, { tail: o.tail })).toThrow(/already registered/);
          } else if (o.kind === 'unregister') {
            expect(machine.unregisterFaultHandler(handlers[o.id]!)).toBe(model.unregister(o.id));
          } else {
            script = o;
            calls = [];
            const expected = model.fault(o.answers, o.effects);
            machine.cpu.pc = 0x10000;
            const result = machine.run({ maxInstructions: 1 });
            const outcome = result.kind === 'limit' ? 'fixed' : result.kind === 'fault' ? (result.handler === null ? 'unresolved' : `fail:${result.handler}`) : 'exit';
            expect(calls).toEqual(expected.calls);
            expect(outcome).toBe(expected.outcome);
          }
          expect(machine.chain.list().map((e) => Number(e.name.slice(1)))).toEqual(model.list);
        }
      }),
      { numRuns: 300 },
    );
  });
});
