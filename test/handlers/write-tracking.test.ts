import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Access,
  FaultStatus,
  Machine,
  PAGE_SIZE,
  Prot,
  UsageError,
  assemble,
  type Dataspace,
  type Fault,
  type RegionMap,
  type UserContext,
} from '../../src/index.js';
import { dirtyLog, writeTracking } from '../../handlers/index.js';
import { writeTrackingExample } from '../../examples/write-tracking.js';

/** Syscall number used as a re-arm checkpoint by the test programs (unknown: -ENOSYS). */
const CHECKPOINT = 0x7ff;
const BASE = 0x4000_0000;

function machineFor(body: string): Machine {
  const machine = new Machine({ memoryQuota: 64 << 20 });
  machine.load(assemble(`
  .text
  .globl _start
_start:
  li   s1, ${BASE}
${body}
  li   a0, 0
  li   a7, 93
  ecall
`, { fileName: 'write-tracking-test.s' }));
  return machine;
}

/** Counts faults by kind. */
function countFaults(machine: Machine): { reads: number; writes: number } {
  const counts = { reads: 0, writes: 0 };
  machine.events.on('fault', (f) => { if (f.access === Access.Read) counts.reads++; else counts.writes++; });
  return counts;
}

/** A tail handler that skips faulting stores (stands for the guest's own handling). */
function skipStores(machine: Machine): number[] {
  const skipped: number[] = [];
  machine.registerFaultHandler((fault: Fault, ctx: UserContext) => {
    if (fault.access !== Access.Write) return FaultStatus.Continue;
    skipped.push(fault.address >>> 0);
    ctx.pc += 4;
    return FaultStatus.Fixed;
  }, { tail: true, name: 'skip' });
  return skipped;
}

