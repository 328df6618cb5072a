/**
 * Rebuilds a machine from a validated chain of images (a {@link RestorePlan}):
 * dataspaces, region maps, rights, protection overlay, Linux-call
 * bookkeeping, the hart, the exception table and the guest's handler
 * registrations. Page contents are copied now (eager restore) or left to
 * the caller's hooks (lazy restore).
 *
 * Nothing here can fail half-way for a reason the images could cause: the
 * plan was validated completely and the quota is checked before the first
 * change to the machine.
 */

import { expectObject } from '../arguments.js';
import { FaultlineError, UsageError, hex32 } from '../errors.js';
import { ExceptionTable } from '../fault/exception-table.js';
import { HartState } from '../cpu/hart-state.js';
import { restoreThreads } from '../threads/thread-state.js';
import type { Machine } from '../machine/machine.js';
import type { Dataspace } from '../memory/dataspace.js';
import { PAGE_SIZE } from '../memory/page.js';
import type { RegionMap } from '../memory/region-map.js';
import type { Program } from '../loader/program.js';
import { PageState, RUN_SHIFT, type DataspaceRecord, type RegionRecord } from './image-format.js';
import { verifyPage } from './image-reader.js';
import type { RestorePlan } from './restore-plan.js';
import { recordReservedBytes } from '../kit/page-state.js';

/**
 * Ways a lazy restore changes {@link restoreMachine}.
 *
 * @example
 * ```ts
 * restoreMachine(machine, plan, { placeRegion: () => false, beforeGuestHandlers: () => {} });
 * ```
 */
export interface RestoreHooks {
  /**
   * Asked for every region whose target is a dataspace with pages of
   * contents; returning true means the hook attached something in its
   * place into `parent` itself (a stand-in served on demand) and
   * {@link restoreMachine} neither attaches the dataspace there nor fills it.
   * Dataspaces never placed by a hook are filled.
   *
   * @param parent - the region map being rebuilt
   * @param region - the region as the image records it
   * @param dataspace - the restored (still empty) dataspace it attaches
   * @param record - the dataspace's record in the image
   */
  readonly placeRegion?: (parent: RegionMap, region: RegionRecord, dataspace: Dataspace, record: DataspaceRecord) => boolean;
  /**
   * Called after the layout is built and before the guest handlers are
   * registered again with their addresses, so a lazy restore can make
   * their code present (registration checks that it is executable).
   *
   * @param functions - the guest handler addresses, chain order
   */
  readonly beforeGuestHandlers?: (functions: readonly number[]) => void;
  /**
   * A dataspace built before the restore for `record` (unattached, of
   * its size, in this machine, every page already in the record's state
   * with its contents — a restore staged while the images arrived), used
   * instead of a new one: {@link restoreMachine} leaves its pages alone
   * (it neither retires, fills nor offers it to {@link placeRegion}).
   * Undefined builds a new dataspace as usual.
   *
   * @param record - the dataspace's record in the last image
   */
  readonly prebuilt?: (record: DataspaceRecord) => Dataspace | undefined;
}

/**
 * What {@link restoreMachine} built, by image id.
 *
 * @example
 * ```ts
 * const { dataspaces } = restoreMachine(machine, plan);
 * ```
 */
export interface RestoredObjects {
  /** The dataspaces built, by image id. */
  readonly dataspaces: ReadonlyMap<number, Dataspace>;
  /** The region maps built (the root included), by image id. */
  readonly maps: ReadonlyMap<number, RegionMap>;
  /** Dataspaces whose contents were left to the hooks. */
  readonly deferred: ReadonlySet<number>;
}

/**
 * Checks that `machine` is fresh: no program loaded, nothing mapped, no
 * instruction retired.
 *
 * @param machine - the machine to check
 * @throws UsageError naming what is not fresh.
 * @example
 * ```ts
 * checkFreshMachine(new Machine()); // fine
 * ```
 */
