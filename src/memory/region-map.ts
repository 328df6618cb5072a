/**
 * Region maps: ranges into which dataspaces and other region maps are
 * attached (Genode's region maps; a region map attached into another is a
 * managed dataspace).
 *
 * Lookup is O(1) through a per-page index (two levels, see page-index.ts):
 *
 *   pageIndex.get(offset >>> 12) = slot of the region covering that page, or -1
 *   slots[slot]                  = the Region record (null when the slot is free)
 *
 * so attaching or detaching a one-page region costs O(1) besides flushing,
 * however many regions the map holds, and the index's host memory follows
 * what is attached, not the map's size. Range searches skip 4 MiB stretches
 * that are wholly free or wholly one region.
 */

import { UsageError, hex32 } from '../errors.js';
import { PageIndex } from './page-index.js';
import { ALL_RIGHTS, PAGE_SIZE, Prot } from './page.js';
import { Region, linkAttachment, unlinkAttachment } from './region.js';
import type { AttachTarget, RegionInfo } from './region.js';

/** Largest region map: the whole 32-bit address space. */
const MAX_SIZE = 2 ** 32;

/**
 * Whatever caches translations of a root region map (an address space).
 * Not exported from `faultline`: only the memory layer implements it.
 */
export interface TranslationOwner {
  /** Drops cached translations of `count` virtual pages from `vpageStart`; `rights` are Prot bits of the kinds affected. */
  flush(vpageStart: number, count: number, rights?: number): void;
}

/**
 * Options of {@link RegionMap.attach}.
 *
 * @example
 * ```ts
 * const options: AttachOptions = { at: 0x2000_0000, offset: 0, size: 2 * PAGE_SIZE, writable: false, name: 'table' };
 * machine.addressSpace.root.attach(ds, options);
 * ```
 */
export interface AttachOptions {
  /** Where to attach (page aligned). Default: the first free range that fits. */
  at?: number;
  /** Offset inside the target (page aligned). Default 0. */
  offset?: number;
  /** Bytes to attach (page aligned, > 0). Default: the rest of the target after `offset`. */
  size?: number;
  /** Allow writes through this region. Default true. The effective right also needs every other level. */
  writable?: boolean;
  /** Allow execution through this region. Default false. */
  executable?: boolean;
  /** Name for `maps()`; default: the target's name. */
  name?: string;
}

/**
 * Options of {@link RegionMap.setRights}.
 *
 * @example
 * ```ts
 * machine.addressSpace.root.setRights(0x2000_0000, { writable: true });
 * ```
 */
export interface RightsOptions {
  /** New write right; unchanged when absent. */
  writable?: boolean;
  /** New execute right; unchanged when absent. */
  executable?: boolean;
}

/**
 * Options of {@link RegionMap} construction and {@link AddressSpace.createRegionMap}.
 *
 * @example
 * ```ts
 * const managed = machine.addressSpace.createRegionMap(16 * PAGE_SIZE, { name: 'lazy' });
 * ```
 */
export interface RegionMapOptions {
  /** Name for messages and `maps()`. Default `''`. */
  name?: string;
}

/**
 * A range `[0, size)` into which dataspaces or other region maps are
 * attached. Every change flushes exactly the virtual pages where it is
 * visible, in every address space, following the places this map is
 * attached (it may be attached in several).
 *
 * @example
 * ```ts
 * const managed = addressSpace.createRegionMap(16 * PAGE_SIZE, { name: 'managed' });
 * addressSpace.root.attach(managed, { at: 0x2000_0000 });
 * managed.attach(addressSpace.createDataspace(PAGE_SIZE), { at: 3 * PAGE_SIZE });
 * ```
 */
export class RegionMap {
  /** Discriminant against {@link Dataspace}. */
  readonly isRegionMap = true;
  /** Size in bytes (multiple of the page size, up to 2^32). */
  readonly size: number;
  /** Name for messages and `maps()`. */
  readonly name: string;
  /**
   * Slot of the region covering each page, or -1.
   *
   * @internal
   */
  readonly pageIndex: PageIndex;
  /**
   * Region records by slot (null = free slot).
   *
   * @internal
   */
  readonly slots: (Region | null)[] = [];
  /**
   * Regions through which this map is attached into other maps.
   *
   * @internal Maintained by the parents.
   */
  readonly attachments: Region[] = [];
  /**
   * The address space whose root this is, if any.
   *
   * @internal
   */
  owner: TranslationOwner | null = null;
  /**
   * Lowest offset where a region was removed or trimmed since a reader
   * last reset it to `size` (the mmap placement cache reads it).
   *
   * @internal
   */
  lowestFreed: number;

