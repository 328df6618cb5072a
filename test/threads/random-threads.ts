/**
 * Random multi-threaded guest programs for property tests: 2–4 threads,
 * each running its own random mix of ALU operations, loads, stores and
 * AMOs on shared words, loads from a demand-paged region (faults), yields
 * and writes, then storing its registers and exiting. A run's trace — the
 * output, the faults in order with their thread, the final shared and
 * result words, the instruction count and the number of switches — must
 * depend only on the program and the options.
 */

import fc from 'fast-check';
import { FaultStatus, Machine, PAGE_SIZE, assemble, type Program } from '../../src/index.js';

/** clone flags of a thread: VM | FS | FILES | SIGHAND | THREAD | SYSVSEM. */
const THREAD_FLAGS = 0x50f00;
/** Where the demand-paged region starts (pages are attached on first touch). */
export const LAZY_BASE = 0x5000_0000;
/** Pages of the demand-paged region. */
const LAZY_PAGES = 8;
/** Shared words the threads race on. */
const SHARED_WORDS = 8;

type Op =
  | { readonly kind: 'alu'; readonly rd: number; readonly rs: number; readonly imm: number }
  | { readonly kind: 'load'; readonly rd: number; readonly word: number }
  | { readonly kind: 'store'; readonly rs: number; readonly word: number }
  | { readonly kind: 'amo'; readonly rd: number; readonly rs: number; readonly word: number }
  | { readonly kind: 'lazy'; readonly rd: number; readonly page: number }
  | { readonly kind: 'yield' }
  | { readonly kind: 'write'; readonly word: number }
  | { readonly kind: 'loop'; readonly count: number };

