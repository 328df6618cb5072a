/**
 * A plain reference model of the memory layer, and a scenario runner that
 * applies the same random operations to the real address spaces and to the
 * model and compares every observable outcome.
 *
 * The model is deliberately naive: region maps are arrays of regions found
 * by linear search, the effective mapping of a page is recomputed from
 * scratch on every access by walking that structure, dataspace contents are
 * plain byte arrays. Nothing is cached, so there is nothing to invalidate.
 *
 * Two address spaces share one physical memory. Each uses a window of
 * WINDOW virtual pages from address 0; nested maps are small.
 */

import fc from 'fast-check';
import { FaultlineError, UsageError } from '../../src/errors.js';
import { Access } from '../../src/fault/cause.js';
import { AddressSpace } from '../../src/memory/address-space.js';
import type { Dataspace } from '../../src/memory/dataspace.js';
import { MapFlags } from '../../src/memory/mman.js';
import { PAGE_SIZE, Prot } from '../../src/memory/page.js';
import { PhysicalMemory } from '../../src/memory/physical-memory.js';
import type { ProtectionLayer } from '../../src/memory/protection-layer.js';
import type { RegionMap } from '../../src/memory/region-map.js';
import { Errno } from '../../src/syscalls/errno.js';
import { LinuxMemory } from '../../src/syscalls/linux-memory.js';
import type { GuestAccess, GuestResult } from './guest-access.js';

/** Virtual pages of each address space the scenarios use. */
export const WINDOW = 16;
const SPACES = 2;

// ---- operations -------------------------------------------------------------

/**
 * One step of a scenario. Indices into pools are taken modulo the pool
 * size. Guest and host accesses with `onMapped` pick among the pages the
 * model currently maps (so most accesses hit memory, not holes).
 */
export type Op =
  | { t: 'newDs'; pages: number; writable: boolean }
  | { t: 'newMap'; pages: number }
  | { t: 'attach'; into: number; target: number; page: number; mode: 'exact' | 'near' | 'auto'; off: number; pages: number; w: boolean; x: boolean }
  | { t: 'detach'; from: number; page: number; onRegion: boolean }
  | { t: 'setRights'; in: number; page: number; onRegion: boolean; w: boolean | undefined; x: boolean | undefined }
  | { t: 'seal'; ds: number }
  | { t: 'mprotect'; space: number; page: number; count: number; prot: number }
  | { t: 'layer'; space: number; page: number; count: number; prot: number }
  | { t: 'munmap'; space: number; page: number; count: number }
  | { t: 'mmap'; space: number; page: number; count: number; prot: number }
  | { t: 'hostWriteDs'; ds: number; page: number; word: number; value: number }
  | { t: 'hostWrite'; space: number; page: number; onMapped: boolean; word: number; value: number }
  | { t: 'hostRead'; space: number; page: number; onMapped: boolean; word: number }
  | { t: 'read'; space: number; page: number; onMapped: boolean; word: number }
  | { t: 'exec'; space: number; page: number; onMapped: boolean; word: number }
  | { t: 'write'; space: number; page: number; onMapped: boolean; word: number; value: number }
  | { t: 'sweep'; space: number; read: boolean; write: boolean; exec: boolean };

const space = fc.integer({ min: 0, max: SPACES - 1 });
const vpage = fc.integer({ min: 0, max: WINDOW - 1 });
const count = fc.integer({ min: 1, max: 4 });
/** Protections, biased towards permissive ones so that later accesses succeed. */
const prot = fc.oneof(fc.constantFrom(7, 3, 5, 1), fc.integer({ min: 0, max: 7 }));
/** Word indices inside a page the scenarios touch. */
const WORDS = [0, 1, 2, 1023] as const;
const word = fc.constantFrom(...WORDS);
const pool = fc.nat({ max: 40 });
const value = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const maybeBool = fc.option(fc.boolean(), { nil: undefined });
const mostly = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const onMapped = mostly;

