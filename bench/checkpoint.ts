import { assemble } from '../src/asm/assemble.js';
import { Machine } from '../src/machine/machine.js';
import { MapFlags } from '../src/memory/mman.js';
import { PAGE_SIZE, Prot } from '../src/memory/page.js';
import { checkpoint, restoreCheckpoint } from '../handlers/checkpoint/index.js';
import { settle, summarize, timeSeconds, type Results } from './harness.js';

/*
 * Checkpoint and restore throughput (docs/design.md §9). The guest memory is one
 * anonymous mapping whose every page the host filled with distinct bytes
 * (so every page has contents); images go to and come from memory.
 *
 * The guest loops forever over the mapping, storing one word every
 * STRIDE_PAGES pages: one pass writes 1 % of the pages.
 */
const BASE = 0x4000_0000;
const STRIDE_PAGES = 100;
const MIB = 1 << 20;

function guest(size: number): string {
  return `
  .text
  .globl _start
_start:
  li   t2, ${STRIDE_PAGES * PAGE_SIZE}
  li   t3, ${BASE + size}
pass:
  li   t0, ${BASE}
1:
  sw   t0, 0(t0)
  add  t0, t0, t2
  bltu t0, t3, 1b
  j    pass
`;
}

/** Instructions of one pass of {@link guest}: 3 per page written, 1 to restart. */
function passLength(size: number): number {
  return Math.ceil(size / (STRIDE_PAGES * PAGE_SIZE)) * 3 + 2;
}

/** A machine running {@link guest} over `size` bytes, every page filled by the host. */
function touchedMachine(size: number): Machine {
  const machine = new Machine({ memoryQuota: size + (32 << 20) });
  machine.load(assemble(guest(size), { fileName: 'checkpoint-bench.s' }));
  machine.linuxMemory.mmap(BASE, size, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -1, 0);
  const ds = machine.addressSpace.root.lookup(BASE)!.target;
  if (ds.isRegionMap) throw new Error('bench: expected a dataspace');
  const page = new Uint8Array(PAGE_SIZE);
  for (let p = 0; p < size / PAGE_SIZE; p++) {
    page.fill(p & 0xff);
    page[0] = 1;
    ds.write(p * PAGE_SIZE, page);
  }
  return machine;
}

/** checkpoint_full_mib_s, restore_full_mib_s, checkpoint_incremental_1pct_ms, lazy_restore_start_ms. */
export function benchCheckpoint(results: Results, runs: number): void {
  const full = 64 * MIB;
  const machine = touchedMachine(full);
  const cp = checkpoint({ incremental: false });
  machine.use(cp);
  machine.run({ maxInstructions: passLength(full) });
  let image = cp.checkpoint(); // warm-up
  const save: number[] = [];
  for (let r = 0; r < runs; r++) {
    settle();
    save.push(full / MIB / timeSeconds(() => { image = cp.checkpoint(); }));
  }
  results.add('checkpoint_full_mib_s', summarize(save, 'MiB/s'), `64 MiB touched, image ${(image.length / MIB).toFixed(1)} MiB`);

  const load: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    // Sized for the image up front (memoryInitialSize), as a restore that
    // knows its size would do: no copies of repeated doubling.
    const fresh = new Machine({ memoryQuota: full + (32 << 20), memoryInitialSize: full + (4 << 20) });
    settle();
    const seconds = timeSeconds(() => restoreCheckpoint(fresh, [{ name: 'bench', bytes: image }]));
    if (r > 0) load.push(full / MIB / seconds);
  }
  // Machines made before the timed part: a sample measures the restore, not
  // the allocation (or collection) of a machine's 20 MiB of tables.
  const lazy: number[] = [];
  // A start takes a few milliseconds, so scheduling noise on a small VM
  // moves single samples a lot: take at least 15 for a stable median.
  const lazyRuns = Math.max(runs, 15);
  const machines = Array.from({ length: lazyRuns + 1 }, () => new Machine({ memoryQuota: full + (32 << 20) }));
  machines.forEach((started, r) => {
    settle();
    const seconds = timeSeconds(() => {
      restoreCheckpoint(started, [{ name: 'bench', bytes: image }], { lazy: true });
      started.run({ maxInstructions: 1 });
    });
    if (r > 0) lazy.push(seconds * 1000);
  });
  results.add('restore_full_mib_s', summarize(load, 'MiB/s'), '64 MiB, every page CRC-checked');
  results.add('lazy_restore_start_ms', summarize(lazy, 'ms'), '64 MiB image, to the first instruction');

  const big = 256 * MIB;
  const large = touchedMachine(big);
  const inc = checkpoint();
  large.use(inc);
  const base = inc.checkpoint();
  const incremental: number[] = [];
  let size = 0;
  for (let r = 0; r < runs + 1; r++) {
    large.run({ maxInstructions: passLength(big) });
    let bytes: Uint8Array = new Uint8Array(0);
    settle();
    const seconds = timeSeconds(() => { bytes = inc.checkpoint(); });
    size = bytes.length;
    if (r > 0) incremental.push(seconds * 1000);
  }
  results.add('checkpoint_incremental_1pct_ms', summarize(incremental, 'ms'), `256 MiB mapped, 1 % written: ${(size / MIB).toFixed(2)} MiB vs full ${(base.length / MIB).toFixed(0)} MiB (${((100 * size) / base.length).toFixed(2)} %)`);
}
