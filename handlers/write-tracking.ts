/**
 * Read-only-attach write tracking (docs/design.md §1 Genode, §5): a monitored
 * writable dataspace is attached with the region's write right off, so
 * reads go straight through and the first write faults; the handler
 * records it and upgrades the region (`setRights`), after which writes run
 * at full speed until `rearm()` downgrades it again. Built on the public
 * API only, as a user's plugin would be.
 *
 * Lookup of a fault's tracked region, without allocation:
 *
 *   byMap: RegionMap -> tracked regions of that map, sorted by `at`
 *   fault.regionMap, fault.regionOffset  --bisect-->  tracked region
 *
 * (for a protection fault the machine reports the innermost map, the one
 * holding the dataspace's region, and the offset inside it).
 */

import {
  Access,
  FaultStatus,
  PAGE_SIZE,
  UsageError,
  hex32,
  type AddressSpace,
  type Dataspace,
  type Fault,
  type FaultHandler,
  type Machine,
  type Plugin,
  type RegionMap,
} from '../src/index.js';
import { RegionWalk, attachmentsOf, walkRegions } from '../src/plugin-kit.js';
import { writeResolvable } from './_internals/write-rights.js';

/**
 * Options of {@link WriteTracking.track}.
 *
 * @example
 * ```ts
 * const options: TrackOptions = { into: managedMap, at: 0x2000, size: 2 * PAGE_SIZE, name: 'table' };
 * tracker.track(ds, options);
 * ```
 */
export interface TrackOptions {
  /** Where to attach in `into` (page aligned). Default: the first free range that fits. */
  readonly at?: number;
  /** The region map to attach into, at any nesting depth (default: the machine's root map). */
  readonly into?: RegionMap;
  /** Offset inside the dataspace (page aligned, default 0). */
  readonly offset?: number;
  /** Bytes to attach (page aligned, default the rest of the dataspace). */
  readonly size?: number;
  /** Allow execution through the region (default false). */
  readonly executable?: boolean;
  /** Name for `maps()` and reports (default the dataspace's name). */
  readonly name?: string;
}

/**
 * One tracked attachment, as {@link WriteTracking.track} returns it. Its
 * fields describe the attachment; `armed` and `written` change as the
 * guest writes and the user re-arms.
 *
 * @example
 * ```ts
 * const region: TrackedRegion = tracker.track(ds, { at: 0x4000_0000 });
 * machine.run();
 * console.log(region.name, region.written ? 'written' : 'clean', region.armed);
 * ```
 */
export interface TrackedRegion {
  /** The monitored dataspace. */
  readonly dataspace: Dataspace;
  /** The region map it is attached into. */
  readonly map: RegionMap;
  /** Offset of the region in `map`. */
  readonly at: number;
  /** Offset inside the dataspace where the region starts. */
  readonly offset: number;
  /** Bytes covered. */
  readonly size: number;
  /** Name in reports. */
  readonly name: string;
  /** True while write-protected at region level, waiting for its first write. */
  readonly armed: boolean;
  /** True when written during the current arming. */
  readonly written: boolean;
  /** False once untracked (or the plugin uninstalled). */
  readonly tracked: boolean;
}

/**
 * The first write to a tracked region during one arming.
 *
 * @example
 * ```ts
 * for (const w of tracker.writes()) {
 *   console.log(`#${w.sequence} ${w.dataspace.name} page ${w.page} at ${hex32(w.address)} by pc ${hex32(w.pc)}`);
 * }
 * ```
 */
export interface WriteRecord {
  /** The region written. */
  readonly region: TrackedRegion;
  /** Its dataspace. */
  readonly dataspace: Dataspace;
  /** Page index inside the dataspace of the first write (byte offset = page * 4096). */
  readonly page: number;
  /** Virtual address of the faulting write (unsigned). */
  readonly address: number;
  /** pc of the writing instruction (for a system call, its `ecall`). */
  readonly pc: number;
  /** 1, 2, 3, ... over the plugin's life, in the order the writes happened. */
  readonly sequence: number;
  /** The clock's reading when the write faulted (default `performance.now()`, ms). */
  readonly time: number;
}

/**
 * Options of {@link writeTracking}.
 *
 * @example
 * ```ts
 * let tick = 0;
 * const tracker = writeTracking({ name: 'config-watch', tail: true, clock: () => ++tick });
 * ```
 */
export interface WriteTrackingOptions {
  /** Name of the plugin and of its fault handler (default `'write-tracking'`). */
  readonly name?: string;
  /** Register the handler at the tail of the chain instead of the head (default false). */
  readonly tail?: boolean;
  /** Clock for {@link WriteRecord.time} (default `performance.now()`). */
  readonly clock?: () => number;
}

