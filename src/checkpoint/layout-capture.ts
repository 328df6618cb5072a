/**
 * Captures the layout of an address space for a checkpoint image: every
 * dataspace and region map reachable from the root, with page states,
 * regions and rights, the guest's protection overlay and the Linux-call
 * bookkeeping (break, mmap top).
 */

import { expectObject } from '../arguments.js';
import { UsageError } from '../errors.js';
import { describeValue } from '../quote.js';
import type { Machine } from '../machine/machine.js';
import type { LinuxMemory } from '../syscalls/linux-memory.js';
import type { Dataspace } from '../memory/dataspace.js';
import type { RegionMap } from '../memory/region-map.js';
import type { ProtectionLayer } from '../memory/protection-layer.js';
import type { AttachTarget, Region } from '../memory/region.js';
import { ALL_RIGHTS } from '../memory/page.js';
import { TRAMPOLINE_ADDRESS } from '../machine/guest-handlers.js';
import {
  PageState,
  RUN_SHIFT,
  type DataspaceRecord,
  type LayoutState,
  type ProtectionRun,
  type RegionMapRecord,
  type RegionRecord,
} from './image-format.js';

/** Name of the guest-handler trampoline's mapping (recreated by re-registration, never saved). */
const TRAMPOLINE_NAME = '[faultline]';
/** Four pages of {@link ALL_RIGHTS} as one little-endian word. */
const FOUR_OPEN = 0x07070707;

/**
 * Ids of dataspaces and region maps, stable for as long as the object
 * lives, never reused: the images of one chain name the same dataspace by
 * the same id.
 *
 * @example
 * ```ts
 * const ids = new ObjectIds();
 * const a = ids.of(ds), b = ids.of(ds); // a === b
 * ```
 */
export class ObjectIds {
  private readonly ids = new WeakMap<AttachTarget, number>();
  private next: number;

  /**
   * Makes an allocator whose first id is `first`.
   *
   * @param first - the first id handed out (default 1; 0 is never an id)
   */
  constructor(first = 1) {
    this.next = first;
  }

  /**
   * The id of `target`, assigned on first sight.
   *
   * @param target - a dataspace or region map
   */
  of(target: AttachTarget): number {
    let id = this.ids.get(target);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(target, id);
    }
    return id;
  }

  /**
   * Gives `target` the id `id` (used when a restore continues a chain).
   *
   * @param target - a dataspace or region map
   * @param id - the id it had in an image
   */
  assign(target: AttachTarget, id: number): void {
    this.ids.set(target, id);
    if (id >= this.next) this.next = id + 1;
  }
}

/**
 * A captured layout and the live dataspaces behind its records.
 *
 * @example
 * ```ts
 * const { layout, dataspaces } = captureLayout(machine, new ObjectIds());
 * ```
 */
export interface CapturedLayout {
  /** The layout, ready for an image. */
  readonly layout: LayoutState;
  /** The dataspace of each dataspace record, by id. */
  readonly dataspaces: ReadonlyMap<number, Dataspace>;
}

/**
 * Walks `machine.addressSpace` from its root and records every reachable dataspace and
 * region map (each once, however often attached), with ids from `ids`.
 * Region maps come children first and the root last; dataspaces sorted by
 * id. The guest-handler trampoline page is left out (registering the
 * handlers again maps it). Cost: O(regions + dataspace pages), plus one
 * pass over the protection overlay of the mapped pages.
 *
 * @param machine - the machine whose address space and Linux memory bookkeeping to capture
 * @param ids - id allocator, kept across the images of a chain
 * @example
 * ```ts
 * const { layout } = captureLayout(machine, new ObjectIds());
 * console.log(layout.maps.length, layout.dataspaces.length);
 * ```
 */
