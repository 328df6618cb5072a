/**
 * The demand-paging plugin: one managed region, one backing kind (chosen
 * when it was made), the fault path and eviction.
 *
 *   address space root
 *   ... ---+-------------------- managed region map --------------------+--- ...
 *          | unit 0 | unit 1 (hole) | unit 2 | unit 3 (hole) | ...      |
 *          +--------+---------------+--------+---------------+----------+
 *              |                        |
 *          backing                   backing        (the Backing says what, by unit number)
 *
 * A guest access to a hole is reported against the managed map and the
 * offset inside it; the handler asks the backing for the unit, makes its
 * contents ready, attaches it and answers `Fixed`, so the access is
 * retried. Everything else — other regions, protection faults,
 * non-memory faults — gets `Continue`.
 */

import {
  Access,
  FaultStatus,
  PAGE_SIZE,
  UsageError,
  type AttachOptions,
  type Dataspace,
  type Fault,
  type Machine,
  type RegionMap,
  type Unregister,
} from '../../src/index.js';
import { joinRestores } from '../../src/plugin-kit.js';
import { NO_UNIT, type Backing } from './backing.js';
import type { AttachRecord, DemandPaging, EvictRange } from './index.js';

/** Where the plugin's region comes from and how its units are attached. */
export interface RegionSettings {
  readonly name: string;
  /** The region the caller made, or null to create one at `createAt`. */
  readonly givenRegion: RegionMap | null;
  /** Where to attach a created region in the root (-1 with a given region). */
  readonly createAt: number;
  readonly regionSize: number;
  readonly executable: boolean;
  readonly tail: boolean;
  readonly onAttach: ((record: AttachRecord) => void) | null;
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

/** See `demandPaging` in index.ts. */
export class DemandPagingPlugin implements DemandPaging {
  readonly name: string;
  private machine: Machine | null = null;
  private region: RegionMap | null = null;
  private unregister: Unregister | null = null;
  private leaveRestores: (() => void) | null = null;
  /** 1 where the unit is attached. */
  private resident: Uint8Array;
  private residentPages = 0;
  private served = 0;
  /** Bumped on every install, uninstall and restore: a fetch that settles later belongs to a past one. */
  private generation = 0;
  /** Reused for every attach (RegionMap.attach reads it and keeps nothing). */
  private readonly attachOptions: AttachOptions;
  private readonly record = new Record();

  constructor(private readonly settings: RegionSettings, private readonly backing: Backing) {
    this.name = settings.name;
    this.resident = new Uint8Array(backing.unitCount);
    this.attachOptions = { at: 0, offset: 0, size: PAGE_SIZE, writable: true, executable: settings.executable, name: '' };
  }

  get regionMap(): RegionMap | null {
    return this.region ?? this.settings.givenRegion;
  }

  get address(): number | null {
    return this.settings.createAt < 0 || this.region === null ? null : this.settings.createAt;
  }

  get faultsServed(): number {
    return this.served;
  }

  get pagesResident(): number {
    return this.residentPages;
  }

  get pagesFetched(): number {
    return this.backing.fetched;
  }

  /**
   * Registers the handler, and takes its region: the given one, or the
   * one a restore rebuilt at `at`, or a new one it attaches there. Leaves
   * the machine unchanged when it throws.
   *
   * @throws UsageError when already installed, a dataspace belongs to
   *   another machine's memory, or something else is attached at `at`.
   */
  install(machine: Machine): () => void {
    const fn = `demandPaging '${this.name}'`;
    if (this.machine !== null) throw new UsageError(`${fn}: already installed (uninstall it first)`);
    this.backing.checkMemory(machine, fn);
    this.backing.use(machine);
    const region = this.settings.givenRegion ?? this.takeRegion(machine);
    this.machine = machine;
    this.region = region;
    this.generation++;
    this.unregister = machine.registerFaultHandler(this.handle, { tail: this.settings.tail, name: this.name });
    if (this.settings.givenRegion === null) {
      this.leaveRestores = joinRestores(machine, {
        name: this.name,
        beforeRestore: () => this.dropRegion(machine),
        afterRestore: () => { this.region = this.takeRegion(machine); },
      });
    }
    return () => this.uninstall();
  }

  isResident(offset: number): boolean {
    const size = this.settings.regionSize;
    if (!Number.isInteger(offset) || offset < 0 || offset >= size) {
      throw new UsageError(`isResident: offset ${String(offset)} is outside the ${size}-byte region of '${this.name}'`);
    }
    const unit = this.backing.unitAt(offset);
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
    const b = this.backing;
    // Units are in offset order: start at the one holding `offset` (or the first after a hole).
    let unit = b.unitAt(offset);
    if (unit === NO_UNIT) unit = 0;
    let pages = 0;
    for (; unit < b.unitCount; unit++) {
      const start = b.unitOffset(unit);
      if (start >= offset + length) break;
      if (start + b.unitSize(unit) > offset) pages += this.evictUnit(region, unit, discard);
    }
    return pages;
  }

  // ---- the fault path ------------------------------------------------------

  /**
   * The fault handler: serves not-present faults in the region's holes.
   * Synchronous unless the backing's contents arrive later (a page source
   * answering with a promise). Throws (the run stops with a HandlerError)
   * when the contents cannot be made (quota, a bad page source answer).
   */
  private readonly handle = (fault: Fault): FaultStatus | Promise<FaultStatus> => {
    const region = this.region;
    if (region === null || fault.regionMap !== region || fault.protection) return FaultStatus.Continue;
    if (fault.access === Access.Execute && !this.settings.executable) return FaultStatus.Continue;
    const unit = this.backing.unitAt(fault.regionOffset);
    if (unit === NO_UNIT) return FaultStatus.Continue;
    if (this.resident[unit] !== 0) this.forget(unit); // detached behind our back: serve it again
    const pending = this.backing.prepare(unit);
    if (pending !== null) return this.attachWhenReady(pending, unit, fault);
    this.attachUnit(region, unit, fault.address, fault.regionOffset, fault.access);
    return FaultStatus.Fixed;
  };

