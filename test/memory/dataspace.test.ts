import { describe, expect, it } from 'vitest';
import { FaultlineError, QuotaExceededError, UsageError } from '../../src/errors.js';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { Dataspace } from '../../src/memory/dataspace.js';
import { PAGE_SIZE } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';

function setup(quota = 1 << 24) {
  const memory = new PhysicalMemory({ quota });
  return { memory, as: new AddressSpace({ memory }) };
}

describe('Dataspace', () => {
  it('reserves its full size at creation and gives it back on destroy', () => {
    const { memory } = setup(8 * PAGE_SIZE);
    const ds = new Dataspace(memory, 5 * PAGE_SIZE, { name: 'five' });
    expect(ds.size).toBe(5 * PAGE_SIZE);
    expect(ds.pageCount).toBe(5);
    expect(ds.name).toBe('five');
    expect(ds.writable).toBe(true);
    expect(memory.reserved).toBe(5 * PAGE_SIZE);
    expect(() => new Dataspace(memory, 4 * PAGE_SIZE, { name: 'too-big' })).toThrow(QuotaExceededError);
    expect(() => new Dataspace(memory, 4 * PAGE_SIZE, { name: 'too-big' })).toThrow(/too-big/);
    ds.write(0, new Uint8Array([1]));
    const inUse = memory.framesInUse;
    ds.destroy();
    expect(memory.reserved).toBe(0);
    expect(memory.framesInUse).toBe(inUse - 1);
    expect(ds.isDestroyed).toBe(true);
  });

  it.each([0, 100, -4096, 2 ** 32 + 4096])('refuses size %s', (size) => {
    const { memory } = setup();
    expect(() => new Dataspace(memory, size)).toThrow(UsageError);
  });

  it('materializes pages only when written and reads zero elsewhere', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, 3 * PAGE_SIZE);
    expect(ds.frameForRead(1)).toBe(memory.zeroFrame);
    expect(ds.isMaterialized(1)).toBe(false);
    ds.write(PAGE_SIZE + 10, new Uint8Array([7, 8, 9]));
    expect(ds.isMaterialized(1)).toBe(true);
    expect([...ds.materializedPages()]).toEqual([1]);
    expect([...ds.read(PAGE_SIZE + 9, 5)]).toEqual([0, 7, 8, 9, 0]);
    expect([...ds.read(0, 4)]).toEqual([0, 0, 0, 0]);
    const f = ds.frameForWrite(2);
    expect(ds.frameForWrite(2)).toBe(f);
    expect(ds.frameForRead(2)).toBe(f);
  });

  it('writes across page boundaries', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, 2 * PAGE_SIZE);
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    ds.write(PAGE_SIZE - 5, bytes);
    expect([...ds.read(PAGE_SIZE - 5, 10)]).toEqual([...bytes]);
  });

  it('fill and zero', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, 2 * PAGE_SIZE);
    ds.zero(0, 2 * PAGE_SIZE);
    expect([...ds.materializedPages()]).toEqual([]);
    ds.fill(PAGE_SIZE - 2, 4, 0x1ff);
    expect([...ds.read(PAGE_SIZE - 3, 6)]).toEqual([0, 0xff, 0xff, 0xff, 0xff, 0]);
    ds.zero(PAGE_SIZE - 1, 2);
    expect([...ds.read(PAGE_SIZE - 3, 6)]).toEqual([0, 0xff, 0, 0, 0xff, 0]);
  });

  it('refuses out-of-range host access naming the range', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, PAGE_SIZE, { name: 'small' });
    expect(() => ds.read(PAGE_SIZE - 1, 2)).toThrow(/small/);
    expect(() => ds.write(-1, new Uint8Array(1))).toThrow(UsageError);
    expect(() => ds.write(PAGE_SIZE, new Uint8Array(1))).toThrow(/outside/);
  });

  it('seal makes it read-only for good', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, PAGE_SIZE, { name: 'code' });
    ds.write(0, new Uint8Array([1, 2]));
    ds.seal();
    expect(ds.writable).toBe(false);
    expect(() => ds.write(0, new Uint8Array([3]))).toThrow(/read-only/);
    expect(() => ds.fill(0, 1, 0)).toThrow(UsageError);
    expect([...ds.read(0, 2)]).toEqual([1, 2]);
    ds.seal();
    expect(ds.writable).toBe(false);
  });

  it('a read-only dataspace from the start reads zero', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, PAGE_SIZE, { writable: false });
    expect(ds.writable).toBe(false);
    expect(() => ds.write(0, new Uint8Array(1))).toThrow(UsageError);
  });

  it('destroy refuses while attached, and attach refuses a destroyed dataspace', () => {
    const { as } = setup();
    const ds = as.createDataspace(PAGE_SIZE, { name: 'held' });
    as.root.attach(ds, { at: 0x10000 });
    expect(() => ds.destroy()).toThrow(/still attached/);
    as.root.detach(0x10000);
    ds.destroy();
    ds.destroy(); // harmless
    expect(() => as.root.attach(ds, { at: 0x10000 })).toThrow(/destroyed/);
    expect(() => ds.read(0, 1)).toThrow(/destroyed/);
  });

  it('discard frees frames, reads zero again and flushes translations', () => {
    const { as, memory } = setup();
    const ds = as.createDataspace(2 * PAGE_SIZE);
    as.root.attach(ds, { at: 0x10000 });
    ds.write(0, new Uint8Array([5]));
    expect(as.translate(0x10000, Access.Read)).toBeGreaterThan(0);
    expect(as.readTlb[0x10]).toBeGreaterThan(0);
    const inUse = memory.framesInUse;
    ds.discard(0, 2);
    expect(memory.framesInUse).toBe(inUse - 1);
    expect(as.readTlb[0x10]).toBe(0);
    expect(as.readU32(0x10000)).toBe(0);
    expect(() => ds.discard(1, 2)).toThrow(UsageError);
  });

  it('retire gives quota back; retired pages cannot be written', () => {
    const { memory } = setup();
    const ds = new Dataspace(memory, 3 * PAGE_SIZE, { name: 'anon' });
    ds.write(PAGE_SIZE, new Uint8Array([1]));
    ds.retire(0, 2);
    expect(memory.reserved).toBe(PAGE_SIZE);
    ds.retire(1, 1); // already retired: no double release
    expect(memory.reserved).toBe(PAGE_SIZE);
    expect(() => ds.write(PAGE_SIZE, new Uint8Array([1]))).toThrow(/unmapped for good/);
    expect(() => ds.frameForWrite(0)).toThrow(FaultlineError);
    ds.destroy();
    expect(memory.reserved).toBe(0);
  });

  it('materializing a page whose zero frame is cached flushes that translation everywhere', () => {
    const { as } = setup();
    const ds = as.createDataspace(PAGE_SIZE);
    as.root.attach(ds, { at: 0x10000 });
    as.root.attach(ds, { at: 0x20000, writable: false, executable: true });
    expect(as.translate(0x10000, Access.Read)).toBe(as.memory.zeroFrame);
    expect(as.translate(0x20000, Access.Execute)).toBe(as.memory.zeroFrame);
    const frame = as.translate(0x10004, Access.Write);
    expect(frame).not.toBe(as.memory.zeroFrame);
    expect(as.readTlb[0x10]).toBe(frame);
    expect(as.writeTlb[0x10]).toBe(frame);
    expect(as.execTlb[0x20]).toBe(0);
    expect(as.translate(0x20000, Access.Execute)).toBe(frame);
  });
});