/** Registers the ops use: s1..s6. */
const REGS = ['s1', 's2', 's3', 's4', 's5', 's6'];
const reg = fc.integer({ min: 0, max: REGS.length - 1 });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('alu' as const), rd: reg, rs: reg, imm: fc.integer({ min: -2048, max: 2047 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const), rd: reg, word: fc.integer({ min: 0, max: SHARED_WORDS - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('store' as const), rs: reg, word: fc.integer({ min: 0, max: SHARED_WORDS - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('amo' as const), rd: reg, rs: reg, word: fc.integer({ min: 0, max: SHARED_WORDS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lazy' as const), rd: reg, page: fc.integer({ min: 0, max: LAZY_PAGES - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'yield' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), word: fc.integer({ min: 0, max: SHARED_WORDS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('loop' as const), count: fc.integer({ min: 1, max: 300 }) }) },
);

/** A random program: one op list per thread. */
export const threadedProgram = fc.array(fc.array(op, { minLength: 1, maxLength: 25 }), { minLength: 2, maxLength: 4 });

/** The assembly of one op; `label` makes local labels unique. */
function emit(o: Op, label: string): string {
  switch (o.kind) {
    case 'alu': return `addi ${REGS[o.rd]}, ${REGS[o.rs]}, ${o.imm}\n xor ${REGS[o.rs]}, ${REGS[o.rs]}, ${REGS[o.rd]}`;
    case 'load': return `lw ${REGS[o.rd]}, ${4 * o.word}(s0)`;
    case 'store': return `sw ${REGS[o.rs]}, ${4 * o.word}(s0)`;
    case 'amo': return `addi t0, s0, ${4 * o.word}\n amoadd.w ${REGS[o.rd]}, ${REGS[o.rs]}, (t0)`;
    case 'lazy': return `li t0, ${LAZY_BASE + o.page * PAGE_SIZE + 4 * o.page}\n lw ${REGS[o.rd]}, 0(t0)\n sw ${REGS[o.rd]}, 4(t0)`;
    case 'yield': return 'li a7, 124\n ecall';
    case 'write': return `li a0, 1\n addi a1, s0, ${4 * o.word}\n li a2, 4\n li a7, 64\n ecall`;
    case 'loop': return `li t1, ${o.count}\n${label}: addi s1, s1, 3\n addi t1, t1, -1\n bnez t1, ${label}`;
  }
}

/** Assembles `threads` (one op list each) into a program. */
export function assembleThreaded(threads: readonly (readonly Op[])[]): Program {
  const n = threads.length;
  const bodies = threads.map((ops, t) => `thread${t}:\n${ops.map((o, k) => emit(o, `l${t}_${k}`)).join('\n')}\n j finish`).join('\n');
  return assemble(`
    .text
    .globl _start
  _start:
    la s0, shared
    li s11, 1
  spawn:
    li t2, ${n}
    bge s11, t2, spawned
    li a0, ${THREAD_FLAGS}
    la a1, stacks
    slli t3, s11, 10
    add a1, a1, t3
    li a2, 0
    li a3, 0
    li a4, 0
    li a7, 220
    ecall
    beqz a0, dispatch
    addi s11, s11, 1
    j spawn
  spawned:
    li s11, 0
  dispatch:
    ${threads.map((_, t) => `li t2, ${t}\n beq s11, t2, thread${t}`).join('\n')}
  ${bodies}
  finish:
    la t0, results
    slli t1, s11, 5
    add t0, t0, t1
    sw s1, 0(t0)
    sw s2, 4(t0)
    sw s3, 8(t0)
    sw s4, 12(t0)
    sw s5, 16(t0)
    sw s6, 20(t0)
    mv a0, s11
    li a7, 93
    ecall
    .data
  shared: .space ${4 * SHARED_WORDS}
  results: .space ${32 * 4}
    .bss
    .align 4
    .space 1024
  stacks: .space ${1024 * 4}
  `);
}

/** What a run did, in every observable respect. */
export interface ThreadedTrace {
  readonly output: number[];
  readonly faults: Array<[number, number]>;
  readonly shared: number[];
  readonly result: string;
  readonly instret: number;
  readonly switches: number;
}

/**
 * A machine (with `program` loaded, unless null: a restore fills it) whose
 * demand-paged region is served zero-filled on first touch, each fault
 * logged with its thread, with the options given.
 */
export function threadedMachine(program: Program | null, options: { timeSlice: number; jit: boolean }, faults: Array<[number, number]>, output: number[]): Machine {
  const m = new Machine({ timeSlice: options.timeSlice, jit: options.jit, ...(options.jit ? { jitThreshold: 1 } : {}), stdout: (b) => { output.push(...b); } });
  if (program !== null) m.load(program);
  m.registerFaultHandler((fault) => {
    const address = fault.address >>> 0;
    if (address < LAZY_BASE || address >= LAZY_BASE + LAZY_PAGES * PAGE_SIZE) return FaultStatus.Continue;
    const at = address - (address % PAGE_SIZE);
    if (m.addressSpace.root.lookup(at) !== undefined) return FaultStatus.Continue; // attached: another plugin's fault
    faults.push([fault.tid, address]);
    m.addressSpace.root.attach(m.addressSpace.createDataspace(PAGE_SIZE, { name: 'lazy' }), { at });
    return FaultStatus.Fixed;
  }, { tail: true });
  return m;
}

/** Runs `program` to its end and returns its trace. */
export function traceThreaded(program: Program, options: { timeSlice: number; jit: boolean }): ThreadedTrace {
  const faults: Array<[number, number]> = [];
  const output: number[] = [];
  const m = threadedMachine(program, options, faults, output);
  const result = m.run({ maxInstructions: 10_000_000 });
  return finishTrace(m, program, result.kind === 'exit' ? `exit ${result.exitCode}` : result.kind, faults, output);
}

/** The trace of machine `m` (running `program`) once it ended with `result`. */
export function finishTrace(m: Machine, program: Program, result: string, faults: Array<[number, number]>, output: number[]): ThreadedTrace {
  const shared = program.symbols.get('shared')!;
  const words: number[] = [];
  for (let k = 0; k < SHARED_WORDS + 32; k++) words.push(m.addressSpace.readU32(shared + 4 * k));
  return { output, faults, shared: words, result, instret: m.cpu.instret, switches: m.scheduler.switches };
}
