import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_SIZE } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';
import { RegionMap } from '../../src/memory/region-map.js';

const P = PAGE_SIZE;

/** The fault as plain values (the region map by name: deep-comparing maps is slow). */
function faultOf(as: AddressSpace) {
  const f = as.fault;
  return { address: f.address, access: f.access, protection: f.protection, map: f.regionMap.name, offset: f.offset };
}

function setup() {
  const memory = new PhysicalMemory({ quota: 1 << 29 });
  return new AddressSpace({ memory });
}

describe('RegionMap', () => {
  it.each([0, 100, 2 ** 32 + P])('refuses size %s', (size) => {
    expect(() => new RegionMap(size)).toThrow(UsageError);
  });

  it('attaches at a given address and reports regions sorted', () => {
    const as = setup();
    const map = as.createRegionMap(16 * P, { name: 'm' });
    const a = as.createDataspace(4 * P, { name: 'a' });
    const b = as.createDataspace(2 * P, { name: 'b' });
    expect(map.attach(b, { at: 8 * P })).toBe(8 * P);
    expect(map.attach(a, { at: 0, offset: P, size: 2 * P, writable: false, executable: true, name: 'code' })).toBe(0);
    expect(map.regionCount).toBe(2);
    expect(map.regions()).toEqual([
      { at: 0, offset: P, size: 2 * P, target: a, writable: false, executable: true, name: 'code' },
      { at: 8 * P, offset: 0, size: 2 * P, target: b, writable: true, executable: false, name: undefined },
    ]);
    expect(map.lookup(P + 5)?.target).toBe(a);
    expect(map.lookup(2 * P)).toBeUndefined();
    expect(() => map.lookup(16 * P)).toThrow(UsageError);
  });

  it('finds the first free fit without an address', () => {
    const as = setup();
    const map = as.createRegionMap(8 * P);
    const ds = as.createDataspace(2 * P);
    map.attach(ds, { at: P, size: P });
    map.attach(ds, { at: 3 * P, size: P });
    expect(map.attach(ds, { size: P })).toBe(0);
    expect(map.attach(ds)).toBe(4 * P);
    expect(map.attach(ds, { size: P })).toBe(2 * P);
    expect(map.attach(ds, { size: P })).toBe(6 * P);
    expect(map.attach(ds, { size: P })).toBe(7 * P);
    expect(() => map.attach(ds, { size: P })).toThrow(/no free range/);
  });

  it.each([
    [{ at: 0x123 }, '0x00000123'],
    [{ at: 0, offset: 0x800 }, '0x00000800'],
    [{ at: 0, size: 0x1800 }, '0x00001800'],
  ])('refuses unaligned %o naming the value', (opts, text) => {
    const as = setup();
    const ds = as.createDataspace(4 * P);
    expect(() => as.root.attach(ds, opts)).toThrow(UsageError);
    expect(() => as.root.attach(ds, opts)).toThrow(text);
  });

  it('refuses ranges outside the target or the map, and overlaps', () => {
    const as = setup();
    const map = as.createRegionMap(4 * P, { name: 'small' });
    const ds = as.createDataspace(2 * P, { name: 'ds' });
    expect(() => map.attach(ds, { offset: P, size: 2 * P })).toThrow(/exceeds/);
    expect(() => map.attach(ds, { offset: 3 * P })).toThrow(UsageError);
    expect(() => map.attach(ds, { at: 3 * P })).toThrow(/exceeds region map "small"/);
    map.attach(ds, { at: P });
    expect(() => map.attach(ds, { at: 2 * P, size: P })).toThrow(/overlaps the region at 0x00001000/);
    expect(() => map.attach(ds, { at: 0, size: 2 * P })).toThrow(/overlaps/);
    expect(map.attach(ds, { at: 0, size: P })).toBe(0);
  });

  it('refuses cycles: into itself, into a descendant, into a descendant attached twice', () => {
    const as = setup();
    const a = as.createRegionMap(8 * P, { name: 'a' });
    const b = as.createRegionMap(4 * P, { name: 'b' });
    const c = as.createRegionMap(2 * P, { name: 'c' });
    expect(() => a.attach(a)).toThrow(/cycle/);
    a.attach(b, { at: 0 });
    b.attach(c, { at: 0 });
    a.attach(c, { at: 4 * P });
    expect(() => c.attach(a)).toThrow(/cycle/);
    expect(() => c.attach(b)).toThrow(/cycle/);
    expect(() => b.attach(a)).toThrow(/cycle/);
    expect(a.regionCount).toBe(2);
    // Not a cycle: a sibling map into c.
    c.attach(as.createRegionMap(P), { at: 0 });
  });

  it('detach removes the region at any address inside it and flushes it', () => {
    const as = setup();
    const ds = as.createDataspace(3 * P, { name: 'ds' });
    as.root.attach(ds, { at: 0x10000 });
    expect(as.translate(0x12000, Access.Write)).toBeGreaterThan(0);
    const removed = as.root.detach(0x11abc);
    expect(removed.at).toBe(0x10000);
    expect(removed.target).toBe(ds);
    expect(as.writeTlb[0x12]).toBe(0);
    expect(as.readTlb[0x12]).toBe(0);
    expect(as.translate(0x12000, Access.Read)).toBe(-1);
    expect(() => as.root.detach(0x10000)).toThrow(/nothing attached at 0x00010000/);
    expect(ds.attachments.length).toBe(0);
  });

  it('setRights downgrades flush the kind removed; upgrades take effect at once', () => {
    const as = setup();
    const ds = as.createDataspace(P);
    as.root.attach(ds, { at: 0x10000, executable: true });
    const f = as.translate(0x10000, Access.Write);
    as.translate(0x10000, Access.Execute);
    as.root.setRights(0x10000, { writable: false });
    expect(as.writeTlb[0x10]).toBe(0);
    expect(as.readTlb[0x10]).toBe(f);
    expect(as.execTlb[0x10]).toBe(f);
    expect(as.translate(0x10000, Access.Write)).toBe(-1);
    expect(as.fault.protection).toBe(true);
    as.root.setRights(0x10000, { executable: false });
    expect(as.execTlb[0x10]).toBe(0);
    as.root.setRights(0x10000, { writable: true, executable: true });
    expect(as.translate(0x10000, Access.Write)).toBe(f);
    expect(() => as.root.setRights(0x20000, { writable: true })).toThrow(UsageError);
  });

  it('unmapRange trims, splits and returns the removed pieces', () => {
    const as = setup();
    const map = as.createRegionMap(16 * P);
    const a = as.createDataspace(6 * P, { name: 'a' });
    const b = as.createDataspace(2 * P, { name: 'b' });
    map.attach(a, { at: 0, writable: false });
    map.attach(b, { at: 8 * P });
    const removed = map.unmapRange(2 * P, 8 * P); // middle of a, hole, front of b
    expect(removed.map((r) => [r.at / P, r.offset / P, r.size / P, r.target.name, r.writable])).toEqual([
      [2, 2, 4, 'a', false],
      [8, 0, 2, 'b', true],
    ]);
    expect(map.regions().map((r) => [r.at / P, r.offset / P, r.size / P, r.target.name])).toEqual([[0, 0, 2, 'a']]);
    const split = map.unmapRange(P, P);
    expect(split).toHaveLength(1);
    expect(map.regions().map((r) => [r.at / P, r.size / P])).toEqual([[0, 1]]);
    // A split in the middle keeps both sides with adjusted offsets.
    map.attach(a, { at: 10 * P, offset: 0, size: 6 * P, name: 'whole' });
    map.unmapRange(12 * P, P);
    expect(map.regions().map((r) => [r.at / P, r.offset / P, r.size / P, r.name])).toEqual([
      [0, 0, 1, undefined],
      [10, 0, 2, 'whole'],
      [13, 3, 3, 'whole'],
    ]);
    expect(a.attachments.length).toBe(3);
    expect(map.unmapRange(3 * P, P)).toEqual([]);
    expect(map.unmapRange(0, 0)).toEqual([]);
    expect(() => map.unmapRange(0x800, P)).toThrow(UsageError);
    expect(() => map.unmapRange(15 * P, 2 * P)).toThrow(/exceeds/);
  });

  it('unmapRange flushes the virtual pages of the removed part only', () => {
    const as = setup();
    const ds = as.createDataspace(4 * P);
    as.root.attach(ds, { at: 0x10000 });
    for (let p = 0; p < 4; p++) as.translate(0x10000 + p * P, Access.Write);
    as.root.unmapRange(0x11000, 2 * P);
    expect([...as.writeTlb.subarray(0x10, 0x14)].map((e) => e > 0)).toEqual([true, false, false, true]);
  });

  it('one-page attach and detach stay O(1) with 65,536 regions', () => {
    const as = setup();
    const map = as.createRegionMap(2 ** 28);
    as.root.attach(map, { at: 0x4000_0000 });
    const ds = as.createDataspace(65536 * P);
    const t0 = performance.now();
    for (let i = 0; i < 65536; i++) map.attach(ds, { at: i * P, offset: i * P, size: P });
    for (let i = 0; i < 65536; i += 2) map.detach(i * P);
    const elapsed = performance.now() - t0;
    expect(map.regionCount).toBe(32768);
    expect(ds.attachments.length).toBe(32768);
    expect(elapsed).toBeLessThan(2000);
  });
});

