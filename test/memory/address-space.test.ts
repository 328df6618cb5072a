import { describe, expect, it } from 'vitest';
import { FaultlineError, UsageError } from '../../src/errors.js';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_SIZE, Prot } from '../../src/memory/page.js';
import { PhysicalMemory, wasmMemorySupported } from '../../src/memory/physical-memory.js';
import { tlbGuestAccess as g } from './guest-access.js';

const P = PAGE_SIZE;

function setup(quota = 1 << 24) {
  return new AddressSpace({ memory: new PhysicalMemory({ quota }) });
}

describe('AddressSpace.translate', () => {
  it('starts with empty TLBs that are all 0, and no frame it hands out is 0', () => {
    const as = setup();
    for (const t of [as.readTlb, as.writeTlb, as.execTlb]) expect(t.every((e) => e === 0)).toBe(true);
    as.root.attach(as.createDataspace(2 * P), { at: 0 });
    expect(as.translate(0, Access.Read)).toBe(as.memory.zeroFrame);
    expect(as.memory.zeroFrame).toBeGreaterThan(0);
    expect(as.translate(P, Access.Write)).toBeGreaterThan(0);
    expect(g.read32(as, 4)).toEqual({ ok: true, value: 0 });
    expect(g.write32(as, 8, 7)).toEqual({ ok: true, value: 0 });
    expect(g.read32(as, 8)).toEqual({ ok: true, value: 7 });
  });

  it('fills only the TLB of the access; a read of an unwritten page maps the zero frame', () => {
    const as = setup();
    const ds = as.createDataspace(P);
    as.root.attach(ds, { at: 0x10000, executable: true });
    expect(as.translate(0x10004, Access.Read)).toBe(as.memory.zeroFrame);
    expect(as.readTlb[0x10]).toBe(as.memory.zeroFrame);
    expect(as.writeTlb[0x10]).toBe(0);
    expect(as.execTlb[0x10]).toBe(0);
    const frame = as.translate(0x10004, Access.Write);
    expect(frame).not.toBe(as.memory.zeroFrame);
    expect(as.writeTlb[0x10]).toBe(frame);
    expect(as.readTlb[0x10]).toBe(frame);
    expect(as.translate(0x10ffc, Access.Execute)).toBe(frame);
    expect(as.execTlb[0x10]).toBe(frame);
  });

  it('accepts signed addresses as the CPU holds them', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0xfffff000 });
    expect(as.translate(-4, Access.Write)).toBeGreaterThan(0);
    expect(as.writeTlb[0xfffff]).toBeGreaterThan(0);
    expect(as.translate(0x7fffffff, Access.Read)).toBe(-1);
    expect(as.fault.address).toBe(0x7fffffff);
  });

  it('reports not-present and protection faults with the access kind', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000, writable: false });
    expect(as.translate(0x9000, Access.Write)).toBe(-1);
    expect([as.fault.protection, as.fault.access, as.fault.offset, as.fault.dataspace]).toEqual([false, Access.Write, 0x9000, null]);
    expect(as.translate(0x10010, Access.Write)).toBe(-1);
    expect([as.fault.protection, as.fault.access, as.fault.offset]).toEqual([true, Access.Write, 0x10010]);
    expect(as.translate(0x10010, Access.Execute)).toBe(-1);
    expect([as.fault.protection, as.fault.access]).toEqual([true, Access.Execute]);
    expect(as.writeTlb[0x10]).toBe(0);
  });

  it('a write-only guest protection does not fill the read TLB', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000 });
    as.guestProtection.protect(0x10000, P, Prot.Write);
    expect(as.translate(0x10000, Access.Write)).toBeGreaterThan(0);
    expect(as.readTlb[0x10]).toBe(0);
    expect(as.translate(0x10000, Access.Read)).toBe(-1);
    expect(as.fault.protection).toBe(true);
  });

  it('prefill caches what translate would, only where that allocates nothing and cannot fail', () => {
    const as = setup();
    const ds = as.createDataspace(4 * P);
    as.root.attach(ds, { at: 0x10000 });
    as.root.attach(as.createDataspace(P), { at: 0x20000, writable: false });
    as.translate(0x12000, Access.Write); // materialized, then made read-only by the guest
    as.guestProtection.protect(0x12000, P, Prot.Read);
    expect(as.writeTlb[0x12]).toBe(0);
    expect(as.translate(0x9000, Access.Read)).toBe(-1); // a fault record prefill must leave alone
    const record = [as.fault.address, as.fault.access, as.fault.protection, as.fault.offset];
    const frames = as.memory.framesInUse;
    as.prefill(0x10010, Access.Write); // never written: the store itself materializes it
    expect([as.writeTlb[0x10], as.readTlb[0x10], as.memory.framesInUse, ds.isMaterialized(0)]).toEqual([0, 0, frames, false]);
    as.prefill(0x10010, Access.Read); // the zero frame, as a read would map
    expect(as.readTlb[0x10]).toBe(as.memory.zeroFrame);
    const frame = as.translate(0x11000, Access.Write);
    as.flush(0x11, 1);
    as.prefill(0x11ffc, Access.Write); // materialized: a cache fill
    expect([as.writeTlb[0x11], as.readTlb[0x11]]).toEqual([frame, frame]);
    as.prefill(0x12000, Access.Write); // the guest's mprotect forbids it
    as.prefill(0x20000, Access.Write); // a read-only region
    as.prefill(0x30000, Access.Read); // nothing mapped
    as.prefill(0x10000, Access.Execute); // not executable
    expect([as.writeTlb[0x12], as.writeTlb[0x20], as.readTlb[0x30], as.execTlb[0x10]]).toEqual([0, 0, 0, 0]);
    expect([as.fault.address, as.fault.access, as.fault.protection, as.fault.offset]).toEqual(record);
    expect(as.memory.framesInUse).toBe(frames + 1);
  });

  it('refuses a dataspace of another physical memory', () => {
    const as = setup();
    const other = setup();
    as.root.attach(other.createDataspace(P, { name: 'foreign' }), { at: 0x10000 });
    expect(() => as.translate(0x10000, Access.Read)).toThrow(/another physical memory/);
  });

  it('effectiveProt ANDs every level', () => {
    const as = setup();
    const ds = as.createDataspace(P);
    as.root.attach(ds, { at: 0x10000, executable: true });
    expect(as.effectiveProt(0x10000)).toBe(7);
    as.guestProtection.protect(0x10000, P, Prot.Read | Prot.Write);
    expect(as.effectiveProt(0x10000)).toBe(3);
    ds.seal();
    expect(as.effectiveProt(0x10000)).toBe(1);
    expect(as.effectiveProt(0x20000)).toBe(-1);
  });
});

