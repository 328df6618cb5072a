/**
 * Dirty logging, mprotect-style (docs/design.md §1, §5): write-protect memory, take
 * the first write to each page as a fault, record the page, let writes
 * through again. Built on the public API only, as a user's plugin would be.
 *
 * How the protection is laid out:
 *
 *   own protection layer, per virtual page (2^20 pages):
 *
 *     R|X  clean: the next write faults             (every page at start,
 *                                                    mapped or not)
 *     RWX  dirty since the last collect()           (in the dirty list)
 *     RWX  excluded: the [stack], unless includeStack
 *
 * Every page of the 4 GiB address space starts write-protected in the
 * layer, mapped or not, so memory the guest maps later (mmap, brk) or the
 * host attaches later is logged with no hook at all: a write can only get
 * through the layer on a page that is already in the dirty list, and only
 * collect() takes pages out of the list, re-protecting them as it does.
 * The only pages the layer leaves open without logging are those of the
 * `[stack]` regions (unless `includeStack`); they are re-read after every
 * `mmap`/`munmap` system call and at every collect(), so a mapping that
 * replaces part of the stack is protected before the guest runs again.
 *
 * The layer is ANDed with the guest's own `mprotect` layer, so a page the
 * guest made read-only stays read-only: a write fault there is not ours
 * (see `_internals/write-rights.ts`) and goes on down the chain.
 */

import {
  ALL_RIGHTS,
  Access,
  FaultStatus,
  PAGE_SHIFT,
  PAGE_SIZE,
  Prot,
  Syscall,
  UsageError,
  type AddressSpace,
  type Fault,
  type FaultHandler,
  type Machine,
  type Plugin,
  type ProtectionLayer,
} from '../src/index.js';
import { RegionName, joinRestores } from '../src/plugin-kit.js';
import { writeResolvable } from './_internals/write-rights.js';

/** Virtual pages in the 32-bit address space. */
const VPAGE_COUNT = 2 ** (32 - PAGE_SHIFT);
/** Bytes in the 32-bit address space. */
const ADDRESS_SPACE_SIZE = 2 ** 32;
/** The layer's value for a clean page: writes fault. */
const CLEAN = Prot.Read | Prot.Exec;
/** The layer's value for a dirty or excluded page: no restriction. */
const OPEN = ALL_RIGHTS;

/**
 * Options of {@link dirtyLog}.
 *
 * @example
 * ```ts
 * const options: DirtyLogOptions = { name: 'epoch-log', includeStack: true };
 * machine.use(dirtyLog(options));
 * ```
 */
export interface DirtyLogOptions {
  /**
   * Log the `[stack]` too (default false: like Linux's soft-dirty users,
   * the stack is left writable and never reported). Leave it false when
   * the guest registers its own fault handlers: their frames are built on
   * the stack, and a write-protected stack page there is fatal (docs/design.md §2).
   * The stack is found by its region name in the root map when the log is
   * installed, after each `mmap`/`munmap` and at each collect: install the
   * log after `machine.load`, or the stack is logged until the first of
   * those.
   */
  readonly includeStack?: boolean;
  /** Name of the plugin and of its fault handler in the chain (default `'dirty-log'`). */
  readonly name?: string;
  /** Register the handler at the tail of the chain instead of the head (default false). */
  readonly tail?: boolean;
}

/**
 * A dirty-logging plugin: install with `machine.use(log)`, read the pages
 * written since the previous call with {@link DirtyLog.collect}.
 *
 * What counts as a write: guest stores of every width (misaligned ones that
 * cross a page count for both pages), AMOs, a successful `sc.w`, and
 * system calls that write guest memory (they fault through the chain like
 * guest stores, docs/design.md §3). Host writes through `addressSpace.writeBytes`
 * or `Dataspace.write` raise no fault; report them with
 * {@link DirtyLog.markDirty}. Pages are virtual pages: a dataspace mapped
 * twice is logged at the address written through.
 *
 * @example
 * ```ts
 * const log: DirtyLog = dirtyLog();
 * machine.use(log);
 * while (machine.run({ maxInstructions: 1_000_000 }).kind === 'limit') {
 *   console.log(`${log.dirtyCount} pages written in this slice`);
 *   log.collect();   // and start the next epoch
 * }
 * ```
 */
