/**
 * Reverse execution (src/debug/reverse.ts): for random threaded programs
 * and a random N, stepping back from N gives exactly the state of a fresh
 * forward run to N − 1 (every thread's registers, pc and state, a digest
 * of all memory, the instruction count); reverse-continue stops before the
 * last write to a watched address.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine, type Program } from '../../src/index.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { GdbStub } from '../../src/debug/gdb-stub.js';
import { ReverseExecution, runExactly } from '../../src/debug/reverse.js';
import { WatchKind } from '../../src/debug/watchpoints.js';
import { crc32 } from '../../src/checkpoint/crc32.js';
import { assembleThreaded, threadedMachine, threadedProgram } from '../threads/random-threads.js';

const OPTIONS = { timeSlice: 7, jit: true };

/** Everything a step back must reproduce. */
function stateOf(m: Machine): unknown {
  const threads = m.threads.map((t) => {
    const onHart = t === m.currentThread;
    return { tid: t.tid, state: t.state, pc: onHart ? m.cpu.pc : t.pc, regs: Array.from(onHart ? m.cpu.regs : t.hart.regs) };
  });
  let digest = 0;
  for (const e of m.addressSpace.mappings()) {
    for (let a = e.start; a < e.end; a += 4096) {
      try { digest = crc32(m.addressSpace.readBytes(a, 4096), digest); } catch { digest = crc32(new Uint8Array([a >>> 24, a >>> 16, a >>> 8, 1]), digest); }
    }
  }
  return { instret: m.cpu.instret, current: m.currentThread.tid, threads, digest, exit: m.exitCode };
}

/** A debugged machine with reverse execution every `interval` instructions. */
function debugged(program: Program, interval: number): { stub: GdbStub; reverse: ReverseExecution } {
  const cps = new WeakMap<Machine, ReturnType<typeof checkpoint>>();
  const reverse = new ReverseExecution({
    interval,
    intervalPerByte: 0, // snapshots at the random interval, however small
    capture: (m) => {
      let cp = cps.get(m);
      if (cp === undefined) { cp = checkpoint({ incremental: false, chainId: '0123456789abcdef' }); m.use(cp); cps.set(m, cp); }
      return cp.checkpoint({ full: true });
    },
    restore: (bytes) => {
      const m = threadedMachine(null, OPTIONS, [], []);
      restoreCheckpoint(m, [{ name: 'snapshot', bytes }], { ignoreUnclaimedState: true });
      return m;
    },
  });
  const machine = threadedMachine(program, OPTIONS, [], []);
  const stub = new GdbStub(machine, { send: () => {}, rewinder: reverse });
  return { stub, reverse };
}

/** Runs the stub's machine forward to instruction `n` as the stub does (snapshots between slices). */
function forwardTo(stub: GdbStub, reverse: ReverseExecution, n: number): void {
  const m = stub.machine;
  while (m.cpu.instret < n) {
    const before = m.cpu.instret;
    const due = reverse.beforeRun(m);
    const r = m.run({ maxInstructions: Math.min(due, n - m.cpu.instret) });
    stub.watchpoints.rearm();
    if (r.kind !== 'limit' || m.cpu.instret === before) break;
  }
}

/** The [address, size] the instruction at pc stores to (store or AMO), or null. */
function storeTarget(m: Machine): [number, number] | null {
  let word: number;
  try { word = m.addressSpace.readU32(m.cpu.pc >>> 0); } catch { return null; }
  const opcode = word & 0x7f, rs1 = (word >>> 15) & 31, funct3 = (word >>> 12) & 7;
  const base = m.cpu.x[rs1]!;
  if (opcode === 0x23) {
    const imm = (((word >> 25) << 5) | ((word >>> 7) & 31));
    return [(base + imm) >>> 0, 1 << funct3];
  }
  if (opcode === 0x2f && (word >>> 27) !== 2) return [base >>> 0, 4]; // AMOs and sc.w (not lr.w)
  return null;
}

function freshTo(program: Program, n: number): Machine {
  const m = threadedMachine(program, OPTIONS, [], []);
  runExactly(m, n);
  return m;
}

describe('reverse execution', () => {
  it('reverse-stepi from N equals a fresh forward run to N − 1', async () => {
    await fc.assert(
      fc.asyncProperty(threadedProgram, fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 3, max: 200 }), async (threads, seed, interval) => {
        const program = assembleThreaded(threads);
        const total = freshTo(program, 1e7).cpu.instret;
        const n = 1 + (seed % total);
        const { stub, reverse } = debugged(program, interval);
        forwardTo(stub, reverse, n);
        if (stub.machine.cpu.instret !== n) return; // ended before n (exit): nothing to step back from there
        expect(await reverse.stepBack(stub)).toBe('');
        expect(stateOf(stub.machine)).toEqual(stateOf(freshTo(program, n - 1)));
        // And again: two steps back from N is N − 2.
        if (n >= 2) {
          await reverse.stepBack(stub);
          expect(stateOf(stub.machine)).toEqual(stateOf(freshTo(program, n - 2)));
        }
      }),
      { numRuns: process.env['CI'] ? 60 : 15 },
    );
  });

  it('reverse-continue stops before the last write to a watched address', async () => {
    await fc.assert(
      fc.asyncProperty(threadedProgram, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 5, max: 300 }), async (threads, word, interval) => {
        const program = assembleThreaded(threads);
        const shared = program.symbols.get('shared')! + 4 * word;
        // The reference: single-step and decode; note each instruction count at which a store or AMO to the word is next.
        const ref = threadedMachine(program, OPTIONS, [], []);
        const writes: number[] = [];
        for (;;) {
          const before = ref.cpu.instret;
          const target = storeTarget(ref);
          if (target !== null && target[0] < shared + 4 && target[0] + target[1] > shared) writes.push(before);
          const r = ref.run({ maxInstructions: 1 });
          if (r.kind !== 'limit' || ref.cpu.instret === before) break;
        }
        const end = ref.cpu.instret;
        const { stub, reverse } = debugged(program, interval);
        forwardTo(stub, reverse, end - 1);
        stub.watchpoints.add(WatchKind.Write, shared, 4);
        const reply = await reverse.continueBack(stub);
        const earlier = writes.filter((w) => w < end - 1);
        if (earlier.length === 0) {
          expect(reply).toBe('start');
          expect(stub.machine.cpu.instret).toBe(0);
          return;
        }
        expect(reply).toBe(`watch:${shared.toString(16)};`);
        const at = stub.machine.cpu.instret;
        expect(at).toBe(Math.max(...earlier));
        expect(stateOf(stub.machine)).toEqual(stateOf(freshTo(program, at)));
      }),
      { numRuns: process.env['CI'] ? 40 : 8 },
    );
  });
});