describe('code pages and flushing', () => {
  it('markCode keeps writeTlb empty so stores reach the slow path; the frame is still returned', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000, executable: true });
    const frame = as.translate(0x10000, Access.Write);
    expect(g.fetch32(as, 0x10000)).toEqual({ ok: true, value: 0 });
    expect(as.codeCache.has(0x10)).toBe(true);
    expect(as.writeTlb[0x10]).toBe(0);
    expect(as.translate(0x10000, Access.Write)).toBe(frame);
    expect(as.writeTlb[0x10]).toBe(0);
    expect(g.write32(as, 0x10008, 0x13)).toEqual({ ok: true, value: 0 });
    expect(g.fetch32(as, 0x10008)).toEqual({ ok: true, value: 0x13 });
    // fence.i drops decoded code; writes are cached again.
    as.dropDecodedCode();
    expect(as.codeCache.size).toBe(0);
    expect(as.translate(0x10000, Access.Write)).toBe(frame);
    expect(as.writeTlb[0x10]).toBe(frame);
  });

  it('flush clears all three TLBs and decoded code in the range only', () => {
    const as = setup();
    as.root.attach(as.createDataspace(4 * P), { at: 0x10000, executable: true });
    for (let p = 0x10; p < 0x14; p++) {
      as.translate(p * P, Access.Write);
      g.fetch32(as, p * P);
    }
    as.flush(0x11, 2);
    for (const t of [as.readTlb, as.writeTlb, as.execTlb]) {
      expect([...t.subarray(0x10, 0x14)].map((e) => e > 0)).toEqual(t === as.writeTlb ? [false, false, false, false] : [true, false, false, true]);
    }
    expect([...as.codeCache.keys()].sort()).toEqual([0x10, 0x13]);
    // Large ranges iterate the map instead of the pages.
    as.flush(0, 1 << 20);
    expect(as.codeCache.size).toBe(0);
    expect(as.translate(0x13000, Access.Write)).toBeGreaterThan(0);
    expect(as.writeTlb[0x13]).toBeGreaterThan(0); // code mark is gone too
  });

  it('flush drops decoded code at the range edges whichever way it iterates', () => {
    const as = setup();
    as.root.attach(as.createDataspace(8 * P), { at: 0x10000, executable: true });
    g.fetch32(as, 0x10000);
    g.fetch32(as, 0x17000);
    as.flush(0x10, 8, Prot.Exec); // range larger than the cache: iterates the cache
    expect(as.codeCache.size).toBe(0);
    g.fetch32(as, 0x10000);
    g.fetch32(as, 0x11000);
    g.fetch32(as, 0x17000);
    as.flush(0x17, 1, Prot.Exec); // range smaller than the cache: iterates the pages
    expect([...as.codeCache.keys()].sort()).toEqual([0x10, 0x11]);
    as.flush(0x11, 1, Prot.Read | Prot.Write); // no Exec: code stays
    expect(as.codeCache.size).toBe(2);
  });

  it('flush with a rights mask clears only those kinds', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000, executable: true });
    as.translate(0x10000, Access.Write);
    as.translate(0x10000, Access.Execute);
    as.flush(0x10, 1, Prot.Write);
    expect([as.readTlb[0x10]! > 0, as.writeTlb[0x10]! > 0, as.execTlb[0x10]! > 0]).toEqual([true, false, true]);
    as.flushAll();
    expect([as.readTlb[0x10], as.writeTlb[0x10], as.execTlb[0x10]]).toEqual([0, 0, 0]);
  });

  it.skipIf(!wasmMemorySupported())('flush and flushAll clear exactly the range of TLBs that are views of a wasm memory', () => {
    const as = new AddressSpace({ memory: new PhysicalMemory({ quota: 1 << 24, wasm: true }) });
    expect(as.readTlb.buffer).toBe(as.memory.wasmMemory!.buffer); // the TLBs live in the wasm memory
    const pages = 0x40;
    as.root.attach(as.createDataspace(pages * P), { at: 0x10000 });
    for (let p = 0x10; p < 0x10 + pages; p++) as.translate(p * P, Access.Write);
    as.flush(0x13, 0x21, Prot.Read | Prot.Write);
    for (const t of [as.readTlb, as.writeTlb]) {
      const cached = [...t.subarray(0x0f, 0x11 + pages)].map((e) => e > 0);
      expect(cached).toEqual(cached.map((_, k) => k >= 1 && k <= pages && (k < 4 || k >= 4 + 0x21)));
    }
    as.flushAll();
    expect(as.readTlb.every((e) => e === 0) && as.writeTlb.every((e) => e === 0)).toBe(true);
    expect(as.translate(0x10000, Access.Write)).toBeGreaterThan(0);
  });

  it('a host write drops decoded code of the written page', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000, executable: true });
    as.writeU32(0x10000, 0x11);
    expect(g.fetch32(as, 0x10000)).toEqual({ ok: true, value: 0x11 });
    as.writeU32(0x10000, 0x22);
    expect(as.codeCache.has(0x10)).toBe(false);
    expect(g.fetch32(as, 0x10000)).toEqual({ ok: true, value: 0x22 });
  });
});