export interface DirtyLog extends Plugin {
  /**
   * Returns the addresses of the pages written since the previous collect
   * (or since install), sorted ascending, each a multiple of 4096 as an
   * unsigned 32-bit number, in a new `Uint32Array` the caller owns; then
   * clears the set and write-protects those pages again, so their next
   * write is logged anew. A page may have been unmapped since it was
   * written (check `addressSpace.effectiveProt(addr) >= 0` before reading
   * it). Cost: O(d log d) for d dirty pages, independent of memory size.
   * After uninstall it still returns (and clears) what was logged before,
   * protecting nothing.
   *
   * @example
   * ```ts
   * const log = dirtyLog();
   * machine.use(log);
   * machine.run({ maxInstructions: 1_000_000 });
   * for (const page of log.collect()) save(page, machine.addressSpace.readBytes(page, 4096));
   * ```
   */
  collect(): Uint32Array;
  /**
   * True when the page holding `vaddr` is in the dirty set (written since
   * the last collect).
   *
   * @param vaddr - any address inside the page
   * @example
   * ```ts
   * if (log.isDirty(0x20000)) console.log('written');
   * ```
   */
  isDirty(vaddr: number): boolean;
  /**
   * Adds the pages of `[vaddr, vaddr + length)` to the dirty set and lets
   * writes to them through until the next collect — for writes the host
   * makes behind the guest's back (`writeBytes`, a restore). Length 0 marks
   * nothing.
   *
   * @param vaddr - first byte written (any alignment)
   * @param length - bytes written
   * @throws UsageError when the range is not inside the 32-bit address space.
   * @example
   * ```ts
   * machine.addressSpace.writeBytes(buffer, bytes);
   * log.markDirty(buffer, bytes.length);
   * ```
   */
  markDirty(vaddr: number, length: number): void;
  /**
   * Number of pages in the dirty set now.
   *
   * @example
   * ```ts
   * console.log(`${log.dirtyCount} pages to save`);
   * ```
   */
  readonly dirtyCount: number;
  /**
   * Write faults this log resolved since it was made (one per page per
   * collect interval, at most).
   *
   * @example
   * ```ts
   * console.log(`${log.faults} first writes`);
   * ```
   */
  readonly faults: number;
  /**
   * True while installed in a machine.
   *
   * @example
   * ```ts
   * if (!log.installed) machine.use(log);
   * ```
   */
  readonly installed: boolean;
  /**
   * The dirty set as bytes (virtual page numbers, 32-bit little endian),
   * so that a log given to `checkpoint({ contributors: [log] })` and to
   * `restoreCheckpoint(..., { contributors: [log] })` carries its set
   * across a checkpoint and restore.
   *
   * @example
   * ```ts
   * const saved = log.saveState();
   * ```
   */
  saveState(): Uint8Array;
  /**
   * Replaces the dirty set by one {@link saveState} made; the pages in it
   * let writes through until the next collect.
   *
   * @param state - bytes from saveState
   * @throws UsageError when `state` is not a whole number of page numbers.
   * @example
   * ```ts
   * log.restoreState(saved);
   * ```
   */
  restoreState(state: Uint8Array): void;
}

/**
 * Makes a dirty-logging plugin (docs/design.md §5). `install` write-protects the
 * whole address space in a protection layer of its own (the `[stack]`
 * excepted unless `includeStack`) and registers a fault handler, at the
 * head of the chain unless `tail`. The handler takes a write fault whose
 * page its layer protects, lifts the protection for that page and, when
 * nothing but other plugins' layers still denies the write, records the
 * page and answers `Fixed`; the retried write fills the TLB, so the page's
 * further writes run at full speed. When the guest's `mprotect`, a
 * read-only region or a sealed dataspace denies the write, it restores its
 * protection and answers `Continue`: the guest's intent is kept, and the
 * fault reaches the other handlers. O(1) and allocation-free per fault.
 *
 * Composes: with write tracking and with other dirty logs in any chain
 * order (each lifts only its own restriction and leaves the others to
 * their owners); with demand paging (a write to a not-yet-attached page
 * faults "not mapped" first, which this log passes on; the retried write
 * then faults here); checkpointing builds incremental images on
 * {@link DirtyLog.collect}. A plugin in front of it that answers `Fixed`
 * for every write fault hides the faults from it — keep it at the head.
 *
 * One log is installed in one machine at a time; uninstalling removes its
 * layer and handler (nothing stays protected) and keeps the dirty set.
 * Allocates 5 MiB of tables (a flag and a list slot per virtual page) at
 * the first install.
 *
 * @param options - stack inclusion, name, chain position
 * @throws UsageError from `install` when the log is installed already.
 * @example
 * ```ts
 * import { Machine, assemble } from 'faultline';
 * import { dirtyLog } from 'faultline/handlers';
 *
 * const machine = new Machine();
 * machine.load(assemble(source));
 * const log = dirtyLog();
 * const off = machine.use(log);
 * machine.run({ maxInstructions: 100_000 });
 * console.log([...log.collect()].map((a) => a.toString(16)));  // pages written so far
 * off();
 * ```
 */
