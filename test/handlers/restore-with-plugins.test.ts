/**
 * A machine restored from checkpoints continues exactly as the
 * uninterrupted one when the stock plugins it ran with are installed on
 * the restored machine again — before or after restoreCheckpoint.
 */
import { describe, expect, it } from 'vitest';
import { checkpoint, demandPaging, dirtyLog, restoreCheckpoint, writeTracking, type DirtyLog, type ImageInput, type WriteRecord } from '../../handlers/index.js';
import { FaultStatus, Machine, UsageError, assemble } from '../../src/index.js';
import { encodeImage } from '../../src/plugin-kit.js';
import { expectSameState } from '../checkpoint/programs.js';

const REGION = 0x5000_0000;
const PAGES = 64;
const ROUNDS = 6000;
const SLICE = 4000;

/**
 * Reads, sums and rewrites one word per round in a demand-paged region
 * (page i % 64, word (i >> 6) % 1024), printing a dot every 512 rounds;
 * exits with the low byte of the sum.
 */
const SOURCE = `
  .text
  .globl _start
_start:
  li   s0, 0
  li   s1, ${REGION}
  li   s2, ${ROUNDS}
  li   s3, 0
loop:
  andi t0, s0, ${PAGES - 1}
  slli t0, t0, 12
  add  t0, t0, s1
  srli t1, s0, 6
  andi t1, t1, 1023
  slli t1, t1, 2
  add  t0, t0, t1
  lw   t2, 0(t0)
  add  s3, s3, t2
  add  t2, t2, s0
  addi t2, t2, 1
  sw   t2, 0(t0)
  andi t3, s0, 511
  bnez t3, next
  li   a0, 1
  la   a1, dot
  li   a2, 1
  li   a7, 64
  ecall
next:
  addi s0, s0, 1
  blt  s0, s2, loop
  andi a0, s3, 255
  li   a7, 93
  ecall
  .data
dot:
  .ascii "."
`;

const paging = () => demandPaging({ at: REGION, size: PAGES * 4096, chunkPages: 2, chunksPerDataspace: 4, backing: { kind: 'zero' } });

interface Run {
  readonly machine: Machine;
  readonly out: string[];
}

function newRun(): Run {
  const out: string[] = [];
  const machine = new Machine({ memoryQuota: 64 << 20, stdout: (b) => out.push(new TextDecoder().decode(b)) });
  return { machine, out };
}

/** Runs the original for `slices` slices with checkpoints after each; returns it and the images. */
function original(slices: number, log: DirtyLog | null): { run: Run; images: ImageInput[] } {
  const run = newRun();
  run.machine.load(assemble(SOURCE));
  run.machine.use(paging());
  if (log !== null) run.machine.use(log);
  const cp = checkpoint({ contributors: log === null ? [] : [log] });
  run.machine.use(cp);
  const images: ImageInput[] = [];
  for (let k = 0; k < slices; k++) {
    expect(run.machine.run({ maxInstructions: SLICE }).kind).toBe('limit');
    images.push({ name: `${k}.ckpt`, bytes: cp.checkpoint() });
  }
  return { run, images };
}

describe('restoring a machine that ran with demand paging', () => {
  it.each(['before', 'after'] as const)('continues exactly as the uninterrupted run with demand paging installed %s the restore', (order) => {
    const { run: a, images } = original(3, null);
    const b = newRun();
    if (order === 'before') b.machine.use(paging());
    restoreCheckpoint(b.machine, images);
    if (order === 'after') b.machine.use(paging());
    const outA = a.out.length;
    const ra = a.machine.run();
    const rb = b.machine.run();
    expect(ra.kind).toBe('exit');
    expect(rb).toEqual(ra);
    expect(b.out.join('')).toBe(a.out.slice(outA).join(''));
    expectSameState(a.machine, b.machine);
  });

  it('continues the same way after a lazy restore with demand paging installed before it', () => {
    const { run: a, images } = original(2, null);
    const b = newRun();
    b.machine.use(paging());
    const { lazy } = restoreCheckpoint(b.machine, images, { lazy: true });
    const ra = a.machine.run();
    const rb = b.machine.run();
    expect(rb).toEqual(ra);
    lazy!.complete();
    expectSameState(a.machine, b.machine);
  });

  it('serves the holes of a restored region it did not create at install', () => {
    const { images } = original(1, null);
    const b = newRun();
    restoreCheckpoint(b.machine, images);
    const p = paging();
    b.machine.use(p);
    expect(p.pagesResident).toBeGreaterThan(0);
    expect(p.regionMap).toBe(b.machine.addressSpace.root.lookup(REGION)!.target);
    expect(b.machine.run().kind).toBe('exit');
  });
});

describe('restoring a machine that ran with a dirty log', () => {
  it.each(['before', 'after'] as const)('the dirty set travels with the image and the log continues exactly, installed %s the restore', (order) => {
    const logA = dirtyLog({ name: 'user-log' });
    const { run: a, images } = original(2, logA);
    const b = newRun();
    const logB = dirtyLog({ name: 'user-log' });
    if (order === 'before') b.machine.use(logB);
    restoreCheckpoint(b.machine, images, { contributors: [logB] });
    if (order === 'after') b.machine.use(logB);
    b.machine.use(paging());
    expect([...logB.collect()]).toEqual([...logA.collect()]);
    a.machine.run({ maxInstructions: SLICE });
    b.machine.run({ maxInstructions: SLICE });
    const dirtyA = [...logA.collect()];
    expect(dirtyA.length).toBeGreaterThan(0);
    expect([...logB.collect()]).toEqual(dirtyA);
    expect(b.machine.run()).toEqual(a.machine.run());
    expectSameState(a.machine, b.machine);
  });
});