describe('protection layers', () => {
  it('AND into translations; downgrades flush, removal restores', () => {
    const as = setup();
    as.root.attach(as.createDataspace(2 * P), { at: 0x10000 });
    const layer = as.createProtectionLayer('dirty');
    expect(as.protectionLayers).toEqual([as.guestProtection, layer]);
    expect(g.write32(as, 0x10000, 1).ok).toBe(true);
    layer.protect(0x10000, 2 * P, Prot.Read | Prot.Exec);
    expect(layer.get(0x11fff)).toBe(Prot.Read | Prot.Exec);
    expect(as.readTlb[0x10]).toBeGreaterThan(0); // read right kept: not flushed
    const r = g.write32(as, 0x10000, 2);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fault.protection).toBe(true);
    // The guest's own protection is independent.
    as.guestProtection.protect(0x10000, P, Prot.Read);
    layer.protect(0x10000, 2 * P, 7);
    expect(g.write32(as, 0x10000, 3).ok).toBe(false);
    expect(g.write32(as, 0x11000, 3).ok).toBe(true);
    layer.protect(0x11000, P, Prot.None);
    expect(g.read32(as, 0x11000).ok).toBe(false);
    expect(as.removeProtectionLayer(layer)).toBe(true);
    expect(as.removeProtectionLayer(layer)).toBe(false);
    expect(g.read32(as, 0x11000)).toEqual({ ok: true, value: 3 });
    expect(() => as.removeProtectionLayer(as.guestProtection)).toThrow(UsageError);
  });

  it('validates its arguments', () => {
    const as = setup();
    const layer = as.createProtectionLayer('x');
    expect(() => layer.protect(0x123, P, 1)).toThrow(/0x00000123/);
    expect(() => layer.protect(0, P, 8)).toThrow(/unknown protection/);
    expect(() => layer.protect(0xfffff000, 2 * P, 1)).toThrow(UsageError);
    layer.protect(0xfffff000, 10, 1);
    expect(layer.get(0xffffffff)).toBe(1);
  });
});