export function dirtyLog(options: DirtyLogOptions = {}): DirtyLog {
  return new DirtyLogPlugin(options.name ?? 'dirty-log', options.includeStack ?? false, options.tail ?? false);
}

/**
 * The plugin behind {@link dirtyLog}. A class, so that every log shares
 * one copy of the fault path's optimized code: a fresh log is at full
 * speed from its first fault.
 */
class DirtyLogPlugin implements DirtyLog {
  private machine: Machine | null = null;
  private space: AddressSpace | null = null;
  private layer: ProtectionLayer | null = null;
  /** 1 where the virtual page is in the dirty set. */
  private flags: Uint8Array | null = null;
  /** Virtual page numbers of the dirty set, unordered, `count` of them. */
  private list: Uint32Array | null = null;
  private count = 0;
  private faultCount = 0;
  /** Virtual page ranges [lo, hi) left open as `[stack]`, flattened. */
  private stack: number[] = [];
  /** The chain handler: a distinct function per log (the chain refuses duplicates). */
  private readonly handler: FaultHandler = (fault: Fault) => this.onFault(fault);
  private readonly onSyscall = (nr: number): void => {
    if (nr === Syscall.Mmap || nr === Syscall.Munmap) this.refreshStack();
  };

  constructor(
    readonly name: string,
    private readonly includeStack: boolean,
    private readonly tail: boolean,
  ) {}

  get dirtyCount(): number {
    return this.count;
  }

  get faults(): number {
    return this.faultCount;
  }

  get installed(): boolean {
    return this.machine !== null;
  }

  install(target: Machine): () => void {
    if (this.machine !== null) throw new UsageError(`${this.name}: install: already installed in a machine`);
    this.allocate();
    const as = target.addressSpace;
    const own = as.createProtectionLayer(this.name);
    let unregister: (() => boolean) | null = null;
    let leave: (() => void) | null = null;
    try {
      this.machine = target;
      this.space = as;
      this.layer = own;
      this.stack = [];
      own.protect(0, ADDRESS_SPACE_SIZE, CLEAN);
      // Pages already in the dirty set (from a previous install) stay open.
      for (let k = 0; k < this.count; k++) own.protect(this.list![k]! * PAGE_SIZE, PAGE_SIZE, OPEN);
      this.refreshStack();
      unregister = target.registerFaultHandler(this.handler, { tail: this.tail, name: this.name });
      target.events.on('syscall', this.onSyscall);
      // A restore into this machine rebuilds the stack: open it again.
      leave = joinRestores(target, { name: this.name, afterRestore: () => { if (this.layer !== null) this.refreshStack(); } });
    } catch (err) {
      leave?.();
      target.events.off('syscall', this.onSyscall);
      if (unregister !== null) unregister();
      as.removeProtectionLayer(own);
      this.machine = this.space = this.layer = null;
      throw err;
    }
    const off = unregister, left = leave;
    return () => {
      left();
      target.events.off('syscall', this.onSyscall);
      off();
      as.removeProtectionLayer(own);
      this.machine = this.space = this.layer = null;
      this.stack = [];
    };
  }

  collect(): Uint32Array {
    if (this.list === null) return new Uint32Array(0);
    const pages = this.list.slice(0, this.count).sort();
    this.count = 0;
    const own = this.layer;
    if (own !== null) this.refreshStack();
    const flags = this.flags!;
    for (let k = 0; k < pages.length; k++) {
      const vpage = pages[k]!;
      flags[vpage] = 0;
      const page = vpage * PAGE_SIZE;
      if (own !== null && !this.inStack(vpage)) own.protect(page, PAGE_SIZE, CLEAN);
      pages[k] = page;
    }
    return pages;
  }

  saveState(): Uint8Array {
    const out = new Uint8Array(this.count * 4);
    const view = new DataView(out.buffer);
    for (let k = 0; k < this.count; k++) view.setUint32(k * 4, this.list![k]!, true);
    return out;
  }