describe('writeTracking', () => {
  it('never faults on reads, faults once per region per arming on writes, and records page and pc', () => {
    const machine = machineFor(`
  lw   t0, 0(s1)
  lw   t0, 2000(s1)
  li   t1, 8192
  add  t1, t1, s1
  lw   t0, 0(t1)
store1:
  sw   t0, 4(t1)          # first write: page 2
  sw   t0, 0(s1)
  sh   t0, 100(s1)
  li   a7, ${CHECKPOINT}
  ecall
  lw   t0, 0(s1)
  sb   t0, 1(s1)          # the next arming: page 0
  sw   t0, 8(t1)
`);
    const tracker = writeTracking({ clock: () => 42 });
    machine.use(tracker);
    const ds = machine.addressSpace.createDataspace(4 * PAGE_SIZE, { name: 'table' });
    const region = tracker.track(ds, { at: BASE });
    expect(region.armed).toBe(true);
    const counts = countFaults(machine);
    const armings: ReturnType<typeof tracker.rearm>[] = [];
    machine.events.on('syscall', (nr) => { if (nr === CHECKPOINT) armings.push(tracker.rearm()); });
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    armings.push(tracker.writes());
    expect(counts).toEqual({ reads: 0, writes: 2 });
    const store1 = machine.program!.symbols.get('store1')!;
    expect(armings[0]!.map((w) => ({ page: w.page, address: w.address, pc: w.pc, sequence: w.sequence, time: w.time, name: w.dataspace.name })))
      .toEqual([{ page: 2, address: BASE + 2 * PAGE_SIZE + 4, pc: store1, sequence: 1, time: 42, name: 'table' }]);
    expect(armings[1]!.map((w) => [w.page, w.sequence])).toEqual([[0, 2]]);
    expect(region.armed).toBe(false);
    expect(region.written).toBe(true);
    expect(tracker.writtenDataspaces()).toEqual([ds]);
  });

  it('tracks several dataspaces independently', () => {
    const machine = machineFor(`
  li   t1, ${PAGE_SIZE * 16}
  add  t1, t1, s1
  sw   t0, 0(t1)
  sw   t0, 4(t1)
  lw   t0, 0(s1)
`);
    const tracker = writeTracking();
    machine.use(tracker);
    const a = machine.addressSpace.createDataspace(PAGE_SIZE, { name: 'a' });
    const b = machine.addressSpace.createDataspace(PAGE_SIZE, { name: 'b' });
    const ra = tracker.track(a, { at: BASE });
    const rb = tracker.track(b, { at: BASE + 16 * PAGE_SIZE });
    machine.run();
    expect(tracker.writtenDataspaces()).toEqual([b]);
    expect([ra.written, rb.written]).toEqual([false, true]);
    expect(tracker.regions()).toEqual([ra, rb]);
  });

  it('works at any nesting depth when every enclosing attach is writable', () => {
    const machine = machineFor(`
  li   t1, ${3 * PAGE_SIZE + 2 * PAGE_SIZE + PAGE_SIZE}
  add  t1, t1, s1
  lw   t0, 0(t1)
  sw   t0, 0(t1)
  sw   t0, 4(t1)
`);
    const as = machine.addressSpace;
    const outer = as.createRegionMap(64 * PAGE_SIZE, { name: 'outer' });
    const middle = as.createRegionMap(16 * PAGE_SIZE, { name: 'middle' });
    as.root.attach(outer, { at: BASE });
    outer.attach(middle, { at: 3 * PAGE_SIZE });
    const tracker = writeTracking();
    machine.use(tracker);
    const ds = as.createDataspace(2 * PAGE_SIZE, { name: 'deep' });
    tracker.track(ds, { into: middle, at: 2 * PAGE_SIZE });
    const counts = countFaults(machine);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(counts).toEqual({ reads: 0, writes: 1 });
    expect(tracker.writes().map((w) => w.page)).toEqual([1]);
    expect(ds.read(PAGE_SIZE, 4)).toEqual(new Uint8Array(4)); // lw read 0, stored 0
  });

  it('keeps a nested map read-only when its outer attach is read-only, although the inner attach would be writable', () => {
    const machine = machineFor(`
  li   t1, ${PAGE_SIZE}
  add  t1, t1, s1
  lw   t0, 0(t1)           # reads work
  li   t0, 9
  sw   t0, 0(t1)           # refused: skipped by the tail handler
  li   a7, ${CHECKPOINT}
  ecall
  sw   t0, 0(t1)           # again after a re-arm: refused again
`);
    const as = machine.addressSpace;
    const managed = as.createRegionMap(8 * PAGE_SIZE, { name: 'managed' });
    as.root.attach(managed, { at: BASE, writable: false });
    const tracker = writeTracking();
    machine.use(tracker);
    const ds = as.createDataspace(2 * PAGE_SIZE);
    const region = tracker.track(ds, { into: managed, at: 0 });
    const skipped = skipStores(machine);
    machine.events.on('syscall', (nr) => { if (nr === CHECKPOINT) tracker.rearm(); });
    const counts = countFaults(machine);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(counts).toEqual({ reads: 0, writes: 2 });
    expect(skipped).toEqual([BASE + PAGE_SIZE, BASE + PAGE_SIZE]);
    expect(tracker.writes()).toEqual([]);
    expect(region.armed).toBe(true);           // not upgraded
    expect(as.effectiveProt(BASE + PAGE_SIZE) & Prot.Write).toBe(0);
    expect(ds.read(PAGE_SIZE, 4)).toEqual(new Uint8Array(4));
  });

  it('respects the guest mprotect over a tracked region', () => {
    const machine = machineFor(`
  mv   a0, s1
  li   a1, ${PAGE_SIZE}
  li   a2, ${Prot.Read}
  li   a7, 226
  ecall
  sw   t0, 0(s1)           # guest made it read-only: not a tracked write
`);
    const tracker = writeTracking();
    machine.use(tracker);
    tracker.track(machine.addressSpace.createDataspace(PAGE_SIZE), { at: BASE });
    const result = machine.run();
    expect(result.kind).toBe('fault');
    expect(tracker.writes()).toEqual([]);
  });

  it('composes with dirty logging in either chain order: one record each, no unresolved fault', () => {
    for (const trackerFirst of [false, true]) {
      const machine = machineFor(`
  sw   t0, 0(s1)
  li   t1, ${PAGE_SIZE}
  add  t1, t1, s1
  sw   t0, 0(t1)
`);
      const tracker = writeTracking();
      const log = dirtyLog();
      if (trackerFirst) { machine.use(log); machine.use(tracker); } else { machine.use(tracker); machine.use(log); }
      tracker.track(machine.addressSpace.createDataspace(2 * PAGE_SIZE), { at: BASE });
      expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
      expect(tracker.writes().map((w) => w.page)).toEqual([0]);
      expect([...log.collect()]).toEqual([BASE, BASE + PAGE_SIZE]);
    }
  });

  it('refuses to track a sealed dataspace, and answers Continue for one sealed after tracking', () => {
    const machine = machineFor('  sw   t0, 0(s1)\n');
    const tracker = writeTracking();
    expect(() => tracker.track(machine.addressSpace.createDataspace(PAGE_SIZE))).toThrow(/install the plugin first/);
    machine.use(tracker);
    const sealed = machine.addressSpace.createDataspace(PAGE_SIZE);
    sealed.seal();
    expect(() => tracker.track(sealed, { at: BASE })).toThrow(UsageError);
    const ds = machine.addressSpace.createDataspace(PAGE_SIZE);
    tracker.track(ds, { at: BASE });
    ds.seal();
    expect(machine.run().kind).toBe('fault');
    expect(tracker.writes()).toEqual([]);
  });

  it('untrack detaches; uninstall leaves regions attached writable and unmonitored', () => {
    const machine = machineFor('  sw   t0, 0(s1)\n  sw   t0, 0(s2)\n');
    const as = machine.addressSpace;
    const tracker = writeTracking();
    const off = machine.use(tracker);
    const a = tracker.track(as.createDataspace(PAGE_SIZE), { at: BASE });
    const b = tracker.track(as.createDataspace(PAGE_SIZE), { at: BASE + PAGE_SIZE });
    expect(tracker.untrack(b)).toBe(true);
    expect(tracker.untrack(b)).toBe(false);
    expect(as.root.lookup(BASE + PAGE_SIZE)).toBeUndefined();
    const handlers = machine.chain.size;
    off();
    expect(machine.chain.size).toBe(handlers - 1);
    expect(a.tracked).toBe(false);
    expect(as.effectiveProt(BASE) & Prot.Write).toBe(Prot.Write);
    machine.cpu.x[18] = BASE; // s2: a store to the same page
    const counts = countFaults(machine);
    expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
    expect(counts.writes).toBe(0);
  });
});