/** Stores i to page i % 4 of a tracked table at 0x60000000, ROUNDS times. */
const TABLE = 0x6000_0000;
const WRITER = `
  .text
  .globl _start
_start:
  li   s0, 0
  li   s1, ${TABLE}
  li   s2, ${ROUNDS}
loop:
  andi t0, s0, 3
  slli t0, t0, 12
  add  t0, t0, s1
  sw   s0, 0(t0)
  addi s0, s0, 1
  blt  s0, s2, loop
  li   a0, 0
  li   a7, 93
  ecall
`;

/** What a write record says about the guest (sequence numbers and times restart with a restore). */
const seen = (records: readonly WriteRecord[]) => records.map((w) => ({ name: w.dataspace.name, page: w.page, address: w.address, pc: w.pc }));

describe('restoring a machine that ran with write tracking', () => {
  it.each(['before', 'after'] as const)('the tracked regions travel with the image and tracking continues exactly, installed %s the restore', (order) => {
    const a = newRun();
    a.machine.load(assemble(WRITER));
    const trackerA = writeTracking({ name: 'table-watch' });
    a.machine.use(trackerA);
    trackerA.track(a.machine.addressSpace.createDataspace(4 * 4096, { name: 'table' }), { at: TABLE });
    const cp = checkpoint({ contributors: [trackerA] });
    a.machine.use(cp);
    const images: ImageInput[] = [];
    for (let k = 0; k < 2; k++) {
      a.machine.run({ maxInstructions: 301 });
      trackerA.rearm();
      images.push({ name: `${k}.ckpt`, bytes: cp.checkpoint() });
    }
    const b = newRun();
    const trackerB = writeTracking({ name: 'table-watch' });
    if (order === 'before') b.machine.use(trackerB);
    restoreCheckpoint(b.machine, images, { contributors: [trackerB] });
    if (order === 'after') b.machine.use(trackerB);
    expect(trackerB.regions().map((r) => [r.at, r.size, r.armed])).toEqual(trackerA.regions().map((r) => [r.at, r.size, r.armed]));
    for (let k = 0; k < 3; k++) {
      const ra = a.machine.run({ maxInstructions: 301 });
      const rb = b.machine.run({ maxInstructions: 301 });
      expect(rb).toEqual(ra);
      const recordsA = seen(trackerA.rearm());
      expect(recordsA.length).toBeGreaterThan(0);
      expect(seen(trackerB.rearm())).toEqual(recordsA);
    }
    expect(b.machine.run()).toEqual(a.machine.run());
    expectSameState(a.machine, b.machine);
  });
});

describe('checkpoint() while the machine runs', () => {
  it('throws a UsageError when called from a host fault handler', () => {
    const run = newRun();
    run.machine.load(assemble(SOURCE));
    const cp = checkpoint();
    run.machine.use(cp);
    let thrown: unknown = null;
    run.machine.registerFaultHandler(() => {
      try {
        cp.checkpoint();
      } catch (err) {
        thrown = err;
      }
      return FaultStatus.Continue;
    });
    run.machine.run();
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toMatch(/checkpoint between runs/);
  });
});

describe('what an image claims is checked before anything is built', () => {
  it('an image claiming 600 dataspaces of 4 GiB is refused by the quota before their page tables are allocated', () => {
    const GiB4 = 2 ** 32;
    const dataspaces = Array.from({ length: 600 }, (_, k) => ({
      id: k + 1, size: GiB4, name: `ds${k}`, writable: true, shared: false, owned: false,
      runs: Uint32Array.of((GiB4 / 4096) * 4 + 1), // every page "has contents" (PageState.Data)
    }));
    const image = (incremental: boolean, claimed: typeof dataspaces) => encodeImage({
      identity: { incremental, chainId: '0123456789abcdef', sequence: incremental ? 1 : 0, imageId: incremental ? 2 : 1, parentId: incremental ? 1 : 0 },
      meta: { memoryQuota: 64 << 20, exitCode: null, programName: 'claim', programEntry: 0x10000 },
      cpu: { regs: new Int32Array(32), pc: 0x10000, instret: 0, reservationValid: false, reservationAddress: 0, reservationValue: 0 },
      threads: null,
      layout: { dataspaces: claimed, maps: [{ id: 1000, size: GiB4, name: 'root', regions: [] }], protection: [], brkBase: 0, currentBrk: 0, brkSet: false, mmapTop: GiB4 },
      guestHandlers: { functions: [], instructionLimit: 1000 },
      exceptionTable: null,
      capabilities: null,
      plugins: new Map(),
      pages: { count: 0, ids: new Uint32Array(0), pages: new Uint32Array(0), frames: new Int32Array(0), memory: new Uint8Array(0) },
    });
    // A valid base, then an increment whose layout claims the lot (its pages "in earlier images").
    const chain = [{ name: 'base.ckpt', bytes: image(false, []) }, { name: 'claim.ckpt', bytes: image(true, dataspaces) }];
    const before = process.memoryUsage().arrayBuffers;
    expect(() => restoreCheckpoint(new Machine({ memoryQuota: 64 << 20 }), chain)).toThrow(/claim\.ckpt.*(needs .* bytes of guest memory|more than the memory quota)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 << 20);
  });
});
