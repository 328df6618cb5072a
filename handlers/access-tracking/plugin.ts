/**
 * Access tracking (docs/design.md §14): per epoch, which pages a program reads,
 * writes and executes, learned the way NUMA balancing learns it — access
 * is revoked in a protection layer of the tracker's own, the first touch
 * of a page faults, is recorded with its thread and pc, and access is
 * given back.
 *
 * The layer, per virtual page (2^20 pages):
 *
 *   ---   not touched in this epoch (every page at install and after
 *         endEpoch(), mapped or not)
 *   R--, -W-, --X, RW-, ...   the kinds touched so far in this epoch
 *         (exact mode: each kind is granted when it first faults)
 *   RWX   touched in this epoch (coarse mode: the first touch opens all)
 *
 * The layer is ANDed with every other layer and with the region rights,
 * so the tracker lifts only its own restriction: a fault where the guest's
 * `mprotect`, a read-only region or a sealed dataspace denies the access
 * is not its to fix (it answers `Continue` and records nothing); one where
 * only other plugins' layers still deny it is fixed, and their owners
 * take the retried access (the rule of `_internals/write-rights.ts`).
 *
 * Coherence: revoking execute flushes the page's execute translation and
 * its decoded and compiled code (`ProtectionLayer.protect` → `flush`), and
 * the CPU checks the execute right whenever it enters a page, so the first
 * fetch of a page in an epoch always faults.
 */

import {
  ALL_RIGHTS,
  Access,
  FaultStatus,
  PAGE_SHIFT,
  PAGE_SIZE,
  Prot,
  UsageError,
  type AddressSpace,
  type Fault,
  type FaultHandler,
  type Machine,
  type Plugin,
  type ProtectionLayer,
  type RunResult,
} from '../../src/index.js';
import { RegionWalk, walkRegions } from '../../src/plugin-kit.js';
import { AccessBits, type EpochRecord, type FirstTouch } from './records.js';

/** Virtual pages in the 32-bit address space. */
const VPAGE_COUNT = 2 ** (32 - PAGE_SHIFT);
/** Bytes in the 32-bit address space. */
const ADDRESS_SPACE_SIZE = 2 ** 32;
/** Default epoch length in retired instructions. */
const DEFAULT_EPOCH = 1_000_000;
/** Default N of "idle for N epochs". */
const DEFAULT_IDLE = 4;
/** Touch-log slots at first: grows by doubling (rarely: once per new high of touches per epoch). */
const INITIAL_TOUCHES = 4096;

/**
 * Options of {@link accessTracking}.
 *
 * @example
 * ```ts
 * machine.use(accessTracking({ epochInstructions: 100_000, idleEpochs: 3 }));
 * ```
 */
export interface AccessTrackingOptions {
  /** Instructions per epoch for {@link AccessTracking.runEpochs} and {@link AccessTracking.epochDue} (default 1,000,000). */
  readonly epochInstructions?: number;
  /** N of "idle for N epochs" in each {@link EpochRecord} (default 4). */
  readonly idleEpochs?: number;
  /**
   * Exact sets (default true): each kind of access (read, write, execute)
   * faults once per page per epoch and is recorded, so a page read and
   * then written faults twice. False: the first touch of a page in an
   * epoch opens it for every kind — at most one fault per page per epoch,
   * the page recorded under the kind of its first touch only (idle-page
   * tracking, NUMA-balancing style).
   */
  readonly exact?: boolean;
  /** Name of the plugin and of its handler in the chain (default `'access-tracking'`). */
  readonly name?: string;
  /** Register the handler at the tail of the chain instead of the head (default false). */
  readonly tail?: boolean;
}

/**
 * Options of {@link AccessTracking.runEpochs}.
 *
 * @example
 * ```ts
 * tracker.runEpochs({ maxInstructions: 10_000_000, onEpoch: (r) => console.log(r.workingSet) });
 * ```
 */
export interface RunEpochsOptions {
  /** Stop after this many instructions in all (default: until the guest exits or faults). */
  readonly maxInstructions?: number;
  /**
   * Called with each epoch's record as the epoch ends (the last, partial epoch too).
   *
   * @param record - the epoch's record, the caller's to keep
   */
  readonly onEpoch?: (record: EpochRecord) => void;
}

