import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, Machine } from '../../src/index.js';
import { accessTracking, type EpochRecord } from '../../handlers/index.js';
import { build, modelAccesses, modelEpochs, modelThreadAccesses, opArb, programSource, threadProgramSource, type Op } from './access-tracking-model.js';

const PAGES = 6;

/** Runs `ops` under a tracker, ending an epoch after each length of `lengths` (cycled). */
function runTracked(ops: readonly Op[], lengths: readonly number[], exact = true): { records: EpochRecord[]; starts: number[]; accesses: ReturnType<typeof modelAccesses> } {
  const program = build(programSource(ops, PAGES));
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: new CollectedOutput().sink });
  machine.load(program);
  const tracker = accessTracking({ exact, idleEpochs: 2 });
  machine.use(tracker);
  const origin = machine.cpu.instret;
  const records: EpochRecord[] = [];
  for (let k = 0; ; k++) {
    const result = machine.run({ maxInstructions: lengths[k % lengths.length]! });
    records.push(tracker.endEpoch());
    if (result.kind !== 'limit') {
      expect(result).toEqual({ kind: 'exit', exitCode: 0 });
      break;
    }
  }
  const starts = records.map((r) => r.startInstret - origin);
  return { records, starts, accesses: modelAccesses(program, ops, program.symbols.get('buf')!) };
}

describe('accessTracking against a reference model', () => {
  it('per-epoch read / written / executed sets, working set and first-touch pcs equal the model; one fault per page and kind', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(PAGES), { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 6 }),
        (ops, lengths) => {
          const { records, starts, accesses } = runTracked(ops, lengths);
          const model = modelEpochs(accesses, starts);
          expect(records.length).toBe(model.length);
          records.forEach((r, e) => {
            const m = model[e]!;
            expect({ epoch: r.epoch, read: r.read, written: r.written, executed: r.executed, workingSet: r.workingSet })
              .toEqual({ epoch: e, read: m.read, written: m.written, executed: m.executed, workingSet: m.workingSet });
            // At most one fault per page and kind: the faults are exactly the first touches.
            expect(r.faults).toBe(m.first.size);
            expect(r.touches.length).toBe(m.first.size);
            for (const t of r.touches) {
              expect(t.pc, `${t.kind} ${t.page.toString(16)}`).toBe(m.first.get(`${t.kind}:${t.page}`));
              expect(t.tid).toBe(1);
            }
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('coarse mode: one fault per page per epoch, every page of the working set recorded under its first kind', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(PAGES), { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 4 }),
        (ops, lengths) => {
          const { records, starts, accesses } = runTracked(ops, lengths, false);
          const model = modelEpochs(accesses, starts);
          records.forEach((r, e) => {
            const m = model[e]!;
            expect(r.workingSet).toBe(m.workingSet);
            expect(r.faults).toBe(m.workingSet);
            expect(new Set(r.touches.map((t) => t.page)).size).toBe(r.touches.length);
            const union = new Set([...r.read, ...r.written, ...r.executed]);
            expect(union.size).toBe(m.workingSet);
            expect([...union].every((p) => m.read.includes(p) || m.written.includes(p) || m.executed.includes(p))).toBe(true);
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it('idle pages: touched before and in none of the last idleEpochs epochs', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(PAGES), { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }),
        (ops, lengths) => {
          const { records } = runTracked(ops, lengths);
          const touchedIn = records.map((r) => new Set([...r.read, ...r.written, ...r.executed]));
          records.forEach((r, e) => {
            const expected = new Set<number>();
            for (let k = 0; k <= e - 2; k++) for (const p of touchedIn[k]!) expected.add(p);
            for (let k = Math.max(0, e - 1); k <= e; k++) for (const p of touchedIn[k]!) expected.delete(p);
            expect(r.idle).toEqual([...expected].sort((a, b) => a - b));
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it('threads: the sets are the union of both threads\' accesses, each first touch names a thread that made it, one fault per page and kind', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(PAGES), { minLength: 1, maxLength: 50 }),
        fc.array(opArb(PAGES), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 50, max: 2000 }),
        (parent, child, slice, epoch) => {
          const program = build(threadProgramSource(parent, child, PAGES));
          const machine = new Machine({ memoryQuota: 64 << 20, stdout: new CollectedOutput().sink, timeSlice: slice });
          machine.load(program);
          const tracker = accessTracking({ epochInstructions: epoch });
          machine.use(tracker);
          const records: EpochRecord[] = [];
          expect(tracker.runEpochs({ onEpoch: (r) => records.push(r) })).toEqual({ kind: 'exit', exitCode: 0 });
          const model = modelThreadAccesses(program, parent, child, program.symbols.get('buf')!);
          const seen = new Set<string>();
          for (const r of records) {
            const keys = r.touches.map((t) => `${t.kind}:${t.page}`);
            // One fault per page and kind in each epoch, each a first touch by a thread that makes that access.
            expect(new Set(keys).size).toBe(keys.length);
            expect(r.faults).toBe(keys.length);
            for (const t of r.touches) expect(model.get(`${t.kind}:${t.page}`)?.has(t.tid), `${t.kind} ${t.page.toString(16)} by ${t.tid}`).toBe(true);
            expect([...r.read.map((p) => `read:${p}`), ...r.written.map((p) => `write:${p}`), ...r.executed.map((p) => `execute:${p}`)].sort()).toEqual([...keys].sort());
            for (const k of keys) seen.add(k);
          }
          // Over the run: exactly the union of both threads' accesses.
          expect([...seen].sort()).toEqual([...model.keys()].sort());
          // An access only the child makes is the child's.
          if ([...model.values()].some((tids) => tids.size === 1 && tids.has(2))) expect(records.some((r) => r.touches.some((t) => t.tid === 2))).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
