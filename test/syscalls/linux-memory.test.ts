import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuotaExceededError, UsageError } from '../../src/errors.js';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import { MMAP_BASE, MMAP_MIN_ADDR, MapFlags } from '../../src/memory/mman.js';
import { PAGE_SIZE, Prot } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';
import { Errno } from '../../src/syscalls/errno.js';
import { LinuxMemory } from '../../src/syscalls/linux-memory.js';
import { tlbGuestAccess as g } from '../memory/guest-access.js';

const P = PAGE_SIZE;
const RW = Prot.Read | Prot.Write;
const ANON = MapFlags.Private | MapFlags.Anonymous;

function setup(quota = 1 << 24) {
  const as = new AddressSpace({ memory: new PhysicalMemory({ quota }) });
  return { as, lm: new LinuxMemory(as) };
}

describe('mmap', () => {
  it('places anonymous memory at the first fit from 0x40000000 and maps it with the guest protection', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(a).toBe(MMAP_BASE);
    const b = lm.mmap(0, 100, Prot.Read, ANON, -1, 0);
    expect(b).toBe(MMAP_BASE + 2 * P);
    expect(g.write32(as, a + P, 5).ok).toBe(true);
    expect(g.read32(as, a + P)).toEqual({ ok: true, value: 5 });
    const w = g.write32(as, b, 1);
    expect(w.ok).toBe(false);
    if (!w.ok) expect(w.fault.protection).toBe(true);
    expect(as.guestProtection.get(b)).toBe(Prot.Read);
    expect(as.root.lookup(a)).toMatchObject({ writable: true, executable: true });
  });

  it('honours a free hint (rounded up) and ignores a busy one', () => {
    const { lm } = setup();
    expect(lm.mmap(0x2000_0001, P, RW, ANON, -1, 0)).toBe(0x2000_1000);
    expect(lm.mmap(0x2000_1000, P, RW, ANON, -1, 0)).toBe(MMAP_BASE);
  });

  it('searches below 0x40000000 when the top is full, and stays below the mmap top', () => {
    const { lm } = setup();
    lm.setMmapTop(MMAP_BASE + P);
    expect(lm.mmap(0, P, RW, ANON, -1, 0)).toBe(MMAP_BASE);
    expect(lm.mmap(0, P, RW, ANON, -1, 0)).toBe(0x10000);
  });

  it.each([
    ['length 0', [0, 0, RW, ANON, -1, 0], -Errno.EINVAL],
    ['neither private nor shared', [0, P, RW, MapFlags.Anonymous, -1, 0], -Errno.EINVAL],
    ['both private and shared', [0, P, RW, ANON | MapFlags.Shared, -1, 0], -Errno.EINVAL],
    ['unknown prot bits', [0, P, 8, ANON, -1, 0], -Errno.EINVAL],
    ['unaligned offset', [0, P, RW, ANON, -1, 12], -Errno.EINVAL],
    ['a file mapping', [0, P, RW, MapFlags.Private, 3, 0], -Errno.EBADF],
    ['a file mapping without fd', [0, P, RW, MapFlags.Private, -1, 0], -Errno.EBADF],
    ['MAP_FIXED unaligned', [0x10001, P, RW, ANON | MapFlags.Fixed, -1, 0], -Errno.EINVAL],
    ['MAP_FIXED past 2^32', [0xfffff000, 2 * P, RW, ANON | MapFlags.Fixed, -1, 0], -Errno.ENOMEM],
    ['MAP_FIXED_NOREPLACE unaligned', [0x10001, P, RW, ANON | MapFlags.FixedNoReplace, -1, 0], -Errno.EINVAL],
    ['a huge length', [0, 0xffffffff, RW, ANON, -1, 0], -Errno.ENOMEM],
  ] as const)('refuses %s', (_what, args, errno) => {
    const { as, lm } = setup();
    expect(lm.mmap(...(args as unknown as [number, number, number, number, number, number]))).toBe(errno);
    expect(as.root.regionCount).toBe(0);
    expect(as.memory.reserved).toBe(0);
  });

  it('MAP_FIXED replaces what is there and frees the replaced owned memory', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0x10000, 4 * P, RW, ANON | MapFlags.Fixed, -1, 0);
    expect(a).toBe(0x10000);
    as.writeU32(0x11000, 0x1111);
    as.writeU32(0x13000, 0x3333);
    expect(g.read32(as, 0x12000).ok).toBe(true); // fill the TLB
    expect(lm.mmap(0x11000, 2 * P, Prot.Read, ANON | MapFlags.Fixed, -1, 0)).toBe(0x11000);
    expect(as.readU32(0x11000)).toBe(0); // fresh memory
    expect(as.readU32(0x13000)).toBe(0x3333); // kept
    expect(as.memory.reserved).toBe(4 * P); // the replaced two pages were given back
    expect(g.write32(as, 0x12000, 1).ok).toBe(false);
    expect(as.root.regions().map((r) => [r.at, r.size])).toEqual([
      [0x10000, P],
      [0x11000, 2 * P],
      [0x13000, P],
    ]);
  });

  it('MAP_FIXED_NOREPLACE fails with EEXIST on overlap and changes nothing', () => {
    const { as, lm } = setup();
    lm.mmap(0x10000, P, RW, ANON | MapFlags.Fixed, -1, 0);
    expect(lm.mmap(0xf000, 2 * P, RW, ANON | MapFlags.FixedNoReplace, -1, 0)).toBe(-Errno.EEXIST);
    expect(lm.mmap(0xf000, P, RW, ANON | MapFlags.FixedNoReplace, -1, 0)).toBe(0xf000);
    expect(as.memory.reserved).toBe(2 * P);
  });

  it('returns ENOMEM when the quota is exhausted, with nothing changed', () => {
    const { as, lm } = setup(8 * P);
    lm.mmap(0x10000, 4 * P, RW, ANON | MapFlags.Fixed, -1, 0);
    as.writeU32(0x10000, 7);
    expect(lm.mmap(0, 5 * P, RW, ANON, -1, 0)).toBe(-Errno.ENOMEM);
    expect(lm.mmap(0x10000, 5 * P, RW, ANON | MapFlags.Fixed, -1, 0)).toBe(-Errno.ENOMEM);
    expect(as.readU32(0x10000)).toBe(7);
    expect(as.root.regionCount).toBe(1);
    expect(as.memory.reserved).toBe(4 * P);
    // Host-side attaches throw instead.
    expect(() => as.createDataspace(5 * P)).toThrow(QuotaExceededError);
  });

  it('shared mappings show as shared', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0, P, RW, MapFlags.Shared | MapFlags.Anonymous, -1, 0);
    expect(as.maps()).toBe(`${a.toString(16)}-${(a + P).toString(16)} rw-s 00000000 00:00 0\n`);
  });
});