/**
 * An access-tracking plugin (docs/design.md §14): install with `machine.use`, run
 * the machine an epoch at a time and end each epoch with
 * {@link AccessTracking.endEpoch}, or let {@link AccessTracking.runEpochs}
 * do both.
 *
 * What counts: loads of every width and `lr.w` are reads; stores, AMOs
 * and `sc.w` are writes (the MMU checks only the write right for an AMO,
 * so an AMO alone does not put a page in the read set); instruction
 * fetches are executes; system calls touching guest buffers fault through
 * the chain as the guest's own accesses (docs/design.md §3) and count as
 * theirs, with the `ecall`'s pc. A misaligned access crossing a page
 * counts for both pages. Host accesses (`readBytes`, `writeBytes`) are not
 * seen.
 *
 * @example
 * ```ts
 * const tracker = accessTracking({ epochInstructions: 50_000 });
 * machine.use(tracker);
 * tracker.runEpochs({ onEpoch: (r) => console.log(r.epoch, r.workingSet, r.written.length) });
 * ```
 */
export interface AccessTracking extends Plugin {
  /** Number of the epoch now running (0 at install). */
  readonly epoch: number;
  /** Instructions per epoch (the option). */
  readonly epochInstructions: number;
  /** Faults resolved since the tracker was made. */
  readonly faults: number;
  /** True while installed in a machine. */
  readonly installed: boolean;
  /** True when the current epoch has run its `epochInstructions`. */
  readonly epochDue: boolean;
  /** Instructions the current epoch still has to run (0 when due). */
  readonly instructionsLeft: number;
  /**
   * Ends the current epoch: returns its record, revokes access to the
   * pages touched in it (only those: the others are still revoked) and
   * starts the next epoch. Cost O(t log t) for t pages touched, plus
   * O(pages ever touched) for the idle list.
   *
   * @example
   * ```ts
   * machine.run({ maxInstructions: 100_000 });
   * const record = tracker.endEpoch();
   * ```
   */
  endEpoch(): EpochRecord;
  /**
   * The current epoch's record so far, without ending it.
   *
   * @example
   * ```ts
   * console.log(tracker.current().workingSet);
   * ```
   */
  current(): EpochRecord;
  /**
   * Access bits ({@link AccessBits}) of the page holding `vaddr` in the
   * current epoch.
   *
   * @param vaddr - any address in the page
   * @example
   * ```ts
   * if (tracker.kindsOf(0x10000) & AccessBits.Execute) console.log('ran code there');
   * ```
   */
  kindsOf(vaddr: number): number;
  /**
   * Runs the machine epoch by epoch (`machine.run` with the epoch's
   * instructions left), ending each epoch as it fills and once more when
   * the run ends, and returns the run's result.
   *
   * @param options - instruction limit and epoch callback
   * @throws UsageError when the tracker is not installed.
   * @example
   * ```ts
   * const records: EpochRecord[] = [];
   * const result = tracker.runEpochs({ onEpoch: (r) => records.push(r) });
   * ```
   */
  runEpochs(options?: RunEpochsOptions): RunResult;
}

