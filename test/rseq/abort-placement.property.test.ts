/**
 * A preemption, a fault served by a guest
 * handler, a checkpoint + restore, or a migration is injected at every pc
 * of a random critical section (a sweep over the whole section once per
 * program, then at random points). A reference model says where each
 * injection must abort: exactly when the pc is in [start_ip, post_commit),
 * to abort_ip, with rseq_cs already cleared. The per-CPU counters must be
 * exact. Locally a smaller count; with CI=1 at least 10^6 injected events
 * across the properties (checked at the end).
 */

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/index.js';
import type { Program } from '../../src/loader/program.js';
import { RseqEvent } from '../../src/threads/rseq-registration.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { FILLERS, counterProgram, symbol, type CounterShape } from './programs.js';

const CI = process.env['CI'] !== undefined && process.env['CI'] !== '';
/** Injected events each property aims at (CI: 10^6 in all). */
const TARGET = { preempt: CI ? 600_000 : 15_000, fault: CI ? 100_000 : 3_000, migrate: CI ? 300_000 : 5_000, restore: CI ? 1_000 : 60 };
/** CI runs take minutes: each property gets up to 15 (vitest's default here is 2). */
const TIMEOUT = 900_000;
const injected = { preempt: 0, fault: 0, migrate: 0, restore: 0 };

type Kind = keyof typeof injected;

/** Instructions from `retry` through the section's end: sw, 4 fixed, fillers, add, commit. */
function sectionLength(shape: CounterShape): number {
  return 4 + shape.before.length + 1 + shape.after.length + 1;
}

/** Guest memory of each machine (the stack is 8 MiB). */
const QUOTA = 16 << 20;

let cost = -1;
/**
 * Instructions a guest handler call of `fix_exec` is charged (its code and
 * the return trampoline's), found once by stepping: the smallest budget
 * after which an injected fault has been served and the thread aborted
 * back to retry.
 */
function handlerCost(): number {
  if (cost >= 0) return cost;
  const program = counterProgram({ threads: 1, iterations: 2, amount: 1, before: [], after: [], fallbackAfter: 0, slots: 1, guestHandler: true });
  const start = symbol(program, 'start'), retry = symbol(program, 'retry');
  for (let n = 1; n < 64; n++) {
    const m = new Machine({ memoryQuota: QUOTA });
    m.load(program);
    while (m.currentThread.pc >>> 0 !== start) m.run({ maxInstructions: 1 });
    m.linuxMemory.mprotect(start & ~4095, 4096, 1);
    m.run({ maxInstructions: n });
    if (m.currentThread.pc >>> 0 === retry && m.rseqAborts === 1) return (cost = n - 1);
  }
  throw new Error('handlerCost: the injected fault never aborted');
}

interface Observed {
  tid: number;
  from: number;
  to: number;
  why: number;
  rseqCs: [number, number];
  pc: number;
}

/**
 * Runs `program` (one thread) to its end, stopping after each distance
 * of `distances` (cycled) to inject `kind`, and checks each injection
 * against the model. The first stop inside the section starts a sweep:
 * one injection at each of its offsets 0..S-1 in turn. Returns the
 * machine at the end.
 */
function drive(program: Program, kind: Kind, cpus: number, distances: readonly number[], cpuSeeds: readonly number[]): Machine {
  const start = symbol(program, 'start'), post = symbol(program, 'post'), abortIp = symbol(program, 'abort');
  const area = symbol(program, 'rseq_areas');
  const retry = symbol(program, 'retry'), exitPath = symbol(program, 'next');
  const S = (post - start) / 4;
  let m = new Machine({ cpus, timeSlice: 1_000_000, memoryQuota: QUOTA });
  m.load(program);
  let cp = kind === 'restore' ? checkpoint() : null;
  if (cp !== null) m.use(cp);
  let events: Observed[] = [];
  const listen = (machine: Machine): void => {
    machine.events.on('rseqAbort', (tid, from, to, why) => {
      const as = machine.addressSpace;
      events.push({ tid, from, to, why, rseqCs: [as.readU32(area + 8), as.readU32(area + 12)], pc: machine.cpu.pc >>> 0 });
    });
  };
  listen(m);
  let sweep: number | null = null, swept = false, k = 0, steps = 0, pick = 0, aborted = false;
  for (;;) {
    // After an abort (the thread is back at retry) a random stop comes after the commit: progress.
    let d = sweep !== null ? 1 + sweep : distances[k++ % distances.length]!;
    if (sweep === null && aborted && d < S + 1) d += S + 1;
    const r = m.run({ maxInstructions: d });
    if (r.kind === 'exit') {
      expect(r.exitCode).toBe(0);
      expect(events).toEqual([]);
      return m;
    }
    if (r.kind !== 'limit' || events.length !== 0) expect({ r, events }).toEqual({ r: { kind: 'limit' }, events: [] });
    if (++steps > 2_000_000) throw new Error('the program does not end: injections keep aborting it');
    const pc = m.currentThread.pc >>> 0;
    const inSection = pc >= start && pc < post;
    if (sweep !== null && pc !== start + 4 * sweep) expect(pc).toBe(start + 4 * sweep);
    // Guest handler faults only once the handler is registered (at retry), and not in the exit path.
    if (kind === 'fault' && (pc < retry || pc >= exitPath)) continue;
    const tid = m.currentThread.tid;
    let why: number = RseqEvent.Preempt;
    switch (kind) {
      case 'preempt':
        m.preempt(tid);
        break;
      case 'fault':
        why = RseqEvent.Fault;
        if (m.linuxMemory.mprotect(pc & ~4095, 4096, 1) !== 0) throw new Error('mprotect failed');
        break;
      case 'migrate': {
        why = RseqEvent.Migrate;
        const here = m.currentThread.cpu;
        m.migrate(tid, (here + 1 + (cpuSeeds[pick++ % cpuSeeds.length]! % (cpus - 1))) % cpus);
        break;
      }
      case 'restore': {
        why = RseqEvent.Restore;
        const image = cp!.checkpoint();
        m = new Machine({ memoryQuota: QUOTA });
        restoreCheckpoint(m, [{ name: 'image', bytes: image }]);
        cp = checkpoint();
        m.use(cp);
        listen(m);
        break;
      }
    }
    injected[kind]++;
    // The model: the next run moves the thread to abort_ip before anything else iff the pc is in the section.
    const r1 = m.run({ maxInstructions: kind === 'fault' ? handlerCost() + 1 : 1 });
    if (inSection) {
      const e = events[0];
      // The abort path is one jump back to retry.
      if (events.length !== 1 || e!.tid !== tid || e!.from !== pc || e!.to !== abortIp || e!.pc !== abortIp || e!.rseqCs[0] !== 0 || e!.rseqCs[1] !== 0 || (e!.why & why) !== why || m.currentThread.pc >>> 0 !== retry) {
        expect({ events, pcAfter: m.currentThread.pc >>> 0 }).toEqual({ events: [{ tid, from: pc, to: abortIp, why, rseqCs: [0, 0], pc: abortIp }], pcAfter: retry });
      }
    } else if (events.length !== 0) {
      expect(events).toEqual([]);
    }
    aborted = inSection;
    events = [];
    if (r1.kind === 'exit') return m;
    // Sweep bookkeeping.
    if (sweep !== null) {
      sweep++;
      if (sweep === S) { sweep = null; swept = true; }
    } else if (inSection && !swept) {
      sweep = 0;
    }
  }
}

