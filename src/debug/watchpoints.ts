/**
 * Watchpoints on the MMU and the fault chain (docs/design.md §15): the
 * debugger's own protection layer revokes read and/or write on the pages
 * that hold a watched range, and a handler at the head of the chain takes
 * the protection faults that layer causes.
 *
 *   access to a watched page ─► fault ─► this handler
 *        not ours (layer allows it, not a protection fault) ─► Continue
 *        ours: lift the layer for that page; if the guest's mprotect or the
 *        structure still forbids it ─► put it back, Continue (the guest's
 *        handlers see the fault exactly as without the watchpoint)
 *        an access that overlaps a watched range [start, start + length)
 *        is a hit: the run stops before the instruction (Fixed, nothing
 *        retired), as a RISC-V trigger does; GDB steps over it
 *        else ─► Fixed, and the run stops after this one instruction
 *                (the layer is re-armed then)
 *
 * Only its own restriction is lifted, as the dirty log and write tracking
 * do, so the plugins and guest handlers see every fault they would see
 * without it. No single-stepping: pages without watches run at full speed.
 */

import { Access } from '../fault/cause.js';
import type { Fault } from '../fault/fault.js';
import { FaultStatus } from '../fault/status.js';
import type { Machine } from '../machine/machine.js';
import type { ProtectionLayer } from '../memory/protection-layer.js';
import { ALL_RIGHTS, PAGE_SHIFT, PAGE_SIZE, Prot } from '../memory/page.js';

/**
 * GDB's watchpoint kinds, numbered as in `Z2`/`Z3`/`Z4`.
 *
 * @example
 * ```ts
 * watchpoints.add(WatchKind.Write, 0x20000, 4);
 * ```
 * @enum
 */
export const WatchKind = {
  /** `watch`: stop before a write. */
  Write: 2,
  /** `rwatch`: stop before a read. */
  Read: 3,
  /** `awatch`: stop before a read or a write. */
  Access: 4,
} as const;

/**
 * One of the {@link WatchKind} values.
 *
 * @example
 * ```ts
 * const kind: WatchKind = WatchKind.Access;
 * ```
 */
export type WatchKind = (typeof WatchKind)[keyof typeof WatchKind];

/**
 * One watched range, as {@link Watchpoints.list} gives it.
 *
 * @example
 * ```ts
 * const range: WatchedRange = { kind: WatchKind.Write, start: 0x20000, end: 0x20004 };
 * ```
 */
export interface WatchedRange {
  /** What it stops for. */
  readonly kind: WatchKind;
  /** First byte. */
  readonly start: number;
  /** The byte after the last. */
  readonly end: number;
}

type Watch = WatchedRange;

/**
 * A hit: what the stop reply reports (`watch:`, `rwatch:` or `awatch:`
 * with the address).
 *
 * @example
 * ```ts
 * const hit: WatchHit = { kind: WatchKind.Write, address: 0x20000 };
 * ```
 */
export interface WatchHit {
  /** The kind of the watch that was hit. */
  readonly kind: WatchKind;
  /** The accessed address inside the watched range. */
  readonly address: number;
}

/**
 * The watchpoints of one machine. Install with {@link Watchpoints.install}
 * (a handler at the head of the chain and a protection layer named
 * `gdb-watchpoints`); the debugger calls {@link Watchpoints.rearm} after
 * every run and reads {@link Watchpoints.hit}.
 *
 * @example
 * ```ts
 * const w = new Watchpoints();
 * w.install(machine);
 * w.add(WatchKind.Write, 0x20000, 4);
 * machine.run();
 * w.rearm();
 * if (w.hit !== null) console.log('written at', w.hit.address);
 * ```
 */
export class Watchpoints {
  private readonly watches: Watch[] = [];
  private machine: Machine | null = null;
  private layer: ProtectionLayer | null = null;
  private undo: (() => void) | null = null;
  /** Pages whose restriction is lifted until the run stops. */
  private readonly lifted: number[] = [];
  /** The hit of the last run, or null; cleared by {@link clearHit}. */
  hit: WatchHit | null = null;
  /**
   * The `instret` the debugger resumed at: an access there is not a hit
   * (the stop before it was reported already), so resuming goes past it.
   */
  resumeInstret = -1;
  /** Faults this plugin answered (for `monitor faults`). */
  faultCount = 0;

  /**
   * Creates the layer and registers the handler at the head of `machine`'s
   * chain (a later install on another machine moves them).
   *
   * @param machine - the machine to watch
   */
  install(machine: Machine): void {
    this.uninstall();
    const layer = machine.addressSpace.createProtectionLayer('gdb-watchpoints');
    const off = machine.registerFaultHandler((fault) => this.onFault(fault), { name: 'gdb-watchpoints' });
    this.machine = machine;
    this.layer = layer;
    this.undo = () => { off(); machine.addressSpace.removeProtectionLayer(layer); };
    for (const w of this.watches) this.protectRange(w.start, w.end);
  }

  /** Removes the handler and the layer (the list of watches stays). */
  uninstall(): void {
    if (this.undo !== null) this.undo();
    this.undo = null;
    this.machine = null;
    this.layer = null;
    this.lifted.length = 0;
  }

  /** Number of watches. */
  get size(): number {
    return this.watches.length;
  }

