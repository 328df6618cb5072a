/**
 * Demand paging (DESIGN §5): a plugin that backs a managed region — a
 * region map attached into the address space — on first touch.
 *
 *   address space root
 *   ... ---+-------------------- managed region map --------------------+--- ...
 *          | unit 0 | unit 1 (hole) | unit 2 | unit 3 (hole) | ...      |
 *          +--------+---------------+--------+---------------+----------+
 *              |                        |
 *          backing[0]               backing[2]     (dataspaces, by unit number)
 *
 * A *unit* is what one fault attaches: one designated dataspace, or one
 * chunk of `chunkPages` pages for zero-fill and page sources. A guest access
 * to a hole is reported against the managed map and the offset inside it;
 * the handler turns the offset into a unit number (a division, or one
 * Int32Array load for designated dataspaces), finds or makes the unit's
 * dataspace, attaches it and answers `Fixed`, so the access is retried.
 * Everything else — other regions, protection faults, non-memory faults —
 * gets `Continue`.
 *
 * Zero-fill and source chunks share backing dataspaces, `chunksPerDataspace`
 * chunks each (default 16):
 *
 *   chunk (unit)  u = floor(offset / chunkBytes)
 *   dataspace     d = floor(u / chunksPerDataspace)
 *   offset in d   (u - d * chunksPerDataspace) * chunkBytes
 *
 * Making a dataspace costs far more than attaching (typed arrays, quota,
 * garbage collection), so sharing one among 16 chunks keeps first touches
 * cheap; and a page read before it is written walks only the ≤ 16
 * attachments of its own dataspace when it gets its frame.
 *
 * Built only on the public API (`../src/index.js`), exactly as a user's
 * plugin would be.
 */

import {
  Access,
  FaultStatus,
  PAGE_SHIFT,
  PAGE_SIZE,
  UsageError,
  hex32,
  type AttachOptions,
  type Dataspace,
  type Fault,
  type Machine,
  type Plugin,
  type RegionMap,
  type Unregister,
} from '../src/index.js';
import { attachmentsOf, isThenable, joinRestores } from '../src/plugin-kit.js';

/**
 * Produces the contents of one unit of a managed region: `offset` is the
 * unit's offset inside the region, `length` its size in bytes. Returns the
 * bytes (at most `length`; the rest reads as zero), `null` for an all-zero
 * unit, or a promise of either — the faulting thread then waits, which
 * needs `machine.runAsync()` (under `run()` the machine stops with a
 * HandlerError that says so; the fetch still completes later and its unit
 * becomes resident, as a prefetch would). A throw or rejection stops the
 * run with a HandlerError naming the plugin.
 *
 * @param offset - offset of the unit inside the managed region (a multiple of the unit size)
 * @param length - bytes in the unit (`chunkPages` pages; the last unit may be shorter)
 * @example
 * ```ts
 * const fromMap: PageSource = async (offset) => pages.get(offset) ?? null;
 * ```
 */
export type PageSource = (offset: number, length: number) => Uint8Array | null | Promise<Uint8Array | null>;

/**
 * A dataspace that backs a fixed range of a managed region (Genode's
 * managed dataspace with sub-dataspaces). A fault anywhere in the range
 * attaches the whole range.
 *
 * @example
 * ```ts
 * const entry: DesignatedDataspace = { offset: 0x1000, dataspace: subDs1, name: 'sub_ds1' };
 * ```
 */
export interface DesignatedDataspace {
  /** Offset inside the managed region where it goes (page aligned). */
  readonly offset: number;
  /** The backing. It stays the caller's: the plugin never destroys it. */
  readonly dataspace: Dataspace;
  /** Offset inside the dataspace (page aligned). Default 0. */
  readonly dataspaceOffset?: number;
  /** Bytes to attach (page aligned). Default: the rest of the dataspace. */
  readonly size?: number;
  /** Attach writable. Default: the plugin's `writable`. */
  readonly writable?: boolean;
  /** Name for reports and `maps()`. Default: the dataspace's name. */
  readonly name?: string;
  /**
   * Attach it piecewise, this many pages per fault (the last piece may be
   * shorter). Default: the whole entry on its first fault. One entry with
   * `unitPages: 1` serves a large dataspace page by page without an entry
   * object per page (lazy restore does this).
   */
  readonly unitPages?: number;
}