const attachOp = fc.record({
  t: fc.constant('attach' as const),
  into: pool,
  target: pool,
  page: pool,
  mode: fc.constantFrom('exact' as const, 'near' as const, 'near' as const, 'auto' as const),
  off: pool,
  pages: count,
  w: mostly,
  x: mostly,
});
const newDsOp = fc.record({ t: fc.constant('newDs' as const), pages: fc.integer({ min: 1, max: 4 }), writable: mostly });
const newMapOp = fc.record({ t: fc.constant('newMap' as const), pages: fc.integer({ min: 1, max: 8 }) });

/** Random operations, weighted towards guest accesses and mapping changes. */
export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: newDsOp },
  { weight: 1, arbitrary: newMapOp },
  { weight: 6, arbitrary: attachOp },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('detach' as const), from: pool, page: pool, onRegion: mostly }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('setRights' as const), in: pool, page: pool, onRegion: mostly, w: maybeBool, x: maybeBool }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('seal' as const), ds: pool }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('mprotect' as const), space, page: vpage, count, prot }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('layer' as const), space, page: vpage, count, prot }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('munmap' as const), space, page: vpage, count }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('mmap' as const), space, page: vpage, count, prot }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('hostWriteDs' as const), ds: pool, page: pool, word, value }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('hostWrite' as const), space, page: vpage, onMapped, word, value }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('hostRead' as const), space, page: vpage, onMapped, word }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('read' as const), space, page: vpage, onMapped, word }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('exec' as const), space, page: vpage, onMapped, word }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('write' as const), space, page: vpage, onMapped, word, value }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('sweep' as const), space, read: fc.boolean(), write: mostly, exec: mostly }) },
);

/**
 * A scenario: a random initial structure (dataspaces, region maps, and
 * attaches that mostly succeed: nested maps, a map in several places), then
 * random operations.
 */
export const scenarioArbitrary: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(newDsOp, { minLength: 2, maxLength: 4 }),
    fc.array(newMapOp, { minLength: 1, maxLength: 3 }),
    fc.array(attachOp.map((a) => ({ ...a, mode: 'near' as const })), { minLength: 3, maxLength: 8 }),
    fc.array(attachOp.map((a) => ({ ...a, into: a.into % SPACES, mode: 'near' as const })), { minLength: 3, maxLength: 8 }),
    fc.array(opArbitrary, { minLength: 5, maxLength: 50 }),
  )
  .map(([ds, maps, attaches, rootAttaches, ops]) => [...ds, ...maps, ...attaches, ...rootAttaches, ...ops]);

// ---- the model ---------------------------------------------------------------

class MDataspace {
  readonly kind = 'ds';
  readonly bytes: Uint8Array;
  constructor(
    readonly real: Dataspace,
    readonly pages: number,
    public writable: boolean,
  ) {
    this.bytes = new Uint8Array(pages * PAGE_SIZE);
  }
  word(offset: number): number {
    return new DataView(this.bytes.buffer).getInt32(offset, true);
  }
  setWord(offset: number, v: number): void {
    new DataView(this.bytes.buffer).setInt32(offset, v, true);
  }
}

interface MRegion {
  at: number; // pages
  off: number; // pages
  pages: number;
  target: MDataspace | MMap;
  w: boolean;
  x: boolean;
}

class MMap {
  readonly kind = 'map';
  regions: MRegion[] = [];
  constructor(
    readonly real: RegionMap,
    readonly pages: number,
  ) {}
  regionAt(page: number): MRegion | undefined {
    return this.regions.find((r) => page >= r.at && page < r.at + r.pages);
  }
  /** Does this map contain `other` (itself included), through any nesting? */
  contains(other: MMap): boolean {
    return this === other || this.regions.some((r) => r.target.kind === 'map' && r.target.contains(other));
  }
  isFree(at: number, pages: number): boolean {
    return this.regions.every((r) => r.at + r.pages <= at || at + pages <= r.at);
  }
  /** Removes pages [at, at+pages), trimming and splitting regions. */
  unmap(at: number, pages: number): void {
    const end = at + pages;
    const kept: MRegion[] = [];
    for (const r of this.regions) {
      const rEnd = r.at + r.pages;
      if (rEnd <= at || end <= r.at) {
        kept.push(r);
        continue;
      }
      if (r.at < at) kept.push({ ...r, pages: at - r.at });
      if (rEnd > end) kept.push({ ...r, at: end, off: r.off + (end - r.at), pages: rEnd - end });
    }
    this.regions = kept;
  }
}

