/**
 * The contract between the demand-paging plugin and its backing kinds.
 * The kind is chosen once, when the plugin is made (`switch (backing.kind)`
 * in index.ts); the fault path then calls one small object instead of
 * testing the kind at every step.
 *
 *   kind          module          unit                          contents
 *   zero          zero-fill.ts    chunkPages pages              none (zero)
 *   source        source.ts       chunkPages pages              a PageSource, maybe async
 *   designated    designated.ts   an entry, or unitPages of it  the caller's dataspace
 *
 * Zero-fill and source share the chunk layout of chunked.ts.
 */

import type { AttachOptions, Dataspace, Machine, RegionInfo } from '../../src/index.js';

/** Unit number of an offset no unit covers (a hole between designated entries). */
export const NO_UNIT = -1;

/** Where a unit's backing goes when attached: its dataspace and the offset in it. */
export interface Placement {
  readonly dataspace: Dataspace;
  readonly offset: number;
}

/**
 * One backing kind. Units are numbered 0..unitCount-1 in offset order; each is attached
 * and detached as a whole. Nothing here touches the region map: the
 * plugin attaches and detaches, the backing says what and where.
 */
export interface Backing {
  /** Number of units in the region. */
  readonly unitCount: number;
  /** Units whose contents a page source produced (cumulative; 0 for other kinds). */
  readonly fetched: number;
  /** The unit covering `offset` (inside the region), or NO_UNIT. O(1). */
  unitAt(offset: number): number;
  /** Offset of `unit` inside the region. */
  unitOffset(unit: number): number;
  /** Bytes of `unit`. */
  unitSize(unit: number): number;
  /**
   * Makes the contents of `unit` ready for attaching: null when they are
   * ready now, or a promise that settles when they are (true), or when a
   * reset overtook the fetch (false). Throws (QuotaExceededError, a
   * UsageError naming a bad page source answer) when they cannot be made.
   */
  prepare(unit: number): Promise<boolean> | null;
  /** Fills `o.offset`, `o.writable`, `o.name` for attaching `unit` (the plugin sets `at` and `size`) and returns the dataspace. */
  attachment(unit: number, o: AttachOptions): Dataspace;
  /** Where `unit`'s backing is attached when it is in place, or null when it has none yet. */
  placement(unit: number): Placement | null;
  /** Drops the contents of `unit` (after it was detached); a no-op for kinds whose contents are the caller's. */
  discard(unit: number): void;
  /** Takes `region`, found attached at `unit`'s place after a restore, as the unit's backing; false when it is not one. */
  adopt(unit: number, region: RegionInfo): boolean;
  /** Makes new backing in `machine` from now on (install). */
  use(machine: Machine): void;
  /** Forgets every unit's contents (a new or restored region); `machine` is where new backing goes. */
  reset(machine: Machine | null): void;
  /** Destroys the backing it made that nothing attaches any more (uninstall). */
  release(): void;
  /** Throws a UsageError naming `fn` when its dataspaces belong to another machine's memory. */
  checkMemory(machine: Machine, fn: string): void;
}