describe('examples/write-tracking.ts', () => {
  it('prints one record per arming, refuses the read-only map, never faults on reads', () => {
    const lines = writeTrackingExample();
    expect(lines[0]).toMatch(/^arming 1: table page 1 at 0x50102010 by pc 0x[0-9a-f]{8} \(#1\)$/);
    expect(lines[1]).toMatch(/^arming 2: config page 0 at 0x50000008 by pc 0x[0-9a-f]{8} \(#2\)$/);
    expect(lines[2]).toBe('write faults: 4 (2 tracked, 2 refused in rom); read faults: 0');
    expect(lines[3]).toBe('rom stays read-only: true; table[1][4] = 100');
  });
});

/* ---- random programs ---------------------------------------------------------- */

/*
 * Model: R regions, each a dataspace of 2 pages tracked at BASE + r * 1 MiB,
 * attached at nesting depth 0-2 through maps that are writable, except that
 * some regions sit under a read-only outer attach ("blocked"). Operations:
 * read or write one word, or re-arm. Expected: no read ever faults; a write
 * faults iff its region is armed or blocked; per arming, the records are the
 * first write to each unblocked region, in program order; writes to blocked
 * regions are skipped by a tail handler and never recorded.
 */
const R = 4;
type TrackOp = { kind: 'read' | 'write'; region: number; page: number; word: number } | { kind: 'rearm' };

const trackOpArb: fc.Arbitrary<TrackOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom<'read' | 'write'>('read', 'write'), region: fc.integer({ min: 0, max: R - 1 }), page: fc.integer({ min: 0, max: 1 }), word: fc.integer({ min: 0, max: 1023 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rearm' as const }) },
);

describe('writeTracking on random programs: exactly the regions written, against a model', () => {
  it('reads never fault; exactly one fault per tracked region per arming; read-only outer attaches stay read-only', () => {
    fc.assert(
      fc.property(
        fc.array(trackOpArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: R, maxLength: R }),
        fc.array(fc.boolean(), { minLength: R, maxLength: R }),
        (ops, depths, blockedWanted) => {
          const blocked = blockedWanted.map((b, r) => b && depths[r]! > 0); // a blocking outer attach needs depth > 0
          let body = '';
          for (const op of ops) {
            if (op.kind === 'rearm') {
              body += `  li   a7, ${CHECKPOINT}\n  ecall\n`;
              continue;
            }
            const addr = BASE + op.region * 0x10_0000 + op.page * PAGE_SIZE + op.word * 4;
            body += `  li   t1, ${addr}\n  ${op.kind === 'read' ? 'lw   t0, 0(t1)' : 'sw   t1, 0(t1)'}\n`;
          }
          const machine = machineFor(body);
          const as = machine.addressSpace;
          const tracker = writeTracking();
          machine.use(tracker);
          for (let r = 0; r < R; r++) {
            let into: RegionMap = as.root;
            let at = BASE + r * 0x10_0000;
            for (let d = 0; d < depths[r]!; d++) {
              const map = as.createRegionMap(16 * PAGE_SIZE, { name: `r${r}d${d}` });
              into.attach(map, { at, writable: !(blocked[r] && d === 0) });
              into = map;
              at = 0;
            }
            const ds = as.createDataspace(2 * PAGE_SIZE, { name: `ds${r}` });
            tracker.track(ds, { into, at });
          }
          const skipped = skipStores(machine);
          const counts = countFaults(machine);
          const armings: string[][] = [];
          const name = (w: { dataspace: Dataspace; page: number }) => `${w.dataspace.name}:${w.page}`;
          machine.events.on('syscall', (nr) => { if (nr === CHECKPOINT) armings.push(tracker.rearm().map(name)); });
          expect(machine.run()).toEqual({ kind: 'exit', exitCode: 0 });
          armings.push(tracker.rearm().map(name));

          // Model.
          const expected: string[][] = [];
          let armed = new Set<number>(Array.from({ length: R }, (_, r) => r));
          let current: string[] = [];
          let writeFaults = 0, blockedWrites = 0;
          for (const op of ops) {
            if (op.kind === 'rearm') {
              expected.push(current);
              current = [];
              armed = new Set(Array.from({ length: R }, (_, r) => r));
              continue;
            }
            if (op.kind === 'read') continue;
            if (blocked[op.region]) { writeFaults++; blockedWrites++; continue; }
            if (armed.has(op.region)) {
              writeFaults++;
              armed.delete(op.region);
              current.push(`ds${op.region}:${op.page}`);
            }
          }
          expected.push(current);
          expect(armings).toEqual(expected);
          expect(counts).toEqual({ reads: 0, writes: writeFaults });
          expect(skipped).toHaveLength(blockedWrites);
        },
      ),
      { numRuns: 100 },
    );
  });
});
