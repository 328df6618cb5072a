/**
 * Guest programs and helpers for the checkpoint tests: a counter that
 * prints and increments (the monitoring scenario), random programs for the
 * equivalence property, and a comparison of two machines' state.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Machine, type MachineOptions } from '../../src/index.js';
import { checkpoint, type ImageInput } from '../../handlers/index.js';

/**
 * A counter: prints 0, 1, 2, ... one per line (decimal), spinning `spin`
 * iterations between prints; exits 0 after `limit` numbers (never when
 * `limit` is 0). Its number buffer lives on the heap (brk).
 */
export function counterSource(limit: number, spin: number): string {
  return `
  .text
  .globl _start
_start:
  li   s0, 0
  li   s1, ${limit}
  li   s4, ${spin}
  li   a0, 0
  li   a7, 214
  ecall
  mv   s2, a0
  li   t0, 4096
  add  a0, s2, t0
  li   a7, 214
  ecall
loop:
  addi t0, s2, 64
  li   t1, 10
  sb   t1, 0(t0)
  mv   t2, s0
  mv   t3, t0
digits:
  addi t3, t3, -1
  remu t4, t2, t1
  addi t4, t4, 48
  sb   t4, 0(t3)
  divu t2, t2, t1
  bnez t2, digits
  li   a0, 1
  mv   a1, t3
  sub  a2, t0, t3
  addi a2, a2, 1
  li   a7, 64
  ecall
  mv   t5, s4
spin:
  beqz t5, spun
  addi t5, t5, -1
  j    spin
spun:
  addi s0, s0, 1
  beqz s1, loop
  blt  s0, s1, loop
  li   a0, 0
  li   a7, 93
  ecall
`;
}

/** One random operation of a generated program. */
export type Op =
  | { readonly kind: 'alu'; readonly rd: number; readonly rs: number; readonly imm: number }
  | { readonly kind: 'store'; readonly offset: number; readonly rs: number; readonly byte: boolean }
  | { readonly kind: 'load'; readonly rd: number; readonly offset: number }
  | { readonly kind: 'write'; readonly offset: number; readonly length: number }
  | { readonly kind: 'mmap'; readonly pages: number }
  | { readonly kind: 'munmap' }
  | { readonly kind: 'mprotect'; readonly prot: number }
  | { readonly kind: 'brk'; readonly delta: number }
  | { readonly kind: 'stack'; readonly offset: number; readonly rs: number };

/** Registers generated code may use freely (t0-t2 are scratch, s1 = data, s2 = last mmap, s3 = loop counter). */
export const FREE_REGS = [5, 6, 7, 10, 11, 12, 13, 14, 15, 28, 29, 30, 31] as const;
/** Bytes of .data the generated programs address. */
export const DATA_BYTES = 16 * 4096;

/** How often each kind of {@link Op} is drawn (0 or absent: never). */
export type OpWeights = { readonly [K in Op['kind']]?: number };

/** The weights most properties use: mostly ALU work and stores, every other kind now and then. */
export const DEFAULT_OP_WEIGHTS: OpWeights = { alu: 4, store: 4, load: 2, write: 1, mmap: 1, munmap: 1, mprotect: 1, brk: 1, stack: 1 };

/** Random {@link Op}s for {@link randomSource}, each kind drawn as often as `weights` says. */
export function opArbitrary(weights: OpWeights = DEFAULT_OP_WEIGHTS): fc.Arbitrary<Op> {
  const reg = fc.constantFrom(...FREE_REGS);
  const kinds: { readonly [K in Op['kind']]: fc.Arbitrary<Op> } = {
    alu: fc.record({ kind: fc.constant('alu' as const), rd: reg, rs: reg, imm: fc.integer({ min: -2048, max: 2047 }) }),
    store: fc.record({ kind: fc.constant('store' as const), offset: fc.integer({ min: 0, max: DATA_BYTES - 4 }), rs: reg, byte: fc.boolean() }),
    load: fc.record({ kind: fc.constant('load' as const), rd: reg, offset: fc.integer({ min: 0, max: DATA_BYTES - 4 }) }),
    write: fc.record({ kind: fc.constant('write' as const), offset: fc.integer({ min: 0, max: DATA_BYTES - 64 }), length: fc.integer({ min: 1, max: 24 }) }),
    mmap: fc.record({ kind: fc.constant('mmap' as const), pages: fc.integer({ min: 1, max: 3 }) }),
    munmap: fc.record({ kind: fc.constant('munmap' as const) }),
    mprotect: fc.record({ kind: fc.constant('mprotect' as const), prot: fc.constantFrom(1, 3) }),
    brk: fc.record({ kind: fc.constant('brk' as const), delta: fc.integer({ min: -8192, max: 12288 }) }),
    stack: fc.record({ kind: fc.constant('stack' as const), offset: fc.integer({ min: 0, max: 8000 }), rs: reg }),
  };
  const drawn = (Object.keys(kinds) as Op['kind'][])
    .filter((k) => (weights[k] ?? 0) > 0)
    .map((k) => ({ weight: weights[k]!, arbitrary: kinds[k] }));
  return fc.oneof(...drawn);
}

