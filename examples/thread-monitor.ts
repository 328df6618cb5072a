/**
 * thread-monitor.ts — the monitor scenario with two guest threads
 * (docs/design.md §1, §10; docs/threads.md).
 *
 * What it shows:
 * - a guest with two threads: thread 1 keeps computing, thread 2 (the
 *   target) keeps incrementing a counter in a dataspace the monitor owns;
 * - the monitor serves the counter page on demand (a fault handler that
 *   attaches the dataspace and answers Fixed);
 * - between runs it **pauses** the target, **detaches** the dataspace,
 *   checks that the paused thread's context is bit for bit what it was,
 *   lets the other thread run on while the target stays paused, and
 *   **resumes** it: the target's next access faults again and gets the
 *   same counter back, so the count never breaks.
 *
 * Run it:
 *
 *     npm run build && node dist/examples/thread-monitor.js [iterations]
 */

import { pathToFileURL } from 'node:url';
import { FaultStatus, Machine, PAGE_SIZE, UsageError, assemble, hex32 } from '../src/index.js';

/** Where the counter page is attached while the target may use it. */
export const COUNTER_AT = 0x5000_0000;

/** The guest: thread 1 spins on s0; thread 2 increments the counter word forever. */
export const GUEST = `
  .text
  .globl _start
_start:
  li a0, 0x50f00          # CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
  la a1, stack_top
  li a2, 0
  li a3, 0
  li a4, 0
  li a7, 220              # clone
  ecall
  beqz a0, target
worker:                   # thread 1: other work
  addi s0, s0, 1
  j worker
target:                   # thread 2: counter++ in the monitored page
  li t0, ${COUNTER_AT}
1:
  lw t1, 0(t0)
  addi t1, t1, 1
  sw t1, 0(t0)
  j 1b
  .bss
  .align 4
  .space 1024
stack_top:
`;

/**
 * Runs the scenario for `iterations` rounds and returns the lines it
 * prints. Throws if the paused thread's context changed or the count broke.
 */
export function threadMonitor(iterations: number): string[] {
  const lines: string[] = [];
  const machine = new Machine({ timeSlice: 100 });
  machine.load(assemble(GUEST, { fileName: 'thread-monitor.s' }));
  const counter = machine.addressSpace.createDataspace(PAGE_SIZE, { name: 'counter' });
  let faults = 0;
  machine.registerFaultHandler((fault) => {
    if ((fault.address >>> 0) - COUNTER_AT >= PAGE_SIZE) return FaultStatus.Continue;
    machine.addressSpace.root.attach(counter, { at: COUNTER_AT });
    faults++;
    return FaultStatus.Fixed;
  }, { name: 'monitor' });
  const value = (): number => new DataView(counter.read(0, 4).buffer).getUint32(0, true);
  let last = 0;
  for (let k = 0; k < iterations; k++) {
    machine.run({ maxInstructions: 1000 });
    machine.pause(2);
    const target = machine.threads.find((t) => t.tid === 2)!;
    const before = target.snapshot();
    if (machine.addressSpace.root.lookup(COUNTER_AT) !== undefined) machine.addressSpace.root.detach(COUNTER_AT);
    const worker = machine.threads.find((t) => t.tid === 1)!;
    const workBefore = worker.retired;
    machine.run({ maxInstructions: 500 }); // only thread 1 runs
    if (!target.snapshot().equals(before)) throw new Error('the paused thread changed');
    const count = value();
    if (count < last) throw new Error(`the count went back from ${last} to ${count}`);
    last = count;
    lines.push(`round ${k}: thread 2 paused at pc ${hex32(target.pc)}, counter ${count}, page detached; thread 1 ran ${worker.retired - workBefore} more instructions`);
    machine.resume(2);
  }
  lines.push(`${faults} faults served; the counter never went back`);
  return lines;
}

/** Command line: `node dist/examples/thread-monitor.js [iterations]`. */
function main(): void {
  const arg = process.argv[2] ?? '3';
  const iterations = Number(arg);
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new UsageError(`thread-monitor: iterations must be a positive integer, got '${arg}'`);
  for (const line of threadMonitor(iterations)) console.log(line);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
  }
}
