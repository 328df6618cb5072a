/**
 * Decodes and validates the LAYT section of a checkpoint image. Untrusted
 * input: everything the layout claims — dataspace sizes, page runs,
 * region maps, regions, protection runs — is checked against the section's
 * bytes, the image's memory quota and a bound on host bookkeeping before
 * anything is built from it, so a restore never allocates or loops in
 * proportion to a mere claim.
 *
 *   claim                         bound
 *   each dataspace's size         the memory quota (it is reserved whole)
 *   Σ dataspace bytes - retired   the memory quota
 *   Σ pages of dataspaces + maps  MAX_LAYOUT_PAGES (host tables per page)
 *   region maps, dataspaces       each reachable from the root (no orphans)
 */

import { hex32 } from '../errors.js';
import { PAGE_SIZE, Prot } from '../memory/page.js';
import { quote } from '../quote.js';
import type { ByteReader } from './byte-codec.js';
import {
  DataspaceFlag,
  PageState,
  RUN_SHIFT,
  RegionFlag,
  type DataspaceRecord,
  type LayoutState,
  type MachineMeta,
  type ProtectionRun,
  type RegionMapRecord,
  type RegionRecord,
} from './image-format.js';

/** Largest address space / dataspace / region map: 2^32 bytes. */
const MAX_SPAN = 2 ** 32;

/**
 * Most pages the dataspaces and region maps of one layout may span
 * together (2^23 pages, 32 GiB of claims): restoring keeps a few bytes of
 * host bookkeeping per page of each, outside the guest's quota. The root
 * alone spans 2^20 pages.
 *
 * @example
 * ```ts
 * const roomForMaps = MAX_LAYOUT_PAGES - 2 ** 20; // pages left beside the root
 * ```
 */
export const MAX_LAYOUT_PAGES = 2 ** 23;

/**
 * Bytes of quota the dataspaces of `layout` reserve once restored: their
 * sizes without their retired pages.
 *
 * @param layout - a decoded layout
 * @example
 * ```ts
 * if (reservedBytes(image.layout) > machine.memory.remaining) console.log('quota too small');
 * ```
 */
export function reservedBytes(layout: LayoutState): number {
  let total = 0;
  for (const ds of layout.dataspaces) total += ds.size - retiredPages(ds.runs) * PAGE_SIZE;
  return total;
}

/** Pages of `runs` in state Retired. */
function retiredPages(runs: Uint32Array): number {
  let n = 0;
  for (const run of runs) if ((run & 3) === PageState.Retired) n += run >>> RUN_SHIFT;
  return n;
}

/**
 * Decodes the LAYT section from `r` (positioned at its payload) and checks
 * it completely: ids unique and nonzero, sizes page multiples within
 * 2^32 and the quota, page runs covering each dataspace exactly, regions
 * page aligned, sorted, inside their map and their target, targets defined
 * before use (so region maps nest without cycles), every object reachable
 * from the root (the last map, spanning 2^32), the reserved total within
 * `meta.memoryQuota`, the pages of all objects within
 * {@link MAX_LAYOUT_PAGES}, the break and mmap bookkeeping consistent and
 * protection runs sorted and disjoint. Work is linear in the section size.
 *
 * @param r - reader over the LAYT payload
 * @param meta - the image's META section (for the quota)
 * @throws FormatError naming the image and the offset of the offending field.
 */
