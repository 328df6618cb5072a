import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../src/asm/assemble.js';
import { Machine } from '../src/machine/machine.js';
import { MapFlags } from '../src/memory/mman.js';
import { PAGE_SIZE, Prot } from '../src/memory/page.js';
import { checkpoint } from '../handlers/checkpoint/index.js';
import { restoreRemote } from '../handlers/checkpoint/remote/index.js';
import { startImageServer } from '../cli/http-server.js';
import { settle, summarize, type Results } from './harness.js';

/*
 * Lazy restore over HTTP on loopback (docs/design.md §9, docs/remote-images.md):
 * one full image of a guest with 64 MiB of anonymous memory, every page
 * written, served by the project's server (cli/http-server.ts).
 *
 * remote_lazy_restore_start_ms: restoreRemote (the sections, no page) to
 * the first instruction retired. remote_page_fault_us: the guest reads one
 * word from each of TOUCHED pages two pages apart (no readahead can join
 * them: one request per fault), run time ÷ the faults that made a request
 * (the first 64 KiB read brings a few of the pages with the sections).
 */
const BASE = 0x4000_0000;
const SIZE = 64 << 20;
const TOUCHED = 256;

function guest(): string {
  return `
  .text
  .globl _start
_start:
  li   t0, ${BASE}
  li   t1, ${TOUCHED}
  li   t2, ${2 * PAGE_SIZE}
1:
  lw   t3, 0(t0)
  add  t0, t0, t2
  addi t1, t1, -1
  bnez t1, 1b
  li   a0, 0
  li   a7, 93
  ecall
`;
}

/** The image: every page of the mapping written by the host. */
function image(): Uint8Array {
  const machine = new Machine({ memoryQuota: SIZE + (32 << 20) });
  machine.load(assemble(guest(), { fileName: 'remote-bench.s' }));
  machine.linuxMemory.mmap(BASE, SIZE, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -1, 0);
  const ds = machine.addressSpace.root.lookup(BASE)!.target;
  if (ds.isRegionMap) throw new Error('bench: expected a dataspace');
  const page = new Uint8Array(PAGE_SIZE);
  for (let p = 0; p < SIZE / PAGE_SIZE; p++) {
    page.fill(p & 0xff);
    ds.write(p * PAGE_SIZE, page);
  }
  const cp = checkpoint();
  machine.use(cp);
  return cp.checkpoint();
}

/** remote_lazy_restore_start_ms, remote_page_fault_us (medians over `runs`). */
export async function benchRemoteRestore(results: Results, runs: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-bench-remote-'));
  await writeFile(join(dir, '00000000.ckpt'), image());
  const server = await startImageServer({ dir, port: 0 });
  const start: number[] = [], fault: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      settle();
      const machine = new Machine({ memoryQuota: SIZE + (32 << 20) });
      const t0 = performance.now();
      const remote = await restoreRemote(machine, [`${server.url}00000000.ckpt`], { lazy: true, maxBatchPages: 1 });
      await machine.runAsync({ maxInstructions: 1, timeoutMs: remote.waitBoundMs });
      start.push(performance.now() - t0);
      const t1 = performance.now();
      const result = await machine.runAsync({ timeoutMs: remote.waitBoundMs });
      const elapsed = performance.now() - t1;
      if (result.kind !== 'exit' || remote.demandFaults < TOUCHED / 2) throw new Error(`bench: remote restore ended ${result.kind} after ${remote.demandFaults} demand faults`);
      fault.push((elapsed * 1000) / remote.demandFaults);
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  results.add('remote_lazy_restore_start_ms', summarize(start, 'ms'), '64 MiB image over loopback HTTP, to the first instruction');
  results.add('remote_page_fault_us', summarize(fault, 'µs'), 'one Range request per page, loopback');
}