/**
 * Makes an access-tracking plugin (docs/design.md §14). `install` revokes every
 * access to the whole address space in a protection layer of its own and
 * registers a fault handler (at the head of the chain unless `tail`). The
 * handler takes a protection fault whose kind its layer denies, grants
 * that kind on the page (every kind when `exact` is false), records the
 * first touch (page, kind, thread, pc) and answers `Fixed` — unless the
 * guest's `mprotect` or the region rights deny the access too, which it
 * leaves to the handlers behind (`Continue`, nothing recorded). O(1) and
 * allocation-free per fault (the touch log grows by doubling).
 *
 * Composes, in any chain order, with demand paging (a not-mapped fault is
 * not its own; the retried access then faults here), the dirty log and
 * write tracking (each lifts only its own restriction) and checkpoints
 * (images read memory as the host, unseen). Faults per page per epoch:
 * at most one per kind in exact mode (a page read then written faults
 * twice), at most one in coarse mode.
 *
 * One tracker is installed in one machine at a time. Allocates 13 MiB
 * of tables at the first install (per virtual page: its kinds, its last
 * epoch, a slot in the epoch's list and in the list of pages ever
 * touched), plus the touch log.
 *
 * @param options - epoch length, idle N, exactness, name, chain position
 * @throws UsageError for a non-positive epoch length or idle N; from `install` when installed already.
 * @example
 * ```ts
 * import { Machine, assemble } from 'faultline';
 * import { accessTracking } from 'faultline/handlers';
 *
 * const machine = new Machine();
 * machine.load(assemble(source));
 * const tracker = accessTracking({ epochInstructions: 10_000 });
 * machine.use(tracker);
 * tracker.runEpochs({ onEpoch: (r) => console.log(`epoch ${r.epoch}: read ${r.read.length}, wrote ${r.written.length}, ran ${r.executed.length} pages`) });
 * ```
 */
export function accessTracking(options: AccessTrackingOptions = {}): AccessTracking {
  const epochInstructions = options.epochInstructions ?? DEFAULT_EPOCH;
  const idleEpochs = options.idleEpochs ?? DEFAULT_IDLE;
  const name = options.name ?? 'access-tracking';
  if (!Number.isSafeInteger(epochInstructions) || epochInstructions <= 0) {
    throw new UsageError(`${name}: epochInstructions must be a positive integer, got ${String(epochInstructions)}`);
  }
  if (!Number.isSafeInteger(idleEpochs) || idleEpochs <= 0) {
    throw new UsageError(`${name}: idleEpochs must be a positive integer, got ${String(idleEpochs)}`);
  }
  return new AccessTrackingPlugin(name, epochInstructions, idleEpochs, options.exact ?? true, options.tail ?? false);
}

/** Kind name of access bits with one bit set. */
const kindName = (bit: number): FirstTouch['kind'] => (bit === AccessBits.Read ? 'read' : bit === AccessBits.Write ? 'write' : 'execute');

/** The plugin behind {@link accessTracking} (a class: one copy of the fault path for every tracker). */
class AccessTrackingPlugin implements AccessTracking {
  private machine: Machine | null = null;
  private space: AddressSpace | null = null;
  private layer: ProtectionLayer | null = null;
  /** Access bits touched in the current epoch, per virtual page. */
  private kinds: Uint8Array | null = null;
  /** 1 + the last epoch a page was touched in (0: never), per virtual page. */
  private lastEpoch: Int32Array | null = null;
  /** Virtual pages touched in the current epoch, `count` of them. */
  private list: Uint32Array | null = null;
  private count = 0;
  /** Virtual pages ever touched, `everCount` of them (for the idle list). */
  private ever: Uint32Array | null = null;
  private everCount = 0;
  /** Touch log: per touch, vpage << 3 | kind bit, tid, pc, instret (low 32 bits) and instret high part. */
  private touchPages = new Uint32Array(INITIAL_TOUCHES);
  private touchTids = new Int32Array(INITIAL_TOUCHES);
  private touchPcs = new Uint32Array(INITIAL_TOUCHES);
  private touchInstret = new Float64Array(INITIAL_TOUCHES);
  private touchCount = 0;
  private epochNumber = 0;
  private epochStart = 0;
  private epochFaults = 0;
  private faultCount = 0;
  private readonly walk = new RegionWalk();
  private readonly handler: FaultHandler = (fault: Fault) => this.onFault(fault);

  constructor(
    readonly name: string,
    readonly epochInstructions: number,
    private readonly idleEpochs: number,
    private readonly exact: boolean,
    private readonly tail: boolean,
  ) {}

  get epoch(): number {
    return this.epochNumber;
  }

  get faults(): number {
    return this.faultCount;
  }

  get installed(): boolean {
    return this.machine !== null;
  }

  get epochDue(): boolean {
    return this.instructionsLeft === 0;
  }

  get instructionsLeft(): number {
    if (this.machine === null) return this.epochInstructions;
    return Math.max(0, this.epochStart + this.epochInstructions - this.machine.cpu.instret);
  }

