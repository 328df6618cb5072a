/**
 * monitor.ts — Genode's monitoring component, on faultline, with two guest
 * threads (docs/design.md §1, §5, §10).
 *
 * What it shows:
 * - a managed dataspace: a region map of two pages attached into the
 *   target's address space, with two designated sub-dataspaces, `sub_ds0`
 *   (a counter) at offset 0 and `sub_ds1` (a mirror of it) at 0x1000, both
 *   initially detached;
 * - the monitor: the {@link demandPaging} plugin with designated backing
 *   attaches the sub-dataspace a fault lands in and resumes the thread;
 * - a guest of two threads: thread 1 starts thread 2 (the **target**) and
 *   then keeps working until the target is gone (it watches the target's
 *   `CHILD_CLEARTID` word); the target loops: reads the counter (READ_FAULT
 *   in sub_ds0), writes it to the mirror (WRITE_FAULT in sub_ds1),
 *   increments it and prints it with `write`;
 * - at each of the target's `write`s the monitor **pauses the target**,
 *   detaches every attached sub-dataspace while thread 1 keeps running,
 *   checks that the paused thread's context is bit for bit what it was,
 *   and **resumes** it: the target's next access faults again — no stale
 *   translation survives a detach (docs/design.md §4) — and the counter
 *   keeps counting because the same dataspaces come back.
 *
 * It prints the fault log like Genode's monitor:
 *
 *     Handling page fault: READ_FAULT pf_addr=0x50000000 (thread 2)
 *     attached sub_ds0 at address 0x50000000
 *     Handling page fault: WRITE_FAULT pf_addr=0x50001000 (thread 2)
 *     attached sub_ds1 at address 0x50001000
 *     [target] 0
 *     paused thread 2 at pc 0x000100b4, detached 2 sub-dataspaces, thread 1 ran 500 instructions, resumed thread 2
 *     ...
 *
 * Run it:
 *
 *     npm run build && node dist/examples/monitor.js [iterations]
 */

import { pathToFileURL } from 'node:url';
import { Access, Machine, PAGE_SIZE, Syscall, UsageError, assemble, hex32, type HartState } from '../src/index.js';
import { demandPaging } from '../handlers/index.js';

/**
 * Where the managed dataspace is attached in the target.
 *
 * @example
 * ```ts
 * console.log(hex32(MANAGED_ADDRESS)); // 0x50000000
 * ```
 */
export const MANAGED_ADDRESS = 0x5000_0000;

/** Instructions thread 1 runs on while the target is paused, each iteration. */
const WORK_WHILE_PAUSED = 500;

/**
 * The guest: thread 1 starts the target (thread 2) and works until the
 * target's `CHILD_CLEARTID` word clears; the target reads, mirrors,
 * increments and prints the counter `iterations` times, then exits.
 */
