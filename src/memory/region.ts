/**
 * A region: one attachment of a dataspace or region map into a region map.
 */

import type { Dataspace } from './dataspace.js';
import type { RegionMap } from './region-map.js';

/**
 * What can be attached into a region map: backing memory or another region
 * map (a managed dataspace). Tell them apart with `isRegionMap`.
 *
 * @example
 * ```ts
 * const describe = (t: AttachTarget) => (t.isRegionMap ? 'managed ' : 'dataspace ') + t.name;
 * ```
 */
export type AttachTarget = Dataspace | RegionMap;

/**
 * A snapshot of one region, as {@link RegionMap.regions} and
 * {@link RegionMap.lookup} report it.
 *
 * @example
 * ```ts
 * for (const r of addressSpace.root.regions()) console.log(hex32(r.at), r.size, r.target.name);
 * ```
 */
export interface RegionInfo {
  /** Offset of the region's first byte in its region map. */
  readonly at: number;
  /** Offset inside the target where the region starts. */
  readonly offset: number;
  /** Bytes covered. */
  readonly size: number;
  /** What is attached. */
  readonly target: AttachTarget;
  /** Writes allowed at this level (the effective right also needs every other level). */
  readonly writable: boolean;
  /** Execution allowed at this level. */
  readonly executable: boolean;
  /** Name given at attach time, if any. */
  readonly name: string | undefined;
}

/**
 * The live record of a region inside its region map, also listed in the
 * target's `attachments` so that invalidation can walk up from a target to
 * every place it is visible.
 *
 * @internal Mutated only by {@link RegionMap}.
 */
export class Region implements RegionInfo {
  /** Index of this record in `map`'s slot table. */
  slot = -1;
  /** Index of this record in `target.attachments` (kept for O(1) removal). */
  targetIndex = -1;

  constructor(
    /** The region map holding this region. */
    readonly map: RegionMap,
    readonly target: AttachTarget,
    public at: number,
    public offset: number,
    public size: number,
    public writable: boolean,
    public executable: boolean,
    readonly name: string | undefined,
  ) {}

  /** A detached copy for callers outside the memory layer. */
  snapshot(): RegionInfo {
    return {
      at: this.at,
      offset: this.offset,
      size: this.size,
      target: this.target,
      writable: this.writable,
      executable: this.executable,
      name: this.name,
    };
  }
}

/**
 * Adds `region` to its target's attachment list.
 *
 * @internal
 */
export function linkAttachment(region: Region): void {
  const list = region.target.attachments;
  region.targetIndex = list.length;
  list.push(region);
}

/**
 * Removes `region` from its target's attachment list in O(1) (swap with the last).
 *
 * @internal
 */
export function unlinkAttachment(region: Region): void {
  const list = region.target.attachments;
  const last = list.pop()!;
  if (last !== region) {
    list[region.targetIndex] = last;
    last.targetIndex = region.targetIndex;
  }
  region.targetIndex = -1;
}