export function decodeLayout(r: ByteReader, meta: MachineMeta): LayoutState {
  const brkAt = r.offset;
  const brkBase = r.u32('brk base');
  const currentBrk = r.u32('current brk');
  const brkSet = r.flag('brk flag');
  if (brkBase % PAGE_SIZE !== 0) r.fail(`brk base ${hex32(brkBase)} is not page aligned`, brkAt);
  if (currentBrk < brkBase) r.fail(`current brk ${hex32(currentBrk)} is below the brk base ${hex32(brkBase)}`, brkAt + 4);
  const mmapAt = r.offset;
  const mmapTop = r.u64('mmap top', MAX_SPAN);
  if (mmapTop % PAGE_SIZE !== 0) r.fail(`mmap top ${mmapTop} is not page aligned`, mmapAt);

  const quota = meta.memoryQuota;
  const sizes = new Map<number, number>();
  /** Offset of each object's record, for messages. */
  const recordAt = new Map<number, number>();
  let pagesClaimed = 0;
  let reserved = 0;
  const dsCount = r.count('dataspace', 28);
  const dataspaces: DataspaceRecord[] = [];
  for (let k = 0; k < dsCount; k++) {
    const at = r.offset;
    const id = r.u32('dataspace id');
    if (id === 0 || sizes.has(id)) r.fail(`dataspace id ${id} is zero or used twice`, at);
    const size = r.u64('dataspace size', MAX_SPAN);
    if (size === 0 || size % PAGE_SIZE !== 0) r.fail(`dataspace ${id} has size ${size}, not a positive multiple of ${PAGE_SIZE}`, at + 4);
    if (size > quota) r.fail(`dataspace ${id} has size ${size}, more than the memory quota ${quota}`, at + 4);
    pagesClaimed += size / PAGE_SIZE;
    if (pagesClaimed > MAX_LAYOUT_PAGES) r.fail(`dataspace ${id}: the layout spans more than ${MAX_LAYOUT_PAGES} pages`, at + 4);
    const flags = r.u32('dataspace flags');
    if ((flags & ~7) !== 0) r.fail(`dataspace ${id} has unknown flags ${hex32(flags)}`, r.offset - 4);
    const name = r.string('dataspace name');
    const runsAt = r.offset;
    const runCount = r.count('page run', 4);
    const runs = new Uint32Array(runCount);
    let pages = 0, retired = 0;
    for (let j = 0; j < runCount; j++) {
      const run = r.u32('page run');
      const state = run & ((1 << RUN_SHIFT) - 1);
      if (state > PageState.Retired || run >>> RUN_SHIFT === 0) r.fail(`dataspace ${id} ${quote(name)}: bad page run ${hex32(run)}`, r.offset - 4);
      pages += run >>> RUN_SHIFT;
      if (state === PageState.Retired) retired += run >>> RUN_SHIFT;
      runs[j] = run;
    }
    if (pages !== size / PAGE_SIZE) r.fail(`dataspace ${id} ${quote(name)}: page runs cover ${pages} pages, its size ${size / PAGE_SIZE}`, runsAt);
    reserved += size - retired * PAGE_SIZE;
    if (reserved > quota) r.fail(`dataspace ${id} ${quote(name)}: the dataspaces reserve ${reserved} bytes, more than the memory quota ${quota}`, at);
    sizes.set(id, size);
    recordAt.set(id, at);
    dataspaces.push({
      id, size, name, runs,
      writable: (flags & DataspaceFlag.Writable) !== 0,
      shared: (flags & DataspaceFlag.Shared) !== 0,
      owned: (flags & DataspaceFlag.Owned) !== 0,
    });
  }

  const mapCount = r.count('region map', 20);
  if (mapCount === 0) r.fail('the layout has no root region map');
  const maps: RegionMapRecord[] = [];
  for (let k = 0; k < mapCount; k++) {
    const at = r.offset;
    const id = r.u32('region map id');
    if (id === 0 || sizes.has(id)) r.fail(`region map id ${id} is zero or used twice`, at);
    const size = r.u64('region map size', MAX_SPAN);
    if (size === 0 || size % PAGE_SIZE !== 0) r.fail(`region map ${id} has size ${size}, not a positive multiple of ${PAGE_SIZE}`, at + 4);
    pagesClaimed += size / PAGE_SIZE;
    if (pagesClaimed > MAX_LAYOUT_PAGES) r.fail(`region map ${id}: the layout spans more than ${MAX_LAYOUT_PAGES} pages`, at + 4);
    const name = r.string('region map name');
    const regions = decodeRegions(r, id, name, size, sizes);
    sizes.set(id, size);
    recordAt.set(id, at);
    maps.push({ id, size, name, regions });
  }
  if (maps[maps.length - 1]!.size !== MAX_SPAN) r.fail('the last region map (the root) does not span 2^32 bytes');
  checkReachable(r, dataspaces, maps, recordAt);
  const protection = decodeProtection(r);
  r.expectEnd('LAYT');
  return { dataspaces, maps, protection, brkBase, currentBrk, brkSet, mmapTop };
}

/** The regions of region map `id` (of `size` bytes); `sizes` holds the objects defined so far. */
function decodeRegions(r: ByteReader, id: number, name: string, size: number, sizes: ReadonlyMap<number, number>): RegionRecord[] {
  const regionCount = r.count('region', 24);
  const regions: RegionRecord[] = [];
  const where = `region map ${id} ${quote(name)}`;
  let prevEnd = 0;
  for (let j = 0; j < regionCount; j++) {
    const rAt = r.offset;
    const regionAt = r.u32('region address');
    const offset = r.u32('region offset');
    const rSize = r.u64('region size', MAX_SPAN);
    const target = r.u32('region target');
    const flags = r.u32('region flags');
    if ((flags & ~7) !== 0) r.fail(`${where}: region at ${hex32(regionAt)} has unknown flags ${hex32(flags)}`, r.offset - 4);
    const regionName = (flags & RegionFlag.Named) !== 0 ? r.string('region name') : undefined;
    const targetSize = sizes.get(target);
    if (targetSize === undefined) r.fail(`${where}: region at ${hex32(regionAt)} refers to unknown (or later) object ${target}`, rAt + 16);
    if (regionAt % PAGE_SIZE !== 0 || offset % PAGE_SIZE !== 0 || rSize === 0 || rSize % PAGE_SIZE !== 0) {
      r.fail(`${where}: region at ${hex32(regionAt)} is not page aligned`, rAt);
    }
    if (regionAt < prevEnd || regionAt + rSize > size) r.fail(`${where}: region at ${hex32(regionAt)} overlaps another or passes the end`, rAt);
    if (offset + rSize > targetSize) r.fail(`${where}: region at ${hex32(regionAt)} passes the end of object ${target}`, rAt + 4);
    prevEnd = regionAt + rSize;
    regions.push({
      at: regionAt, offset, size: rSize, target, name: regionName,
      writable: (flags & RegionFlag.Writable) !== 0,
      executable: (flags & RegionFlag.Executable) !== 0,
    });
  }
  return regions;
}

