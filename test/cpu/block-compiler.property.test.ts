import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { FaultStatus } from '../../src/fault/status.js';
import { Machine } from '../../src/machine/machine.js';
import type { Tier } from '../../src/cpu/cpu.js';

/*
 * Each compiled tier (block, region, wasm) against the interpreter: random loops of ALU, M,
 * load and store instructions, with loads through a pointer that faults
 * (a handler repairs it), stores into the loop's own code page, and runs
 * cut into random instruction-limit slices. After every slice both
 * machines must hold the same registers, pc, retired count and memory.
 */

const ALU = ['add', 'sub', 'xor', 'or', 'and', 'sll', 'srl', 'sra', 'slt', 'sltu', 'mul', 'mulh', 'mulhu', 'mulhsu', 'div', 'divu', 'rem', 'remu'];
const ALU_IMM = ['addi', 'xori', 'ori', 'andi', 'slti', 'sltiu'];
const SHIFT_IMM = ['slli', 'srli', 'srai'];
const LOADS = ['lb', 'lbu', 'lh', 'lhu', 'lw'];
const STORES = ['sb', 'sh', 'sw'];
/** Registers the random instructions may write: a0..a7, t0..t2 (s0 counts the loop, s1/s2 hold pointers). */
const WRITABLE = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 't0', 't1', 't2'];
const READABLE = [...WRITABLE, 'zero', 's0'];

const reg = fc.constantFrom(...WRITABLE);
const src = fc.constantFrom(...READABLE);
const instruction = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ALU), reg, src, src).map(([op, d, a, b]) => `${op} ${d}, ${a}, ${b}`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ALU_IMM), reg, src, fc.integer({ min: -2048, max: 2047 })).map(([op, d, a, i]) => `${op} ${d}, ${a}, ${i}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SHIFT_IMM), reg, src, fc.integer({ min: 0, max: 31 })).map(([op, d, a, i]) => `${op} ${d}, ${a}, ${i}`) },
  // Loads and stores through s1, a page of data; misaligned offsets included.
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...LOADS), reg, fc.integer({ min: 0, max: 2044 })).map(([op, d, o]) => `${op} ${d}, ${o}(s1)`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...STORES), src, fc.integer({ min: 0, max: 2044 })).map(([op, v, o]) => `${op} ${v}, ${o}(s1)`) },
  // A load through s2, which points at an unmapped page until the handler repairs it.
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 511 })).map(([d, o]) => `lw ${d}, ${o * 4}(s2)\n li s2, 0x50000000`) },
  // Rewrite the instruction slot `patch` (a nop or an addi) in the loop's own page.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('0x00000013', '0x00150513'), fc.boolean()).map(([word, fence]) => `li t2, ${word}\n sw t2, 0(s3)${fence ? '\n fence.i' : ''}`) },
  // A forward branch over one instruction.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('beq', 'bne', 'blt', 'bgeu'), src, src).map(([op, a, b]) => `${op} ${a}, ${b}, 1f\n addi a0, a0, 1\n1:`) },
);

function program(body: string[], iterations: number): string {
  return `
  .text
  .globl _start
_start:
  li s0, ${iterations}
  la s1, data
  li s2, 0x50000000
  la s3, patch
  li a0, 0x12345678
  li a1, -7
  li a2, 0x7fffffff
  li a3, 0x80000000
loop:
${body.map((l) => '  ' + l).join('\n')}
patch:
  nop
  addi s0, s0, -1
  bnez s0, loop
  li a7, 93
  ecall
  .data
data:
  .zero 4096
  `;
}

function machineFor(source: string, tier: Tier): Machine {
  const m = new Machine({ memoryQuota: 16 << 20, tier, jitThreshold: 1 });
  const p = assemble(source, { fileName: 'random-loop.s' });
  m.load(p);
  // The code page must be writable for the self-modifying stores.
  m.linuxMemory.mprotect(0x10000, 0x1000, 7);
  m.linuxMemory.mmap(0x60000000, 0x1000, 3, 0x32, -1, 0);
  // Repair: point s2 (x18) at a mapped page and retry.
  m.registerFaultHandler((fault, ctx) => {
    if (fault.address >>> 0 < 0x50000000 || fault.address >>> 0 >= 0x50001000) return FaultStatus.Continue;
    ctx.regs[18] = 0x60000000;
    return FaultStatus.Fixed;
  });
  return m;
}

function state(m: Machine) {
  return {
    regs: Array.from(m.cpu.x.subarray(0, 32)),
    pc: m.cpu.pc,
    instret: m.cpu.instret,
    data: Array.from(m.addressSpace.readBytes(m.program!.symbols.get('data')!, 4096)),
    code: Array.from(m.addressSpace.readBytes(0x10000, 512)),
    exit: m.exitCode,
  };
}

describe.each(['block', 'region', 'wasm'] as const)('%s tier vs interpreter', (tier) => {
  it('random loops, faults inside blocks, code stores and instruction-limit slices leave identical state', () => {
    fc.assert(
      fc.property(
        fc.array(instruction, { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
        (body, iterations, slices) => {
          const source = program(body, iterations);
          const interpreted = machineFor(source, 'interp');
          const compiled = machineFor(source, tier);
          if (tier === 'wasm') expect(compiled.cpu.wasmActive).toBe(true);
          for (const slice of [...slices, 1_000_000]) {
            const a = interpreted.run({ maxInstructions: slice });
            const b = compiled.run({ maxInstructions: slice });
            expect(b).toEqual(a);
            expect(state(compiled)).toEqual(state(interpreted));
            if (a.kind !== 'limit') break;
          }
          expect(interpreted.exitCode).not.toBeNull();
        },
      ),
      { numRuns: 100 }, // per tier: the three tiers together keep the 300 runs of one
    );
  });
});