describe('host access', () => {
  it('reads and writes across pages and nested maps, ignoring guest protection', () => {
    const as = setup();
    const managed = as.createRegionMap(4 * P, { name: 'managed' });
    as.root.attach(managed, { at: 0x20000, writable: false });
    managed.attach(as.createDataspace(P), { at: P });
    managed.attach(as.createDataspace(P), { at: 2 * P });
    as.guestProtection.protect(0x21000, 2 * P, Prot.None);
    const bytes = Uint8Array.from({ length: 8 }, (_, i) => i + 1);
    as.writeBytes(0x21ffc, bytes);
    expect([...as.readBytes(0x21ffc, 8)]).toEqual([...bytes]);
    as.writeU32(0x22000, 0xdeadbeef);
    expect(as.readU32(0x22000)).toBe(0xdeadbeef);
    expect(as.readU32(0x21ffc)).toBe(0x04030201);
  });

  it('names the unmapped address and writes nothing when part of the range is unmapped', () => {
    const as = setup();
    as.root.attach(as.createDataspace(P), { at: 0x10000 });
    expect(() => as.readBytes(0x10ffe, 4)).toThrow(/readBytes: address 0x00011000 is not mapped/);
    expect(() => as.writeBytes(0x10ffe, new Uint8Array([1, 2, 3, 4]))).toThrow(FaultlineError);
    expect(as.readU32(0x10ffc)).toBe(0);
    expect(() => as.readU32(0x5000)).toThrow(/0x00005000/);
    expect(() => as.readBytes(0xffffffff, 2)).toThrow(FaultlineError);
  });

  it('refuses to write a sealed dataspace', () => {
    const as = setup();
    const ds = as.createDataspace(P, { name: 'rom' });
    as.root.attach(ds, { at: 0x10000 });
    ds.seal();
    expect(() => as.writeU32(0x10000, 1)).toThrow(/0x00010000 is in read-only dataspace "rom"/);
  });

  it('reads C strings, across pages and cut at max', () => {
    const as = setup();
    as.root.attach(as.createDataspace(2 * P), { at: 0x10000 });
    as.writeBytes(0x10ffd, new TextEncoder().encode('héllo\0'));
    expect(as.readCString(0x10ffd, 100)).toBe('héllo');
    expect(as.readCString(0x10ffd, 2)).toBe('h\uFFFD');
    expect(as.readCString(0x10000)).toBe('');
    as.writeBytes(0x11ffe, new Uint8Array([65, 66]));
    expect(() => as.readCString(0x11ffe, 8)).toThrow(/0x00012000/);
    expect(as.readCString(0x11ffe, 2)).toBe('AB');
  });

  it('checks the range', () => {
    const as = setup();
    expect(() => as.readBytes(-1, 1)).toThrow(FaultlineError);
    expect(() => as.readBytes(0, -1)).toThrow(FaultlineError);
  });
});