export function checkFreshMachine(machine: Machine): void {
  if (machine.program !== null) throw new UsageError(`restore: the machine already runs ${machine.program.name}; restore into a fresh machine`);
  if (machine.addressSpace.root.regionCount !== 0 || machine.cpu.instret !== 0 || machine.cpu.pc !== 0) {
    throw new UsageError('restore: the machine is not fresh (memory is mapped or it has run); restore into a new Machine');
  }
}

/**
 * Rebuilds the state of `plan.last` in the fresh `machine`. Without hooks
 * every page is copied from the images (its CRC was checked when the
 * images were decoded with `verifyPages`, or is checked here otherwise;
 * a corrupted page found here leaves the machine half-built: decode with
 * `verifyPages` for the all-or-nothing guarantee).
 *
 * @param machine - a fresh machine (no program, nothing mapped)
 * @param plan - the validated chain
 * @param hooks - changes for a lazy restore (none: copy every page now)
 * @throws UsageError when the machine is not fresh or its quota cannot hold the layout (nothing changed then).
 * @throws FaultlineError when a guest handler cannot be registered again (a broken invariant of the images).
 * @example
 * ```ts
 * const machine = new Machine({ memoryQuota: plan.last.meta.memoryQuota });
 * restoreMachine(machine, plan);
 * machine.run();
 * ```
 */
export function restoreMachine(machine: Machine, plan: RestorePlan, hooks: RestoreHooks = {}): RestoredObjects {
  expectObject('restoreMachine', 'machine', machine);
  expectObject('restoreMachine', 'plan', plan);
  expectObject('restoreMachine', 'hooks', hooks, true);
  checkFreshMachine(machine);
  const image = plan.last;
  const as = machine.addressSpace;
  const layout = image.layout;
  // A prebuilt dataspace holds its share of the quota already.
  const prebuilt = new Map<number, Dataspace>();
  let needed = plan.reservedBytes;
  for (const rec of layout.dataspaces) {
    const ds = hooks.prebuilt?.(rec);
    if (ds === undefined) continue;
    if (ds.size !== rec.size || ds.isDestroyed || ds.attachments.length > 0) {
      throw new UsageError(`restore: the prebuilt dataspace for record ${rec.id} "${rec.name}" of ${image.name} is ${ds.isDestroyed ? 'destroyed' : ds.attachments.length > 0 ? 'attached' : `of ${ds.size} bytes, not ${rec.size}`}`);
    }
    prebuilt.set(rec.id, ds);
    needed -= recordReservedBytes(rec);
  }
  if (needed > machine.memory.remaining) {
    throw new UsageError(
      `restore: ${image.name} needs ${needed} bytes of guest memory, the machine's quota leaves ${machine.memory.remaining} (the image was made with a quota of ${image.meta.memoryQuota})`,
    );
  }
  const dataspaces = new Map<number, Dataspace>();
  const records = new Map<number, DataspaceRecord>();
  for (const rec of layout.dataspaces) {
    const ds = prebuilt.get(rec.id) ?? newDataspace(machine, rec);
    dataspaces.set(rec.id, ds);
    records.set(rec.id, rec);
  }
  const deferred = new Set<number>();
  const maps = new Map<number, RegionMap>();
  for (let k = 0; k < layout.maps.length; k++) {
    const rec = layout.maps[k]!;
    const isRoot = k === layout.maps.length - 1;
    const map = isRoot ? as.root : as.createRegionMap(rec.size, { name: rec.name });
    maps.set(rec.id, map);
    for (const r of rec.regions) {
      const ds = dataspaces.get(r.target);
      if (ds !== undefined && !prebuilt.has(r.target) && hooks.placeRegion !== undefined && plan.sources.has(r.target) && hooks.placeRegion(map, r, ds, records.get(r.target)!)) {
        deferred.add(r.target);
        continue;
      }
      const target = ds ?? maps.get(r.target);
      if (target === undefined) throw new FaultlineError(`restore: region at ${hex32(r.at)} refers to object ${r.target}, not built yet`);
      map.attach(target, { at: r.at, offset: r.offset, size: r.size, writable: r.writable, executable: r.executable, name: r.name });
    }
  }
  for (const [id, ds] of dataspaces) {
    if (!deferred.has(id) && !prebuilt.has(id)) fillDataspace(plan, id, ds);
    const rec = records.get(id)!;
    if (!rec.writable) ds.seal();
    if (rec.owned && ds.attachments.some((r) => r.map === as.root)) machine.linuxMemory.adopt(ds);
  }
  for (const run of layout.protection) as.guestProtection.protect(run.firstPage * PAGE_SIZE, run.pageCount * PAGE_SIZE, run.prot);
  machine.linuxMemory.restoreState(layout);
  hooks.beforeGuestHandlers?.(image.guestHandlers.functions);
  restoreHart(machine, plan);
  return { dataspaces, maps, deferred };
}