describe('nested region maps (managed dataspaces)', () => {
  it('a fault in a hole of a nested map names that map and the offset in it', () => {
    const as = setup();
    const outer = as.createRegionMap(16 * P, { name: 'outer' });
    const inner = as.createRegionMap(8 * P, { name: 'inner' });
    as.root.attach(outer, { at: 0x20000 });
    outer.attach(inner, { at: 4 * P, offset: 2 * P, size: 4 * P });
    expect(as.translate(0x20010, Access.Read)).toBe(-1);
    expect(faultOf(as)).toEqual({ address: 0x20010, access: Access.Read, protection: false, map: 'outer', offset: 0x10 });
    expect(as.translate(0x25123, Access.Write)).toBe(-1);
    expect(faultOf(as)).toMatchObject({ protection: false, map: 'inner', offset: 3 * P + 0x123 });
    expect(as.fault.regionMap).toBe(inner);
    expect(as.translate(0x1000, Access.Execute)).toBe(-1);
    expect(faultOf(as)).toMatchObject({ protection: false, offset: 0x1000 });
    expect(as.fault.regionMap).toBe(as.root);
  });

  it('rights are ANDed along the path, and a protection fault names the innermost map', () => {
    const as = setup();
    const outer = as.createRegionMap(4 * P, { name: 'outer' });
    const ds = as.createDataspace(P);
    as.root.attach(outer, { at: 0x30000, writable: false, executable: true });
    outer.attach(ds, { at: P, writable: true, executable: true });
    expect(as.translate(0x31000, Access.Read)).toBeGreaterThan(0);
    expect(as.translate(0x31000, Access.Execute)).toBeGreaterThan(0);
    expect(as.translate(0x31008, Access.Write)).toBe(-1);
    expect(faultOf(as)).toMatchObject({ protection: true, map: 'outer', offset: P + 8 });
    expect(as.fault.regionMap).toBe(outer);
    expect(as.fault.dataspace).toBe(ds);
    as.root.setRights(0x30000, { writable: true });
    expect(as.translate(0x31008, Access.Write)).toBeGreaterThan(0);
  });

  it('detach inside a nested map flushes the page in every address space it is visible in', () => {
    const memory = new PhysicalMemory({ quota: 1 << 24 });
    const as1 = new AddressSpace({ memory });
    const as2 = new AddressSpace({ memory });
    const shared = as1.createRegionMap(4 * P, { name: 'shared' });
    const leaf = as1.createRegionMap(2 * P, { name: 'leaf' });
    shared.attach(leaf, { at: 2 * P });
    as1.root.attach(shared, { at: 0x10000 });
    as1.root.attach(shared, { at: 0x40000, offset: P, size: 3 * P });
    as2.root.attach(shared, { at: 0x80000 });
    const ds = as1.createDataspace(P);
    leaf.attach(ds, { at: 0 });
    leaf.attach(as1.createDataspace(P), { at: P });
    for (const [space, addr] of [[as1, 0x12000], [as1, 0x41000], [as2, 0x82000]] as const) {
      expect(space.translate(addr, Access.Write)).toBeGreaterThan(0);
      expect(space.translate(addr + P, Access.Read)).toBeGreaterThan(0);
    }
    leaf.detach(0);
    for (const [space, addr] of [[as1, 0x12000], [as1, 0x41000], [as2, 0x82000]] as const) {
      expect(space.readTlb[addr >>> 12]).toBe(0);
      expect(space.writeTlb[addr >>> 12]).toBe(0);
      expect(space.readTlb[(addr + P) >>> 12]).toBeGreaterThan(0); // untouched neighbour
      expect(space.translate(addr, Access.Read)).toBe(-1);
      expect(faultOf(space)).toMatchObject({ map: 'leaf', offset: 0, protection: false });
      expect(space.fault.regionMap).toBe(leaf);
    }
  });
});