/**
 * Where the backing of a managed region comes from:
 * - `zero`: a fresh zero-filled dataspace per unit, made on first touch;
 * - `designated`: the given dataspaces at fixed offsets; holes between them
 *   are not served (their faults get `Continue`);
 * - `source`: a {@link PageSource} (possibly asynchronous) fills a fresh
 *   dataspace per unit on first touch.
 *
 * @example
 * ```ts
 * const backing: DemandPagingBacking = { kind: 'source', fetch: async (offset) => remote.read(offset) };
 * ```
 */
export type DemandPagingBacking =
  | {
      /** Zero-fill: a fresh zero-filled unit on first touch. */
      readonly kind: 'zero';
    }
  | {
      /** Designated dataspaces at fixed offsets. */
      readonly kind: 'designated';
      /** The dataspaces and where each goes; they must lie inside the region and not overlap. */
      readonly dataspaces: readonly DesignatedDataspace[];
    }
  | {
      /** Contents from a page source. */
      readonly kind: 'source';
      /** Produces the contents of each unit on its first touch. */
      readonly fetch: PageSource;
    };

/**
 * What {@link DemandPagingOptions.onAttach} is told. One object, reused for
 * every attach: read it during the call, copy what you keep.
 *
 * @example
 * ```ts
 * const log: string[] = [];
 * demandPaging({ region, backing, onAttach: (r) => log.push(`attached ${r.name} at ${hex32(r.virtualAddress)}`) });
 * ```
 */
export interface AttachRecord {
  /** Offset of the attached unit inside the managed region. */
  readonly offset: number;
  /** Bytes attached. */
  readonly size: number;
  /** What was attached. */
  readonly dataspace: Dataspace;
  /** Name of the attached unit (the designated entry's name, else the plugin's). */
  readonly name: string;
  /** The faulting virtual address. */
  readonly address: number;
  /** Virtual address where the attached unit starts, as the faulting access sees it. */
  readonly virtualAddress: number;
  /** The faulting access ({@link Access}). */
  readonly access: number;
}

/**
 * Options of {@link demandPaging}: the region (given, or created at
 * `at`/`size`), where its backing comes from, and the attach granularity.
 *
 * @example
 * ```ts
 * const options: DemandPagingOptions = { at: 0x5000_0000, size: 1 << 20, chunkPages: 4, backing: { kind: 'zero' } };
 * ```
 */
export interface DemandPagingOptions {
  /** Where the backing comes from. */
  readonly backing: DemandPagingBacking;
  /**
   * A managed region the caller made and attached (anywhere, at any
   * nesting depth). Give either this, or `at` and `size`.
   */
  readonly region?: RegionMap;
  /** Create the managed region and attach it into the root at this virtual address (page aligned). */
  readonly at?: number;
  /** Size in bytes of the region to create (page aligned). */
  readonly size?: number;
  /** Name of the plugin, its handler, the created region and zero/source dataspaces. Default `'demand-paging'`. */
  readonly name?: string;
  /** Pages per unit (attached by one fault) for `zero` and `source` backing. Default 1. */
  readonly chunkPages?: number;
  /**
   * Units per backing dataspace for `zero` and `source` backing. Default
   * 16. Larger values make fewer dataspaces; smaller ones return quota
   * sooner after `evict({ discard: true })` (a dataspace is destroyed once
   * none of its units holds contents).
   */
  readonly chunksPerDataspace?: number;
  /** Attach backing writable (designated entries may override). Default true. */
  readonly writable?: boolean;
  /** Attach backing executable (and the created region). Default false: fetches are not served. */
  readonly executable?: boolean;
  /** Register the handler at the tail of the chain instead of the head. Default false. */
  readonly tail?: boolean;
  /**
   * Called after each attach (see {@link AttachRecord}); must not throw.
   *
   * @param record - what was attached; reused, valid during the call only
   */
  readonly onAttach?: (record: AttachRecord) => void;
}

/**
 * Options of {@link DemandPaging.evict}: a byte range of the managed
 * region (offsets inside it), and whether to drop contents.
 *
 * @example
 * ```ts
 * lazy.evict({ offset: 0, length: 16 * PAGE_SIZE, discard: true });
 * ```
 */
export interface EvictRange {
  /** First byte of the range, an offset inside the managed region. Default 0. */
  readonly offset?: number;
  /** Bytes in the range. Default: to the end of the region. */
  readonly length?: number;
  /**
   * Also drop the contents of `zero` and `source` units: the next touch
   * is zero again or fetched again, and a backing dataspace none of whose
   * units holds contents any more is destroyed (its quota comes back).
   * Without it the contents are kept and the next touch re-attaches them.
   * Designated dataspaces are the caller's and are never dropped.
   */
  readonly discard?: boolean;
}