/**
 * Assembly for `ops` run `rounds` times in a loop. s1 points at 16 pages
 * of .data, s2 at the most recent mmap (or the data), s3 counts rounds.
 */
export function randomSource(ops: readonly Op[], rounds: number): string {
  const body = ops.map((op) => {
    switch (op.kind) {
      case 'alu':
        return `  addi x${op.rd}, x${op.rs}, ${op.imm}\n  xor  x${op.rd}, x${op.rd}, s3`;
      case 'store': {
        const off = op.offset & ~3;
        return `  li   t0, ${off}\n  add  t0, t0, s1\n  ${op.byte ? 'sb' : 'sw'}   x${op.rs}, 0(t0)`;
      }
      case 'load':
        return `  li   t0, ${op.offset & ~3}\n  add  t0, t0, s1\n  lw   x${op.rd}, 0(t0)`;
      case 'write':
        return `  li   a0, 1\n  li   t0, ${op.offset}\n  add  a1, s1, t0\n  li   a2, ${op.length}\n  li   a7, 64\n  ecall`;
      case 'mmap':
        return `  li   a0, 0\n  li   a1, ${op.pages * 4096}\n  li   a2, 3\n  li   a3, 0x22\n  li   a4, -1\n  li   a5, 0\n  li   a7, 222\n  ecall\n  blt  a0, zero, 1f\n  mv   s2, a0\n  sw   s3, 0(s2)\n1:`;
      case 'munmap':
        return `  beq  s2, s1, 1f\n  mv   a0, s2\n  li   a1, 4096\n  li   a7, 215\n  ecall\n  mv   s2, s1\n1:`;
      case 'mprotect':
        return `  beq  s2, s1, 1f\n  mv   a0, s2\n  li   a1, 4096\n  li   a2, ${op.prot}\n  li   a7, 226\n  ecall\n1:`;
      case 'brk':
        return `  li   a0, 0\n  li   a7, 214\n  ecall\n  li   t0, ${op.delta}\n  add  a0, a0, t0\n  li   a7, 214\n  ecall`;
      case 'stack':
        return `  li   t0, ${4 + (op.offset & ~3)}\n  sub  t0, sp, t0\n  sw   x${op.rs}, 0(t0)`;
    }
  });
  return `
  .text
  .globl _start
_start:
  la   s1, data
  mv   s2, s1
  li   s3, ${rounds}
round:
${body.join('\n')}
  addi s3, s3, -1
  bnez s3, round
  li   a0, 0
  li   a7, 93
  ecall
  .data
  .balign 4096
data:
  .ascii "faultline checkpoint test data\\n"
  .space ${DATA_BYTES - 32}
`;
}

/** A machine with quota 64 MiB, and options. */
export function newMachine(options: MachineOptions = {}): Machine {
  return new Machine({ memoryQuota: 64 << 20, ...options });
}

/** Asserts that `a` and `b` have the same hart, layout and memory contents. */
export function expectSameState(a: Machine, b: Machine): void {
  expect(Array.from(b.cpu.x.subarray(0, 32))).toEqual(Array.from(a.cpu.x.subarray(0, 32)));
  expect(b.cpu.pc).toBe(a.cpu.pc);
  expect(b.cpu.instret).toBe(a.cpu.instret);
  expect(b.exitCode).toBe(a.exitCode);
  expect(b.addressSpace.maps()).toBe(a.addressSpace.maps());
  expect(b.linuxMemory.currentBrk).toBe(a.linuxMemory.currentBrk);
  for (const m of a.addressSpace.mappings()) {
    const x = a.addressSpace.readBytes(m.start, m.end - m.start);
    const y = b.addressSpace.readBytes(m.start, m.end - m.start);
    if (!Buffer.from(x).equals(Buffer.from(y))) {
      let k = 0;
      while (x[k] === y[k]) k++;
      expect.fail(`memory differs at 0x${(m.start + k).toString(16)} (${m.name}): ${x[k]} vs ${y[k]}`);
    }
  }
  expect(b.addressSpace.memory.reserved).toBe(a.addressSpace.memory.reserved);
}

/**
 * Installs the checkpoint plugin in `machine` and runs it `steps` instructions
 * at a time, taking an image after each step: the chain, named `#0`, `#1`…
 */
export function checkpointChain(machine: Machine, steps: readonly number[]): ImageInput[] {
  const cp = checkpoint();
  machine.use(cp);
  return steps.map((n, k) => {
    machine.run({ maxInstructions: n });
    return { name: `#${k}`, bytes: cp.checkpoint() };
  });
}