/**
 * The plain model of non-fixed placement: first fit in [MMAP_BASE, top),
 * else in [MMAP_MIN_ADDR, MMAP_BASE), over the mapped intervals.
 */
function modelPlace(mapped: readonly (readonly [number, number])[], size: number, top: number): number {
  const sorted = [...mapped].sort((a, b) => a[0] - b[0]);
  const fit = (from: number, to: number): number => {
    let at = from;
    for (const [s, e] of sorted) {
      if (e <= at) continue;
      if (s >= to) break;
      if (s - at >= size) return at;
      at = Math.max(at, e);
    }
    return to - at >= size ? at : -1;
  };
  const above = top > MMAP_BASE ? fit(MMAP_BASE, top) : -1;
  return above >= 0 ? above : fit(MMAP_MIN_ADDR, Math.min(MMAP_BASE, top));
}

describe('mmap placement', () => {
  it('maps one page at a time until the 256 MiB quota runs out: every page of it, adjacent from 0x40000000, then ENOMEM', () => {
    const quota = 256 << 20;
    const { as, lm } = setup(quota);
    let count = 0;
    let expected = MMAP_BASE;
    for (;;) {
      const a = lm.mmap(0, P, RW, ANON, -1, 0);
      if (a === -Errno.ENOMEM) break;
      expect(a).toBe(expected);
      expected += P;
      count++;
    }
    expect(count).toBe(quota / P);
    expect(as.root.regionCount).toBe(count);
    // Freeing a page in the middle makes it the first fit again.
    expect(lm.munmap(MMAP_BASE + 1000 * P, P)).toBe(0);
    expect(lm.mmap(0, P, RW, ANON, -1, 0)).toBe(MMAP_BASE + 1000 * P);
  });

  it('places every mapping where a plain first-fit model does, across mmap, munmap and detaches by others', () => {
    const top = MMAP_BASE + 64 * P;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('mmap' as const), pages: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant('munmap' as const), page: fc.integer({ min: 0, max: 63 }), pages: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('host' as const), page: fc.integer({ min: 0, max: 63 }), pages: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { as, lm } = setup(1 << 24);
        lm.setMmapTop(top);
        const host = as.createDataspace(4 * P);
        let mapped: (readonly [number, number])[] = [];
        const cut = (s: number, e: number) => {
          const next: (readonly [number, number])[] = [];
          for (const [a, b] of mapped) {
            if (b <= s || a >= e) next.push([a, b]);
            else {
              if (a < s) next.push([a, s]);
              if (b > e) next.push([e, b]);
            }
          }
          mapped = next;
        };
        for (const o of ops) {
          if (o.kind === 'mmap') {
            const want = modelPlace(mapped, o.pages * P, top);
            const got = lm.mmap(0, o.pages * P, RW, ANON, -1, 0);
            expect(got).toBe(want);
            mapped.push([got, got + o.pages * P]);
          } else if (o.kind === 'munmap') {
            const s = MMAP_BASE + o.page * P;
            expect(lm.munmap(s, o.pages * P)).toBe(0);
            cut(s, s + o.pages * P);
          } else {
            // Someone else attaches and detaches in the root (a plugin).
            const s = MMAP_BASE + o.page * P;
            if (!as.root.isFree(s, o.pages * P)) continue;
            as.root.attach(host, { at: s, size: o.pages * P });
            as.root.detach(s);
          }
        }
      }),
    );
  });
});

