/**
 * Designated backing: the caller's dataspaces at fixed offsets of the
 * region (Genode's managed dataspace with sub-dataspaces). A unit is an
 * entry, or `unitPages` pages of it; holes between entries are not
 * served. Finding a unit is one Int32Array load per page.
 *
 *   unitOfPage[offset >>> 12] = unit, or NO_UNIT
 *   unitEntry[unit], unitStart[unit], unitLength[unit]
 */

import { PAGE_SHIFT, PAGE_SIZE, UsageError, hex32, type AttachOptions, type Dataspace, type Machine, type RegionInfo } from '../../src/index.js';
import { NO_UNIT, type Backing, type Placement } from './backing.js';
import type { DesignatedDataspace } from './index.js';

/** A designated entry with defaults applied. */
interface Entry {
  readonly offset: number;
  readonly dataspace: Dataspace;
  readonly dataspaceOffset: number;
  readonly size: number;
  readonly writable: boolean;
  readonly name: string;
  /** Pages per unit (the whole entry when not given). */
  readonly unitPages: number;
}

function isPageAligned(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value % PAGE_SIZE === 0;
}

/** See the file comment. The caller's dataspaces are never destroyed. */
export class DesignatedBacking implements Backing {
  readonly unitCount: number;
  readonly fetched = 0;
  private readonly entries: readonly Entry[];
  private readonly unitOfPage: Int32Array;
  private readonly unitEntry: Int32Array;
  private readonly unitStart: Float64Array;
  private readonly unitLength: Float64Array;

  /**
   * Checks the entries against a region of `regionSize` bytes and indexes
   * their units.
   *
   * @throws UsageError naming `fn` and the entry when one is misaligned, outside the region, or overlaps another.
   */
  constructor(fn: string, list: readonly DesignatedDataspace[], regionSize: number, writable: boolean) {
    if (!Array.isArray(list)) throw new UsageError(`${fn}: designated backing needs a dataspaces array`);
    this.entries = list.map((e, k) => entry(fn, e, k, regionSize, writable));
    // Overlap check on the entries sorted by offset: O(entries log entries), not per page.
    const order = this.entries.map((_, k) => k).sort((a, b) => this.entries[a]!.offset - this.entries[b]!.offset);
    for (let i = 1; i < order.length; i++) {
      const prev = this.entries[order[i - 1]!]!, next = this.entries[order[i]!]!;
      if (prev.offset + prev.size > next.offset) {
        throw new UsageError(`${fn}: designated dataspaces "${prev.name}" and "${next.name}" overlap at offset ${hex32(next.offset)}`);
      }
    }
    // Units: each entry whole, or in pieces of its unitPages.
    let units = 0;
    for (const e of this.entries) units += Math.ceil(e.size / (e.unitPages * PAGE_SIZE));
    this.unitCount = units;
    this.unitEntry = new Int32Array(units);
    this.unitStart = new Float64Array(units);
    this.unitLength = new Float64Array(units);
    this.unitOfPage = new Int32Array(regionSize / PAGE_SIZE).fill(NO_UNIT);
    // Numbered in offset order, so that eviction can stop at the end of its range.
    // Locals and plain stores: a lazy restore builds one unit per page, 65,536 for 256 MiB.
    const unitEntry = this.unitEntry, unitStart = this.unitStart, unitLength = this.unitLength, unitOfPage = this.unitOfPage;
    let unit = 0;
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!;
      const e = this.entries[k]!;
      // Small integers throughout (offsets are page-aligned and below 4 GiB), so no loop variable is a heap number.
      const first = (e.offset / PAGE_SIZE) | 0, end = (first + e.size / PAGE_SIZE) | 0, step = e.unitPages | 0;
      for (let p = first; p < end; p += step) {
        const pieceEnd = p + step < end ? p + step : end;
        unitEntry[unit] = k;
        unitStart[unit] = p * PAGE_SIZE;
        unitLength[unit] = (pieceEnd - p) * PAGE_SIZE;
        for (let q = p; q < pieceEnd; q++) unitOfPage[q] = unit;
        unit++;
      }
    }
  }

  unitAt(offset: number): number {
    return this.unitOfPage[offset >>> PAGE_SHIFT]!;
  }

  unitOffset(unit: number): number {
    return this.unitStart[unit]!;
  }

  unitSize(unit: number): number {
    return this.unitLength[unit]!;
  }

  /** Designated contents are always there. */
  prepare(): null {
    return null;
  }

  attachment(unit: number, o: AttachOptions): Dataspace {
    const e = this.entries[this.unitEntry[unit]!]!;
    o.offset = e.dataspaceOffset + (this.unitStart[unit]! - e.offset);
    o.writable = e.writable;
    o.name = e.name;
    return e.dataspace;
  }

  placement(unit: number): Placement {
    const e = this.entries[this.unitEntry[unit]!]!;
    return { dataspace: e.dataspace, offset: e.dataspaceOffset + (this.unitStart[unit]! - e.offset) };
  }

  /** The caller's contents are never dropped. */
  discard(): void {}

  adopt(unit: number, region: RegionInfo): boolean {
    const p = this.placement(unit);
    return region.target === p.dataspace && region.offset === p.offset;
  }

  /** Nothing to forget: the contents are the caller's. */
  reset(): void {}

  /** Nothing is made in a machine. */
  use(): void {}

  /** Nothing made, nothing to destroy. */
  release(): void {}

  checkMemory(machine: Machine, fn: string): void {
    for (const e of this.entries) {
      if (e.dataspace.memory !== machine.memory) throw new UsageError(`${fn}: designated dataspace "${e.name}" belongs to another machine's memory`);
    }
  }
}

/** Checks designated entry `k` and applies its defaults. */
function entry(fn: string, e: DesignatedDataspace, k: number, regionSize: number, writable: boolean): Entry {
  const ds = e?.dataspace as Dataspace | undefined;
  if (ds === undefined || ds === null || ds.isRegionMap !== false) throw new UsageError(`${fn}: designated entry ${k} needs a dataspace`);
  const name = e.name ?? ds.name;
  const dataspaceOffset = e.dataspaceOffset ?? 0;
  const size = e.size ?? ds.size - dataspaceOffset;
  if (!isPageAligned(e.offset)) throw new UsageError(`${fn}: offset of designated dataspace "${name}" must be page aligned, got ${String(e.offset)}`);
  if (!isPageAligned(dataspaceOffset)) throw new UsageError(`${fn}: dataspaceOffset of "${name}" must be page aligned, got ${String(dataspaceOffset)}`);
  if (!isPageAligned(size) || size === 0 || dataspaceOffset + size > ds.size) {
    throw new UsageError(`${fn}: size ${String(size)} of designated dataspace "${name}" must be a positive multiple of ${PAGE_SIZE} within its ${ds.size} bytes`);
  }
  if (e.offset + size > regionSize) {
    throw new UsageError(`${fn}: designated dataspace "${name}" at ${hex32(e.offset)} + ${size} bytes runs past the ${regionSize}-byte region`);
  }
  const pages = size / PAGE_SIZE;
  const unitPages = e.unitPages ?? pages;
  if (!Number.isInteger(unitPages) || unitPages <= 0) throw new UsageError(`${fn}: unitPages of designated dataspace "${name}" must be a positive integer, got ${String(e.unitPages)}`);
  return { offset: e.offset, dataspace: ds, dataspaceOffset, size, writable: e.writable ?? writable, name, unitPages: Math.min(unitPages, pages) };
}
