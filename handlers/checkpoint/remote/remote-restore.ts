/**
 * Restore from a chain of images on an HTTP server (docs/remote-images.md).
 *
 *   openRemoteChain    header + sections of each image (no pages)
 *        |             the pages a restore fills at once: read-only
 *        |             dataspaces, and with guest handlers the stacks
 *        v
 *   restoreCheckpoint(lazy)   stand-ins + demand paging, as for local images
 *        |
 *        v
 *   guest touches page P ──> 'remote-pages' handler (head of the chain)
 *                              P here?  Continue ──> demand paging fills P
 *                              else     fetch P (+ readahead), CRC, then Continue
 *                                       or reject: the run ends with
 *                                       "URL: bytes A-B (page P of dataspace D): cause"
 *
 * The faulting thread waits (under `runAsync`); the other threads run on.
 * Every request has a timeout and a bounded number of retries, so a fault
 * ends — with the page or with an error — within {@link RemoteRestore.waitBoundMs}.
 */

import { FaultStatus, UsageError, type Fault, type LayoutState, type Machine, type Unregister } from '../../../src/index.js';
import type { RestoreOptions, RestoredCheckpoint } from '../index.js';
import type { LazyRestore, LazyRestorer } from '../lazy-restore.js';
import { restoreCheckpoint } from '../restore.js';
import { fetchBoundMs } from './range-fetch.js';
import { RemoteChain, openRemoteChain, type RemoteChainOptions } from './remote-chain.js';
import type { TouchOrder } from './touch-order.js';

/**
 * Options of {@link restoreRemote}: those of a local restore, how to
 * fetch, and the working-set order to prefetch or record.
 *
 * @example
 * ```ts
 * const options: RemoteRestoreOptions = { lazy: true, timeoutMs: 5000, retries: 2, recordOrder: true };
 * ```
 */
export interface RemoteRestoreOptions extends RestoreOptions, RemoteChainOptions {
  /** Bring these pages in this order from the start, in the background (lazy restores). */
  readonly prefetch?: TouchOrder;
  /** Record the first-touch order of pages ({@link RemoteRestore.touchOrder}). Default false. */
  readonly recordOrder?: boolean;
}

/**
 * A restore from remote images: what {@link restoreCheckpoint} returns,
 * the chain, and how the pages came.
 *
 * @example
 * ```ts
 * const remote = await restoreRemote(machine, ['http://127.0.0.1:8080/run/'], { lazy: true });
 * await machine.runAsync({ timeoutMs: remote.waitBoundMs });
 * console.log(remote.chain.stats.pageBytes, remote.demandFaults);
 * ```
 */
export interface RemoteRestore extends RestoredCheckpoint {
  /** The open chain: its images, its plan, bytes and requests so far. */
  readonly chain: RemoteChain;
  /** Faults that issued a page request of their own (the critical path). */
  readonly demandFaults: number;
  /** Faults whose page was already here or on its way (prefetched, or another fault's readahead). */
  readonly faultsServedAhead: number;
  /** Settles when the prefetch has brought (or failed to bring) every page of its order; at once without one. */
  readonly prefetched: Promise<void>;
  /**
   * The longest one fault can wait for its page before it fails (every
   * attempt timing out), plus a second: a bound for `runAsync({ timeoutMs })`.
   */
  readonly waitBoundMs: number;
  /** The pages first touched so far, in order (with `recordOrder`; empty otherwise). */
  touchOrder(): TouchOrder;
  /**
   * Brings every page not here yet, then completes the lazy restore
   * (`lazy.complete()`): the machine no longer needs the server. Call
   * between runs.
   *
   * @throws RemoteImageError for a page that cannot be had (the restore stays lazy).
   */
  complete(): Promise<void>;
}

/** Name of the fault handler that fetches pages. */
const HANDLER_NAME = 'remote-pages';

/**
 * Restores `machine` from the images at `urls` (see {@link openRemoteChain}
 * for how URLs name a chain). Lazily (`lazy: true`): after the sections
 * and the pages that must be there at once, the machine is ready; every
 * other page comes on first touch, which needs `machine.runAsync()`.
 * Eagerly: every page the restore needs comes first (in bulk), then the
 * machine is rebuilt; nothing remote is left.
 *
 * @param machine - a fresh machine
 * @param urls - image URLs (base first, or one image), or one directory URL ending in `/`; or a chain opened already
 * @param options - local restore options, fetch policy, prefetch order
 * @throws RemoteImageError naming the URL for an image that cannot be read; FormatError naming the URL and offset
 *   for a bad image or chain; UsageError as {@link restoreCheckpoint} does.
 * @example
 * ```ts
 * const machine = new Machine({ stdout: (b) => out.push(b) });
 * const remote = await restoreRemote(machine, ['http://127.0.0.1:8080/run/00000003.ckpt'], { lazy: true });
 * await machine.runAsync({ timeoutMs: remote.waitBoundMs });
 * ```
 */
