import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The hot paths — the instruction loop and memory access, and fault
 * dispatch — must not allocate. Measured on the built code (dist/, built by
 * test/global-setup.ts) in a plain Node process with a 1 MiB young
 * generation: one 16-byte object per instruction would be 800 MB (hundreds
 * of scavenges), one per fault 24 MB (twenty-four). V8's own bookkeeping
 * (lazy feedback, compilation, inline caches) causes a collection now and
 * then — up to five in 1.5 M fault round trips were seen on a loaded
 * machine — so the bounds sit between that noise and what one object per
 * instruction or fault would cost; heap growth is not asserted for the
 * same reason.
 */
const PROBE = fileURLToPath(new URL('./fixtures/allocation-probe.mjs', import.meta.url));

function probe(kind: string, tier = 'block'): { count: number; collections: number; heapGrowth: number } {
  return JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=1', PROBE, kind, tier], { encoding: 'utf8' })) as { count: number; collections: number; heapGrowth: number };
}

describe('hot paths do not allocate', () => {
  it('the instruction loop: 50 M instructions of the compute benchmark cause (almost) no garbage collection', () => {
    const r = probe('instructions');
    expect(r.count).toBe(50_000_000);
    expect(r.collections).toBeLessThanOrEqual(2);
  });

  it('the wasm tier: 50 M instructions of the compute benchmark cause (almost) no garbage collection', () => {
    const r = probe('instructions', 'wasm');
    expect(r.count).toBe(50_000_000);
    expect(r.collections).toBeLessThanOrEqual(2);
  });

  it('fault dispatch in the wasm tier: 1.5 M fault round trips cause (almost) no garbage collection', () => {
    const r = probe('faults', 'wasm');
    expect(r.count).toBeGreaterThan(1_499_000);
    expect(r.collections).toBeLessThanOrEqual(10);
  });

  it('fault dispatch: 1.5 M fault round trips through a fixing handler cause (almost) no garbage collection', () => {
    const r = probe('faults');
    expect(r.count).toBeGreaterThan(1_499_000);
    expect(r.collections).toBeLessThanOrEqual(10);
  });
});