/**
 * A write-tracking plugin; see {@link writeTracking}. Install it with
 * `machine.use(tracker)` before calling {@link WriteTracking.track}.
 *
 * @example
 * ```ts
 * const tracker: WriteTracking = writeTracking();
 * machine.use(tracker);
 * const region = tracker.track(ds, { at: 0x4000_0000 });
 * machine.run();
 * console.log(tracker.writtenDataspaces().map((d) => d.name));
 * tracker.rearm();
 * ```
 */
export interface WriteTracking extends Plugin {
  /**
   * Attaches `ds` read-only at region level into `options.into` (default
   * the root map) and starts monitoring it, armed: reads never fault, the
   * first write faults once, is recorded, and upgrades the region.
   *
   * @throws UsageError when the plugin is not installed, `ds` is not
   *   writable (sealed), or the attach fails (overlap, alignment, range —
   *   the message names the value).
   * @param ds - the writable dataspace to monitor
   * @param options - where to attach it and how much of it
   * @example
   * ```ts
   * const region = tracker.track(ds, { at: 0x4000_0000 });
   * ```
   */
  track(ds: Dataspace, options?: TrackOptions): TrackedRegion;
  /**
   * Stops monitoring `region` and detaches it. Returns false when it was
   * not tracked (any more) or is no longer attached where it was.
   *
   * @param region - a region {@link WriteTracking.track} returned
   * @example
   * ```ts
   * tracker.untrack(region);
   * ```
   */
  untrack(region: TrackedRegion): boolean;
  /**
   * Re-arms every written region (write right off again; the next write to
   * each faults once more; a region the user detached meanwhile is
   * dropped from tracking) and returns the records of the arming that
   * ends, in the order the writes happened.
   *
   * @example
   * ```ts
   * for (const w of tracker.rearm()) console.log(w.dataspace.name, w.page, hex32(w.pc));
   * ```
   */
  rearm(): WriteRecord[];
  /**
   * Records of the current arming so far (a copy), in order.
   *
   * @example
   * ```ts
   * if (tracker.writes().length > 0) console.log('something was written');
   * ```
   */
  writes(): WriteRecord[];
  /**
   * The dataspaces written during the current arming, each once, in the
   * order of their first write.
   *
   * @example
   * ```ts
   * for (const ds of tracker.writtenDataspaces()) flush(ds);
   * ```
   */
  writtenDataspaces(): Dataspace[];
  /**
   * Every tracked region, in the order they were tracked.
   *
   * @example
   * ```ts
   * console.log(tracker.regions().filter((r) => r.written).length);
   * ```
   */
  regions(): TrackedRegion[];
  /**
   * The tracked regions (where each is seen from the root, its size,
   * name, and whether it is armed or written) as bytes, so that a tracker
   * given to `checkpoint({ contributors: [tracker] })` and to
   * `restoreCheckpoint(..., { contributors: [tracker] })` tracks the
   * restored regions again. Write records are not saved: they restart
   * with the restore. A region not visible from the root is left out.
   *
   * @example
   * ```ts
   * const saved = tracker.saveState();
   * ```
   */
  saveState(): Uint8Array;
  /**
   * Tracks again the regions {@link saveState} described, in the machine
   * the tracker is installed in — now, or at install when it is not
   * installed yet (a restore calls this before or after the tracker is
   * installed on the restored machine).
   *
   * @param state - bytes from saveState
   * @throws UsageError when `state` is not what saveState makes, or a described region is not attached where it was.
   * @example
   * ```ts
   * tracker.restoreState(saved);
   * ```
   */
  restoreState(state: Uint8Array): void;
}

/** One tracked region as saveState describes it. */
interface SavedRegion {
  readonly vaddr: number;
  readonly size: number;
  readonly name: string;
  readonly armed: boolean;
  readonly written: boolean;
}

/** Live record behind a {@link TrackedRegion}. */
interface Entry extends TrackedRegion {
  armed: boolean;
  written: boolean;
  tracked: boolean;
}