describe('munmap', () => {
  it('refuses an unaligned address, length 0 and ranges past 2^32', () => {
    const { lm } = setup();
    expect(lm.munmap(0x10001, P)).toBe(-Errno.EINVAL);
    expect(lm.munmap(0x10000, 0)).toBe(-Errno.EINVAL);
    expect(lm.munmap(0xfffff000, 2 * P)).toBe(-Errno.EINVAL);
  });

  it('unmaps holes without complaint and the next access faults', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0, 3 * P, RW, ANON, -1, 0);
    expect(g.write32(as, a + P, 1).ok).toBe(true);
    expect(lm.munmap(a + P, 1)).toBe(0);
    const r = g.read32(as, a + P);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fault.protection).toBe(false);
    expect(lm.munmap(a - 16 * P, 32 * P)).toBe(0);
    expect(as.root.regionCount).toBe(0);
  });

  it('gives the quota of owned memory back piece by piece and resets guest protection', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0, 4 * P, Prot.Read, ANON, -1, 0);
    expect(as.memory.reserved).toBe(4 * P);
    lm.munmap(a + P, P);
    expect(as.memory.reserved).toBe(3 * P);
    expect(as.guestProtection.get(a + P)).toBe(7);
    expect(as.guestProtection.get(a)).toBe(Prot.Read);
    lm.munmap(a, 4 * P);
    expect(as.memory.reserved).toBe(0);
    expect(as.memory.framesInUse).toBe(1);
  });

  it('leaves host-attached dataspaces alone (only removes them from the map)', () => {
    const { as, lm } = setup();
    const ds = as.createDataspace(2 * P);
    as.root.attach(ds, { at: 0x10000 });
    lm.munmap(0x10000, P);
    expect(ds.isDestroyed).toBe(false);
    expect(as.memory.reserved).toBe(2 * P);
    ds.write(0, new Uint8Array([1]));
  });
});