/**
 * The demand-paging plugin: {@link Plugin} plus its own API. Install with
 * `machine.use(plugin)`; at most one machine at a time (`install` throws a
 * UsageError otherwise).
 *
 * @example
 * ```ts
 * const lazy: DemandPaging = demandPaging({ at: 0x5000_0000, size: 1 << 20, backing: { kind: 'zero' } });
 * machine.use(lazy);
 * machine.run();
 * if (lazy.isResident(0)) lazy.evict({ offset: 0, length: PAGE_SIZE });
 * ```
 */
export interface DemandPaging extends Plugin {
  /** The managed region: the one given, or the one created (null while not installed). */
  readonly regionMap: RegionMap | null;
  /** Virtual address of the created region (null when the caller gave the region). */
  readonly address: number | null;
  /** Faults answered `Fixed` by attaching backing (cumulative). */
  readonly faultsServed: number;
  /** Pages of the region currently attached by the plugin. */
  readonly pagesResident: number;
  /** Units whose contents the page source produced (cumulative). */
  readonly pagesFetched: number;
  /**
   * True when the unit holding `offset` (inside the region) is attached.
   *
   * @param offset - a byte offset inside the managed region
   * @throws UsageError when `offset` is outside the region.
   */
  isResident(offset: number): boolean;
  /**
   * Detaches every unit that intersects the range and is attached in its
   * place (whole units: a unit is attached and detached as one; a unit
   * someone attached directly counts too), so the next touch faults
   * again. Returns the number of pages detached.
   *
   * @param range - the range to evict (default: the whole region, contents kept)
   * @throws UsageError when not installed or the range is outside the region.
   */
  evict(range?: EvictRange): number;
}

/** Default plugin name. */
const DEFAULT_NAME = 'demand-paging';
/** Default units per backing dataspace of zero-fill and source backing. */
const DEFAULT_CHUNKS_PER_DATASPACE = 16;
/** `unitOfPage` entry of a page no designated dataspace covers. */
const NO_UNIT = -1;

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

/** Mutable {@link AttachRecord}, reused. */
class Record implements AttachRecord {
  offset = 0;
  size = 0;
  dataspace!: Dataspace;
  name = '';
  address = 0;
  virtualAddress = 0;
  access = 0;
}

function noop(): void {}

function isPageAligned(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value % PAGE_SIZE === 0;
}

/**
 * Makes a demand-paging plugin for one managed region: first touches of
 * the region's holes attach backing (designated dataspaces, zero-filled
 * chunks, or chunks filled by a page source) and answer `Fixed`; faults
 * elsewhere get `Continue`.
 *
 * The fault path does one comparison to reject foreign faults, finds the
 * unit's backing by index (O(1), whatever the number of pages), and
 * allocates nothing but what the attach needs: the region record, and
 * once per `chunksPerDataspace` units of `zero`/`source` backing a
 * dataspace. A new dataspace the quota cannot cover makes the handler
 * throw, so the run stops with a HandlerError carrying the quota message.
 * A unit someone else detached is served again on its next fault.
 *
 * Uninstalling unregisters the handler. When the plugin created the region
 * it also detaches it from the root, detaches every unit and destroys the
 * `zero`/`source` dataspaces it made (the quota comes back). When the caller
 * gave the region, everything attached stays as it is (the guest keeps its
 * memory; later faults in holes go to the rest of the chain).
 *
 * @param options - the region, its backing and the attach granularity
 * @throws UsageError when the options are inconsistent: not exactly one of
 *   `region` or `at`+`size`, unaligned values, designated entries outside
 *   the region or overlapping, `chunkPages` not a positive integer.
 * @example
 * ```ts
 * const lazy = demandPaging({ at: 0x5000_0000, size: 64 << 20, backing: { kind: 'zero' } });
 * const off = machine.use(lazy);
 * machine.run();
 * console.log(lazy.faultsServed, lazy.pagesResident);
 * lazy.evict({ offset: 0, length: 1 << 20, discard: true });
 * off();
 * ```
 */
export function demandPaging(options: DemandPagingOptions): DemandPaging {
  return new DemandPagingPlugin(options);
}

/** See {@link demandPaging}. */
class DemandPagingPlugin implements DemandPaging {
  readonly name: string;

