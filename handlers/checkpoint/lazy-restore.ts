/**
 * Lazy restore: the restored machine starts with the memory of every
 * writable dataspace unpopulated, and each page is copied from the images
 * when the guest first touches it, by demand paging.
 *
 *   parent map (the root, usually)
 *   ---+------------- stand-in region map (same place, size, rights) --------------+---
 *      | page 0 (data) | zero run (pages 1..7) | page 8 (data) | page 9 (data) | ...
 *      +---------------+-----------------------+---------------+---------------+
 *          |  designated entries of the dataspace D being restored, attached
 *          v  on first touch; a data page is filled from the images as it is attached
 *
 * Each region that attached a dataspace with contents gets a stand-in
 * region map in its place and a `demandPaging` plugin with designated
 * backing: one entry per run of pages with contents, served a page at a
 * time (`unitPages: 1`), and one per run of never-written pages, attached
 * whole. The cost of starting grows with the number of runs, not pages. {@link LazyRestore.complete} copies the pages not yet touched and
 * puts the dataspaces back where their stand-ins are, so the layout is
 * then exactly the checkpointed one.
 */

import {
  PAGE_SIZE,
  PageState,
  hex32,
  type Dataspace,
  type DataspaceRecord,
  type Machine,
  type RegionMap,
  type RegionRecord,
  type RestorePlan,
  type Uninstall,
} from '../../src/index.js';
import {
  RegionWalk,
  adoptAnonymous,
  attachmentsOf,
  fillPage,
  guestFrameLow,
  isOwnedAnonymous,
  pageState,
  recordPageStates,
  retirePages,
  walkRegions,
  type RestoreHooks,
} from '../../src/plugin-kit.js';
import { demandPaging, type DemandPaging, type DesignatedDataspace } from '../demand-paging/index.js';

/** Register number of sp. */
const SP = 2;

/**
 * A lazy restore in progress: pages are served on first touch until
 * {@link LazyRestore.complete}.
 *
 * @example
 * ```ts
 * const { lazy } = restoreCheckpoint(machine, images, { lazy: true });
 * machine.run({ maxInstructions: 1e6 });
 * console.log(lazy!.pagesServed, 'of', lazy!.pagesTotal);
 * lazy!.complete();
 * ```
 */
export interface LazyRestore {
  /** Pages with contents copied from the images so far. */
  readonly pagesServed: number;
  /** Pages with contents in the restored state. */
  readonly pagesTotal: number;
  /** True until {@link complete}. */
  readonly active: boolean;
  /**
   * Copies every page not touched yet, puts each dataspace back in place
   * of its stand-in (the layout is then exactly the checkpointed one),
   * makes `munmap`-able memory owned again, and uninstalls the demand
   * paging. Calling it again does nothing. Call it between runs.
   *
   * @throws FormatError when a page not yet served is corrupted in its image.
   */
  complete(): void;
}

/** One region replaced by a stand-in. */
interface StandIn {
  readonly parent: RegionMap;
  readonly region: RegionRecord;
  readonly map: RegionMap;
  readonly dataspace: Dataspace;
  readonly id: number;
  readonly entries: DesignatedDataspace[];
  /** Entry index per page of the region. */
  readonly entryOfPage: Int32Array;
  readonly plugin: DemandPaging;
  uninstall: Uninstall | null;
}

/**
 * Builds a lazy restore: `hooks` for `restoreMachine`, then `start()`
 * once the machine is built to install the demand paging.
 *
 * @internal Used by `restoreCheckpoint` in handlers/checkpoint.ts.
 */
export class LazyRestorer implements LazyRestore {
  private readonly standIns: StandIn[] = [];
  private readonly byMap = new Map<RegionMap, StandIn>();
  /** 1 where the page of the dataspace (by id) has been filled. */
  private readonly filled = new Map<number, Uint8Array>();
  private readonly owned = new Map<number, boolean>();
  private served = 0;
  private total = -1;
  private running = true;
  private readonly onFault = (): void => this.prepareHandlerFrame();
  private readonly walk = new RegionWalk();
  /**
   * Told the dataspace id and page number of each page as it is first
   * filled from the images (first-touch order; `complete()` fills the
   * rest without telling). Remote restores record the order with it.
   *
   * @internal
   */
  onFirstTouch: ((id: number, page: number) => void) | null = null;