  install(target: Machine): () => void {
    if (this.machine !== null) throw new UsageError(`${this.name}: install: already installed in a machine`);
    if (this.kinds === null) {
      this.kinds = new Uint8Array(VPAGE_COUNT);
      this.lastEpoch = new Int32Array(VPAGE_COUNT);
      this.list = new Uint32Array(VPAGE_COUNT);
      this.ever = new Uint32Array(VPAGE_COUNT);
    }
    const as = target.addressSpace;
    const own = as.createProtectionLayer(this.name);
    try {
      own.protect(0, ADDRESS_SPACE_SIZE, Prot.None);
      // Pages touched in this epoch before an uninstall stay open.
      for (let k = 0; k < this.count; k++) own.protect(this.list![k]! * PAGE_SIZE, PAGE_SIZE, this.grant(this.kinds[this.list![k]!]!));
      const off = target.registerFaultHandler(this.handler, { tail: this.tail, name: this.name });
      this.machine = target;
      this.space = as;
      this.layer = own;
      if (this.epochNumber === 0 && this.count === 0) this.epochStart = target.cpu.instret;
      return () => {
        off();
        as.removeProtectionLayer(own);
        this.machine = this.space = this.layer = null;
      };
    } catch (err) {
      as.removeProtectionLayer(own);
      throw err;
    }
  }

  kindsOf(vaddr: number): number {
    return this.kinds === null ? 0 : this.kinds[(vaddr >>> 0) >>> PAGE_SHIFT]! & 7;
  }

  current(): EpochRecord {
    return this.record(this.machine === null ? this.epochStart : this.machine.cpu.instret);
  }

  endEpoch(): EpochRecord {
    const end = this.machine === null ? this.epochStart : this.machine.cpu.instret;
    const record = this.record(end);
    const kinds = this.kinds, own = this.layer;
    if (kinds !== null) {
      const list = this.list!;
      // Revoke what this epoch opened, in runs of adjacent pages (fewer flushes).
      const pages = list.subarray(0, this.count).sort();
      let k = 0;
      while (k < pages.length) {
        let j = k + 1;
        while (j < pages.length && pages[j] === pages[j - 1]! + 1) j++;
        if (own !== null) own.protect(pages[k]! * PAGE_SIZE, (j - k) * PAGE_SIZE, Prot.None);
        for (let i = k; i < j; i++) kinds[pages[i]!] = 0;
        k = j;
      }
    }
    this.count = 0;
    this.touchCount = 0;
    this.epochFaults = 0;
    this.epochNumber++;
    this.epochStart = end;
    return record;
  }

  runEpochs(options: RunEpochsOptions = {}): RunResult {
    const machine = this.machine;
    if (machine === null) throw new UsageError(`${this.name}: runEpochs: install the plugin first (machine.use(...))`);
    const cpu = machine.cpu;
    const stopAt = options.maxInstructions === undefined ? Infinity : cpu.instret + options.maxInstructions;
    for (;;) {
      const budget = Math.min(this.instructionsLeft, stopAt - cpu.instret);
      const result = machine.run({ maxInstructions: budget });
      const last = result.kind !== 'limit' || cpu.instret >= stopAt;
      if (this.epochDue || last) {
        const record = this.endEpoch();
        options.onEpoch?.(record);
      }
      if (last) return result;
    }
  }

  /** Rights of a page whose touched kinds are `bits`. */
  private grant(bits: number): number {
    return bits === 0 ? Prot.None : this.exact ? bits : ALL_RIGHTS;
  }