/**
 * Makes a write-tracking plugin (docs/design.md §5). `install` registers one fault
 * handler (at the head unless `tail`). For a write fault in a tracked,
 * armed region it upgrades the region to writable and checks the whole
 * path: when the write is now allowed — or only other plugins' protection
 * layers (a dirty log) still deny it — it records the write and answers
 * `Fixed`; when something the user or guest made read-only denies it (a
 * read-only attach of an enclosing map, the guest's `mprotect`, a sealed
 * dataspace) it downgrades again and answers `Continue`: the effective
 * right is the AND along the path and this plugin never upgrades what it
 * did not downgrade. Exactly one fault per tracked region per arming.
 *
 * Granularity is the region: the record names the page of the first
 * write; later writes to other pages of the region are not seen (combine
 * with `dirtyLog` for pages). Uninstalling unregisters the handler
 * and leaves the regions attached, writable and unmonitored.
 *
 * @param options - name, chain position, clock
 * @throws UsageError from `install` when the plugin is installed already.
 * @example
 * ```ts
 * const tracker = writeTracking();
 * machine.use(tracker);
 * const ds = machine.addressSpace.createDataspace(4 * PAGE_SIZE, { name: 'table' });
 * tracker.track(ds, { at: 0x4000_0000 });
 * machine.run();
 * console.log(tracker.writes().map((w) => `${w.dataspace.name} page ${w.page}`));
 * ```
 */
