/**
 * Access tracking composed with every other stock plugin, in both chain
 * orders: the tracker's sets still equal the model's, and the other
 * plugin still sees what it saw alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, Machine, PAGE_SIZE, type Plugin } from '../../src/index.js';
import { accessTracking, checkpoint, demandPaging, dirtyLog, restoreCheckpoint, writeTracking, type EpochRecord, type ImageInput } from '../../handlers/index.js';
import { build, modelAccesses, modelEpochs, opArb, programSource, type Op } from './access-tracking-model.js';

const PAGES = 5;
const REGION = 0x5000_0000;

interface Setup {
  /** Plugins to install with the tracker, and whether the tracker goes first. */
  readonly plugins: (machine: Machine) => Plugin[];
  /** Buffer at REGION (the plugins map it) instead of a .data buffer. */
  readonly atRegion: boolean;
}

interface Outcome {
  readonly machine: Machine;
  readonly records: EpochRecord[];
  readonly model: ReturnType<typeof modelEpochs>;
  readonly afterEpoch: unknown[];
  readonly stdout: CollectedOutput;
}

function run(ops: readonly Op[], lengths: readonly number[], setup: Setup, trackerFirst: boolean, onEpoch: (machine: Machine) => unknown = () => null): Outcome {
  const program = build(programSource(ops, PAGES, setup.atRegion ? REGION : undefined));
  const stdout = new CollectedOutput();
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: stdout.sink });
  machine.load(program);
  const tracker = accessTracking();
  const others = setup.plugins(machine);
  // Registered at the head: the one used last is first in the chain.
  if (trackerFirst) for (const p of others) machine.use(p);
  machine.use(tracker);
  if (!trackerFirst) for (const p of others) machine.use(p);
  const origin = machine.cpu.instret;
  const records: EpochRecord[] = [];
  const afterEpoch: unknown[] = [];
  for (let k = 0; ; k++) {
    const result = machine.run({ maxInstructions: lengths[k % lengths.length]! });
    records.push(tracker.endEpoch());
    afterEpoch.push(onEpoch(machine));
    if (result.kind !== 'limit') {
      expect(result).toEqual({ kind: 'exit', exitCode: 0 });
      break;
    }
  }
  const base = setup.atRegion ? REGION : program.symbols.get('buf')!;
  const model = modelEpochs(modelAccesses(program, ops, base), records.map((r) => r.startInstret - origin));
  return { machine, records, model, afterEpoch, stdout };
}

function expectModel(o: Outcome): void {
  o.records.forEach((r, e) => {
    const m = o.model[e]!;
    expect({ read: r.read, written: r.written, executed: r.executed }).toEqual({ read: m.read, written: m.written, executed: m.executed });
    expect(r.faults).toBe(m.first.size);
  });
}

const ops = fc.array(opArb(PAGES), { minLength: 1, maxLength: 60 });
const lengths = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 4 });
const orders = [true, false] as const;

describe('accessTracking composes', () => {
  it.each(orders)('with demand paging (tracker first in the chain: %s)', (first) => {
    fc.assert(fc.property(ops, lengths, (o, l) => {
      let paging: ReturnType<typeof demandPaging> | null = null;
      const out = run(o, l, { atRegion: true, plugins: () => [paging = demandPaging({ at: REGION, size: PAGES * PAGE_SIZE, backing: { kind: 'zero' } })] }, first);
      expectModel(out);
      const touched = new Set(out.model.flatMap((m) => [...m.read, ...m.written]));
      expect(paging!.faultsServed).toBe(touched.size);
    }), { numRuns: 12 });
  });

  it.each(orders)('with the dirty log (tracker first in the chain: %s)', (first) => {
    fc.assert(fc.property(ops, lengths, (o, l) => {
      const log = dirtyLog();
      const out = run(o, l, { atRegion: false, plugins: () => [log] }, first, () => [...log.collect()]);
      expectModel(out);
      out.model.forEach((m, e) => expect(out.afterEpoch[e]).toEqual(m.written));
    }), { numRuns: 12 });
  });

  it.each(orders)('with write tracking (tracker first in the chain: %s)', (first) => {
    fc.assert(fc.property(ops, lengths, (o, l) => {
      const tracking = writeTracking();
      const out = run(o, l, {
        atRegion: true,
        plugins: (machine) => {
          // Tracked once installed: a plugin that tracks at install.
          const ds = machine.addressSpace.createDataspace(PAGES * PAGE_SIZE, { name: 'table' });
          return [tracking, { name: 'track-table', install: () => { tracking.track(ds, { at: REGION }); return () => undefined; } }];
        },
      }, first, () => tracking.rearm().map((w) => REGION + w.page * PAGE_SIZE));
      expectModel(out);
      // Write tracking is per region: one record per arming, for the first page written.
      out.model.forEach((m, e) => {
        const seen = out.afterEpoch[e] as number[];
        expect(seen.length).toBe(m.written.length > 0 ? 1 : 0);
        if (seen.length > 0) expect(m.written).toContain(seen[0]);
      });
    }), { numRuns: 12 });
  });

  it.each([[true, 'before'], [false, 'after']] as const)('with checkpoints (tracker first in the chain: %s): images taken at epoch ends restore into a machine tracked again (installed %s the restore)', (first, when) => {
    fc.assert(fc.property(ops, lengths, (o, l) => {
      const cp = checkpoint();
      const images: ImageInput[] = [];
      const out = run(o, l, { atRegion: false, plugins: () => [cp] }, first, () => images.push({ name: `${images.length}.ckpt`, bytes: cp.checkpoint() }));
      expectModel(out);
      if (images.length < 2) return;
      // Restore the image of the first epoch's end and run to the end, tracked: the working set is the rest of the run's.
      const stdout = new CollectedOutput();
      const b = new Machine({ memoryQuota: 64 << 20, stdout: stdout.sink });
      const tracker = accessTracking();
      if (when === 'before') b.use(tracker);
      restoreCheckpoint(b, images.slice(0, 1));
      if (when === 'after') b.use(tracker);
      expect(b.run()).toEqual({ kind: 'exit', exitCode: 0 });
      const rest = tracker.endEpoch();
      const later = out.model.slice(1);
      const union = (k: 'read' | 'written' | 'executed') => [...new Set(later.flatMap((m) => m[k]))].sort((x, y) => x - y);
      expect({ read: rest.read, written: rest.written, executed: rest.executed }).toEqual({ read: union('read'), written: union('written'), executed: union('executed') });
    }), { numRuns: 8 });
  });
});