/** A new dataspace for `rec`, its retired pages retired. */
function newDataspace(machine: Machine, rec: DataspaceRecord): Dataspace {
  const ds = machine.addressSpace.createDataspace(rec.size, { name: rec.name, shared: rec.shared });
  let page = 0;
  for (const run of rec.runs) {
    const count = run >>> RUN_SHIFT;
    if ((run & 3) === PageState.Retired) ds.retire(page, count);
    page += count;
  }
  return ds;
}

/**
 * Copies page `page` of dataspace `id` from the newest image holding it
 * into `ds` (checking its CRC). Returns false when no image holds it (the
 * page reads as zero).
 *
 * @param plan - the validated chain
 * @param id - the dataspace's id in the images
 * @param ds - the restored dataspace
 * @param page - page number inside it
 * @example
 * ```ts
 * fillPage(plan, id, ds, 3);
 * ```
 */
export function fillPage(plan: RestorePlan, id: number, ds: Dataspace, page: number): boolean {
  const src = plan.sources.get(id);
  if (src === undefined) return false;
  const i = src.image[page]!;
  if (i < 0) return false;
  const bytes = verifyPage(plan.images[i]!, src.record[page]!);
  const frame = ds.frameForWrite(page);
  ds.memory.u8.set(bytes, frame);
  return true;
}

/** Copies every page with contents of dataspace `id` into `ds`. */
function fillDataspace(plan: RestorePlan, id: number, ds: Dataspace): void {
  const src = plan.sources.get(id);
  if (src === undefined) return;
  for (let p = 0; p < src.image.length; p++) {
    const i = src.image[p]!;
    if (i < 0) continue;
    const img = plan.images[i]!;
    const k = src.record[p]!;
    const at = img.pages.dataOffset + k * PAGE_SIZE;
    const bytes = img.pagesVerified ? img.bytes.subarray(at, at + PAGE_SIZE) : verifyPage(img, k);
    const frame = ds.frameForWrite(p);
    ds.memory.u8.set(bytes, frame);
  }
}

/** The hart, the program, the exception table and the guest handlers of `plan.last`. */
function restoreHart(machine: Machine, plan: RestorePlan): void {
  const image = plan.last;
  const hart = new HartState();
  hart.copyFrom(image.cpu);
  hart.load(machine.cpu);
  if (image.threads !== null) restoreThreads(machine, image.threads);
  const program: Program = {
    name: image.meta.programName,
    entry: image.meta.programEntry,
    segments: [],
    symbols: new Map(),
    extable: image.exceptionTable ?? [],
  };
  machine.program = program;
  machine.exceptionTable = image.exceptionTable === null ? null : new ExceptionTable(image.exceptionTable);
  machine.exitCode = image.meta.exitCode;
  const registry = machine.guestHandlers;
  registry.instructionLimit = image.guestHandlers.instructionLimit;
  for (const fn of image.guestHandlers.functions) {
    const status = registry.register(fn, { tail: true });
    if (status !== 0) throw new FaultlineError(`restore: ${image.name}: guest handler ${hex32(fn)} cannot be registered again (error ${status})`);
  }
}