export function writeTracking(options: WriteTrackingOptions = {}): WriteTracking {
  const name = options.name ?? 'write-tracking';
  const tail = options.tail ?? false;
  const clock = options.clock ?? (() => performance.now());

  let machine: Machine | null = null;
  let space: AddressSpace | null = null;
  const byMap = new Map<RegionMap, Entry[]>();
  const all: Entry[] = [];
  let records: WriteRecord[] = [];
  let sequence = 0;
  /** Regions restoreState described before the tracker was installed. */
  let pendingRestore: SavedRegion[] = [];
  const walk = new RegionWalk();

  /** Adds `e` to the tracked regions (its map's list stays sorted by `at`). */
  const add = (e: Entry): void => {
    let list = byMap.get(e.map);
    if (list === undefined) byMap.set(e.map, (list = []));
    let k = 0;
    while (k < list.length && list[k]!.at < e.at) k++;
    list.splice(k, 0, e);
    all.push(e);
  };

  /** Virtual address of offset 0 of `map` as the root sees it (first attachment on each level), or -1. */
  const baseOf = (map: RegionMap): number => {
    let base = 0;
    const seen = new Set<RegionMap>();
    for (let m = map; m !== space!.root; ) {
      if (seen.has(m)) return -1;
      seen.add(m);
      const up = attachmentsOf(m)[0];
      if (up === undefined) return -1;
      base += up.at - up.offset;
      m = up.map;
    }
    return base;
  };

  /** Tracks the regions of `saved` again in the installed machine. */
  const adopt = (saved: readonly SavedRegion[]): void => {
    for (const r of saved) {
      if (!walkRegions(space!.root, r.vaddr, walk) || walk.map === null) {
        throw new UsageError(`${name}: restoreState: nothing is attached at ${hex32(r.vaddr)}, where tracked region "${r.name}" was`);
      }
      const map = walk.map, region = map.lookup(walk.offset)!;
      if (region.at !== walk.offset || region.size !== r.size || region.target.isRegionMap) {
        throw new UsageError(`${name}: restoreState: the region at ${hex32(r.vaddr)} is not the ${r.size}-byte tracked region "${r.name}"`);
      }
      map.setRights(region.at, { writable: !r.armed });
      add({ dataspace: region.target, map, at: region.at, offset: region.offset, size: region.size, name: r.name, armed: r.armed, written: r.written, tracked: true });
    }
  };

  /** The tracked region of `map` covering `offset`, or null. Bisection, no allocation. */
  const find = (map: RegionMap, offset: number): Entry | null => {
    const list = byMap.get(map);
    if (list === undefined) return null;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.at <= offset) lo = mid + 1;
      else hi = mid;
    }
    const e = lo > 0 ? list[lo - 1]! : null;
    return e !== null && offset < e.at + e.size ? e : null;
  };

  /** True when `e`'s attachment is still the region at `e.at` of its map. */
  const stillAttached = (e: Entry): boolean => {
    const r = e.map.lookup(e.at);
    return r !== undefined && r.target === e.dataspace && r.at === e.at && r.size === e.size;
  };

  const forget = (e: Entry): void => {
    e.tracked = false;
    const list = byMap.get(e.map)!;
    list.splice(list.indexOf(e), 1);
    if (list.length === 0) byMap.delete(e.map);
    all.splice(all.indexOf(e), 1);
  };

  /** The chain handler: see {@link writeTracking}. */
  const handler: FaultHandler = (fault: Fault) => {
    if (fault.access !== Access.Write || !fault.protection || fault.regionMap === null) return FaultStatus.Continue;
    const e = find(fault.regionMap, fault.regionOffset);
    if (e === null || !e.armed) return FaultStatus.Continue;
    // Cold from here: once per region per arming.
    if (!stillAttached(e)) {
      forget(e); // the user detached it behind our back
      return FaultStatus.Continue;
    }
    const vaddr = fault.address >>> 0;
    e.map.setRights(e.at, { writable: true });
    if (!writeResolvable(space!, vaddr, null)) {
      e.map.setRights(e.at, { writable: false });
      return FaultStatus.Continue;
    }
    e.armed = false;
    e.written = true;
    records.push({
      region: e,
      dataspace: e.dataspace,
      page: Math.floor((e.offset + (fault.regionOffset - e.at)) / PAGE_SIZE),
      address: vaddr,
      pc: fault.pc >>> 0,
      sequence: ++sequence,
      time: clock(),
    });
    return FaultStatus.Fixed;
  };

  const tracker: WriteTracking = {
    name,

    install(target: Machine): () => void {
      if (machine !== null) throw new UsageError(`${name}: install: already installed in a machine`);
      const off = target.registerFaultHandler(handler, { tail, name });
      machine = target;
      space = target.addressSpace;
      const saved = pendingRestore;
      pendingRestore = [];
      try {
        adopt(saved);
      } catch (err) {
        off();
        machine = space = null;
        throw err;
      }
      return () => {
        off();
        for (const e of [...all]) {
          if (stillAttached(e) && e.armed) e.map.setRights(e.at, { writable: true });
          e.armed = false;
          forget(e);
        }
        machine = space = null;
      };
    },

    track(ds: Dataspace, trackOptions: TrackOptions = {}): TrackedRegion {
      if (space === null) throw new UsageError(`${name}: track: install the plugin first (machine.use(...))`);
      if (ds.isDestroyed || !ds.writable) {
        throw new UsageError(`${name}: track: dataspace "${ds.name}" is not writable (sealed or destroyed); there is no write to track`);
      }
      const map = trackOptions.into ?? space.root;
      const at = map.attach(ds, {
        at: trackOptions.at,
        offset: trackOptions.offset,
        size: trackOptions.size,
        writable: false,
        executable: trackOptions.executable ?? false,
        name: trackOptions.name,
      });
      const region = map.lookup(at)!;
      const e: Entry = {
        dataspace: ds,
        map,
        at,
        offset: region.offset,
        size: region.size,
        name: trackOptions.name ?? ds.name,
        armed: true,
        written: false,
        tracked: true,
      };
      add(e);
      return e;
    },

    untrack(region: TrackedRegion): boolean {
      const e = region as Entry;
      if (!e.tracked || !all.includes(e)) return false;
      const attached = stillAttached(e);
      forget(e);
      if (!attached) return false;
      e.map.detach(e.at);
      return true;
    },

    rearm(): WriteRecord[] {
      for (const e of [...all]) {
        if (e.armed) continue;
        if (!stillAttached(e)) {
          forget(e); // detached behind the tracker's back: nothing left to arm
          continue;
        }
        e.map.setRights(e.at, { writable: false });
        e.armed = true;
        e.written = false;
      }
      const done = records;
      records = [];
      return done;
    },

    writes(): WriteRecord[] {
      return [...records];
    },

    writtenDataspaces(): Dataspace[] {
      const seen = new Set<Dataspace>();
      for (const r of records) seen.add(r.dataspace);
      return [...seen];
    },

    regions(): TrackedRegion[] {
      return [...all];
    },

    saveState(): Uint8Array {
      const saved: SavedRegion[] = [];
      if (space !== null) {
        for (const e of all) {
          const base = baseOf(e.map);
          if (base >= 0 && stillAttached(e)) saved.push({ vaddr: base + e.at, size: e.size, name: e.name, armed: e.armed, written: e.written });
        }
      }
      return new TextEncoder().encode(JSON.stringify(saved));
    },

    restoreState(state: Uint8Array): void {
      let saved: unknown;
      try {
        saved = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(state));
      } catch {
        saved = null;
      }
      const valid = Array.isArray(saved) && saved.every((r: unknown) => {
        const x = r as Partial<SavedRegion> | null;
        return x !== null && typeof x === 'object' && Number.isInteger(x.vaddr) && x.vaddr! >= 0 && x.vaddr! < 2 ** 32
          && Number.isInteger(x.size) && x.size! > 0 && typeof x.name === 'string' && typeof x.armed === 'boolean' && typeof x.written === 'boolean';
      });
      if (!valid) throw new UsageError(`${name}: restoreState: not the state saveState() makes`);
      if (space === null) pendingRestore = saved as SavedRegion[];
      else adopt(saved as SavedRegion[]);
    },
  };
  return tracker;
}
