import fc from 'fast-check';
import { it } from 'vitest';
import { tlbGuestAccess, type GuestAccess } from './guest-access.js';
import { runScenario, scenarioArbitrary } from './memory-model.js';
import { RegionMap } from '../../src/memory/region-map.js';

it('stats', () => {
  const stats: Record<string, number> = {};
  const bump = (k: string) => { stats[k] = (stats[k] ?? 0) + 1; };
  const wrapped: GuestAccess = {
    read32: (as, a) => { const r = tlbGuestAccess.read32(as, a); bump('read ' + (r.ok ? 'ok' : r.fault.protection ? 'prot' : 'np')); return r; },
    write32: (as, a, v) => { const hit = as.writeTlb[a >>> 12]! >= 0; const r = tlbGuestAccess.write32(as, a, v); bump('write ' + (r.ok ? (hit ? 'ok-tlbhit' : 'ok') : r.fault.protection ? 'prot' : 'np')); return r; },
    fetch32: (as, a) => { const r = tlbGuestAccess.fetch32(as, a); bump('exec ' + (r.ok ? 'ok' : r.fault.protection ? 'prot' : 'np')); return r; },
    fenceI: (as) => { bump('fence'); tlbGuestAccess.fenceI(as); },
  };
  const orig = RegionMap.prototype.attach;
  RegionMap.prototype.attach = function (...args) { try { const r = orig.apply(this, args); bump('attach ok'); return r; } catch (e) { bump('attach fail'); throw e; } };
  const origSR = RegionMap.prototype.setRights;
  RegionMap.prototype.setRights = function (...args) { try { const r = origSR.apply(this, args); bump('setRights ok'); return r; } catch (e) { bump('setRights fail'); throw e; } };
  fc.assert(fc.property(scenarioArbitrary, (ops) => runScenario(ops, wrapped)), { numRuns: 500 });
  console.log(stats);
});
