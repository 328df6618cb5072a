import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/assemble.js';
import { Machine } from '../../../src/machine/machine.js';
import { PhysicalMemory, WasmLayout } from '../../../src/memory/physical-memory.js';
import { AddressSpace } from '../../../src/memory/address-space.js';

/*
 * The wasm tier's plumbing: where it runs, what happens where WebAssembly
 * is refused, and the wasm-backed memory it needs. (Its results against
 * the interpreter: test/cpu/block-compiler.property.test.ts and the
 * differential suite through test/helpers/run-guest.ts.)
 */

/** A loop of 10,000 iterations summing i*i in a0, then exit(a0 & 0xff). */
const LOOP = `
  .text
  .globl _start
_start:
  li t0, 10000
  li a0, 0
  la s1, data
1:
  mul t1, t0, t0
  add a0, a0, t1
  sw a0, 0(s1)
  lw t2, 0(s1)
  div t3, t2, zero
  addi t0, t0, -1
  bnez t0, 1b
  andi a0, a0, 0xff
  li a7, 93
  ecall
  .data
data:
  .word 0
`;
/** sum of i*i for i = 1..10000, mod 2^32, low byte. */
const EXPECTED = Number((BigInt(10000) * BigInt(10001) * BigInt(20001) / 6n) % 2n ** 32n) & 0xff;

function runLoop(options: ConstructorParameters<typeof Machine>[0]): { machine: Machine; exitCode: number | null } {
  const machine = new Machine({ memoryQuota: 16 << 20, jitThreshold: 1, ...options });
  machine.load(assemble(LOOP, { fileName: 'loop.s' }));
  machine.run({ maxInstructions: 10_000_000 });
  return { machine, exitCode: machine.exitCode };
}

describe('wasm tier', () => {
  const original = { Module: WebAssembly.Module, Instance: WebAssembly.Instance };
  afterEach(() => {
    Object.assign(WebAssembly, original);
  });

  it('runs hot code as WebAssembly with the cpu registers in the wasm memory', () => {
    const { machine, exitCode } = runLoop({ tier: 'wasm' });
    expect(exitCode).toBe(EXPECTED);
    expect(machine.cpu.wasmActive).toBe(true);
    expect(machine.memory.wasmMemory).not.toBeNull();
    // x is a view of the register area of that memory.
    expect(machine.cpu.x.buffer).toBe(machine.memory.wasmMemory!.buffer);
    expect(machine.cpu.x.byteOffset).toBe(WasmLayout.registers);
  });

  it('falls back to the block tier, silently and with the same result, when WebAssembly compilation is refused', () => {
    // As a Content-Security-Policy without 'wasm-unsafe-eval' does (both, since modules are cached).
    const refused = function refused() {
      throw new Error('Refused to compile or instantiate WebAssembly module (a policy)');
    };
    Object.assign(WebAssembly, { Module: refused, Instance: refused });
    const { machine, exitCode } = runLoop({ tier: 'wasm' });
    expect(exitCode).toBe(EXPECTED);
    expect(machine.cpu.wasmActive).toBe(false);
  });

  it('with jit: false interprets, on a plain memory', () => {
    const { machine, exitCode } = runLoop({ tier: 'wasm', jit: false });
    expect(exitCode).toBe(EXPECTED);
    expect(machine.cpu.wasmActive).toBe(false);
    expect(machine.memory.wasmMemory).toBeNull();
  });

  it('other tiers keep a plain ArrayBuffer memory', () => {
    const { machine, exitCode } = runLoop({ tier: 'block' });
    expect(exitCode).toBe(EXPECTED);
    expect(machine.memory.wasmMemory).toBeNull();
    expect(machine.memory.buffer).toBeInstanceOf(ArrayBuffer);
  });
});

describe('wasm-backed PhysicalMemory', () => {
  it('grows in place: TLB views made before growth stay valid, frames keep their contents', () => {
    const memory = new PhysicalMemory({ quota: 8 << 20, initialSize: 4096, wasm: true });
    const as = new AddressSpace({ memory });
    expect(as.readTlb.buffer).toBe(memory.wasmMemory!.buffer);
    as.readTlb[5] = 1234;
    const first = memory.allocFrame();
    expect(first).toBeGreaterThanOrEqual(WasmLayout.frames);
    memory.i32[first >> 2] = 42;
    const generation = memory.generation;
    const frames: number[] = [];
    for (let k = 0; k < 1000; k++) frames.push(memory.allocFrame());
    expect(memory.generation).toBeGreaterThan(generation);
    expect(memory.i32[first >> 2]).toBe(42);
    expect(new Int32Array(memory.buffer, WasmLayout.readTlb, 8)[5]).toBe(1234);
    expect(as.readTlb[5]).toBe(1234);
    expect(memory.framesInUse).toBe(1002); // the zero frame, first and the 1000
    for (const f of frames) memory.freeFrame(f);
    expect(memory.framesInUse).toBe(2);
  });

  it('gives its TLBs to one address space only; a second keeps plain arrays', () => {
    const memory = new PhysicalMemory({ quota: 1 << 20, wasm: true });
    const a = new AddressSpace({ memory });
    const b = new AddressSpace({ memory });
    expect(a.writeTlb.buffer).toBe(memory.wasmMemory!.buffer);
    expect(b.writeTlb.buffer).not.toBe(memory.wasmMemory!.buffer);
    expect(b.writeTlb[0]).toBe(0);
  });

  it('stops at its quota as a plain memory does', () => {
    const memory = new PhysicalMemory({ quota: 64 << 10, initialSize: 4096, wasm: true });
    for (let k = 0; k < 16; k++) memory.allocFrame();
    expect(() => memory.allocFrame()).toThrow(/exhausted/);
  });
});