  constructor(private readonly machine: Machine, private readonly plan: RestorePlan) {
    for (const [id, src] of plan.sources) this.filled.set(id, new Uint8Array(src.image.length));
  }

  get pagesServed(): number {
    return this.served;
  }

  get pagesTotal(): number {
    // Counted on first use, not at start: starting must stay cheap.
    if (this.total < 0) {
      let n = 0;
      for (const src of this.plan.sources.values()) for (let p = 0; p < src.image.length; p++) if (src.image[p]! >= 0) n++;
      this.total = n;
    }
    return this.total;
  }

  get active(): boolean {
    return this.running;
  }

  /** The hooks that put stand-ins in place of regions with contents. */
  readonly hooks: RestoreHooks = {
    placeRegion: (parent, region, dataspace, record) => this.place(parent, region, dataspace, record),
    beforeGuestHandlers: (functions) => { for (const fn of functions) this.populate(fn >>> 0); },
  };

  /** Installs the demand paging of every stand-in (at the head of the chain). */
  start(): void {
    for (const s of this.standIns) s.uninstall = this.machine.use(s.plugin);
    this.machine.events.on('fault', this.onFault);
  }

  complete(): void {
    if (!this.running) return;
    const as = this.machine.addressSpace;
    this.onFirstTouch = null;
    for (const s of this.standIns) this.fillAll(s.id, s.dataspace);
    for (const s of this.standIns) {
      s.uninstall?.();
      s.uninstall = null;
      for (const r of s.map.regions()) s.map.detach(r.at);
      for (const p of attachmentsOf(s.map)) {
        const parent = p.map, at = p.at, offset = p.offset, size = p.size, writable = p.writable, executable = p.executable, name = p.name;
        parent.detach(at);
        parent.attach(s.dataspace, { at, offset: s.region.offset + offset, size, writable, executable, name });
      }
    }
    for (const s of this.standIns) {
      const ds = s.dataspace;
      if (!this.owned.get(s.id) || ds.isDestroyed || isOwnedAnonymous(this.machine, ds)) continue;
      const places = attachmentsOf(ds);
      if (places.length === 0) {
        ds.destroy();
        continue;
      }
      retireUncovered(ds);
      if (places.some((r) => r.map === as.root)) adoptAnonymous(this.machine, ds);
    }
    this.machine.events.off('fault', this.onFault);
    this.running = false;
  }

  /**
   * The dataspace id and page number that offset `offset` of region map
   * `map` restores, when `map` is a stand-in and that page has contents
   * not filled yet; otherwise null. Remote restores use it to fetch a page
   * before the demand paging fills it.
   *
   * @internal
   */
  pageAt(map: RegionMap | null, offset: number): { readonly id: number; readonly page: number } | null {
    const s = map === null ? undefined : this.byMap.get(map);
    if (s === undefined || !this.running) return null;
    const p = Math.floor(offset / PAGE_SIZE);
    if (p < 0 || p >= s.entryOfPage.length || s.entries[s.entryOfPage[p]!]!.unitPages !== 1) return null;
    const page = s.region.offset / PAGE_SIZE + p;
    return this.filled.get(s.id)?.[page] === 0 ? { id: s.id, page } : null;
  }

