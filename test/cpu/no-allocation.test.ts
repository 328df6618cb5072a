import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The hot paths — the instruction loop and memory access, and fault
 * dispatch — must not allocate. Measured on the built code (dist/, built by
 * test/global-setup.ts) in a plain Node process, where nothing else
 * allocates: not a single garbage collection may happen.
 */
const PROBE = fileURLToPath(new URL('./fixtures/allocation-probe.mjs', import.meta.url));

function probe(kind: string): { count: number; collections: number; heapGrowth: number } {
  return JSON.parse(execFileSync(process.execPath, [PROBE, kind], { encoding: 'utf8' })) as { count: number; collections: number; heapGrowth: number };
}

describe('hot paths do not allocate', () => {
  it('the instruction loop: 50 M instructions of the compute benchmark cause no garbage collection', () => {
    const r = probe('instructions');
    expect(r.count).toBe(50_000_000);
    expect(r.collections).toBe(0);
    expect(r.heapGrowth).toBeLessThan(256 * 1024);
  });

  it('fault dispatch: 500,000 fault round trips through a fixing handler cause no garbage collection', () => {
    const r = probe('faults');
    expect(r.count).toBeGreaterThan(499_000);
    expect(r.collections).toBe(0);
    expect(r.heapGrowth).toBeLessThan(256 * 1024);
  });
});