class MSpace {
  readonly guest = new Uint8Array(WINDOW).fill(7);
  readonly plugin = new Uint8Array(WINDOW).fill(7);
  readonly root: MMap;
  readonly layer: ProtectionLayer;
  readonly linux: LinuxMemory;
  constructor(readonly real: AddressSpace) {
    this.linux = new LinuxMemory(real);
    this.root = new MMap(real.root, WINDOW);
    this.layer = real.createProtectionLayer('plugin');
  }
}

type Walk =
  | { hole: true; map: MMap; page: number }
  | { hole: false; map: MMap; page: number; ds: MDataspace; dsPage: number; prot: number };

/** The effective mapping of `vpage`, recomputed from scratch. */
function walk(s: MSpace, vpage: number): Walk {
  let map = s.root;
  let page = vpage;
  let w = true;
  let x = true;
  for (;;) {
    const r = map.regionAt(page);
    if (r === undefined) return { hole: true, map, page };
    w &&= r.w;
    x &&= r.x;
    const inner = r.off + (page - r.at);
    if (r.target.kind === 'map') {
      map = r.target;
      page = inner;
      continue;
    }
    const ds = r.target;
    const layers = s.guest[vpage]! & s.plugin[vpage]!;
    const prot =
      (layers & Prot.Read) |
      (w && ds.writable ? layers & Prot.Write : 0) |
      (x ? layers & Prot.Exec : 0);
    return { hole: false, map, page, ds, dsPage: inner, prot };
  }
}

// ---- the runner ----------------------------------------------------------------

class Mismatch extends Error {}

function check(ok: boolean, message: () => string): void {
  if (!ok) throw new Mismatch(message());
}

function expectThrow(kind: typeof FaultlineError, fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    check(err instanceof kind, () => `${what}: threw ${String(err)}, expected ${kind.name}`);
    return;
  }
  throw new Mismatch(`${what}: did not throw, expected ${kind.name}`);
}

function noThrow<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw new Mismatch(`${what}: unexpected ${String(err)}`);
  }
}

/**
 * Runs `ops` against fresh real address spaces and the model, comparing
 * every guest access (through `access`), host access and call result.
 * Throws (a Mismatch) on the first difference.
 */