  private readonly givenRegion: RegionMap | null;
  private readonly createAt: number;
  private readonly regionSize: number;
  private readonly source: PageSource | null;
  private readonly entries: readonly Entry[];
  /** Designated backing: unit number of each page of the region, or NO_UNIT. Null for chunked backing. */
  private readonly unitOfPage: Int32Array | null;
  /** Designated backing: entry, offset in the region and bytes of each unit. */
  private readonly unitEntry: Int32Array;
  private readonly unitStart: Float64Array;
  private readonly unitLength: Float64Array;
  /** Chunked backing: bytes per unit, units per backing dataspace, bytes per backing dataspace. */
  private readonly unitBytes: number;
  private readonly unitsPerDataspace: number;
  private readonly dataspaceBytes: number;
  private readonly unitCount: number;
  private readonly writable: boolean;
  private readonly executable: boolean;
  private readonly tail: boolean;
  private readonly onAttach: ((record: AttachRecord) => void) | null;

  private machine: Machine | null = null;
  private region: RegionMap | null = null;
  private unregister: Unregister | null = null;
  private leaveRestores: (() => void) | null = null;
  /** Backing dataspaces: by dataspace number (chunked; null = not made yet), or by entry (designated). */
  private backing: (Dataspace | null)[] = [];
  /** Chunked backing: 1 where the unit's contents are in its dataspace. */
  private filled = new Uint8Array(0);
  /** Chunked backing: units with contents, per backing dataspace. */
  private filledCount = new Int32Array(0);
  /** 1 where the unit is attached. */
  private resident = new Uint8Array(0);
  /** Source fetches under way, by unit. */
  private readonly inflight = new Map<number, Promise<FaultStatus>>();
  /** Bumped on every install and uninstall: a fetch that settles later belongs to a past one. */
  private generation = 0;
  private served = 0;
  private residentPages = 0;
  private fetched = 0;
  /** Reused for every attach (RegionMap.attach reads it and keeps nothing). */
  private readonly attachOptions: AttachOptions = { at: 0, offset: 0, size: PAGE_SIZE, writable: true, executable: false, name: '' };
  private readonly record = new Record();

  constructor(options: DemandPagingOptions) {
    if (options === null || typeof options !== 'object') throw new UsageError(`demandPaging: expected an options object, got ${String(options)}`);
    this.name = options.name ?? DEFAULT_NAME;
    const fn = `demandPaging '${this.name}'`;
    this.writable = options.writable ?? true;
    this.executable = options.executable ?? false;
    this.tail = options.tail ?? false;
    this.onAttach = options.onAttach ?? null;

    if (options.region !== undefined) {
      if (options.at !== undefined || options.size !== undefined) throw new UsageError(`${fn}: give either region, or at and size, not both`);
      if (options.region === null || options.region.isRegionMap !== true) throw new UsageError(`${fn}: region must be a RegionMap, got ${String(options.region)}`);
      this.givenRegion = options.region;
      this.createAt = -1;
      this.regionSize = options.region.size;
    } else {
      if (!isPageAligned(options.at)) throw new UsageError(`${fn}: at must be a page-aligned address, got ${String(options.at)}`);
      if (!isPageAligned(options.size) || options.size === 0 || options.at + options.size > 2 ** 32) {
        throw new UsageError(`${fn}: size must be a positive multiple of ${PAGE_SIZE} that fits above ${hex32(options.at)}, got ${String(options.size)}`);
      }
      this.givenRegion = null;
      this.createAt = options.at;
      this.regionSize = options.size;
    }

    const backing = options.backing;
    const kind = backing === null || typeof backing !== 'object' ? undefined : (backing as { kind?: unknown }).kind;
    if (kind === 'designated') {
      const list = (backing as { dataspaces: readonly DesignatedDataspace[] }).dataspaces;
      if (!Array.isArray(list)) throw new UsageError(`${fn}: designated backing needs a dataspaces array`);
      this.entries = list.map((e, k) => this.entry(fn, e, k));
      // Units: each entry whole, or in pieces of its unitPages.
      let units = 0;
      for (const e of this.entries) units += Math.ceil(e.size / (e.unitPages * PAGE_SIZE));
      this.unitEntry = new Int32Array(units);
      this.unitStart = new Float64Array(units);
      this.unitLength = new Float64Array(units);
      const unitOfPage = new Int32Array(this.regionSize / PAGE_SIZE).fill(NO_UNIT);
      // Overlap check on the entries sorted by offset: O(entries log entries), not per page.
      const order = this.entries.map((_, k) => k).sort((a, b) => this.entries[a]!.offset - this.entries[b]!.offset);
      for (let i = 1; i < order.length; i++) {
        const prev = this.entries[order[i - 1]!]!, next = this.entries[order[i]!]!;
        if (prev.offset + prev.size > next.offset) {
          throw new UsageError(`${fn}: designated dataspaces "${prev.name}" and "${next.name}" overlap at offset ${hex32(next.offset)}`);
        }
      }
      let unit = 0;
      this.entries.forEach((e, k) => {
        const first = e.offset / PAGE_SIZE, end = first + e.size / PAGE_SIZE;
        for (let p = first; p < end; p += e.unitPages) {
          const pieceEnd = Math.min(p + e.unitPages, end);
          this.unitEntry[unit] = k;
          this.unitStart[unit] = p * PAGE_SIZE;
          this.unitLength[unit] = (pieceEnd - p) * PAGE_SIZE;
          for (let q = p; q < pieceEnd; q++) unitOfPage[q] = unit;
          unit++;
        }
      });
      this.unitOfPage = unitOfPage;
      this.source = null;
      this.unitBytes = 0;
      this.unitsPerDataspace = 1;
      this.dataspaceBytes = 0;
      this.unitCount = units;
    } else if (kind === 'zero' || kind === 'source') {
      const chunkPages = options.chunkPages ?? 1;
      if (!Number.isInteger(chunkPages) || chunkPages <= 0) throw new UsageError(`${fn}: chunkPages must be a positive integer, got ${String(chunkPages)}`);
      const perDataspace = options.chunksPerDataspace ?? DEFAULT_CHUNKS_PER_DATASPACE;
      if (!Number.isInteger(perDataspace) || perDataspace <= 0) throw new UsageError(`${fn}: chunksPerDataspace must be a positive integer, got ${String(perDataspace)}`);
      if (kind === 'source') {
        const fetch = (backing as { fetch?: unknown }).fetch;
        if (typeof fetch !== 'function') throw new UsageError(`${fn}: source backing needs a fetch function, got ${typeof fetch}`);
        this.source = fetch as PageSource;
      } else {
        this.source = null;
      }
      this.entries = [];
      this.unitOfPage = null;
      this.unitEntry = new Int32Array(0);
      this.unitStart = new Float64Array(0);
      this.unitLength = new Float64Array(0);
      this.unitBytes = chunkPages * PAGE_SIZE;
      this.unitsPerDataspace = perDataspace;
      this.dataspaceBytes = this.unitBytes * perDataspace;
      this.unitCount = Math.ceil(this.regionSize / this.unitBytes);
    } else {
      throw new UsageError(`${fn}: backing must be { kind: 'zero' | 'designated' | 'source', ... }, got kind ${String(kind)}`);
    }
    this.attachOptions.executable = this.executable;
    this.resetUnits();
  }

