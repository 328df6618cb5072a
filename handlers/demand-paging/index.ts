/**
 * Demand paging (docs/design.md §5): a plugin that backs a managed region —
 * a region map attached into the address space — on first touch. This
 * file holds the options and the factory, which picks the backing kind
 * once; the plugin is in plugin.ts, each backing kind in its own module
 * (zero-fill.ts, source.ts, designated.ts; chunked.ts is what the first
 * two share).
 *
 * Built only on `faultline` and the plugin kit, exactly as a user's
 * plugin would be.
 */

import { PAGE_SIZE, UsageError, hex32, type Dataspace, type Plugin, type RegionMap } from '../../src/index.js';
import type { ChunkLayout } from './chunked.js';
import { DesignatedBacking } from './designated.js';
import { DemandPagingPlugin, type RegionSettings } from './plugin.js';
import { SourceBacking } from './source.js';
import { ZeroFillBacking } from './zero-fill.js';

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
  /** The faulting access ({@link faultline!Access}). */
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
  if (options === null || typeof options !== 'object') throw new UsageError(`demandPaging: expected an options object, got ${String(options)}`);
  const name = options.name ?? DEFAULT_NAME;
  const fn = `demandPaging '${name}'`;
  const writable = options.writable ?? true;
  let givenRegion: RegionMap | null = null, createAt = -1, regionSize: number;
  if (options.region !== undefined) {
    if (options.at !== undefined || options.size !== undefined) throw new UsageError(`${fn}: give either region, or at and size, not both`);
    if (options.region === null || options.region.isRegionMap !== true) throw new UsageError(`${fn}: region must be a RegionMap, got ${String(options.region)}`);
    givenRegion = options.region;
    regionSize = options.region.size;
  } else {
    if (!isPageAligned(options.at)) throw new UsageError(`${fn}: at must be a page-aligned address, got ${String(options.at)}`);
    if (!isPageAligned(options.size) || options.size === 0 || options.at + options.size > 2 ** 32) {
      throw new UsageError(`${fn}: size must be a positive multiple of ${PAGE_SIZE} that fits above ${hex32(options.at)}, got ${String(options.size)}`);
    }
    createAt = options.at;
    regionSize = options.size;
  }
  const settings: RegionSettings = {
    name, givenRegion, createAt, regionSize,
    executable: options.executable ?? false,
    tail: options.tail ?? false,
    onAttach: options.onAttach ?? null,
  };
  const backing = options.backing;
  const kind = backing === null || typeof backing !== 'object' ? undefined : (backing as { kind?: unknown }).kind;
  // The backing kind is chosen here, once; the fault path never tests it.
  switch (kind) {
    case 'designated':
      return new DemandPagingPlugin(settings, new DesignatedBacking(fn, (backing as { dataspaces: readonly DesignatedDataspace[] }).dataspaces, regionSize, writable));
    case 'zero':
      return new DemandPagingPlugin(settings, new ZeroFillBacking(chunkLayout(fn, name, regionSize, writable, options)));
    case 'source': {
      const fetch = (backing as { fetch?: unknown }).fetch;
      const layout = chunkLayout(fn, name, regionSize, writable, options);
      if (typeof fetch !== 'function') throw new UsageError(`${fn}: source backing needs a fetch function, got ${typeof fetch}`);
      return new DemandPagingPlugin(settings, new SourceBacking(layout, fetch as PageSource));
    }
    default:
      throw new UsageError(`${fn}: backing must be { kind: 'zero' | 'designated' | 'source', ... }, got kind ${String(kind)}`);
  }
}

/** The chunk layout of zero-fill and source backing, from the options. */
function chunkLayout(fn: string, name: string, regionSize: number, writable: boolean, options: DemandPagingOptions): ChunkLayout {
  const chunkPages = options.chunkPages ?? 1;
  if (!Number.isInteger(chunkPages) || chunkPages <= 0) throw new UsageError(`${fn}: chunkPages must be a positive integer, got ${String(chunkPages)}`);
  const chunksPerDataspace = options.chunksPerDataspace ?? DEFAULT_CHUNKS_PER_DATASPACE;
  if (!Number.isInteger(chunksPerDataspace) || chunksPerDataspace <= 0) throw new UsageError(`${fn}: chunksPerDataspace must be a positive integer, got ${String(chunksPerDataspace)}`);
  return { name, regionSize, chunkPages, chunksPerDataspace, writable };
}