  /** Replaces `region` of `parent` by a stand-in (writable dataspaces only). */
  private place(parent: RegionMap, region: RegionRecord, dataspace: Dataspace, record: DataspaceRecord): boolean {
    if (!record.writable) return false;
    const as = this.machine.addressSpace;
    const name = region.name ?? record.name;
    const map = as.createRegionMap(region.size, { name });
    const states = recordPageStates(record);
    const first = region.offset / PAGE_SIZE;
    const count = region.size / PAGE_SIZE;
    const entries: DesignatedDataspace[] = [];
    const entryOfPage = new Int32Array(count);
    for (let p = 0; p < count; ) {
      const data = states[first + p] === PageState.Data;
      let end = p + 1;
      while (end < count && (states[first + end] === PageState.Data) === data) end++;
      entries.push({
        offset: p * PAGE_SIZE, dataspace, dataspaceOffset: region.offset + p * PAGE_SIZE, size: (end - p) * PAGE_SIZE,
        writable: region.writable, name, ...(data ? { unitPages: 1 } : {}),
      });
      entryOfPage.fill(entries.length - 1, p, end);
      p = end;
    }
    const id = record.id;
    const plugin = demandPaging({
      region: map,
      backing: { kind: 'designated', dataspaces: entries },
      name: `lazy-restore ${hex32(region.at)} "${name}"`,
      writable: region.writable,
      executable: region.executable,
      onAttach: (r) => { if (r.size === PAGE_SIZE) this.fill(id, dataspace, (region.offset + r.offset) / PAGE_SIZE); },
    });
    parent.attach(map, { at: region.at, size: region.size, writable: region.writable, executable: region.executable, name: region.name });
    const s: StandIn = { parent, region, map, dataspace, id, entries, entryOfPage, plugin, uninstall: null };
    this.standIns.push(s);
    this.byMap.set(map, s);
    this.owned.set(id, record.owned);
    return true;
  }

  /** Copies page `page` of `ds` from the images unless done already. */
  private fill(id: number, ds: Dataspace, page: number): void {
    const done = this.filled.get(id);
    if (done === undefined || done[page] !== 0) return;
    done[page] = 1;
    if (fillPage(this.plan, id, ds, page)) {
      this.served++;
      this.onFirstTouch?.(id, page);
    }
  }

  private fillAll(id: number, ds: Dataspace): void {
    const done = this.filled.get(id);
    if (done === undefined) return;
    for (let p = 0; p < done.length; p++) if (done[p] === 0) this.fill(id, ds, p);
  }

  /**
   * Makes the page at virtual address `vaddr` present now, without a
   * fault, if it lies in a stand-in hole (attaching its whole unit, as the
   * demand paging would).
   */
  private populate(vaddr: number): void {
    const w = this.walk;
    if (walkRegions(this.machine.addressSpace.root, vaddr, w) || w.map === null) return;
    const map = w.map, off = w.offset;
    const s = this.byMap.get(map);
    if (s === undefined) return;
    const e = s.entries[s.entryOfPage[Math.floor(off / PAGE_SIZE)]!]!;
    if (e.unitPages === 1) {
      // A page with contents: attach and fill just that page, as a fault would.
      const at = Math.floor(off / PAGE_SIZE) * PAGE_SIZE;
      const dsOffset = e.dataspaceOffset! + (at - e.offset);
      map.attach(e.dataspace, { at, offset: dsOffset, size: PAGE_SIZE, writable: e.writable, executable: s.region.executable, name: e.name });
      this.fill(s.id, s.dataspace, dsOffset / PAGE_SIZE);
    } else {
      map.attach(e.dataspace, { at: e.offset, offset: e.dataspaceOffset, size: e.size, writable: e.writable, executable: s.region.executable, name: e.name });
    }
  }

  /**
   * A guest handler's frame is written on the faulting thread's stack by
   * the host (no fault), and its pages must be present: make them present
   * before the chain runs. Cheap when nothing is lazy there.
   */
  private prepareHandlerFrame(): void {
    const low = guestFrameLow(this.machine);
    if (low < 0) return;
    const sp = this.machine.cpu.x[SP]! >>> 0;
    for (let page = Math.floor(low / PAGE_SIZE); page * PAGE_SIZE < sp; page++) this.populate(page * PAGE_SIZE);
  }
}

/** Retires the pages of owned `ds` that no region covers any more (the guest unmapped them during the lazy phase). */
function retireUncovered(ds: Dataspace): void {
  const covered = new Uint8Array(ds.pageCount);
  for (const r of attachmentsOf(ds)) covered.fill(1, r.offset / PAGE_SIZE, (r.offset + r.size) / PAGE_SIZE);
  const open = (p: number): boolean => covered[p] === 0 && pageState(ds, p) !== PageState.Retired;
  for (let p = 0; p < ds.pageCount; ) {
    if (!open(p)) { p++; continue; }
    let end = p + 1;
    while (end < ds.pageCount && open(end)) end++;
    retirePages(ds, p, end - p);
    p = end;
  }
}