describe('region map index memory', () => {
  it('10,000 region maps of 4 GiB hold no index until something is attached, then a few KiB each', () => {
    const as = setup();
    const before = process.memoryUsage().arrayBuffers;
    const maps: RegionMap[] = [];
    for (let k = 0; k < 10_000; k++) maps.push(as.createRegionMap(2 ** 32, { name: `m${k}` }));
    expect(maps.every((m) => m.indexBytes === 0)).toBe(true);
    // Without the sparse index this would be 4 MiB per map: 40 GB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    const ds = as.createDataspace(P);
    maps[0]!.attach(ds, { at: 0x8000_0000 });
    expect(maps[0]!.indexBytes).toBeGreaterThan(0);
    expect(maps[0]!.indexBytes).toBeLessThanOrEqual(16 << 10);
    // Lookups stay exact at both ends of the map.
    expect(maps[0]!.lookup(0x8000_0000)?.target).toBe(ds);
    expect(maps[0]!.lookup(0x8000_1000)).toBeUndefined();
    expect(maps[0]!.lookup(2 ** 32 - P)).toBeUndefined();
  });

  it('a region across a whole 4 MiB stretch holds no leaf; detaching leaves the lookups exact', () => {
    const as = setup();
    const map = as.createRegionMap(2 ** 32);
    const big = as.createDataspace(8 << 20);
    map.attach(big, { at: 0x4000_0000 });
    const whole = map.indexBytes;
    expect(whole).toBeLessThanOrEqual(12 << 10);
    const small = as.createDataspace(P);
    map.attach(small, { at: 0x4080_1000 });
    expect(map.indexBytes).toBe(whole + 4096);
    map.detach(0x4000_0000);
    expect(map.lookup(0x4000_0000)).toBeUndefined();
    expect(map.lookup(0x4080_1000)?.target).toBe(small);
    expect(map.lookup(0x4080_0000)).toBeUndefined();
  });
});