  get regionMap(): RegionMap | null {
    return this.region ?? this.givenRegion;
  }

  get address(): number | null {
    return this.createAt < 0 || this.region === null ? null : this.createAt;
  }

  get faultsServed(): number {
    return this.served;
  }

  get pagesResident(): number {
    return this.residentPages;
  }

  get pagesFetched(): number {
    return this.fetched;
  }

  /**
   * Registers the handler (and creates and attaches the region if asked).
   * Leaves the machine unchanged when it throws.
   *
   * @throws UsageError when already installed, a designated dataspace
   *   belongs to another machine's memory, or the region cannot be
   *   attached at `at` (overlap).
   */
  install(machine: Machine): () => void {
    const fn = `demandPaging '${this.name}'`;
    if (this.machine !== null) throw new UsageError(`${fn}: already installed (uninstall it first)`);
    for (const e of this.entries) {
      if (e.dataspace.memory !== machine.memory) throw new UsageError(`${fn}: designated dataspace "${e.name}" belongs to another machine's memory`);
    }
    let region = this.givenRegion;
    if (region === null) {
      region = this.takeRegion(machine);
    } else if (this.unitOfPage === null && this.backing.some((ds) => ds !== null && ds.memory !== machine.memory)) {
      throw new UsageError(`${fn}: its dataspaces belong to the machine it was installed in before`);
    }
    this.machine = machine;
    this.region = region;
    this.generation++;
    this.unregister = machine.registerFaultHandler(this.handle, { tail: this.tail, name: this.name });
    if (this.givenRegion === null) {
      this.leaveRestores = joinRestores(machine, {
        name: this.name,
        beforeRestore: () => this.dropRegion(machine),
        afterRestore: () => { this.region = this.takeRegion(machine); },
      });
    }
    return () => this.uninstall();
  }