  /** The handler's answer while `unit`'s contents are on their way: Fixed once attached, Continue when the plugin moved on. */
  private attachWhenReady(pending: Promise<boolean>, unit: number, fault: Fault): Promise<FaultStatus> {
    const address = fault.address, regionOffset = fault.regionOffset, access = fault.access;
    const generation = this.generation;
    const answer = pending.then((ready) => {
      const region = this.region;
      if (!ready || generation !== this.generation || region === null) return FaultStatus.Continue;
      if (this.resident[unit] === 0) this.attachUnit(region, unit, address, regionOffset, access);
      return FaultStatus.Fixed;
    });
    answer.catch(noop);
    return answer;
  }

  /**
   * Attaches `unit`'s backing (its contents are there) into `region`,
   * marks it resident, counts the fault and tells onAttach. `address`,
   * `regionOffset` and `access` are the fault's.
   */
  private attachUnit(region: RegionMap, unit: number, address: number, regionOffset: number, access: number): void {
    const o = this.attachOptions;
    o.at = this.backing.unitOffset(unit);
    o.size = this.backing.unitSize(unit);
    const ds = this.backing.attachment(unit, o);
    region.attach(ds, o);
    this.resident[unit] = 1;
    this.residentPages += o.size / PAGE_SIZE;
    this.served++;
    const tell = this.settings.onAttach;
    if (tell !== null) {
      const r = this.record;
      r.offset = o.at;
      r.size = o.size;
      r.dataspace = ds;
      r.name = o.name!;
      r.address = address;
      r.virtualAddress = (address - (regionOffset - o.at)) >>> 0;
      r.access = access;
      tell(r);
    }
    // A read (or fetch) retried after this fault then hits the TLB: in the
    // wasm tier a miss is a call out of WebAssembly and back. (A first write
    // is left to the store: it takes the page's frame.)
    if (access !== Access.Write) this.machine?.addressSpace.prefill(address, access);
  }

  // ---- eviction, restore and uninstall ---------------------------------------

  /** Forgets that `unit` is resident (it was detached by someone else). */
  private forget(unit: number): void {
    this.resident[unit] = 0;
    this.residentPages -= this.backing.unitSize(unit) / PAGE_SIZE;
  }

  /**
   * Detaches `unit` if its backing is attached in its place — by a fault,
   * or by whoever attached it directly — and forgets that it is resident;
   * with `discard`, drops its contents. Returns the pages detached.
   */
  private evictUnit(region: RegionMap, unit: number, discard: boolean): number {
    let pages = 0;
    const placed = this.backing.placement(unit);
    if (placed !== null) {
      const at = this.backing.unitOffset(unit);
      const there = region.lookup(at);
      if (there !== undefined && there.target === placed.dataspace && there.at === at && there.offset === placed.offset) {
        region.detach(at);
        pages = there.size / PAGE_SIZE;
      }
    }
    if (this.resident[unit] !== 0) this.forget(unit);
    if (discard) this.backing.discard(unit);
    return pages;
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
    const { createAt, regionSize, name, executable } = this.settings;
    const root = machine.addressSpace.root;
    const there = root.lookup(createAt);
    this.resetUnits(machine);
    if (there !== undefined && there.at === createAt && there.offset === 0 && there.target.isRegionMap
        && there.target.size === regionSize && there.target.name === name) {
      for (const r of there.target.regions()) {
        const unit = this.backing.unitAt(r.at);
        if (unit === NO_UNIT || this.backing.unitOffset(unit) !== r.at || this.backing.unitSize(unit) !== r.size) continue;
        if (!this.backing.adopt(unit, r)) continue;
        this.resident[unit] = 1;
        this.residentPages += r.size / PAGE_SIZE;
      }
      return there.target;
    }
    const region = machine.addressSpace.createRegionMap(regionSize, { name });
    root.attach(region, { at: createAt, executable, name });
    return region;
  }

  /**
   * Detaches the created region, its units, and destroys the backing made
   * for it (uninstall, or before a restore rebuilds it from an image),
   * leaving the handler as it is.
   */
  private dropRegion(machine: Machine): void {
    const region = this.region;
    if (region === null) return;
    const root = machine.addressSpace.root;
    const there = root.lookup(this.settings.createAt);
    if (there !== undefined && there.target === region) root.detach(this.settings.createAt);
    for (let unit = 0; unit < this.backing.unitCount; unit++) this.evictUnit(region, unit, false);
    this.backing.release();
    this.resetUnits(null);
    this.generation++;
    this.region = null;
  }

  /** Undoes {@link install}; see `demandPaging` for what stays. */
  private uninstall(): void {
    const machine = this.machine!;
    this.generation++;
    this.unregister!();
    this.unregister = null;
    this.leaveRestores?.();
    this.leaveRestores = null;
    if (this.settings.givenRegion === null) this.dropRegion(machine);
    this.machine = null;
  }

  /** No unit resident, no contents (a new or rebuilt region). */
  private resetUnits(machine: Machine | null): void {
    this.backing.reset(machine);
    this.resident = new Uint8Array(this.backing.unitCount);
    this.residentPages = 0;
  }
}