  restoreState(state: Uint8Array): void {
    if (!(state instanceof Uint8Array) || state.length % 4 !== 0) {
      throw new UsageError(`${this.name}: restoreState: expected a whole number of 32-bit page numbers, got ${state instanceof Uint8Array ? `${state.length} bytes` : typeof state}`);
    }
    const view = new DataView(state.buffer, state.byteOffset, state.length);
    for (let k = 0; k < state.length; k += 4) {
      if (view.getUint32(k, true) >= VPAGE_COUNT) throw new UsageError(`${this.name}: restoreState: page number ${view.getUint32(k, true)} is past 2^32`);
    }
    this.collect();
    for (let k = 0; k < state.length; k += 4) this.markDirty(view.getUint32(k, true) * PAGE_SIZE, 1);
  }

  isDirty(vaddr: number): boolean {
    return this.flags !== null && this.flags[(vaddr >>> 0) >>> PAGE_SHIFT] === 1;
  }

  markDirty(vaddr: number, length: number): void {
    if (!Number.isInteger(vaddr) || vaddr < 0 || !Number.isInteger(length) || length < 0 || vaddr + length > ADDRESS_SPACE_SIZE) {
      throw new UsageError(`${this.name}: markDirty: range ${String(vaddr)} + ${String(length)} is outside the 32-bit address space`);
    }
    if (length === 0) return;
    this.allocate();
    const last = Math.floor((vaddr + length - 1) / PAGE_SIZE);
    for (let p = Math.floor(vaddr / PAGE_SIZE); p <= last; p++) {
      this.record(p);
      if (this.layer !== null) this.layer.protect(p * PAGE_SIZE, PAGE_SIZE, OPEN);
    }
  }

  /**
   * The fault path (see {@link dirtyLog}): a write fault on a page this
   * log protects. O(1), no allocation.
   */
  private onFault(fault: Fault): FaultStatus {
    if (fault.access !== Access.Write || !fault.protection) return FaultStatus.Continue;
    const own = this.layer!;
    const vaddr = fault.address >>> 0;
    if ((own.get(vaddr) & Prot.Write) !== 0) return FaultStatus.Continue; // not ours
    const vpage = vaddr >>> PAGE_SHIFT;
    const page = vpage * PAGE_SIZE;
    own.protect(page, PAGE_SIZE, OPEN);
    if (!writeResolvable(this.space!, vaddr, own)) {
      own.protect(page, PAGE_SIZE, CLEAN);
      return FaultStatus.Continue;
    }
    this.record(vpage);
    this.faultCount++;
    // The retried store then hits the write TLB (in the wasm tier, no second call out of WebAssembly).
    this.space!.prefill(vaddr, Access.Write);
    return FaultStatus.Fixed;
  }

  /** Adds virtual page `vpage` to the dirty set. No allocation. */
  private record(vpage: number): void {
    const flags = this.flags!;
    if (flags[vpage] === 0) {
      flags[vpage] = 1;
      this.list![this.count++] = vpage;
    }
  }

  /** The tables, made at first use. */
  private allocate(): void {
    if (this.flags !== null) return;
    this.flags = new Uint8Array(VPAGE_COUNT);
    this.list = new Uint32Array(VPAGE_COUNT);
  }

  private inStack(vpage: number): boolean {
    const stack = this.stack;
    for (let i = 0; i < stack.length; i += 2) if (vpage >= stack[i]! && vpage < stack[i + 1]!) return true;
    return false;
  }

  /**
   * Re-reads the `[stack]` regions of the root map: pages that left the
   * stack and are not dirty are protected again, pages of the stack are
   * opened. O(regions + stack pages); called at install, after
   * mmap/munmap and at collect.
   */
  private refreshStack(): void {
    if (this.includeStack) return;
    const as = this.space!, own = this.layer!, flags = this.flags!;
    const next: number[] = [];
    for (const r of as.root.regions()) {
      if (r.name === RegionName.Stack) next.push(r.at / PAGE_SIZE, (r.at + r.size) / PAGE_SIZE);
    }
    const old = this.stack;
    this.stack = next;
    for (let i = 0; i < old.length; i += 2) {
      for (let p = old[i]!; p < old[i + 1]!; p++) {
        if (flags[p] === 0 && !this.inStack(p)) own.protect(p * PAGE_SIZE, PAGE_SIZE, CLEAN);
      }
    }
    for (let i = 0; i < next.length; i += 2) {
      own.protect(next[i]! * PAGE_SIZE, (next[i + 1]! - next[i]!) * PAGE_SIZE, OPEN);
    }
  }
}