export function runScenario(ops: readonly Op[], access: GuestAccess): void {
  const memory = new PhysicalMemory({ quota: 1 << 26 });
  const spaces = Array.from({ length: SPACES }, () => new MSpace(new AddressSpace({ memory })));
  const dataspaces: MDataspace[] = [];
  const maps: MMap[] = [];
  const containers = (): MMap[] => [...spaces.map((s) => s.root), ...maps];
  const targets = (): (MDataspace | MMap)[] => [...dataspaces, ...maps];
  const isRoot = (m: MMap): boolean => spaces.some((s) => s.root === m);
  const pickPage = (m: MMap, raw: number): number => raw % m.pages;
  /** First page at or after `from` where `pages` pages are free, or -1. */
  const firstFree = (m: MMap, from: number, pages: number): number => {
    for (let p = from; p + pages <= m.pages; p++) if (m.isFree(p, pages)) return p;
    return -1;
  };
  /** A page of `m`: with `onRegion`, one inside an existing region (when there is one). */
  const pickRegionPage = (m: MMap, raw: number, onRegion: boolean): number => {
    const size = isRoot(m) ? WINDOW : m.pages;
    if (!onRegion || m.regions.length === 0) return raw % size;
    const r = m.regions[raw % m.regions.length]!;
    return r.at + (raw % r.pages);
  };
  /** `raw` itself, or with `onMapped` one of the pages the model maps in `s`. */
  const pickVpage = (s: MSpace, raw: number, mapped: boolean): number => {
    if (!mapped) return raw;
    const list: number[] = [];
    for (let p = 0; p < WINDOW; p++) if (!walk(s, p).hole) list.push(p);
    return list.length === 0 ? raw : list[raw % list.length]!;
  };

  const guest = (s: MSpace, kind: number, page: number, wordIndex: number, v: number, step: string): void => {
    const vaddr = page * PAGE_SIZE + wordIndex * 4;
    const real: GuestResult =
      kind === Access.Read
        ? access.read32(s.real, vaddr)
        : kind === Access.Write
          ? access.write32(s.real, vaddr, v)
          : access.fetch32(s.real, vaddr);
    const m = walk(s, page);
    const need = kind === Access.Read ? Prot.Read : kind === Access.Write ? Prot.Write : Prot.Exec;
    if (m.hole || (m.prot & need) === 0) {
      check(!real.ok, () => `${step}: expected a ${m.hole ? 'not-present' : 'protection'} fault, got ${JSON.stringify(real)}`);
      if (real.ok) return;
      const f = real.fault;
      check(f.address === vaddr, () => `${step}: fault address ${f.address}`);
      check(f.access === kind, () => `${step}: fault access ${f.access}`);
      check(f.protection === !m.hole, () => `${step}: fault protection ${f.protection}`);
      check(f.regionMap === m.map.real, () => `${step}: fault map "${f.regionMap.name}", expected "${m.map.real.name}"`);
      check(f.offset === m.page * PAGE_SIZE + wordIndex * 4, () => `${step}: fault offset ${f.offset}`);
      return;
    }
    check(real.ok, () => `${step}: unexpected fault ${JSON.stringify(real.ok ? null : { ...real.fault, regionMap: real.fault.regionMap.name })}`);
    const offset = m.dsPage * PAGE_SIZE + wordIndex * 4;
    if (kind === Access.Write) {
      m.ds.setWord(offset, v);
      // Stores through one mapping reach decoded code held for another
      // mapping of the same page only after fence.i, as the ISA says: the
      // scenario issues one exactly then (so stores into a page's own
      // decoded code are checked without the help of a fence).
      const aliased = spaces.some((t) => {
        if (t.real.codeCache.size === 0) return false;
        for (let p = 0; p < WINDOW; p++) {
          if (t === s && p === page) continue;
          const a = walk(t, p);
          if (!a.hole && a.ds === m.ds && a.dsPage === m.dsPage && t.real.codeCache.has(p)) return true;
        }
        return false;
      });
      if (aliased) for (const t of spaces) access.fenceI(t.real);
    } else if (real.ok) {
      const expected = m.ds.word(offset);
      check(real.value === expected, () => `${step}: read ${real.value}, expected ${expected}`);
    }
  };

  /**
   * Accesses every page of the window: loads and fetches of every word the
   * scenarios use, then a store of a fresh value to word 0, and compares
   * effectiveProt.
   */
  let stamp = 0;
  const sweep = (s: MSpace, kinds: { read: boolean; write: boolean; exec: boolean }, step: string): void => {
    for (let p = 0; p < WINDOW; p++) {
      for (const w of WORDS) {
        if (kinds.read) guest(s, Access.Read, p, w, 0, `${step} read page ${p} word ${w}`);
        if (kinds.exec) guest(s, Access.Execute, p, w, 0, `${step} exec page ${p} word ${w}`);
      }
      const m = walk(s, p);
      if (kinds.write) guest(s, Access.Write, p, 0, (stamp += 0x01010101), `${step} write page ${p}`);
      const eff = s.real.effectiveProt(p * PAGE_SIZE);
      check(eff === (m.hole ? -1 : m.prot), () => `${step}: effectiveProt of page ${p} is ${eff}, expected ${m.hole ? -1 : m.prot}`);
    }
  };

  ops.forEach((op, i) => {
    const step = `step ${i} ${JSON.stringify(op)}`;
    switch (op.t) {
      case 'newDs': {
        const real = spaces[0]!.real.createDataspace(op.pages * PAGE_SIZE, { writable: op.writable, name: `ds${dataspaces.length}` });
        dataspaces.push(new MDataspace(real, op.pages, op.writable));
        break;
      }
      case 'newMap': {
        maps.push(new MMap(spaces[0]!.real.createRegionMap(op.pages * PAGE_SIZE, { name: `map${maps.length}` }), op.pages));
        break;
      }
      case 'attach': {
        const all = targets();
        if (all.length === 0) break;
        const into = containers()[op.into % containers().length]!;
        const target = all[op.target % all.length]!;
        const off = op.off % target.pages;
        const root = isRoot(into);
        const pages = op.mode === 'near' ? Math.min(op.pages, target.pages - off) : op.pages;
        let valid = off + pages <= target.pages;
        if (target.kind === 'map' && target.contains(into)) valid = false;
        let at: number;
        if (op.mode === 'auto' && !root) {
          at = firstFree(into, 0, pages);
          valid &&= at >= 0;
        } else if (op.mode === 'near') {
          at = firstFree(into, pickPage(into, op.page), pages);
          if (at < 0) at = firstFree(into, 0, pages);
          if (at < 0) break;
        } else {
          at = pickPage(into, op.page);
          if (root && at + pages > WINDOW) break; // the real root is larger than the modelled window
          valid &&= at + pages <= into.pages && into.isFree(at, pages);
        }
        const options = {
          at: op.mode === 'auto' && !root ? undefined : at * PAGE_SIZE,
          offset: off * PAGE_SIZE,
          size: pages * PAGE_SIZE,
          writable: op.w,
          executable: op.x,
        };
        if (!valid) {
          expectThrow(UsageError, () => into.real.attach(target.real, options), step);
          break;
        }
        const got = noThrow(() => into.real.attach(target.real, options), step);
        check(got === at * PAGE_SIZE, () => `${step}: attached at ${got}, expected ${at * PAGE_SIZE}`);
        into.regions.push({ at, off, pages, target, w: op.w, x: op.x });
        break;
      }
      case 'detach': {
        const from = containers()[op.from % containers().length]!;
        const page = pickRegionPage(from, op.page, op.onRegion);
        const r = from.regionAt(page);
        if (r === undefined) {
          expectThrow(UsageError, () => from.real.detach(page * PAGE_SIZE), step);
          break;
        }
        noThrow(() => from.real.detach(page * PAGE_SIZE), step);
        from.regions = from.regions.filter((x) => x !== r);
        break;
      }
      case 'setRights': {
        const map = containers()[op.in % containers().length]!;
        const page = pickRegionPage(map, op.page, op.onRegion);
        const r = map.regionAt(page);
        const rights = { writable: op.w, executable: op.x };
        if (r === undefined) {
          expectThrow(UsageError, () => map.real.setRights(page * PAGE_SIZE, rights), step);
          break;
        }
        noThrow(() => map.real.setRights(page * PAGE_SIZE, rights), step);
        if (op.w !== undefined) r.w = op.w;
        if (op.x !== undefined) r.x = op.x;
        break;
      }
      case 'seal': {
        if (dataspaces.length === 0) break;
        const ds = dataspaces[op.ds % dataspaces.length]!;
        ds.real.seal();
        ds.writable = false;
        break;
      }
      case 'mprotect': {
        const s = spaces[op.space]!;
        const n = Math.min(op.count, WINDOW - op.page);
        let mapped = true;
        for (let p = op.page; p < op.page + n; p++) if (s.root.regionAt(p) === undefined) mapped = false;
        const result = s.linux.mprotect(op.page * PAGE_SIZE, n * PAGE_SIZE, op.prot);
        check(result === (mapped ? 0 : -Errno.ENOMEM), () => `${step}: mprotect returned ${result}`);
        if (mapped) s.guest.fill(op.prot, op.page, op.page + n);
        break;
      }
      case 'layer': {
        const s = spaces[op.space]!;
        const n = Math.min(op.count, WINDOW - op.page);
        s.layer.protect(op.page * PAGE_SIZE, n * PAGE_SIZE, op.prot);
        s.plugin.fill(op.prot, op.page, op.page + n);
        break;
      }
      case 'munmap': {
        const s = spaces[op.space]!;
        const n = Math.min(op.count, WINDOW - op.page);
        const result = s.linux.munmap(op.page * PAGE_SIZE, n * PAGE_SIZE);
        check(result === 0, () => `${step}: munmap returned ${result}`);
        s.root.unmap(op.page, n);
        s.guest.fill(7, op.page, op.page + n);
        break;
      }
      case 'mmap': {
        const s = spaces[op.space]!;
        const n = Math.min(op.count, WINDOW - op.page);
        const flags = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;
        const result = s.linux.mmap(op.page * PAGE_SIZE, n * PAGE_SIZE, op.prot, flags, -1, 0);
        check(result === op.page * PAGE_SIZE, () => `${step}: mmap returned ${result}`);
        s.root.unmap(op.page, n);
        const real = s.real.root.lookup(op.page * PAGE_SIZE)!.target as Dataspace;
        s.root.regions.push({ at: op.page, off: 0, pages: n, target: new MDataspace(real, n, true), w: true, x: true });
        s.guest.fill(op.prot, op.page, op.page + n);
        break;
      }
      case 'hostWriteDs': {
        if (dataspaces.length === 0) break;
        const ds = dataspaces[op.ds % dataspaces.length]!;
        const offset = (op.page % ds.pages) * PAGE_SIZE + op.word * 4;
        const bytes = new Uint8Array(new Int32Array([op.value]).buffer);
        if (!ds.writable) {
          expectThrow(UsageError, () => ds.real.write(offset, bytes), step);
          break;
        }
        noThrow(() => ds.real.write(offset, bytes), step);
        ds.setWord(offset, op.value);
        break;
      }
      case 'hostWrite': {
        const s = spaces[op.space]!;
        const page = pickVpage(s, op.page, op.onMapped);
        const vaddr = page * PAGE_SIZE + op.word * 4;
        const m = walk(s, page);
        if (m.hole || !m.ds.writable) {
          expectThrow(FaultlineError, () => s.real.writeU32(vaddr, op.value), step);
          break;
        }
        noThrow(() => s.real.writeU32(vaddr, op.value), step);
        m.ds.setWord(m.dsPage * PAGE_SIZE + op.word * 4, op.value);
        break;
      }
      case 'hostRead': {
        const s = spaces[op.space]!;
        const page = pickVpage(s, op.page, op.onMapped);
        const vaddr = page * PAGE_SIZE + op.word * 4;
        const m = walk(s, page);
        if (m.hole) {
          expectThrow(FaultlineError, () => s.real.readU32(vaddr), step);
          break;
        }
        const got = noThrow(() => s.real.readU32(vaddr), step);
        const expected = m.ds.word(m.dsPage * PAGE_SIZE + op.word * 4) >>> 0;
        check(got === expected, () => `${step}: host read ${got}, expected ${expected}`);
        break;
      }
      case 'read': {
        const s = spaces[op.space]!;
        guest(s, Access.Read, pickVpage(s, op.page, op.onMapped), op.word, 0, step);
        break;
      }
      case 'exec': {
        const s = spaces[op.space]!;
        guest(s, Access.Execute, pickVpage(s, op.page, op.onMapped), op.word, 0, step);
        break;
      }
      case 'write': {
        const s = spaces[op.space]!;
        guest(s, Access.Write, pickVpage(s, op.page, op.onMapped), op.word, op.value, step);
        break;
      }
      case 'sweep':
        sweep(spaces[op.space]!, op, step);
        break;
    }
  });
  for (const s of spaces) sweep(s, { read: true, write: true, exec: true }, 'final sweep');
}
