import { assemble } from '../src/asm/assemble.js';
import { FaultStatus } from '../src/fault/status.js';
import { Machine } from '../src/machine/machine.js';
import { PAGE_SIZE } from '../src/memory/page.js';
import { settle, summarize, timeSeconds, type Results } from './harness.js';

/** clone flags of a thread: VM | FS | FILES | SIGHAND | THREAD | SYSVSEM. */
const THREAD_FLAGS = 0x50f00;
/** Page the last thread reads first, served by an asynchronous source. */
const REMOTE = 0x5000_0000;

/**
 * `threads` threads, each spinning on `addi; bnez` forever; with `remote`,
 * the last one first loads from {@link REMOTE}. Stacks are not used.
 */
function spinners(threads: number, remote: boolean): string {
  return `
    .text
    .globl _start
  _start:
    li s11, 1
  spawn:
    li t2, ${threads}
    bge s11, t2, spawned
    li a0, ${THREAD_FLAGS}
    li a1, 0
    li a2, 0
    li a3, 0
    li a4, 0
    li a7, 220
    ecall
    beqz a0, body
    addi s11, s11, 1
    j spawn
  spawned:
    li s11, 0
  body:
    li t2, ${threads - 1}
    bne s11, t2, spin
    ${remote ? `li t0, ${REMOTE}\n lw t1, 0(t0)` : ''}
  spin:
    li t0, 0x7fffffff
  1:
    addi t0, t0, -1
    bnez t0, 1b
    j spin
  `;
}

/** Nanoseconds per switch: two spinning threads in slices of `slice` against the same work unswitched. */
function switchCost(instructions: number, slice: number): number {
  const program = assemble(spinners(2, false), { fileName: 'switch.s' });
  const time = (timeSlice: number): { seconds: number; switches: number } => {
    const m = new Machine({ timeSlice });
    m.load(program);
    m.run({ maxInstructions: 100_000 }); // both threads exist and their loops are compiled
    const before = m.scheduler.switches;
    settle();
    const seconds = timeSeconds(() => m.run({ maxInstructions: instructions }));
    return { seconds, switches: m.scheduler.switches - before };
  };
  const switched = time(slice);
  const unswitched = time(instructions * 4);
  return ((switched.seconds - unswitched.seconds) * 1e9) / switched.switches;
}

/** Retired instructions per second of threads other than the last. */
function othersRetired(m: Machine, threads: number): number {
  return m.threads.filter((t) => t.tid !== threads).reduce((sum, t) => sum + t.retired, 0);
}

/**
 * Work of 7 threads (instructions retired per wall second) while an 8th
 * waits 20 ms for an asynchronous page source, as a percentage of their
 * work in a run where nobody waits.
 */
async function asyncBlocking(waitMs: number): Promise<number> {
  const threads = 8;
  // With blocking: the 8th thread's first access waits for the source.
  const blocking = new Machine();
  blocking.load(assemble(spinners(threads, true), { fileName: 'async-block.s' }));
  const page = blocking.addressSpace.createDataspace(PAGE_SIZE, { name: 'remote' });
  let start = 0, startRetired = 0, end = 0, endRetired = 0;
  blocking.registerFaultHandler(async (fault) => {
    if ((fault.address >>> 0) !== REMOTE) return FaultStatus.Continue;
    start = performance.now();
    startRetired = othersRetired(blocking, threads);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    end = performance.now();
    endRetired = othersRetired(blocking, threads);
    blocking.addressSpace.root.attach(page, { at: REMOTE });
    for (const t of blocking.threads) blocking.pause(t.tid); // measured: end the run
    return FaultStatus.Fixed;
  });
  settle();
  const ended = await blocking.runAsync();
  if (ended.kind !== 'paused') throw new Error(`bench: the blocking run ended with ${ended.kind}`);
  if (end === 0) throw new Error('bench: the asynchronous source was never asked');
  const blockedRate = (endRetired - startRetired) / (end - start);
  // Without: the same threads with the page present from the start.
  const free = new Machine();
  free.load(assemble(spinners(threads, true), { fileName: 'no-block.s' }));
  free.addressSpace.root.attach(free.addressSpace.createDataspace(PAGE_SIZE, { name: 'remote' }), { at: REMOTE });
  free.run({ maxInstructions: 1_000_000 });
  const freeStart = performance.now(), freeRetired = othersRetired(free, threads);
  while (performance.now() - freeStart < waitMs) free.run({ maxInstructions: 1_000_000 });
  const freeRate = (othersRetired(free, threads) - freeRetired) / (performance.now() - freeStart);
  return (100 * blockedRate) / freeRate;
}

/** thread_switch_ns and async_block_other_threads_pct (docs/design.md §9). */
export async function benchThreads(results: Results, runs: number): Promise<void> {
  const instructions = 20_000_000, slice = 1000;
  switchCost(instructions / 10, slice); // warm-up
  const switches = Array.from({ length: runs }, () => switchCost(instructions, slice));
  results.add('thread_switch_ns', summarize(switches, 'ns'), `two spinning threads, ${slice}-instruction slices, vs unswitched`);
  await asyncBlocking(20); // warm-up
  const shares: number[] = [];
  for (let k = 0; k < runs; k++) shares.push(await asyncBlocking(20));
  results.add('async_block_other_threads_pct', summarize(shares, '%'), '7 threads while an 8th waits 20 ms, vs nobody waiting');
}