export function captureLayout(machine: Machine, ids: ObjectIds): CapturedLayout {
  expectObject('captureLayout', 'machine', machine);
  const as = machine.addressSpace, linuxMemory = machine.linuxMemory;
  if (!(ids instanceof ObjectIds)) throw new UsageError(`captureLayout: ids must be an ObjectIds, got ${describeValue(ids)}`);
  const dataspaces = new Map<number, Dataspace>();
  const dsRecords: DataspaceRecord[] = [];
  const maps: RegionMapRecord[] = [];
  const seenMaps = new Set<RegionMap>();

  const visitDataspace = (ds: Dataspace): number => {
    const id = ids.of(ds);
    if (!dataspaces.has(id)) {
      dataspaces.set(id, ds);
      dsRecords.push({
        id,
        size: ds.size,
        name: ds.name,
        writable: ds.writable,
        shared: ds.shared,
        owned: linuxMemory.isOwned(ds),
        runs: cachedPageRuns(ds),
      });
    }
    return id;
  };

  // Depth-first, children before their parent, with an explicit stack: a
  // chain of nested region maps as deep as the API allows never reaches
  // the host's call-stack limit.
  interface Frame {
    readonly map: RegionMap;
    readonly id: number;
    readonly live: readonly Region[];
    readonly regions: RegionRecord[];
    next: number;
  }
  const enter = (map: RegionMap): Frame => {
    seenMaps.add(map);
    return { map, id: ids.of(map), live: map.liveRegions(), regions: [], next: 0 };
  };
  const record = (frame: Frame, r: Region, target: number): void => {
    frame.regions.push({ at: r.at, offset: r.offset, size: r.size, target, writable: r.writable, executable: r.executable, name: r.name });
    frame.next++;
  };
  const stack: Frame[] = [enter(as.root)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.live.length) {
      maps.push({ id: top.id, size: top.map.size, name: top.map.name, regions: top.regions });
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent !== undefined) record(parent, parent.live[parent.next]!, top.id);
      continue;
    }
    const r = top.live[top.next]!;
    if (stack.length === 1 && isTrampoline(linuxMemory, r.at, r.target)) {
      top.next++;
    } else if (!r.target.isRegionMap) {
      record(top, r, visitDataspace(r.target));
    } else if (seenMaps.has(r.target)) {
      record(top, r, ids.of(r.target));
    } else {
      stack.push(enter(r.target));
    }
  }
  dsRecords.sort((a, b) => a.id - b.id);
  const linux = linuxMemory.state();
  return {
    layout: {
      dataspaces: dsRecords,
      maps,
      protection: cachedProtectionRuns(as.guestProtection),
      brkBase: linux.brkBase,
      currentBrk: linux.currentBrk,
      brkSet: linux.brkSet,
      mmapTop: linux.mmapTop,
    },
    dataspaces,
  };
}

/** True for the trampoline page the guest-handler registry maps. */
function isTrampoline(linuxMemory: LinuxMemory, at: number, target: AttachTarget): boolean {
  return at === TRAMPOLINE_ADDRESS && !target.isRegionMap && target.name === TRAMPOLINE_NAME && !target.writable && !linuxMemory.isOwned(target);
}

/**
 * Runs of each dataspace and protection layer at the generation they were
 * computed for: a checkpoint walks a dataspace's frame table (or the 2^20
 * pages of the guest protection) only when it changed since the previous
 * capture, so an incremental image costs its dirty pages, not every page.
 */
const runsCache = new WeakMap<Dataspace, { readonly generation: number; readonly value: Uint32Array }>();
const protectionCache = new WeakMap<ProtectionLayer, { readonly generation: number; readonly value: readonly ProtectionRun[] }>();

/** What `compute` gives for `key`, computed again only when `generation` moved since the last time. */
function atGeneration<K extends object, V>(cache: WeakMap<K, { readonly generation: number; readonly value: V }>, key: K, generation: number, compute: () => V): V {
  const hit = cache.get(key);
  if (hit !== undefined && hit.generation === generation) return hit.value;
  const value = compute();
  cache.set(key, { generation, value });
  return value;
}

/** {@link pageRuns} of `ds`, reused while no page gained or lost contents. */
function cachedPageRuns(ds: Dataspace): Uint32Array {
  return atGeneration(runsCache, ds, ds.frameGeneration, () => pageRuns(ds.frames));
}

/** The protection runs of `layer` (a copy the caller owns), reused while it was not changed. */
function cachedProtectionRuns(layer: ProtectionLayer): ProtectionRun[] {
  return [...atGeneration(protectionCache, layer, layer.generation, () => protectionRuns(layer.prot))];
}

/**
 * Run-length page states of a dataspace from its frame table (-1 zero, -2
 * retired, a frame offset for data): words `count << RUN_SHIFT | PageState`.
 *
 * @example
 * ```ts
 * pageRuns(Int32Array.of(-1, -1, 4096)); // [2 << 2 | 0, 1 << 2 | 1]
 * ```
 */
export function pageRuns(frames: Int32Array): Uint32Array {
  const runs: number[] = [];
  let state = -1, count = 0;
  for (let p = 0; p < frames.length; p++) {
    const f = frames[p]!;
    const s = f >= 0 ? PageState.Data : f === -1 ? PageState.Zero : PageState.Retired;
    if (s === state) { count++; continue; }
    if (count > 0) runs.push((count << RUN_SHIFT) | state);
    state = s;
    count = 1;
  }
  if (count > 0) runs.push(((count << RUN_SHIFT) | state) >>> 0);
  return Uint32Array.from(runs, (r) => r >>> 0);
}

/** Runs of pages whose guest protection is not rwx, scanning four pages per step. */
function protectionRuns(prot: Uint8Array): ProtectionRun[] {
  const runs: ProtectionRun[] = [];
  const words = new Uint32Array(prot.buffer, prot.byteOffset, prot.length >>> 2);
  let p = 0;
  const n = prot.length;
  while (p < n) {
    if ((p & 3) === 0 && words[p >>> 2] === FOUR_OPEN) { p += 4; continue; }
    const v = prot[p]!;
    if (v === ALL_RIGHTS) { p++; continue; }
    const first = p;
    while (p < n && prot[p] === v) p++;
    runs.push({ firstPage: first, pageCount: p - first, prot: v });
  }
  return runs;
}