describe('mprotect', () => {
  it('changes the guest protection; a downgrade makes the next access fault', () => {
    const { as, lm } = setup();
    const a = lm.mmap(0, 2 * P, RW, ANON, -1, 0);
    expect(g.write32(as, a, 1).ok).toBe(true);
    expect(lm.mprotect(a, 2 * P, Prot.Read)).toBe(0);
    expect(g.write32(as, a, 2).ok).toBe(false);
    expect(g.read32(as, a)).toEqual({ ok: true, value: 1 });
    expect(lm.mprotect(a, 1, Prot.None)).toBe(0); // length rounded up
    expect(g.read32(as, a).ok).toBe(false);
    expect(g.read32(as, a + P).ok).toBe(true);
    expect(lm.mprotect(a, 2 * P, RW | Prot.Exec)).toBe(0);
    expect(g.fetch32(as, a)).toEqual({ ok: true, value: 1 });
  });

  it('fails with ENOMEM and changes nothing when the range has a hole', () => {
    const { as, lm } = setup();
    lm.mmap(0x10000, P, RW, ANON | MapFlags.Fixed, -1, 0);
    lm.mmap(0x12000, P, RW, ANON | MapFlags.Fixed, -1, 0);
    expect(g.write32(as, 0x10000, 1).ok).toBe(true);
    expect(lm.mprotect(0x10000, 3 * P, Prot.Read)).toBe(-Errno.ENOMEM);
    expect(as.guestProtection.get(0x10000)).toBe(RW);
    expect(as.guestProtection.get(0x12000)).toBe(RW);
    expect(g.write32(as, 0x10000, 2).ok).toBe(true);
  });

  it('counts a managed region with holes as mapped', () => {
    const { as, lm } = setup();
    as.root.attach(as.createRegionMap(2 * P), { at: 0x10000 });
    expect(lm.mprotect(0x10000, 2 * P, Prot.Read)).toBe(0);
  });

  it.each([
    ['unaligned', 0x10001, P, 1, -Errno.EINVAL],
    ['unknown prot bits', 0x10000, P, 0x10, -Errno.EINVAL],
    ['past 2^32', 0xfffff000, 2 * P, 1, -Errno.ENOMEM],
    ['length 0', 0x55000, 0, 1, 0],
  ])('%s', (_what, addr, length, prot, result) => {
    const { lm } = setup();
    lm.mmap(0x10000, P, RW, ANON | MapFlags.Fixed, -1, 0);
    expect(lm.mprotect(addr, length, prot)).toBe(result);
  });
});

describe('brk', () => {
  it('returns 0 before the loader sets a base', () => {
    const { lm } = setup();
    expect(lm.brk(0)).toBe(0);
    expect(lm.brk(0x20000)).toBe(0);
  });

  it('grows and shrinks the heap with Linux semantics', () => {
    const { as, lm } = setup();
    lm.setBrkBase(0x20000);
    expect(lm.brkBase).toBe(0x20000);
    expect(lm.brk(0)).toBe(0x20000);
    expect(lm.brk(0x20010)).toBe(0x20010);
    expect(lm.currentBrk).toBe(0x20010);
    expect(g.write32(as, 0x20ffc, 1).ok).toBe(true);
    expect(g.write32(as, 0x21000, 1).ok).toBe(false);
    expect(lm.brk(0x23001)).toBe(0x23001);
    expect(g.write32(as, 0x23ffc, 2).ok).toBe(true);
    expect(as.memory.reserved).toBe(4 * P);
    expect(as.maps()).toBe('00020000-00024000 rw-p 00000000 00:00 0          [heap]\n');
    expect(lm.brk(0x21000)).toBe(0x21000);
    expect(as.memory.reserved).toBe(P);
    expect(g.read32(as, 0x21000).ok).toBe(false);
    expect(g.read32(as, 0x20ffc)).toEqual({ ok: true, value: 1 });
    expect(lm.brk(0x1f000)).toBe(0x21000); // below the base: refused
    expect(lm.brk(0x20000)).toBe(0x20000);
    expect(as.root.regionCount).toBe(0);
  });

  it('refuses to grow into a mapping or past the quota, returning the old break', () => {
    const { as, lm } = setup(4 * P);
    lm.setBrkBase(0x20000);
    lm.mmap(0x22000, P, RW, ANON | MapFlags.Fixed, -1, 0);
    expect(lm.brk(0x22001)).toBe(0x20000);
    expect(lm.brk(0x21000)).toBe(0x21000);
    lm.munmap(0x22000, P);
    expect(lm.brk(0x30000)).toBe(0x21000);
    expect(as.root.regionCount).toBe(1);
  });

  it('setBrkBase wants a page-aligned address', () => {
    expect(() => setup().lm.setBrkBase(0x20001)).toThrow(UsageError);
  });
});

