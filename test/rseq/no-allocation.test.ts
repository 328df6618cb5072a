import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The thread switch of registered threads — the scheduler marking the
 * preemption, the resume step reading rseq_cs, validating the descriptor
 * and signature, moving the thread to abort_ip and writing the CPU fields
 * — must not allocate. Measured as test/cpu/no-allocation.test.ts does, on
 * the built code in a plain Node process with a 1 MiB young generation:
 * one 16-byte object per switch would be 29 MB (dozens of scavenges).
 */
const PROBE = fileURLToPath(new URL('./fixtures/rseq-allocation-probe.mjs', import.meta.url));

describe('rseq on the hot path does not allocate', () => {
  it('1.8 M switches of registered threads, each a resume step and an abort, cause (almost) no garbage collection', () => {
    // Best of up to three processes: an allocation in the switch path
    // collects in every run, while V8 sometimes runs a stretch of the loop
    // in code that boxes numbers until it re-optimizes (a timing of its
    // tiers, seen about once in five runs before any change here).
    type Probe = { result: string; switches: number; aborts: number; collections: number };
    let r: Probe | null = null;
    for (let attempt = 0; attempt < 3 && (r === null || r.collections > 10); attempt++) {
      r = JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=1', PROBE], { encoding: 'utf8' })) as Probe;
    }
    if (r === null) throw new Error('no probe ran');
    expect(r.result).toBe('limit');
    expect(r.switches).toBeGreaterThan(1_500_000);
    expect(r.aborts).toBeGreaterThan(1_500_000);
    expect(r.collections).toBeLessThanOrEqual(10);
  });
});
