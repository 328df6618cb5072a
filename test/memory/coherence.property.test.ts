import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_SIZE } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';
import { tlbGuestAccess } from './guest-access.js';
import { cpuGuestAccess } from './cpu-guest-access.js';
import { runScenario, scenarioArbitrary } from './memory-model.js';

/** Scenarios per property run; FAULTLINE_PROPERTY_RUNS raises it for soak runs. */
const RUNS = Number(process.env['FAULTLINE_PROPERTY_RUNS'] ?? 500);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MMU coherence against the reference model', () => {
  it('every guest access, host access and call result matches the model', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (ops) => {
        runScenario(ops, tlbGuestAccess);
      }),
      { numRuns: RUNS },
    );
  });

  it('the same, with loads and stores executed by the real CPU and fetches through its decoded-code cache', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (ops) => {
        runScenario(ops, cpuGuestAccess);
      }),
      { numRuns: RUNS },
    );
  });

  it('catches stale translations: the property fails when flush does nothing', () => {
    vi.spyOn(AddressSpace.prototype, 'flush').mockImplementation(() => {});
    const result = fc.check(
      fc.property(scenarioArbitrary, (ops) => {
        runScenario(ops, tlbGuestAccess);
      }),
      { numRuns: RUNS, seed: 42, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/expected|read|fault/);
  });

  it('a detach makes the very next access fault, even with the TLB warm (and not without flush)', () => {
    const scenario = (): boolean => {
      const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 1 << 20 }) });
      const inner = as.createRegionMap(2 * PAGE_SIZE, { name: 'inner' });
      as.root.attach(inner, { at: 0x10000 });
      inner.attach(as.createDataspace(PAGE_SIZE), { at: PAGE_SIZE });
      expect(tlbGuestAccess.write32(as, 0x11000, 7)).toEqual({ ok: true, value: 0 });
      inner.detach(PAGE_SIZE);
      const r = tlbGuestAccess.read32(as, 0x11000);
      return !r.ok && r.fault.regionMap === inner && r.fault.offset === PAGE_SIZE && as.fault.access === Access.Read;
    };
    expect(scenario()).toBe(true);
    vi.spyOn(AddressSpace.prototype, 'flush').mockImplementation(() => {});
    expect(scenario()).toBe(false);
  });
});