  /** The fault path (see {@link accessTracking}). O(1), no allocation. */
  private onFault(fault: Fault): FaultStatus {
    if (!fault.protection) return FaultStatus.Continue;
    const access = fault.access;
    const bit = access === Access.Write ? AccessBits.Write : access === Access.Execute ? AccessBits.Execute : AccessBits.Read;
    const vaddr = fault.address >>> 0;
    const vpage = vaddr >>> PAGE_SHIFT;
    const own = this.layer!;
    if ((own.get(vaddr) & bit) !== 0) return FaultStatus.Continue; // not ours
    // Someone's intent (the guest's mprotect, the region rights) denies it too: not ours to fix.
    // Regions always allow reading (a protection fault is on a mapped page), so a read needs no walk.
    const as = this.space!;
    if ((as.guestProtection.get(vaddr) & bit) === 0) return FaultStatus.Continue;
    if (bit !== AccessBits.Read && (!walkRegions(as.root, vaddr, this.walk) || (this.walk.rights & bit) === 0)) return FaultStatus.Continue;
    const kinds = this.kinds!;
    const before = kinds[vpage]!;
    const now = this.exact ? before | bit : ALL_RIGHTS;
    own.protect(vpage * PAGE_SIZE, PAGE_SIZE, now);
    if (before === 0) {
      this.list![this.count++] = vpage;
      const last = this.lastEpoch!;
      if (last[vpage] === 0) this.ever![this.everCount++] = vpage;
      last[vpage] = this.epochNumber + 1;
      kinds[vpage] = this.exact ? bit : bit | 8; // coarse: the first kind, and "opened" (8)
    } else {
      kinds[vpage] = before | bit;
    }
    this.log(vpage, bit, fault.tid, fault.pc >>> 0);
    this.epochFaults++;
    this.faultCount++;
    return FaultStatus.Fixed;
  }

  /** Appends a first touch to the log. */
  private log(vpage: number, bit: number, tid: number, pc: number): void {
    let n = this.touchCount;
    if (n === this.touchPages.length) this.growLog();
    this.touchPages[n] = (vpage << 3 | bit) >>> 0;
    this.touchTids[n] = tid;
    this.touchPcs[n] = pc;
    this.touchInstret[n] = this.machine!.cpu.instret;
    this.touchCount = ++n;
  }

  private growLog(): void {
    const size = this.touchPages.length * 2;
    const pages = new Uint32Array(size), tids = new Int32Array(size), pcs = new Uint32Array(size), at = new Float64Array(size);
    pages.set(this.touchPages);
    tids.set(this.touchTids);
    pcs.set(this.touchPcs);
    at.set(this.touchInstret);
    this.touchPages = pages;
    this.touchTids = tids;
    this.touchPcs = pcs;
    this.touchInstret = at;
  }

  /** The record of the current epoch, ending at `end`. */
  private record(end: number): EpochRecord {
    const read: number[] = [], written: number[] = [], executed: number[] = [], idle: number[] = [];
    const kinds = this.kinds;
    if (kinds !== null) {
      const pages = Array.from(this.list!.subarray(0, this.count)).sort((a, b) => a - b);
      for (const vpage of pages) {
        const k = kinds[vpage]!;
        if ((k & AccessBits.Read) !== 0) read.push(vpage * PAGE_SIZE);
        if ((k & AccessBits.Write) !== 0) written.push(vpage * PAGE_SIZE);
        if ((k & AccessBits.Execute) !== 0) executed.push(vpage * PAGE_SIZE);
      }
      const last = this.lastEpoch!, ever = this.ever!;
      const cutoff = this.epochNumber + 1 - this.idleEpochs; // touched at or before epoch `cutoff - 1`
      const as = this.space;
      for (let k = 0; k < this.everCount; k++) {
        const vpage = ever[k]!;
        if (last[vpage]! <= cutoff && (as === null || walkRegions(as.root, vpage * PAGE_SIZE, this.walk))) idle.push(vpage * PAGE_SIZE);
      }
      idle.sort((a, b) => a - b);
    }
    const touches: FirstTouch[] = [];
    for (let n = 0; n < this.touchCount; n++) {
      const packed = this.touchPages[n]!;
      touches.push({ page: (packed >>> 3) * PAGE_SIZE, kind: kindName(packed & 7), tid: this.touchTids[n]!, pc: this.touchPcs[n]!, instret: this.touchInstret[n]! });
    }
    return {
      epoch: this.epochNumber,
      startInstret: this.epochStart,
      endInstret: end,
      read,
      written,
      executed,
      workingSet: this.count,
      idle,
      idleEpochs: this.idleEpochs,
      faults: this.epochFaults,
      touches,
    };
  }
}