/** Random critical sections: fillers before and after the add, an amount, a few iterations. */
const shapes = fc.record({
  iterations: fc.integer({ min: 20, max: 120 }),
  amount: fc.integer({ min: 1, max: 1000 }),
  before: fc.array(fc.integer({ min: 0, max: FILLERS.length - 1 }), { maxLength: 6 }),
  after: fc.array(fc.integer({ min: 0, max: FILLERS.length - 1 }), { maxLength: 6 }),
});

/** For checkpoints (each costs a full image): a handful of iterations. */
const fewIterations = fc.record({
  iterations: fc.integer({ min: 1, max: 4 }),
  amount: fc.integer({ min: 1, max: 1000 }),
  before: fc.array(fc.integer({ min: 0, max: FILLERS.length - 1 }), { maxLength: 6 }),
  after: fc.array(fc.integer({ min: 0, max: FILLERS.length - 1 }), { maxLength: 6 }),
});

function shapeOf(s: { iterations: number; amount: number; before: number[]; after: number[] }, guestHandler: boolean): CounterShape {
  return { threads: 1, iterations: s.iterations, amount: s.amount, before: s.before, after: s.after, fallbackAfter: 0, slots: 8, guestHandler };
}

/** Checks the per-CPU counters: thread 1 committed `iterations` times `amount`, on CPU 0 unless migrated. */
function checkCounters(m: Machine, program: Program, shape: CounterShape, migrated: boolean): void {
  const at = symbol(program, 'counters');
  const counters = Array.from({ length: shape.slots }, (_, c) => m.addressSpace.readU32(at + 4 * c));
  const total = counters.reduce((a, b) => a + b, 0);
  expect(total).toBe(shape.iterations * shape.amount);
  for (const c of counters) expect(c % shape.amount).toBe(0);
  if (!migrated) expect(counters[0]).toBe(total);
  expect(m.addressSpace.readU32(symbol(program, 'commits'))).toBe(shape.iterations);
}

function property(kind: Kind, runs: number): void {
  fc.assert(
    fc.property(
      kind === 'restore' ? fewIterations : shapes,
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 2, max: 8 }),
      (s, distances, cpuSeeds, cpus) => {
        const shape = shapeOf(s, kind === 'fault');
        const program = counterProgram(shape);
        const m = drive(program, kind, kind === 'migrate' ? cpus : 1, distances.map((d) => 1 + (d % (sectionLength(shape) + 6))), cpuSeeds);
        checkCounters(m, program, shape, kind === 'migrate');
      },
    ),
    { numRuns: runs },
  );
}

/** Runs `property(kind)` in batches until `injected[kind]` reaches its target. */
function until(kind: Kind): void {
  while (injected[kind] < TARGET[kind]) property(kind, kind === 'restore' ? 2 : 20);
}

describe('rseq abort placement (reference model)', () => {
  it('a preemption at every pc of random critical sections aborts exactly inside [start_ip, post_commit) to abort_ip, rseq_cs cleared; counters exact', () => {
    until('preempt');
  }, TIMEOUT);

  it('a fault served by a guest handler at every pc aborts the same way (the handler restores execute right and answers Fixed)', () => {
    until('fault');
  }, TIMEOUT);

  it('a migration to another virtual CPU at every pc aborts the same way', () => {
    until('migrate');
  }, TIMEOUT);

  it('a checkpoint and restore into a fresh machine at every pc aborts the same way', () => {
    until('restore');
  }, TIMEOUT);

  afterAll(() => {
    const total = injected.preempt + injected.fault + injected.migrate + injected.restore;
    console.log(`rseq abort placement: ${total} injected events (${JSON.stringify(injected)})${CI ? '' : ' (CI=1 runs at least 10^6)'}`);
    if (CI) expect(total).toBeGreaterThanOrEqual(1_000_000);
  });
});