export async function restoreRemote(machine: Machine, urls: readonly string[] | RemoteChain, options: RemoteRestoreOptions = {}): Promise<RemoteRestore> {
  const chain = urls instanceof RemoteChain ? urls : await openRemoteChain(urls, options);
  const waitBoundMs = fetchBoundMs(options) + 1000;
  const last = chain.plan.last;
  if (options.lazy !== true) {
    await chain.fetchAll();
    const restored = restoreCheckpoint(machine, chain.inputs(), { ...options, lazy: true });
    restored.lazy?.complete();
    const order: TouchOrder = { chainId: last.header.chainId, pages: [] };
    return {
      ...restored, lazy: null, chain, demandFaults: 0, faultsServedAhead: 0, prefetched: Promise.resolve(), waitBoundMs,
      touchOrder: () => order, complete: () => Promise.resolve(),
    };
  }
  // What a lazy restore fills at once: read-only dataspaces, and the stacks a guest handler's frame goes on.
  const eager = new Set(last.layout.dataspaces.filter((d) => !d.writable).map((d) => d.id));
  if (last.guestHandlers.functions.length > 0) {
    const stacks = [last.cpu.regs[2]!, ...(last.threads?.threads ?? []).map((t) => t.hart.regs[2]!)];
    for (const sp of stacks) {
      const id = dataspaceAt(last.layout, (sp >>> 0) - 1);
      if (id !== null) eager.add(id);
    }
    for (const fn of last.guestHandlers.functions) {
      const id = dataspaceAt(last.layout, fn);
      if (id !== null) eager.add(id);
    }
  }
  if (eager.size > 0) await chain.fetchAll((id) => eager.has(id));
  const restored = restoreCheckpoint(machine, chain.inputs(), { ...options, lazy: true });
  return new RemotePages(machine, chain, restored, options, waitBoundMs);
}

/** The lazy remote restore: the fault handler that fetches, the order recording and the prefetch. */
class RemotePages implements RemoteRestore {
  readonly image: RestoredCheckpoint['image'];
  readonly plan: RestoredCheckpoint['plan'];
  readonly lazy: LazyRestore | null;
  readonly prefetched: Promise<void>;
  demandFaults = 0;
  faultsServedAhead = 0;
  private readonly order: [number, number][] = [];
  private unregister: Unregister | null;
  private readonly restorer: LazyRestorer;

  constructor(
    private readonly machine: Machine,
    readonly chain: RemoteChain,
    restored: RestoredCheckpoint,
    options: RemoteRestoreOptions,
    readonly waitBoundMs: number,
  ) {
    this.image = restored.image;
    this.plan = restored.plan;
    this.lazy = restored.lazy;
    this.restorer = restored.lazy as LazyRestorer;
    if (options.recordOrder === true) this.restorer.onFirstTouch = (id, page) => { this.order.push([id, page]); };
    // Registered after the restore's demand paging, at the head: asked first.
    this.unregister = machine.registerFaultHandler(this.handle, { name: HANDLER_NAME });
    this.prefetched = options.prefetch === undefined ? Promise.resolve() : chain.prefetch(options.prefetch.pages);
  }

  /** Continue for every fault but a first touch of a page not here yet; for that one, Continue once it arrived. */
  private readonly handle = (fault: Fault): FaultStatus | Promise<FaultStatus> => {
    if (fault.protection) return FaultStatus.Continue;
    const at = this.restorer.pageAt(fault.regionMap, fault.regionOffset);
    if (at === null) return FaultStatus.Continue;
    const before = this.chain.demandRequests;
    const arriving = this.chain.demand(at.id, at.page);
    if (arriving === null) {
      this.faultsServedAhead++;
      return FaultStatus.Continue;
    }
    if (this.chain.demandRequests > before) this.demandFaults++;
    else this.faultsServedAhead++;
    return arriving.then(() => FaultStatus.Continue);
  };

  touchOrder(): TouchOrder {
    return { chainId: this.image.header.chainId, pages: this.order.slice() };
  }

  async complete(): Promise<void> {
    if (this.unregister === null) return;
    if (this.machine.running) throw new UsageError('RemoteRestore.complete: call it between runs, not while the machine runs');
    await this.chain.fetchAll();
    this.restorer.complete();
    this.unregister();
    this.unregister = null;
  }
}

/**
 * The dataspace the byte at `vaddr` belongs to in `layout` (through nested
 * region maps), or null when nothing is mapped there.
 */
function dataspaceAt(layout: LayoutState, vaddr: number): number | null {
  const maps = new Map(layout.maps.map((m) => [m.id, m]));
  let map = layout.maps[layout.maps.length - 1];
  let address = vaddr;
  for (let depth = 0; map !== undefined && depth < 64; depth++) {
    const r = map.regions.find((x) => address >= x.at && address < x.at + x.size);
    if (r === undefined) return null;
    address = address - r.at + r.offset;
    const inner = maps.get(r.target);
    if (inner === undefined) return r.target;
    map = inner;
  }
  return null;
}