  /**
   * Watches `[address, address + length)` for `kind`. Returns false for an
   * empty or wrapping range.
   *
   * @param kind - write, read or access
   * @param address - first byte
   * @param length - bytes (at least 1)
   */
  add(kind: WatchKind, address: number, length: number): boolean {
    const start = address >>> 0, end = start + length;
    if (length < 1 || end > 2 ** 32) return false;
    this.watches.push({ kind, start, end });
    this.protectRange(start, end);
    return true;
  }

  /**
   * Stops watching a range given to {@link add} with the same arguments;
   * returns whether it was there.
   *
   * @param kind - as given to add
   * @param address - as given to add
   * @param length - as given to add
   */
  remove(kind: WatchKind, address: number, length: number): boolean {
    const start = address >>> 0;
    const k = this.watches.findIndex((w) => w.kind === kind && w.start === start && w.end === start + length);
    if (k < 0) return false;
    this.watches.splice(k, 1);
    this.refreshPages(start, start + length);
    return true;
  }

  /** The watched ranges, in the order they were added. */
  list(): readonly WatchedRange[] {
    return this.watches.slice();
  }

  /** Forgets the last hit. */
  clearHit(): void {
    this.hit = null;
  }

  /** Restores the layer on pages lifted during the run that just stopped. */
  rearm(): void {
    const layer = this.layer;
    for (const vpage of this.lifted) if (layer !== null) layer.protect(vpage * PAGE_SIZE, PAGE_SIZE, this.pageProt(vpage));
    this.lifted.length = 0;
  }

  /** The rights the layer leaves on `vpage`: minus write and/or read where watches are. */
  private pageProt(vpage: number): number {
    const lo = vpage * PAGE_SIZE, hi = lo + PAGE_SIZE;
    let prot: number = ALL_RIGHTS;
    for (const w of this.watches) {
      if (w.end <= lo || w.start >= hi) continue;
      if (w.kind !== WatchKind.Read) prot &= ~Prot.Write;
      if (w.kind !== WatchKind.Write) prot &= ~Prot.Read;
    }
    return prot;
  }

  private protectRange(start: number, end: number): void {
    this.refreshPages(start, end);
  }

  private refreshPages(start: number, end: number): void {
    const layer = this.layer;
    if (layer === null) return;
    for (let p = start >>> PAGE_SHIFT; p <= (end - 1) >>> PAGE_SHIFT; p++) {
      if (!this.lifted.includes(p)) layer.protect(p * PAGE_SIZE, PAGE_SIZE, this.pageProt(p));
    }
  }

  /** The fault path (see the file comment). */
  private onFault(fault: Fault): FaultStatus {
    if (!fault.protection || fault.access === Access.Execute) return FaultStatus.Continue;
    const layer = this.layer!, machine = this.machine!;
    const vaddr = fault.address >>> 0;
    const need = fault.access === Access.Write ? Prot.Write : Prot.Read;
    if ((layer.get(vaddr) & need) !== 0) return FaultStatus.Continue; // not ours
    const vpage = vaddr >>> PAGE_SHIFT;
    const loop = machine.runLoop, cpu = machine.cpu;
    if (this.hit === null && cpu.instret !== this.resumeInstret) {
      const size = fault.size > 0 ? fault.size : 1;
      for (const w of this.watches) {
        if (vaddr >= w.end || vaddr + size <= w.start) continue;
        if (w.kind === WatchKind.Access || (w.kind === WatchKind.Write) === (fault.access === Access.Write)) {
          // A hit stops the run before the access, as RISC-V's triggers do
          // (GDB steps over it with the watchpoints removed).
          this.hit = { kind: w.kind, address: Math.max(vaddr, w.start) };
          this.faultCount++;
          const now = cpu.instret + loop.handlerInstructions;
          if (loop.stopAt > now) loop.stopAt = now;
          return FaultStatus.Fixed;
        }
      }
    }
    layer.protect(vpage * PAGE_SIZE, PAGE_SIZE, ALL_RIGHTS);
    if (!this.resolvable(vaddr, need)) {
      layer.protect(vpage * PAGE_SIZE, PAGE_SIZE, this.pageProt(vpage));
      return FaultStatus.Continue;
    }
    this.lifted.push(vpage);
    this.faultCount++;
    // Not a hit (elsewhere on the page, or the access a stop was reported
    // before): stop once this instruction retired, to put the layer back.
    const next = cpu.instret + 1 + loop.handlerInstructions;
    if (loop.stopAt > next) loop.stopAt = next;
    return FaultStatus.Fixed;
  }

  /**
   * With this layer lifted at `vaddr`: is the access allowed, or denied
   * only by other plugins' layers (which resolve their own faults)? False
   * when the guest's mprotect or the mapping itself denies it.
   */
  private resolvable(vaddr: number, need: number): boolean {
    const as = this.machine!.addressSpace;
    const effective = as.effectiveProt(vaddr);
    if (effective < 0) return false;
    if ((effective & need) !== 0) return true;
    if ((as.guestProtection.get(vaddr) & need) === 0) return false;
    let others: number = ALL_RIGHTS;
    for (const l of as.protectionLayers) if (l !== this.layer && l !== as.guestProtection) others &= l.get(vaddr);
    return (others & need) === 0;
  }
}