describe('maps', () => {
  it('lists mappings like /proc/self/maps, flattened, merged, with effective rights', () => {
    const { as, lm } = setup();
    const text = lm.mapAnonymous(0x10000, 2 * P, { prot: Prot.Read | Prot.Exec, name: 'hello' });
    text.write(0, new Uint8Array([0x13]));
    lm.mapAnonymous(0x12000, P, { prot: RW, name: 'hello' });
    lm.setBrkBase(0x13000);
    lm.brk(0x14000);
    lm.brk(0x16000);
    const managed = as.createRegionMap(8 * P, { name: 'lazy' });
    as.root.attach(managed, { at: 0x3000_0000, executable: true });
    managed.attach(as.createDataspace(2 * P, { name: 'page' }), { at: P, offset: P, size: P, writable: false });
    managed.attach(as.createDataspace(P), { at: 5 * P });
    const sealed = as.createDataspace(P, { name: 'rom' });
    sealed.seal();
    as.root.attach(sealed, { at: 0x3100_0000, executable: true });
    lm.mapAnonymous(0xbfff_0000, 0x10000, { prot: RW, name: '[stack]' });
    lm.mprotect(0x15000, P, Prot.None);
    expect(as.maps()).toBe(
      [
        '00010000-00012000 r-xp 00000000 00:00 0          hello',
        '00012000-00013000 rw-p 00000000 00:00 0          hello',
        '00013000-00015000 rw-p 00000000 00:00 0          [heap]',
        '00015000-00016000 ---p 00001000 00:00 0          [heap]',
        '30001000-30002000 r--p 00001000 00:00 0          page',
        '30005000-30006000 rw-p 00000000 00:00 0          lazy',
        '31000000-31001000 r-xp 00000000 00:00 0          rom',
        'bfff0000-c0000000 rw-p 00000000 00:00 0          [stack]',
        '',
      ].join('\n'),
    );
    const heap = as.mappings().filter((m) => m.name === '[heap]');
    expect(heap.map((m) => [m.start, m.end, m.read])).toEqual([
      [0x13000, 0x15000, true],
      [0x15000, 0x16000, false],
    ]);
  });

  it('shows a region map attached twice in both places, clipped to what is visible', () => {
    const { as } = setup();
    const m = as.createRegionMap(4 * P, { name: 'm' });
    m.attach(as.createDataspace(4 * P, { name: 'ds' }), { at: 0 });
    as.root.attach(m, { at: 0x10000, offset: P, size: 2 * P });
    as.root.attach(m, { at: 0x20000, writable: false });
    expect(as.maps()).toBe(
      '00010000-00012000 rw-p 00001000 00:00 0          ds\n' +
        '00020000-00024000 r--p 00000000 00:00 0          ds\n',
    );
  });

  it('mapAnonymous refuses overlaps and bad arguments', () => {
    const { lm } = setup();
    lm.mapAnonymous(0x10000, P, { prot: RW });
    expect(() => lm.mapAnonymous(0x10000, P, { prot: RW })).toThrow(/overlaps/);
    expect(() => lm.mapAnonymous(0x10001, P, { prot: RW })).toThrow(UsageError);
    expect(() => lm.mapAnonymous(0x20000, 100, { prot: RW })).toThrow(UsageError);
    expect(() => lm.mapAnonymous(0x20000, P, { prot: 9 })).toThrow(UsageError);
  });

  it('an empty address space has empty maps', () => {
    expect(setup().as.maps()).toBe('');
  });
});

describe('translation after Linux calls', () => {
  it('mmap over a region that held code drops the decoded code', () => {
    const { as, lm } = setup();
    lm.mmap(0x10000, P, Prot.Read | Prot.Exec, ANON | MapFlags.Fixed, -1, 0);
    as.writeU32(0x10000, 0x1234);
    expect(g.fetch32(as, 0x10000)).toEqual({ ok: true, value: 0x1234 });
    lm.mmap(0x10000, P, Prot.Read | Prot.Exec, ANON | MapFlags.Fixed, -1, 0);
    expect(g.fetch32(as, 0x10000)).toEqual({ ok: true, value: 0 });
    expect(as.translate(0x10000, Access.Write)).toBe(-1);
  });
});
