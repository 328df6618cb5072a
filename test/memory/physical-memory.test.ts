import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuotaExceededError, UsageError } from '../../src/errors.js';
import { PAGE_SIZE } from '../../src/memory/page.js';
import { DEFAULT_QUOTA, MAX_QUOTA, PhysicalMemory, wasmMemorySupported } from '../../src/memory/physical-memory.js';

describe('PhysicalMemory', () => {
  it('defaults to a 1 GiB quota and starts small', () => {
    const m = new PhysicalMemory();
    expect(m.quota).toBe(DEFAULT_QUOTA);
    expect(m.reserved).toBe(0);
    expect(m.capacity).toBe(1 << 20);
    expect(m.framesInUse).toBe(1); // the zero frame
  });

  it('never hands out offset 0, the TLBs\' "no translation"', () => {
    const m = new PhysicalMemory({ quota: 4 * PAGE_SIZE, initialSize: PAGE_SIZE });
    const frames = [m.zeroFrame, m.allocFrame(), m.allocFrame(), m.allocFrame(), m.allocFrame()];
    expect(frames.every((f) => f >= PAGE_SIZE)).toBe(true);
    expect(() => m.allocFrame()).toThrow(QuotaExceededError);
    expect(() => m.freeFrame(0)).toThrow(/freeFrame/);
  });

  it.each([0, -4096, 4095, 100, MAX_QUOTA + PAGE_SIZE, 2 ** 31, 1.5, Number.NaN])('refuses quota %s, naming it', (quota) => {
    expect(() => new PhysicalMemory({ quota })).toThrow(UsageError);
    expect(() => new PhysicalMemory({ quota })).toThrow(String(quota));
  });

  it('accepts the largest quota', () => {
    expect(new PhysicalMemory({ quota: MAX_QUOTA }).quota).toBe(MAX_QUOTA);
  });

  it('reserves and releases quota, and names the request when over', () => {
    const m = new PhysicalMemory({ quota: 4 * PAGE_SIZE });
    m.reserve(3 * PAGE_SIZE, 'a');
    expect(m.reserved).toBe(3 * PAGE_SIZE);
    expect(m.remaining).toBe(PAGE_SIZE);
    const err = (() => {
      try {
        m.reserve(2 * PAGE_SIZE, 'dataspace "big"');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect(err!.message).toContain('dataspace "big"');
    expect(err!.message).toContain(String(2 * PAGE_SIZE));
    expect(err!.message).toContain(String(PAGE_SIZE));
    expect(m.reserved).toBe(3 * PAGE_SIZE);
    m.release(3 * PAGE_SIZE);
    expect(m.reserved).toBe(0);
    expect(() => m.release(1)).toThrow(/release/);
  });

  it('hands out distinct zeroed frames and reuses freed ones zeroed', () => {
    const m = new PhysicalMemory({ quota: 16 * PAGE_SIZE });
    const a = m.allocFrame();
    const b = m.allocFrame();
    expect(a).not.toBe(b);
    expect(a).not.toBe(m.zeroFrame);
    expect(a % PAGE_SIZE).toBe(0);
    m.u8.fill(0xaa, a, a + PAGE_SIZE);
    m.freeFrame(a);
    const c = m.allocFrame();
    expect(c).toBe(a);
    expect(m.u8.subarray(c, c + PAGE_SIZE).every((v) => v === 0)).toBe(true);
  });

  it('refuses to free the zero frame or a foreign offset', () => {
    const m = new PhysicalMemory({ quota: 16 * PAGE_SIZE });
    expect(() => m.freeFrame(m.zeroFrame)).toThrow(/freeFrame/);
    expect(() => m.freeFrame(123)).toThrow(/freeFrame/);
    expect(() => m.freeFrame(8 * PAGE_SIZE)).toThrow(/freeFrame/);
  });

  it('grows by doubling, keeps contents, bumps the generation and replaces every view', () => {
    const m = new PhysicalMemory({ quota: 1 << 24 });
    const frames: number[] = [];
    const first = m.allocFrame();
    m.i32[first >> 2] = 0x12345678;
    const views = [m.u8, m.i8, m.u16, m.i16, m.i32];
    const gen = m.generation;
    for (let i = 0; i < 300; i++) frames.push(m.allocFrame());
    expect(m.generation).toBe(gen + 1);
    expect(m.capacity).toBe(2 << 20);
    expect(m.i32[first >> 2]).toBe(0x12345678);
    for (const [i, v] of [m.u8, m.i8, m.u16, m.i16, m.i32].entries()) {
      expect(v).not.toBe(views[i]);
      expect(v.buffer).toBe(m.buffer);
    }
    expect(new Set(frames).size).toBe(300);
  });

  it('can start larger, clamped to quota plus the reserved page and the zero frame', () => {
    expect(new PhysicalMemory({ quota: 1 << 24, initialSize: (1 << 22) + 1 }).capacity).toBe((1 << 22) + PAGE_SIZE);
    expect(new PhysicalMemory({ quota: 1 << 20, initialSize: 1 << 24 }).capacity).toBe((1 << 20) + 2 * PAGE_SIZE);
    expect(() => new PhysicalMemory({ initialSize: 0 })).toThrow(/initialSize/);
  });

  it('never grows past quota plus the reserved page and the zero frame', () => {
    const m = new PhysicalMemory({ quota: 3 * (1 << 20) });
    for (let i = 0; i < (3 << 20) / PAGE_SIZE; i++) m.allocFrame();
    expect(m.capacity).toBe(3 * (1 << 20) + 2 * PAGE_SIZE);
    expect(() => m.allocFrame()).toThrow(QuotaExceededError);
  });

  // fillBytes uses WebAssembly's memory.fill on a wasm-backed memory (bulk-fill.ts).
  const backings = wasmMemorySupported() ? [false, true] : [false];

  it.each(backings)('fillBytes (wasm %s) sets exactly the range, as u8.fill does', (wasm) => {
    const m = new PhysicalMemory({ quota: 8 * PAGE_SIZE, wasm });
    const base = m.allocFrame();
    m.allocFrame();
    const span = 2 * PAGE_SIZE;
    const model = new Uint8Array(span);
    const op = fc.tuple(fc.nat(span), fc.nat(span), fc.nat(255));
    fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      model.fill(0);
      m.u8.fill(0, base, base + span);
      for (const [from, to, byte] of ops) {
        const at = Math.min(from, to), length = Math.abs(to - from);
        m.fillBytes(base + at, length, byte);
        model.fill(byte, at, at + length);
      }
      const got = m.u8.subarray(base, base + span);
      const first = got.findIndex((v, k) => v !== model[k]);
      expect(first, `first differing byte at ${first}`).toBe(-1);
    }), { numRuns: 150 });
  });

  it.each(backings)('reuses freed frames zeroed without touching their neighbours (wasm %s)', (wasm) => {
    const m = new PhysicalMemory({ quota: 16 * PAGE_SIZE, wasm });
    const [a, b, c] = [m.allocFrame(), m.allocFrame(), m.allocFrame()];
    for (const f of [a, b, c]) m.u8.fill(0x5a, f, f + PAGE_SIZE);
    m.freeFrame(b);
    expect(m.allocFrame()).toBe(b);
    expect(m.u8.subarray(b, b + PAGE_SIZE).every((v) => v === 0)).toBe(true);
    expect(m.u8.subarray(a, a + PAGE_SIZE).every((v) => v === 0x5a)).toBe(true);
    expect(m.u8.subarray(c, c + PAGE_SIZE).every((v) => v === 0x5a)).toBe(true);
  });
});