  private readonly freeSlots: number[] = [];
  private liveCount = 0;

  /**
   * @param size - bytes the map spans: a positive multiple of 4096 up to 2^32
   * @param options - `name` for messages and `maps()`
   * @throws UsageError when `size` is not a positive multiple of 4096 up to 2^32.
   */
  constructor(size: number, options: RegionMapOptions = {}) {
    const name = options.name ?? '';
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_SIZE) {
      throw new UsageError(
        `RegionMap: size of "${name}" must be a positive multiple of ${PAGE_SIZE} up to 2^32, got ${String(size)}`,
      );
    }
    this.size = size;
    this.name = name;
    this.pageIndex = new PageIndex(size / PAGE_SIZE);
    this.lowestFreed = size;
  }

  /**
   * Host bytes this map's page index holds: it grows with the regions
   * attached (about 12 KiB once anything is attached into a 4 GiB map, plus
   * 4 KiB per 4 MiB stretch where a region begins or ends), never with the
   * map's size alone. An empty map holds none.
   *
   * @example
   * ```ts
   * const big = machine.addressSpace.createRegionMap(2 ** 32 - PAGE_SIZE);
   * console.log(big.indexBytes); // 0
   * ```
   */
  get indexBytes(): number {
    return this.pageIndex.bytes;
  }

  /** Number of regions attached. */
  get regionCount(): number {
    return this.liveCount;
  }

  /**
   * Attaches `target` (a dataspace, or a region map: a managed dataspace)
   * and returns the offset where it went. Any combination of rights is
   * accepted; the effective right is the AND along the path and of the
   * dataspace itself. Attaching into a hole needs no flush (holes are never
   * cached).
   *
   * @param target - a dataspace, or a region map (then it is a managed dataspace)
   * @param options - where (`at`), which part (`offset`, `size`), rights (`writable`, `executable`) and `name`
   * @throws UsageError naming the value when `at`/`offset`/`size` are not page aligned,
   *   the range is outside the target or this map, it overlaps a region, no free range fits,
   *   the target is destroyed, or attaching would create a cycle of region maps.
   * @example
   * ```ts
   * const at = map.attach(ds, { offset: PAGE_SIZE, size: PAGE_SIZE, writable: false });
   * ```
   */
  attach(target: AttachTarget, options: AttachOptions = {}): number {
    const offset = options.offset ?? 0;
    checkAligned('attach', 'offset', offset);
    if (!target.isRegionMap && target.isDestroyed) {
      throw new UsageError(`attach: dataspace "${target.name}" is destroyed`);
    }
    const size = options.size ?? target.size - offset;
    checkAligned('attach', 'size', size);
    if (size <= 0) throw new UsageError(`attach: size must be positive, got ${String(size)}`);
    if (offset + size > target.size) {
      throw new UsageError(
        `attach: offset ${hex32(offset)} + size ${hex32(size)} exceeds the ${target.size} bytes of "${target.name}"`,
      );
    }
    if (target.isRegionMap && reachesUp(this, target)) {
      throw new UsageError(`attach: attaching region map "${target.name}" into "${this.name}" would create a cycle`);
    }
    let at: number;
    if (options.at === undefined) {
      at = this.findFree(size, 0, this.size);
      if (at < 0) throw new UsageError(`attach: no free range of ${size} bytes in region map "${this.name}"`);
    } else {
      at = options.at;
      checkAligned('attach', 'at', at);
      if (at + size > this.size) {
        throw new UsageError(
          `attach: range ${hex32(at)} + ${hex32(size)} exceeds region map "${this.name}" of ${this.size} bytes`,
        );
      }
      const busy = this.firstBusyPage(at / PAGE_SIZE, (at + size) / PAGE_SIZE);
      if (busy >= 0) {
        throw new UsageError(
          `attach: range ${hex32(at)}..${hex32(at + size - 1)} overlaps the region at ${hex32(this.regionAtPage(busy)!.at)} in region map "${this.name}"`,
        );
      }
    }
    this.insert(
      new Region(this, target, at, offset, size, options.writable ?? true, options.executable ?? false, options.name),
    );
    return at;
  }

  /**
   * Removes the region containing offset `at` and flushes every translation
   * through it. Returns what was removed.
   *
   * @param at - any offset inside the region to remove
   * @throws UsageError when nothing is attached at `at`.
   * @example
   * ```ts
   * map.detach(0x3000); // any address inside the region
   * ```
   */
  detach(at: number): RegionInfo {
    const region = this.regionAt('detach', at);
    const info = region.snapshot();
    this.remove(region);
    this.invalidate(region.at, region.size, ALL_RIGHTS);
    return info;
  }

  /**
   * Changes the rights of the region containing `at`. Removing a right
   * flushes the region's translations of that kind; adding one needs no
   * flush.
   *
   * @param at - any offset inside the region
   * @param rights - the rights to change; absent ones stay
   * @throws UsageError when nothing is attached at `at`.
   * @example
   * ```ts
   * map.setRights(0x3000, { writable: false });
   * ```
   */
  setRights(at: number, rights: RightsOptions): void {
    const region = this.regionAt('setRights', at);
    let removed = 0;
    if (rights.writable !== undefined) {
      if (region.writable && !rights.writable) removed |= Prot.Write;
      region.writable = rights.writable;
    }
    if (rights.executable !== undefined) {
      if (region.executable && !rights.executable) removed |= Prot.Exec;
      region.executable = rights.executable;
    }
    if (removed !== 0) this.invalidate(region.at, region.size, removed);
  }

  /**
   * Removes everything in `[offset, offset + length)`, trimming or
   * splitting regions at the edges (a split keeps the same target with the
   * offset adjusted). Returns the removed pieces, sorted, so that the owner
   * can discard memory it owns. Holes in the range are fine.
   *
   * @param offset - start of the range (page aligned)
   * @param length - bytes (page aligned)
   * @throws UsageError when `offset`/`length` are not page aligned or the range is outside the map.
   * @example
   * ```ts
   * for (const piece of map.unmapRange(0x4000, 0x2000)) console.log(piece.target.name, piece.offset);
   * ```
   */
  unmapRange(offset: number, length: number): RegionInfo[] {
    checkAligned('unmapRange', 'offset', offset);
    checkAligned('unmapRange', 'length', length);
    if (offset + length > this.size) {
      throw new UsageError(
        `unmapRange: range ${hex32(offset)} + ${hex32(length)} exceeds region map "${this.name}" of ${this.size} bytes`,
      );
    }
    const removed: RegionInfo[] = [];
    const endPage = (offset + length) / PAGE_SIZE;
    for (let p = this.pageIndex.firstBusy(offset / PAGE_SIZE, endPage); p >= 0; ) {
      const r = this.regionAtPage(p)!;
      const rStart = r.at / PAGE_SIZE;
      const rEnd = rStart + r.size / PAGE_SIZE;
      const cutStart = Math.max(rStart, offset / PAGE_SIZE);
      const cutEnd = Math.min(rEnd, endPage);
      removed.push({
        at: cutStart * PAGE_SIZE,
        offset: r.offset + (cutStart - rStart) * PAGE_SIZE,
        size: (cutEnd - cutStart) * PAGE_SIZE,
        target: r.target,
        writable: r.writable,
        executable: r.executable,
        name: r.name,
      });
      if (cutStart === rStart && cutEnd === rEnd) {
        this.remove(r);
        p = this.pageIndex.firstBusy(cutEnd, endPage);
        continue;
      }
      this.pageIndex.fill(cutStart, cutEnd, -1);
      if (cutStart * PAGE_SIZE < this.lowestFreed) this.lowestFreed = cutStart * PAGE_SIZE;
      if (cutStart === rStart) {
        // Trim the front (the order of `ordered` is unchanged).
        r.at = cutEnd * PAGE_SIZE;
        r.offset += (cutEnd - rStart) * PAGE_SIZE;
        r.size = (rEnd - cutEnd) * PAGE_SIZE;
      } else {
        // Trim the back, and keep the part after the cut as a new region.
        r.size = (cutStart - rStart) * PAGE_SIZE;
        if (cutEnd < rEnd) {
          this.insert(
            new Region(
              this,
              r.target,
              cutEnd * PAGE_SIZE,
              r.offset + (cutEnd - rStart) * PAGE_SIZE,
              (rEnd - cutEnd) * PAGE_SIZE,
              r.writable,
              r.executable,
              r.name,
            ),
          );
        }
      }
      p = this.pageIndex.firstBusy(cutEnd, endPage);
    }
    if (removed.length > 0) this.invalidate(offset, length, ALL_RIGHTS);
    return removed;
  }

  /**
   * Snapshots of all regions, sorted by address.
   *
   * @example
   * ```ts
   * const used = map.regions().reduce((n, r) => n + r.size, 0);
   * ```
   */
  regions(): RegionInfo[] {
    return this.liveRegions().map((r) => r.snapshot());
  }

  /**
   * The region covering `offset`, or undefined for a hole. O(1).
   *
   * @param offset - an offset inside this map
   * @throws UsageError when `offset` is outside the map.
   * @example
   * ```ts
   * const r = map.lookup(fault.offset);
   * ```
   */
  lookup(offset: number): RegionInfo | undefined {
    checkOffset('lookup', this, offset);
    return this.regionAtPage(Math.floor(offset / PAGE_SIZE))?.snapshot();
  }

  /**
   * The live region covering page `page` of this map, or null. O(1), no
   * allocation: the step of {@link walkRegions}.
   *
   * @internal `page` must be inside the map.
   */
  regionAtPage(page: number): Region | null {
    const slot = this.pageIndex.get(page);
    return slot < 0 ? null : this.slots[slot]!;
  }

  /**
   * Lowest page-aligned offset in `[from, to)` where `size` bytes are free,
   * or -1. Jumps from region end to region end: O(regions passed), plus
   * the pages of each window tried (4 MiB stretches that are free or one
   * region are skipped whole). When `skipped` is given, its `largest` is
   * raised to the largest free stretch passed over as too small.
   *
   * @internal `from`, `to`, `size` page aligned.
   */
  findFree(size: number, from: number, to: number, skipped?: { largest: number }): number {
    const need = size / PAGE_SIZE;
    const last = to / PAGE_SIZE;
    let p = from / PAGE_SIZE;
    while (p + need <= last) {
      const busy = this.firstBusyPage(p, p + need);
      if (busy < 0) return p * PAGE_SIZE;
      if (skipped !== undefined && (busy - p) * PAGE_SIZE > skipped.largest) skipped.largest = (busy - p) * PAGE_SIZE;
      const r = this.regionAtPage(busy)!;
      p = (r.at + r.size) / PAGE_SIZE;
    }
    return -1;
  }

  /**
   * Start of the free stretch holding offset `at`, not below `floor`: the
   * end of the last region before `at`, or `floor`; `at` itself when a
   * region covers it.
   *
   * @internal Page aligned arguments.
   */
  holeStart(at: number, floor: number): number {
    if (at >= this.size || floor >= at) return at;
    const busy = this.pageIndex.lastBusy(floor / PAGE_SIZE, at / PAGE_SIZE + 1);
    if (busy < 0) return floor;
    if (busy === at / PAGE_SIZE) return at;
    const r = this.regionAtPage(busy)!;
    return r.at + r.size;
  }

  /**
   * True when every page of `[offset, offset + length)` is covered by a region.
   *
   * @internal Page aligned arguments.
   */
  isFullyMapped(offset: number, length: number): boolean {
    return this.pageIndex.firstHole(offset / PAGE_SIZE, (offset + length) / PAGE_SIZE) < 0;
  }

  /**
   * True when no page of `[offset, offset + length)` is covered.
   *
   * @internal Page aligned arguments.
   */
  isFree(offset: number, length: number): boolean {
    return this.pageIndex.firstBusy(offset / PAGE_SIZE, (offset + length) / PAGE_SIZE) < 0;
  }

  /**
   * The live region records, sorted by address.
   *
   * @internal
   */
  liveRegions(): Region[] {
    const list: Region[] = [];
    for (const r of this.slots) if (r !== null) list.push(r);
    return list.sort((a, b) => a.at - b.at);
  }

  /**
   * Flushes `[offset, offset + length)` of this map wherever it is visible:
   * in the owning address space when this is a root, and through every
   * place this map is attached, recursively. `rights` are the Prot bits of
   * the translation kinds affected.
   *
   * @internal
   */
  invalidate(offset: number, length: number, rights: number): void {
    // Iterative (nesting depth costs no stack): a lone attachment is
    // followed in place, several go on a pending list.
    let map: RegionMap = this, lo = offset, hi = offset + length;
    let pending: [RegionMap, number, number][] | null = null;
    for (;;) {
      if (map.owner !== null) map.owner.flush(lo / PAGE_SIZE, (hi - lo) / PAGE_SIZE, rights);
      const list = map.attachments;
      let next: RegionMap | null = null, nextLo = 0, nextHi = 0;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        const s = Math.max(lo, r.offset);
        const e = Math.min(hi, r.offset + r.size);
        if (s >= e) continue;
        if (next !== null) (pending ??= []).push([next, nextLo, nextHi]);
        next = r.map;
        nextLo = r.at + (s - r.offset);
        nextHi = nextLo + (e - s);
      }
      if (next === null) {
        const item = pending?.pop();
        if (item === undefined) return;
        [map, lo, hi] = item;
      } else {
        map = next;
        lo = nextLo;
        hi = nextHi;
      }
    }
  }

  /** Region containing `at`, or a UsageError naming `fn`. */
  private regionAt(fn: string, at: number): Region {
    checkOffset(fn, this, at);
    const region = this.regionAtPage(Math.floor(at / PAGE_SIZE));
    if (region === null) throw new UsageError(`${fn}: nothing attached at ${hex32(at)} in region map "${this.name}"`);
    return region;
  }

  /** First page in [start, end) covered by a region, or -1. */
  private firstBusyPage(start: number, end: number): number {
    return this.pageIndex.firstBusy(start, end);
  }

  /** Puts a region into a free slot and the index; links it to its target. */
  private insert(region: Region): void {
    let slot: number;
    if (this.freeSlots.length > 0) {
      slot = this.freeSlots.pop()!;
      this.slots[slot] = region;
    } else {
      slot = this.slots.length;
      this.slots.push(region);
    }
    region.slot = slot;
    const start = region.at / PAGE_SIZE;
    this.pageIndex.fill(start, start + region.size / PAGE_SIZE, slot);
    linkAttachment(region);
    this.liveCount++;
  }

  /** Takes a region out of the index and its slot; unlinks it from its target. No flush. */
  private remove(region: Region): void {
    const start = region.at / PAGE_SIZE;
    this.pageIndex.fill(start, start + region.size / PAGE_SIZE, -1);
    if (region.at < this.lowestFreed) this.lowestFreed = region.at;
    this.slots[region.slot] = null;
    this.freeSlots.push(region.slot);
    region.slot = -1;
    unlinkAttachment(region);
    this.liveCount--;
  }
}

/** Throws unless `value` is a non-negative page-aligned integer. */
function checkAligned(fn: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value % PAGE_SIZE !== 0) {
    throw new UsageError(`${fn}: ${what} must be a non-negative multiple of ${PAGE_SIZE}, got ${typeof value === 'number' && Number.isInteger(value) ? hex32(value) : String(value)}`);
  }
}

/** Throws unless `offset` is an integer inside `map`. */
function checkOffset(fn: string, map: RegionMap, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset >= map.size) {
    throw new UsageError(`${fn}: offset ${String(offset)} is outside region map "${map.name}" of ${map.size} bytes`);
  }
}

/** True when `target` is `from` or one of the maps `from` is attached into, transitively. */
function reachesUp(from: RegionMap, target: RegionMap): boolean {
  const seen = new Set<RegionMap>();
  const stack: RegionMap[] = [from];
  while (stack.length > 0) {
    const m = stack.pop()!;
    if (m === target) return true;
    if (seen.has(m)) continue;
    seen.add(m);
    for (const r of m.attachments) stack.push(r.map);
  }
  return false;
}
