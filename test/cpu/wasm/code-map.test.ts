import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/assemble.js';
import { Machine } from '../../../src/machine/machine.js';
import type { Tier } from '../../../src/cpu/cpu.js';

/*
 * The wasm tier's code map (src/cpu/wasm/wasm-dispatcher.ts) lets control
 * go from region to region without JavaScript. It must never send control
 * to a region whose code changed: these programs call a function on
 * another page from a hot loop (so every call and return goes through
 * the map) and change that function under it — by a guest store, by a
 * host write, by taking its execute right away — and must match the
 * interpreter.
 */

/** `addi a0, zero, N`: the function's first instruction, `li a0, N`. */
const liA0 = (n: number) => ((n << 20) | (10 << 7) | 0x13) >>> 0;

/**
 * 3,000 calls of f (page 0x11000), summing its results in s1; after the
 * 1,500th call the loop stores `li a0, 2` over f's first instruction.
 */
const PATCHING_LOOP = `
  .text
  .globl _start
_start:
  li s0, 3000
  li s1, 0
  la s2, f
  li s3, ${liA0(2)}
  li s4, 1500
1:
  call f
  add s1, s1, a0
  addi s0, s0, -1
  bne s0, s4, 2f
  sw s3, 0(s2)
2:
  bnez s0, 1b
  mv a0, s1
  li a7, 93
  ecall
  .balign 4096
f:
  li a0, 1
  ret
`;

function machineFor(tier: Tier): Machine {
  const machine = new Machine({ memoryQuota: 16 << 20, jitThreshold: 1, tier });
  machine.load(assemble(PATCHING_LOOP, { fileName: 'patching-loop.s' }));
  // f's page is written by the guest (the loop) or the host (the tests).
  machine.linuxMemory.mprotect(0x11000, 0x1000, 7);
  return machine;
}

describe('wasm tier code map', () => {
  it('a guest store to a function that regions chain into is seen at the next call', () => {
    const compiled = machineFor('wasm');
    expect(compiled.cpu.wasmActive).toBe(true);
    compiled.run({ maxInstructions: 1_000_000 });
    const interpreted = machineFor('interp');
    interpreted.run({ maxInstructions: 1_000_000 });
    // 1,500 calls return 1, then 1,500 return 2: 4,500, whose low byte is the exit code.
    expect(interpreted.cpu.x[9]).toBe(4500);
    expect(compiled.cpu.x[9]).toBe(4500);
    expect(compiled.exitCode).toBe(interpreted.exitCode);
  });

  it('a host write to that function between runs is seen at the next call', () => {
    const tiers = (['interp', 'wasm'] as const).map((tier) => {
      const machine = machineFor(tier);
      // Hot and chained: 1,000 calls, then f returns 3 from the host's write.
      machine.run({ maxInstructions: 7_000 });
      machine.addressSpace.writeU32(0x11000, liA0(3));
      machine.run({ maxInstructions: 1_000_000 });
      return machine;
    });
    expect(tiers[1]!.cpu.x[9]).toBe(tiers[0]!.cpu.x[9]);
    expect(tiers[1]!.exitCode).toBe(tiers[0]!.exitCode);
    // Calls after the write returned 3, not the 1 compiled before it.
    expect(tiers[0]!.cpu.x[9]! > 4500).toBe(true);
  });

  it('taking the execute right away from that function makes the next call fault', () => {
    const machine = machineFor('wasm');
    machine.run({ maxInstructions: 7_000 });
    expect(machine.exitCode).toBeNull();
    machine.linuxMemory.mprotect(0x11000, 0x1000, 3);
    const result = machine.run({ maxInstructions: 1_000_000 });
    expect(result.kind).toBe('fault');
    expect(machine.cpu.pc).toBe(0x11000);
  });
});
