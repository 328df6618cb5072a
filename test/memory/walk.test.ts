import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_SIZE, Prot } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';
import type { RegionMap } from '../../src/memory/region-map.js';
import { RegionWalk, walkRegions } from '../../src/plugin-kit.js';

const P = PAGE_SIZE;
const BASE = 0x4000_0000;

/**
 * `depth` one-page region maps nested through the public API, built
 * innermost first, the innermost holding a one-page dataspace, the
 * outermost attached at BASE.
 */
function deepNest(depth: number) {
  const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 1 << 24 }) });
  const ds = as.createDataspace(P, { name: 'bottom' });
  let inner: RegionMap | typeof ds = ds;
  for (let k = 0; k < depth; k++) {
    const map = as.createRegionMap(P, { name: `level ${depth - 1 - k}` });
    map.attach(inner, { at: 0, executable: true });
    inner = map;
  }
  as.root.attach(inner, { at: BASE, executable: true });
  return { as, ds };
}

describe('walkRegions', () => {
  it('serves host access, translation and maps() through 20,000 nested region maps', () => {
    const { as, ds } = deepNest(20_000);
    as.writeBytes(BASE + 8, Uint8Array.of(1, 2, 3));
    expect([...as.readBytes(BASE + 8, 3)]).toEqual([1, 2, 3]);
    expect([...ds.read(8, 3)]).toEqual([1, 2, 3]);
    const frame = as.translate(BASE + 8, Access.Read);
    expect(frame).toBeGreaterThan(0);
    expect(as.memory.u8[frame + 8]).toBe(1);
    expect(as.translate(BASE, Access.Write)).toBe(frame);
    expect(as.effectiveProt(BASE)).toBe(Prot.Read | Prot.Write | Prot.Exec);
    expect(as.mappings()).toEqual([
      { start: BASE, end: BASE + P, read: true, write: true, exec: true, shared: false, offset: 0, name: 'bottom' },
    ]);
    expect(as.maps()).toContain('40000000-40001000 rwxp');
    const w = new RegionWalk();
    expect(walkRegions(as.root, BASE + 5, w)).toBe(true);
    expect(w.dataspace).toBe(ds);
    expect(w.map!.name).toBe('level 19999');
    // Detaching the innermost dataspace flushes up through every level.
    w.map!.detach(0);
    expect(as.translate(BASE + 8, Access.Read)).toBe(-1);
    expect(as.fault.regionMap.name).toBe('level 19999');
  });

  it('reports the innermost map and offset of a hole, and null outside the root', () => {
    const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 1 << 24 }) });
    const outer = as.createRegionMap(8 * P, { name: 'outer' });
    const inner = as.createRegionMap(4 * P, { name: 'inner' });
    outer.attach(inner, { at: 2 * P });
    as.root.attach(outer, { at: BASE });
    const w = new RegionWalk();
    expect(walkRegions(as.root, BASE + 3 * P + 12, w)).toBe(false);
    expect([w.map, w.offset, w.dataspace]).toEqual([inner, P + 12, null]);
    expect(walkRegions(as.root, BASE + 7 * P, w)).toBe(false);
    expect([w.map, w.offset]).toEqual([outer, 7 * P]);
    expect(walkRegions(outer, 8 * P, w)).toBe(false);
    expect(w.map).toBeNull();
  });

  it('ANDs the write and execute rights of every level and the dataspace, as a plain model does', () => {
    const level = fc.record({ writable: fc.boolean(), executable: fc.boolean() });
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 6 }), fc.boolean(), (levels, dsWritable) => {
        const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 1 << 24 }) });
        const ds = as.createDataspace(P, { writable: dsWritable });
        let inner: RegionMap | typeof ds = ds;
        for (let k = levels.length - 1; k >= 1; k--) {
          const map = as.createRegionMap(P);
          map.attach(inner, { at: 0, ...levels[k]! });
          inner = map;
        }
        as.root.attach(inner, { at: BASE, ...levels[0]! });
        const w = new RegionWalk();
        expect(walkRegions(as.root, BASE, w)).toBe(true);
        // The model: a right survives only when every level grants it.
        const write = dsWritable && levels.every((l) => l.writable);
        const exec = levels.every((l) => l.executable);
        expect(w.rights).toBe(Prot.Read | (write ? Prot.Write : 0) | (exec ? Prot.Exec : 0));
        expect(as.effectiveProt(BASE)).toBe(w.rights);
      }),
    );
  });
});