  /**
   * The region this plugin creates, at `createAt` in `machine`'s root: the
   * one already there when a restore rebuilt it (a region map of the same
   * size and name), whose attached units are taken over as resident, or
   * a new one.
   *
   * @throws UsageError when something else is attached there.
   */
  private takeRegion(machine: Machine): RegionMap {
    const root = machine.addressSpace.root;
    const there = root.lookup(this.createAt);
    this.resetUnits();
    if (there !== undefined && there.at === this.createAt && there.offset === 0 && there.target.isRegionMap
        && there.target.size === this.regionSize && there.target.name === this.name) {
      this.adoptUnits(there.target);
      return there.target;
    }
    const region = machine.addressSpace.createRegionMap(this.regionSize, { name: this.name });
    root.attach(region, { at: this.createAt, executable: this.executable, name: this.name });
    return region;
  }

  /**
   * Marks the units attached in `region` (rebuilt by a restore) resident
   * and, for chunked backing, takes their dataspaces as the backing of
   * their chunks with their contents in place.
   */
  private adoptUnits(region: RegionMap): void {
    for (const r of region.regions()) {
      if (r.target.isRegionMap) continue;
      const unit = this.unitAt(r.at);
      if (unit === NO_UNIT || this.unitOffset(unit) !== r.at || this.unitSize(unit) !== r.size) continue;
      if (this.unitOfPage === null) {
        const d = Math.floor(unit / this.unitsPerDataspace);
        const owner = this.backing[d];
        if (r.offset !== (unit - d * this.unitsPerDataspace) * this.unitBytes || (owner !== null && owner !== r.target)) continue;
        this.backing[d] = r.target;
        this.filled[unit] = 1;
        this.filledCount[d]!++;
      } else if (this.entries[this.unitEntry[unit]!]!.dataspace !== r.target) {
        continue;
      }
      this.resident[unit] = 1;
      this.residentPages += r.size / PAGE_SIZE;
    }
  }

  /**
   * Before a restore into the machine: detaches the created region and
   * destroys the backing made for it (the restore brings back what the
   * image holds), leaving the handler registered.
   */
  private dropRegion(machine: Machine): void {
    const region = this.region;
    if (region === null) return;
    const root = machine.addressSpace.root;
    const there = root.lookup(this.createAt);
    if (there !== undefined && there.target === region) root.detach(this.createAt);
    for (let unit = 0; unit < this.unitCount; unit++) this.evictUnit(region, unit, false);
    if (this.unitOfPage === null) for (const ds of this.backing) if (ds !== null && attachmentsOf(ds).length === 0) ds.destroy();
    this.resetUnits();
    this.inflight.clear();
    this.generation++;
    this.region = null;
  }

  isResident(offset: number): boolean {
    const size = this.regionSize;
    if (!Number.isInteger(offset) || offset < 0 || offset >= size) {
      throw new UsageError(`isResident: offset ${String(offset)} is outside the ${size}-byte region of '${this.name}'`);
    }
    const unit = this.unitAt(offset);
    return unit !== NO_UNIT && this.resident[unit] !== 0;
  }

