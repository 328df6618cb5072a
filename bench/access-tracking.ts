import { Machine, PAGE_SIZE, assemble } from '../src/index.js';
import { accessTracking, type AccessTracking } from '../handlers/index.js';
import { settle, summarize, type Results } from './harness.js';

/*
 * Access tracking benchmarks (docs/design.md §9, §14).
 *
 * access_tracking_fault_ns: the guest maps 65,536 pages and sweeps them,
 * one load per page, in rounds separated by a marker system call. At each
 * marker the host ends the tracker's epoch (endEpoch() revokes every page
 * touched), so every load of the next round is the first touch of its page
 * in an epoch: trap, chain (one handler: the tracker), grant, record,
 * retry. Round 0 (first touch of fresh memory) and round 1 (the fresh
 * machine's blocks warm up) are not counted; a last round without an
 * epoch end before it measures the sweep alone. endEpoch() (building the
 * epoch's record) and collecting its garbage are outside the timed
 * rounds.
 *
 * access_tracking_slowdown_pct: a load/store-heavy guest (1 MiB, over and
 * over) between epoch starts — after the first touch of each page in the
 * epoch — tracking on vs off. The note gives the cost with an epoch every
 * 1,000,000 instructions as well (first touches and record building
 * included).
 */

/** Marker system call (unknown number: -ENOSYS, visible as a 'syscall' event). */
const MARK = 0x7ff;

const SWEEP = `
  .text
  .globl _start
_start:
  li   a0, 0
  li   a1, PAGES * 4096
  li   a2, 3
  li   a3, 0x22
  li   a4, -1
  li   a5, 0
  li   a7, 222
  ecall                    # mmap PAGES pages
  mv   s1, a0
  li   s3, ROUNDS
  li   s4, 4096
round:
  li   a7, ${MARK}
  ecall
  mv   t1, s1
  li   t2, PAGES
1:lw   t0, 0(t1)
  add  t1, t1, s4
  addi t2, t2, -1
  bnez t2, 1b
  addi s3, s3, -1
  bnez s3, round
  li   a7, ${MARK}
  ecall
  li   a0, 0
  li   a7, 93
  ecall
`;

/** Per-page ns of each faulting round, and of the fault-free sweep. */
function sweep(pages: number, runs: number): { faulting: number[]; sweepOnly: number } {
  const rounds = runs + 3; // touch, warm-up, `runs` measured, one baseline
  const program = assemble(SWEEP.replaceAll('PAGES', String(pages)).replace('ROUNDS', String(rounds)), { fileName: 'access-tracking-sweep.s' });
  const machine = new Machine({ memoryQuota: pages * PAGE_SIZE + (32 << 20) });
  machine.load(program);
  const tracker: AccessTracking = accessTracking();
  machine.use(tracker);
  const intervals: number[] = [];
  let marks = 0;
  let last = 0n;
  let faultsBefore = 0;
  machine.events.on('syscall', (nr) => {
    if (nr !== MARK) return;
    const now = process.hrtime.bigint();
    if (marks > 0) intervals.push(Number(now - last) / pages);
    marks++;
    // A new epoch before rounds 1..runs+1; not before the baseline round.
    if (marks <= runs + 2) tracker.endEpoch();
    else faultsBefore = tracker.faults;
    settle(); // the epoch record's garbage (65,536 touches) is not collected inside the next round
    last = process.hrtime.bigint();
  });
  const result = machine.run();
  if (result.kind !== 'exit') throw new Error(`bench: access-tracking sweep stopped: ${JSON.stringify(result)}`);
  if (tracker.faults !== faultsBefore) throw new Error('bench: the baseline round of the access-tracking sweep faulted');
  if (faultsBefore < pages * (runs + 2)) throw new Error(`bench: expected at least ${pages * (runs + 2)} access-tracking faults, saw ${faultsBefore}`);
  return { faulting: intervals.slice(2, runs + 2), sweepOnly: intervals[runs + 2]! };
}

const HEAVY = `
  .text
  .globl _start
_start:
  la   s1, buf
  li   a7, ${MARK}
  ecall
  li   s3, PASSES
pass:
  mv   t1, s1
  li   t2, 1024 * 1024 / 16
1:lw   t0, 0(t1)
  addi t0, t0, 1
  sw   t0, 0(t1)
  sw   t2, 4(t1)
  lh   t3, 8(t1)
  sb   t0, 12(t1)
  addi t1, t1, 16
  addi t2, t2, -1
  bnez t2, 1b
  addi s3, s3, -1
  li   a7, ${MARK}
  ecall
  bnez s3, pass
  li   a0, 0
  li   a7, 93
  ecall
  .data
  .balign 4096
buf: .space 1024 * 1024
`;

/**
 * Seconds of the heavy guest after its first pass: untracked, tracked in
 * one epoch (`epoch` 0), or tracked with an epoch every `epoch` instructions.
 */
function heavy(mode: 'off' | 'on', passes: number, epoch = 0): number {
  const machine = new Machine({ memoryQuota: 64 << 20 });
  machine.load(assemble(HEAVY.replace('PASSES', String(passes)), { fileName: 'access-tracking-steady.s' }));
  const tracker = mode === 'on' ? accessTracking({ epochInstructions: epoch > 0 ? epoch : 2 ** 52 }) : null;
  if (tracker !== null) machine.use(tracker);
  let marks = 0;
  let start = 0n;
  machine.events.on('syscall', (nr) => {
    if (nr === MARK && ++marks === 2) start = process.hrtime.bigint(); // after the first pass
  });
  const result = tracker !== null && epoch > 0 ? tracker.runEpochs() : machine.run();
  const end = process.hrtime.bigint();
  if (result.kind !== 'exit') throw new Error(`bench: access-tracking heavy guest stopped: ${JSON.stringify(result)}`);
  return Number(end - start) / 1e9;
}

/** The figure of one off/on comparison: best of three alternating runs each. */
function slowdown(passes: number, epoch: number): number {
  let off = Infinity, on = Infinity;
  for (let k = 0; k < 3; k++) {
    off = Math.min(off, heavy('off', passes));
    on = Math.min(on, heavy('on', passes, epoch));
  }
  return ((on - off) / off) * 100;
}

/** access_tracking_fault_ns (65,536 pages) and access_tracking_slowdown_pct (docs/design.md §9). */
export function benchAccessTracking(results: Results, runs: number): void {
  sweep(16_384, 3); // warm-up (JIT tiers)
  const s = sweep(65_536, runs);
  results.add('access_tracking_fault_ns', summarize(s.faulting, 'ns'), `65,536 pages, first touch per page per epoch; sweep alone ${s.sweepOnly.toFixed(1)} ns/page`);

  const passes = 100;
  heavy('off', 5); // warm-up
  heavy('on', 5);
  heavy('on', 5, 1_000_000);
  const between: number[] = [];
  const withEpochs: number[] = [];
  for (let r = 0; r < runs; r++) {
    between.push(slowdown(passes, 0));
    withEpochs.push(slowdown(passes, 1_000_000));
  }
  const epochs = summarize(withEpochs, '%');
  results.add('access_tracking_slowdown_pct', summarize(between, '%'), `1 MiB read and written ${passes - 1} times between epoch starts, tracking on vs off; with an epoch every 1,000,000 instructions: ${epochs.median.toFixed(1)} %`);
}