/**
 * Refuses a dataspace or region map no region reaches from the root: an
 * image holds only what is attached. Regions refer to earlier objects
 * only, so one pass from the root (last) backwards finds them all.
 */
function checkReachable(r: ByteReader, dataspaces: readonly DataspaceRecord[], maps: readonly RegionMapRecord[], recordAt: ReadonlyMap<number, number>): void {
  const reached = new Set<number>([maps[maps.length - 1]!.id]);
  for (let k = maps.length - 1; k >= 0; k--) {
    const map = maps[k]!;
    if (!reached.has(map.id)) r.fail(`region map ${map.id} ${quote(map.name)} is not attached anywhere reachable from the root`, recordAt.get(map.id));
    for (const region of map.regions) reached.add(region.target);
  }
  for (const ds of dataspaces) {
    if (!reached.has(ds.id)) r.fail(`dataspace ${ds.id} ${quote(ds.name)} is not attached anywhere reachable from the root`, recordAt.get(ds.id));
  }
}

/** The guest protection runs: sorted, disjoint, inside the address space, known bits. */
function decodeProtection(r: ByteReader): ProtectionRun[] {
  const protCount = r.count('protection run', 12);
  const protection: ProtectionRun[] = [];
  let prevEnd = 0;
  for (let k = 0; k < protCount; k++) {
    const at = r.offset;
    const firstPage = r.u32('protection run start');
    const pageCount = r.u32('protection run length');
    const prot = r.u32('protection bits');
    if (firstPage < prevEnd || pageCount === 0 || firstPage + pageCount > MAX_SPAN / PAGE_SIZE || (prot & ~(Prot.Read | Prot.Write | Prot.Exec)) !== 0) {
      r.fail(`bad protection run (${firstPage}+${pageCount}, prot ${prot})`, at);
    }
    prevEnd = firstPage + pageCount;
    protection.push({ firstPage, pageCount, prot });
  }
  return protection;
}

/**
 * The rights a guest access at `vaddr` would have once `layout` is
 * restored: the AND of the region rights along the nested maps, the
 * dataspace's seal and the guest protection — or -1 when nothing is mapped
 * there. The walk is iterative (a region only refers to an earlier
 * object, so it ends after at most one step per map).
 *
 * @param layout - a decoded, validated layout
 * @param vaddr - a 32-bit virtual address
 * @example
 * ```ts
 * const executable = (layoutProt(image.layout, entry) & Prot.Exec) !== 0;
 * ```
 */
export function layoutProt(layout: LayoutState, vaddr: number): number {
  const maps = new Map<number, RegionMapRecord>();
  for (const m of layout.maps) maps.set(m.id, m);
  let map = layout.maps[layout.maps.length - 1]!;
  let off = vaddr >>> 0;
  let prot = Prot.Read | Prot.Write | Prot.Exec;
  for (;;) {
    const region = regionAt(map.regions, off);
    if (region === undefined) return -1;
    if (!region.writable) prot &= ~Prot.Write;
    if (!region.executable) prot &= ~Prot.Exec;
    const inner = region.offset + (off - region.at);
    const next = maps.get(region.target);
    if (next === undefined) {
      if (layout.dataspaces.find((d) => d.id === region.target)?.writable === false) prot &= ~Prot.Write;
      break;
    }
    map = next;
    off = inner;
  }
  const page = Math.floor((vaddr >>> 0) / PAGE_SIZE);
  const run = runAt(layout.protection, page);
  return run === undefined ? prot : prot & run.prot;
}

/** The region of sorted `regions` containing `off`, by bisection. */
function regionAt(regions: readonly RegionRecord[], off: number): RegionRecord | undefined {
  let lo = 0, hi = regions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = regions[mid]!;
    if (off < r.at) hi = mid;
    else if (off >= r.at + r.size) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** The protection run of sorted `runs` containing `page`, by bisection. */
function runAt(runs: readonly ProtectionRun[], page: number): ProtectionRun | undefined {
  let lo = 0, hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = runs[mid]!;
    if (page < r.firstPage) hi = mid;
    else if (page >= r.firstPage + r.pageCount) lo = mid + 1;
    else return r;
  }
  return undefined;
}