  evict(range: EvictRange = {}): number {
    const region = this.region;
    if (region === null) throw new UsageError(`evict: demand paging '${this.name}' is not installed`);
    const offset = range.offset ?? 0;
    const length = range.length ?? region.size - offset;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > region.size) {
      throw new UsageError(`evict: range offset ${String(offset)} length ${String(length)} is outside the ${region.size}-byte region of '${this.name}'`);
    }
    if (length === 0) return 0;
    const discard = range.discard === true;
    let pages = 0;
    if (this.unitOfPage === null) {
      const end = Math.ceil((offset + length) / this.unitBytes);
      for (let unit = Math.floor(offset / this.unitBytes); unit < end; unit++) pages += this.evictUnit(region, unit, discard);
    } else {
      for (let unit = 0; unit < this.unitCount; unit++) {
        const start = this.unitStart[unit]!;
        if (start < offset + length && offset < start + this.unitLength[unit]!) pages += this.evictUnit(region, unit, false);
      }
    }
    return pages;
  }

  // ---- the fault path ------------------------------------------------------

  /**
   * The fault handler: serves not-present faults in the region's holes.
   * Synchronous except for a first touch of a `source` unit whose fetch
   * returns a promise. Throws (the run stops with a HandlerError) when the
   * quota cannot cover a new backing dataspace.
   */
  private readonly handle = (fault: Fault): FaultStatus | Promise<FaultStatus> => {
    const region = this.region;
    if (region === null || fault.regionMap !== region || fault.protection) return FaultStatus.Continue;
    if (fault.access === Access.Execute && !this.executable) return FaultStatus.Continue;
    const unit = this.unitAt(fault.regionOffset);
    if (unit === NO_UNIT) return FaultStatus.Continue;
    if (this.resident[unit] !== 0) this.forget(unit); // detached behind our back: serve it again
    if (this.unitOfPage === null && this.filled[unit] === 0) {
      if (this.source === null) this.fillUnit(unit, null);
      else {
        const pending = this.fetchUnit(unit, fault);
        if (pending !== null) return pending;
      }
    }
    this.attachUnit(region, unit, fault.address, fault.regionOffset, fault.access);
    return FaultStatus.Fixed;
  };

  /** Unit holding `offset` (inside the region), or NO_UNIT. */
  private unitAt(offset: number): number {
    return this.unitOfPage === null ? Math.floor(offset / this.unitBytes) : this.unitOfPage[offset >>> PAGE_SHIFT]!;
  }

  /** Offset of `unit` inside the region. */
  private unitOffset(unit: number): number {
    return this.unitOfPage === null ? unit * this.unitBytes : this.unitStart[unit]!;
  }

  /** Bytes of `unit` (the last chunk may be short). */
  private unitSize(unit: number): number {
    if (this.unitOfPage !== null) return this.unitLength[unit]!;
    return Math.min(this.unitBytes, this.regionSize - unit * this.unitBytes);
  }

  /**
   * Attaches `unit`'s backing (its contents are there) into `region`,
   * marks it resident, counts the fault and tells onAttach. `address`,
   * `regionOffset` and `access` are the fault's.
   */
  private attachUnit(region: RegionMap, unit: number, address: number, regionOffset: number, access: number): void {
    const o = this.attachOptions;
    let ds: Dataspace;
    if (this.unitOfPage === null) {
      const d = Math.floor(unit / this.unitsPerDataspace);
      ds = this.backing[d]!;
      o.at = unit * this.unitBytes;
      o.offset = (unit - d * this.unitsPerDataspace) * this.unitBytes;
      o.size = Math.min(this.unitBytes, this.regionSize - o.at);
      o.writable = this.writable;
      o.name = this.name;
    } else {
      const e = this.entries[this.unitEntry[unit]!]!;
      ds = e.dataspace;
      o.at = this.unitStart[unit]!;
      o.offset = e.dataspaceOffset + (o.at - e.offset);
      o.size = this.unitLength[unit]!;
      o.writable = e.writable;
      o.name = e.name;
    }
    region.attach(ds, o);
    this.resident[unit] = 1;
    this.residentPages += o.size / PAGE_SIZE;
    this.served++;
    const tell = this.onAttach;
    if (tell !== null) {
      const r = this.record;
      r.offset = o.at;
      r.size = o.size;
      r.dataspace = ds;
      r.name = o.name;
      r.address = address;
      r.virtualAddress = (address - (regionOffset - o.at)) >>> 0;
      r.access = access;
      tell(r);
    }
  }

  /**
   * Puts the contents of chunk `unit` into its backing dataspace, making
   * the dataspace on its first use: `bytes` (at most the unit's size; the
   * rest stays zero) or nothing for zero-fill.
   *
   * @throws UsageError when a page source gave something else than a Uint8Array or null, or too many bytes.
   * @throws QuotaExceededError when the quota cannot cover a new dataspace.
   */
  private fillUnit(unit: number, bytes: unknown): void {
    const size = this.unitSize(unit);
    if (bytes !== null && !(bytes instanceof Uint8Array)) {
      throw new UsageError(`page source of '${this.name}' returned ${typeof bytes}, not a Uint8Array or null, for offset ${hex32(this.unitOffset(unit))}`);
    }
    if (bytes !== null && bytes.length > size) {
      throw new UsageError(`page source of '${this.name}' returned ${bytes.length} bytes for the ${size}-byte unit at offset ${hex32(this.unitOffset(unit))}`);
    }
    const d = Math.floor(unit / this.unitsPerDataspace);
    let ds = this.backing[d]!;
    if (ds === null) {
      const start = d * this.dataspaceBytes;
      ds = this.machine!.addressSpace.createDataspace(Math.min(this.dataspaceBytes, this.regionSize - start), { name: this.name });
      this.backing[d] = ds;
    }
    if (bytes !== null && bytes.length > 0) ds.write((unit - d * this.unitsPerDataspace) * this.unitBytes, bytes);
    this.filled[unit] = 1;
    this.filledCount[d]!++;
  }

  /**
   * Asks the page source for `unit`. A synchronous answer fills the unit
   * and gives null; a promise gives the handler's promise, which fills and
   * attaches when the bytes arrive (unless uninstalled meanwhile: then
   * Continue). Rejections are marked handled here so that a promise the
   * machine refuses under `run()` cannot become an unhandled rejection.
   */
  private fetchUnit(unit: number, fault: Fault): Promise<FaultStatus> | null {
    const already = this.inflight.get(unit);
    if (already !== undefined) return already;
    const answer = this.source!(this.unitOffset(unit), this.unitSize(unit));
    if (!isThenable(answer)) {
      this.fillUnit(unit, answer);
      this.fetched++;
      return null;
    }
    const address = fault.address, regionOffset = fault.regionOffset, access = fault.access;
    const generation = this.generation;
    const pending = Promise.resolve(answer).then(
      (bytes) => {
        this.inflight.delete(unit);
        const region = this.region;
        if (generation !== this.generation || region === null) return FaultStatus.Continue;
        if (this.filled[unit] === 0) {
          this.fillUnit(unit, bytes);
          this.fetched++;
        }
        if (this.resident[unit] === 0) this.attachUnit(region, unit, address, regionOffset, access);
        return FaultStatus.Fixed;
      },
      (err: unknown) => {
        this.inflight.delete(unit);
        throw err;
      },
    );
    pending.catch(noop);
    this.inflight.set(unit, pending);
    return pending;
  }

  // ---- eviction and uninstall -----------------------------------------------

  /** Forgets that `unit` is resident (it was detached by someone else). */
  private forget(unit: number): void {
    this.resident[unit] = 0;
    this.residentPages -= this.unitSize(unit) / PAGE_SIZE;
  }

  /**
   * Detaches `unit` if its backing is attached in its place — by a fault,
   * or by whoever attached it directly — and forgets that it is resident.
   * With `discard` (chunked backing only), drops its contents and destroys
   * its dataspace once no unit of it holds contents. Returns the pages detached.
   */
  private evictUnit(region: RegionMap, unit: number, discard: boolean): number {
    let pages = 0;
    const chunked = this.unitOfPage === null;
    const d = chunked ? Math.floor(unit / this.unitsPerDataspace) : this.unitEntry[unit]!;
    const ds = this.backing[d] ?? null;
    if (ds !== null) {
      const at = this.unitOffset(unit);
      const there = region.lookup(at);
      const dsOffset = chunked ? (unit - d * this.unitsPerDataspace) * this.unitBytes : this.entries[d]!.dataspaceOffset + (at - this.entries[d]!.offset);
      if (there !== undefined && there.target === ds && there.at === at && there.offset === dsOffset) {
        region.detach(at);
        pages = there.size / PAGE_SIZE;
      }
    }
    if (this.resident[unit] !== 0) this.forget(unit);
    if (discard && chunked && this.filled[unit] !== 0) {
      this.filled[unit] = 0;
      if (--this.filledCount[d]! === 0) {
        ds!.destroy();
        this.backing[d] = null;
      } else {
        ds!.zero((unit - d * this.unitsPerDataspace) * this.unitBytes, this.unitSize(unit));
      }
    }
    return pages;
  }

  /** Undoes {@link install}; see {@link demandPaging} for what stays. */
  private uninstall(): void {
    const machine = this.machine!;
    this.generation++;
    this.unregister!();
    this.unregister = null;
    this.leaveRestores?.();
    this.leaveRestores = null;
    if (this.givenRegion === null) this.dropRegion(machine);
    this.inflight.clear();
    this.machine = null;
  }

  /** Empty per-unit state; designated units are backed by their entries. */
  private resetUnits(): void {
    if (this.unitOfPage === null) {
      const dataspaces = Math.ceil(this.unitCount / this.unitsPerDataspace);
      this.backing = new Array<Dataspace | null>(dataspaces).fill(null);
      this.filledCount = new Int32Array(dataspaces);
      this.filled = new Uint8Array(this.unitCount);
    } else {
      this.backing = this.entries.map((e) => e.dataspace);
    }
    this.resident = new Uint8Array(this.unitCount);
    this.residentPages = 0;
  }

  /** Checks designated entry `k` and applies its defaults. */
  private entry(fn: string, e: DesignatedDataspace, k: number): Entry {
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
    if (e.offset + size > this.regionSize) {
      throw new UsageError(`${fn}: designated dataspace "${name}" at ${hex32(e.offset)} + ${size} bytes runs past the ${this.regionSize}-byte region`);
    }
    const pages = size / PAGE_SIZE;
    const unitPages = e.unitPages ?? pages;
    if (!Number.isInteger(unitPages) || unitPages <= 0) throw new UsageError(`${fn}: unitPages of designated dataspace "${name}" must be a positive integer, got ${String(e.unitPages)}`);
    return { offset: e.offset, dataspace: ds, dataspaceOffset, size, writable: e.writable ?? this.writable, name, unitPages: Math.min(unitPages, pages) };
  }
}