function targetSource(iterations: number): string {
  return `
    .equ    SYS_WRITE, 64
    .equ    SYS_EXIT, 93
    .equ    SYS_EXIT_GROUP, 94
    .equ    SYS_CLONE, 220
    .equ    THREAD, 0x250f00        # VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|CHILD_CLEARTID
    .equ    COUNTER, ${MANAGED_ADDRESS}             # sub_ds0, offset 0
    .equ    MIRROR, ${MANAGED_ADDRESS + PAGE_SIZE}  # sub_ds1, offset 0x1000

    .text
    .globl  _start
_start:
    li      a0, THREAD
    la      a1, target_stack_top
    li      a2, 0
    li      a3, 0
    la      a4, target_tid          # cleared (and woken) when the target exits
    li      t0, 1
    sw      t0, 0(a4)
    li      a7, SYS_CLONE
    ecall
    beqz    a0, target
    la      s1, target_tid
work:                               # thread 1: other work, until the target is gone
    addi    s0, s0, 1
    lw      t0, 0(s1)
    bnez    t0, work
    li      a0, 0
    li      a7, SYS_EXIT_GROUP
    ecall

target:
    li      s0, COUNTER
    li      s1, MIRROR
    li      s2, ${iterations}
    li      s3, 10
loop:
    lw      t0, 0(s0)               # read the counter: READ_FAULT in sub_ds0
    sw      t0, 0(s1)               # mirror it: WRITE_FAULT in sub_ds1
    addi    t1, t0, 1
    sw      t1, 0(s0)               # increment (sub_ds0 is attached now)
    la      a1, digits_end          # format t0 in decimal, backwards
    addi    a1, a1, -1
    sb      s3, 0(a1)               # '\\n'
1:  remu    t2, t0, s3
    divu    t0, t0, s3
    addi    t2, t2, 48              # '0' + digit
    addi    a1, a1, -1
    sb      t2, 0(a1)
    bnez    t0, 1b
    la      a2, digits_end
    sub     a2, a2, a1
    li      a0, 1
    li      a7, SYS_WRITE
    ecall                           # the monitor pauses this thread here
    addi    s2, s2, -1
    bnez    s2, loop
    li      a0, 0
    li      a7, SYS_EXIT
    ecall

    .data
target_tid:
    .word   0
digits:
    .zero   16
digits_end:
    .bss
    .align  4
    .space  1024
target_stack_top:
`;
}

/**
 * What {@link runMonitor} reports.
 *
 * @example
 * ```ts
 * const { printed, faultsPerIteration } = runMonitor(10);
 * ```
 */
export interface MonitorReport {
  /** The log lines, in order (faults, attaches, target output, pauses). */
  readonly log: string[];
  /** The counter values the target printed, in order. */
  readonly printed: number[];
  /** Faults in the managed dataspace during each iteration. */
  readonly faultsPerIteration: number[];
  /** Sub-dataspaces detached while the target was paused, each iteration. */
  readonly detachedPerIteration: number[];
  /** Instructions thread 1 retired while the target was paused, each iteration. */
  readonly workWhilePaused: number[];
  /** Pauses after which the target's context (registers and pc) was bit for bit what it was when paused. */
  readonly contextsKept: number;
  /** Faults the plugin served in all. */
  readonly faultsServed: number;
  /** Counter left in sub_ds0 and mirror left in sub_ds1 (read through the dataspaces). */
  readonly counter: number;
  readonly mirror: number;
  /** The guest's exit status, or -1 when it did not exit. */
  readonly exitCode: number;
}

/**
 * Runs the monitor scenario for `iterations` loop iterations of the
 * target and returns the log and counts.
 *
 * @throws UsageError when `iterations` is not an integer in 1..100000.
 * @example
 * ```ts
 * const report = runMonitor(3);
 * console.log(report.log.join('\n'));
 * ```
 */
