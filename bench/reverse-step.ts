/**
 * `reverse_step_ms` (docs/design.md §9): one reverse-stepi in a
 * 10⁸-instruction run, as `faultline run --gdb` does it — a full
 * in-memory snapshot every 1M instructions (thinned to the default
 * bound of 256), then a step back = restore the newest snapshot before
 * the target into a fresh machine and re-execute to it. Samples step back
 * from random points of the run.
 *
 * Run alone: `node dist/bench/reverse-step.js [--runs N]` after
 * `npx tsc -p tsconfig.json`.
 */
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/asm/assemble.js';
import { Machine } from '../src/machine/machine.js';
import { GdbStub } from '../src/debug/gdb-stub.js';
import { ReverseExecution } from '../src/debug/reverse.js';
import { checkpoint, restoreCheckpoint, type Checkpointer } from '../handlers/index.js';
import { settle, summarize, timeSeconds, Results } from './harness.js';

/** Instructions of the recorded run. */
const RUN = 100_000_000;

/** A loop over a 64 KiB array: loads, adds and stores, forever. */
const SOURCE = `
  .text
  .globl _start
_start:
  la   s0, table
  li   s1, 0
  li   s2, 16383
loop:
  and  t0, s1, s2
  slli t0, t0, 2
  add  t0, t0, s0
  lw   t1, 0(t0)
  add  t1, t1, s1
  sw   t1, 0(t0)
  addi s1, s1, 1
  j    loop
  .data
  .balign 4096
table: .space 65536
`;

function newMachine(): Machine {
  return new Machine({ memoryQuota: 64 << 20 });
}

/** Median ms of one reverse-stepi at random points of a 10⁸-instruction run; `samples` steps. */
export function benchReverseStep(results: Results, samples: number): void {
  const program = assemble(SOURCE, { fileName: 'reverse-bench.s' });
  const checkpointers = new WeakMap<Machine, Checkpointer>();
  const reverse = new ReverseExecution({
    capture(m) {
      let cp = checkpointers.get(m);
      if (cp === undefined) { cp = checkpoint({ incremental: false }); m.use(cp); checkpointers.set(m, cp); }
      return cp.checkpoint({ full: true });
    },
    restore(bytes) {
      const m = newMachine();
      restoreCheckpoint(m, [{ name: 'snapshot', bytes }], { ignoreUnclaimedState: true });
      return m;
    },
  });
  const machine = newMachine();
  machine.load(program);
  const stub = new GdbStub(machine, { send: () => {}, rewinder: reverse });
  const recordSeconds = timeSeconds(() => {
    while (machine.cpu.instret < RUN) machine.run({ maxInstructions: Math.min(reverse.beforeRun(machine), RUN - machine.cpu.instret) });
  });
  const ms: number[] = [];
  let seed = 12345;
  for (let k = 0; k < samples; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const target = 1_000_000 + (seed % (RUN - 1_000_000));
    stub.attach(reverse.machineAt(target)!);
    settle();
    const start = process.hrtime.bigint();
    void reverse.stepBack(stub);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (stub.machine.cpu.instret !== target - 1) throw new Error(`reverse-step bench: stepped to ${stub.machine.cpu.instret}, not ${target - 1}`);
  }
  const u = reverse.usage;
  results.add('reverse_step_ms', summarize(ms, 'ms'), `10^8 instructions recorded in ${recordSeconds.toFixed(1)} s; ${u.snapshots} snapshots every ${u.interval / 1e6}M, ${(u.bytes / 2 ** 20).toFixed(1)} MiB`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 15) || 15;
  const results = new Results();
  benchReverseStep(results, runs);
  console.log(results.table());
}