export function runMonitor(iterations: number): MonitorReport {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 100_000) {
    throw new UsageError(`runMonitor: iterations must be an integer in 1..100000, got ${String(iterations)}`);
  }
  const log: string[] = [];
  const printed: number[] = [];
  const faultsPerIteration: number[] = [];
  const detachedPerIteration: number[] = [];
  const workWhilePaused: number[] = [];
  let contextsKept = 0;
  let faults = 0;
  let pendingLine = '';

  const machine = new Machine({
    memoryQuota: 16 << 20,
    timeSlice: 100,
    stdout: (bytes) => {
      pendingLine += new TextDecoder().decode(bytes);
      for (let nl = pendingLine.indexOf('\n'); nl >= 0; nl = pendingLine.indexOf('\n')) {
        const line = pendingLine.slice(0, nl);
        pendingLine = pendingLine.slice(nl + 1);
        log.push(`[target] ${line}`);
        printed.push(Number(line));
      }
    },
  });
  machine.load(assemble(targetSource(iterations), { fileName: 'monitor-target.s' }));

  // The managed dataspace and its two sub-dataspaces.
  const as = machine.addressSpace;
  const managed = as.createRegionMap(2 * PAGE_SIZE, { name: 'managed_ds' });
  as.root.attach(managed, { at: MANAGED_ADDRESS });
  const subDs0 = as.createDataspace(PAGE_SIZE, { name: 'sub_ds0' });
  const subDs1 = as.createDataspace(PAGE_SIZE, { name: 'sub_ds1' });

  const monitor = demandPaging({
    name: 'monitor',
    region: managed,
    backing: {
      kind: 'designated',
      dataspaces: [
        { offset: 0, dataspace: subDs0 },
        { offset: PAGE_SIZE, dataspace: subDs1 },
      ],
    },
    onAttach: (r) => { log.push(`attached ${r.name} at address ${hex32(r.virtualAddress)}`); },
  });
  machine.use(monitor);

  machine.events.on('fault', (fault) => {
    if (fault.regionMap !== managed) return;
    faults++;
    const kind = fault.access === Access.Write ? 'WRITE_FAULT' : 'READ_FAULT';
    log.push(`Handling page fault: ${kind} pf_addr=${hex32(fault.address)} (thread ${fault.tid})`);
  });
  // The target is paused at its write: it stops at the next instruction
  // boundary, right after the ecall, while thread 1 goes on.
  let target = 0;
  machine.events.on('syscall', (nr) => {
    const t = machine.currentThread;
    if (nr === Syscall.Write && t.tid !== 1) {
      target = t.tid;
      machine.pause(target);
    }
  });
  // Runs both threads, a slice of instructions at a time, until the target pauses or the guest ends.
  const runUntilPaused = () => {
    let r = machine.run({ maxInstructions: 2000 });
    while (r.kind === 'limit' && target === 0) r = machine.run({ maxInstructions: 2000 });
    return r;
  };

  let result = runUntilPaused();
  while (result.kind === 'limit' && target !== 0) {
    const paused = machine.threads.find((t) => t.tid === target)!;
    const worker = machine.threads.find((t) => t.tid === 1)!;
    const before: HartState = paused.snapshot();
    const detached = managed.regionCount;
    monitor.evict();
    faultsPerIteration.push(faults);
    detachedPerIteration.push(detached);
    faults = 0;
    // One thread paused, one running: thread 1 works on, the target stays put.
    const workBefore = worker.retired;
    machine.run({ maxInstructions: WORK_WHILE_PAUSED });
    workWhilePaused.push(worker.retired - workBefore);
    if (paused.snapshot().equals(before)) contextsKept++;
    log.push(`paused thread ${target} at pc ${hex32(paused.pc)}, detached ${detached} sub-dataspaces, thread 1 ran ${worker.retired - workBefore} instructions, resumed thread ${target}`);
    machine.resume(target);
    target = 0;
    result = runUntilPaused();
  }
  const word = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getInt32(0, true);
  return {
    log,
    printed,
    faultsPerIteration,
    detachedPerIteration,
    workWhilePaused,
    contextsKept,
    faultsServed: monitor.faultsServed,
    counter: word(subDs0.read(0, 4)),
    mirror: word(subDs1.read(0, 4)),
    exitCode: result.kind === 'exit' ? result.exitCode : -1,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  const iterations = arg === undefined ? 5 : /^[0-9]+$/.test(arg) ? Number(arg) : NaN;
  try {
    const report = runMonitor(iterations);
    for (const line of report.log) console.log(line);
    console.log(`${report.faultsServed} faults served; counter ${report.counter}, mirror ${report.mirror}; target paused ${report.detachedPerIteration.length} times, context kept ${report.contextsKept} times; exit ${report.exitCode}`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // A bad argument: one line, as a command line says it.
    console.error(`monitor: iterations must be an integer in 1..100000, got '${arg}' (usage: node dist/examples/monitor.js [iterations])`);
    process.exitCode = 2;
  }
}
