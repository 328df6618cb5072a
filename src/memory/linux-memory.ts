/**
 * The Linux-flavoured memory calls of an address space: mmap, munmap,
 * mprotect, brk. Guest errors are negative errno values, never exceptions.
 *
 * Every mapping made here is "owned anonymous memory": a dataspace created
 * for it, attached rwx at region level, with the guest's protection in the
 * guest protection layer. When munmap removes part of it, those pages are
 * retired (their quota comes back); when nothing of it stays attached, it
 * is destroyed.
 */

import { QuotaExceededError, UsageError, hex32 } from '../errors.js';
import { Errno } from '../syscalls/errno.js';
import type { AddressSpace } from './address-space.js';
import { Dataspace } from './dataspace.js';
import { MMAP_BASE, MMAP_MIN_ADDR, MapFlags } from './mman.js';
import { ALL_RIGHTS, PAGE_MASK, PAGE_SIZE, Prot, pageRoundUp } from './page.js';

/** End of the 32-bit address space. */
const TOP = 2 ** 32;

/**
 * Options of {@link AddressSpace.mapAnonymous}.
 *
 * @example
 * ```ts
 * machine.addressSpace.mapAnonymous(0x2000_0000, 0x4000, { prot: Prot.Read | Prot.Write, name: 'scratch' });
 * ```
 */
export interface MapAnonymousOptions {
  /** Guest protection of the new pages (Prot bits). */
  prot: number;
  /** Name in `maps()`, such as the program's file name or `[stack]`. */
  name?: string;
  /** Show as shared (`s`) in `maps()`. Default false. */
  shared?: boolean;
}

/**
 * The bookkeeping of the Linux-flavoured calls that is not visible in the
 * region maps: the heap break and the top of the mmap search range. Read
 * and restored by checkpointing ({@link AddressSpace.linuxState}).
 *
 * @example
 * ```ts
 * const state: LinuxMemoryState = machine.addressSpace.linuxState();
 * ```
 */
export interface LinuxMemoryState {
  /** Start of the heap. */
  readonly brkBase: number;
  /** Current program break. */
  readonly currentBrk: number;
  /** True once the loader set the heap start (brk fails before that). */
  readonly brkSet: boolean;
  /** Upper end of the range `mmap` searches without a fixed address. */
  readonly mmapTop: number;
}

/**
 * State and logic of the Linux-flavoured calls of one address space.
 *
 * @internal Reached through {@link AddressSpace}'s methods.
 */
export class LinuxMemory {
  brkBase = 0;
  currentBrk = 0;
  private brkSet = false;
  private mmapTop = TOP;
  private readonly owned = new Set<Dataspace>();

  constructor(private readonly space: AddressSpace) {}

  mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number {
    addr >>>= 0;
    length >>>= 0;
    prot >>>= 0;
    flags >>>= 0;
    fd |= 0;
    offset >>>= 0;
    if (length === 0) return -Errno.EINVAL;
    const type = flags & (MapFlags.Shared | MapFlags.Private);
    if (type === 0 || type === (MapFlags.Shared | MapFlags.Private)) return -Errno.EINVAL;
    if ((prot & ~ALL_RIGHTS) !== 0) return -Errno.EINVAL;
    if ((offset & PAGE_MASK) !== 0) return -Errno.EINVAL;
    if ((flags & MapFlags.Anonymous) === 0) return -Errno.EBADF;
    const size = pageRoundUp(length);
    const root = this.space.root;
    const fixed = (flags & (MapFlags.Fixed | MapFlags.FixedNoReplace)) !== 0;
    let at: number;
    if (fixed) {
      if ((addr & PAGE_MASK) !== 0) return -Errno.EINVAL;
      if (addr + size > TOP) return -Errno.ENOMEM;
      if ((flags & MapFlags.FixedNoReplace) !== 0 && !root.isFree(addr, size)) return -Errno.EEXIST;
      at = addr;
    } else {
      at = this.place(addr, size);
      if (at < 0) return -Errno.ENOMEM;
    }
    const ds = this.tryCreate(size, '', type === MapFlags.Shared);
    if (ds === null) return -Errno.ENOMEM;
    if (fixed) this.unmap(at, size);
    this.attachOwned(ds, at, prot, undefined);
    return at;
  }

  munmap(addr: number, length: number): number {
    addr >>>= 0;
    length >>>= 0;
    if ((addr & PAGE_MASK) !== 0 || length === 0) return -Errno.EINVAL;
    const size = pageRoundUp(length);
    if (addr + size > TOP) return -Errno.EINVAL;
    this.unmap(addr, size);
    return 0;
  }

  mprotect(addr: number, length: number, prot: number): number {
    addr >>>= 0;
    length >>>= 0;
    prot >>>= 0;
    if ((addr & PAGE_MASK) !== 0) return -Errno.EINVAL;
    if ((prot & ~ALL_RIGHTS) !== 0) return -Errno.EINVAL;
    if (length === 0) return 0;
    const size = pageRoundUp(length);
    if (addr + size > TOP) return -Errno.ENOMEM;
    if (!this.space.root.isFullyMapped(addr, size)) return -Errno.ENOMEM;
    this.space.guestProtection.protect(addr, size, prot);
    return 0;
  }

  brk(addr: number): number {
    addr >>>= 0;
    if (!this.brkSet || addr < this.brkBase) return this.currentBrk;
    const oldEnd = pageRoundUp(this.currentBrk);
    const newEnd = pageRoundUp(addr);
    if (newEnd > oldEnd) {
      const size = newEnd - oldEnd;
      if (!this.space.root.isFree(oldEnd, size)) return this.currentBrk;
      const ds = this.tryCreate(size, '[heap]', false);
      if (ds === null) return this.currentBrk;
      this.attachOwned(ds, oldEnd, Prot.Read | Prot.Write, '[heap]');
    } else if (newEnd < oldEnd) {
      this.unmap(newEnd, oldEnd - newEnd);
    }
    this.currentBrk = addr;
    return addr;
  }

  setBrkBase(addr: number): void {
    checkPageAddress('setBrkBase', addr);
    this.brkBase = addr;
    this.currentBrk = addr;
    this.brkSet = true;
  }

  setMmapTop(addr: number): void {
    checkPageAddress('setMmapTop', addr);
    this.mmapTop = addr;
  }

  state(): LinuxMemoryState {
    return { brkBase: this.brkBase, currentBrk: this.currentBrk, brkSet: this.brkSet, mmapTop: this.mmapTop };
  }

  restoreState(state: LinuxMemoryState): void {
    checkPageAddress('restoreLinuxState', state.brkBase);
    checkPageAddress('restoreLinuxState', state.mmapTop);
    if (!Number.isInteger(state.currentBrk) || state.currentBrk < state.brkBase || state.currentBrk >= TOP) {
      throw new UsageError(`restoreLinuxState: break ${String(state.currentBrk)} is below the heap start ${hex32(state.brkBase)} or past 2^32`);
    }
    this.brkBase = state.brkBase;
    this.currentBrk = state.currentBrk;
    this.brkSet = state.brkSet;
    this.mmapTop = state.mmapTop;
  }

  isOwned(ds: Dataspace): boolean {
    return this.owned.has(ds);
  }

  adopt(ds: Dataspace): void {
    if (ds.isDestroyed || ds.memory !== this.space.memory) {
      throw new UsageError(`adoptAnonymous: dataspace "${ds.name}" is destroyed or belongs to another physical memory`);
    }
    if (!ds.attachments.some((r) => r.map === this.space.root)) {
      throw new UsageError(`adoptAnonymous: dataspace "${ds.name}" is not attached in the root region map`);
    }
    this.owned.add(ds);
  }

  mapAnonymous(at: number, size: number, options: MapAnonymousOptions): Dataspace {
    checkPageAddress('mapAnonymous', at);
    if (!Number.isInteger(size) || size <= 0 || (size & PAGE_MASK) !== 0 || at + size > TOP) {
      throw new UsageError(`mapAnonymous: size must be a positive multiple of ${PAGE_SIZE} within 2^32, got ${String(size)}`);
    }
    if ((options.prot & ~ALL_RIGHTS) !== 0) {
      throw new UsageError(`mapAnonymous: unknown protection bits ${String(options.prot)}`);
    }
    if (!this.space.root.isFree(at, size)) {
      throw new UsageError(`mapAnonymous: range ${hex32(at)}..${hex32(at + size - 1)} overlaps a mapping`);
    }
    const ds = new Dataspace(this.space.memory, size, { name: options.name ?? '', shared: options.shared ?? false });
    this.attachOwned(ds, at, options.prot, options.name);
    return ds;
  }

  /** Where a non-fixed mapping of `size` bytes goes: the hint if free, else first fit; -1 if none. */
  private place(hint: number, size: number): number {
    const root = this.space.root;
    if (hint !== 0) {
      const h = pageRoundUp(hint);
      if (h >= MMAP_MIN_ADDR && h + size <= TOP && root.isFree(h, size)) return h;
    }
    if (this.mmapTop > MMAP_BASE) {
      const at = root.findFree(size, MMAP_BASE, this.mmapTop);
      if (at >= 0) return at;
    }
    return root.findFree(size, MMAP_MIN_ADDR, Math.min(MMAP_BASE, this.mmapTop));
  }

  /** A new owned dataspace, or null when the quota cannot cover it. */
  private tryCreate(size: number, name: string, shared: boolean): Dataspace | null {
    try {
      return new Dataspace(this.space.memory, size, { name, shared });
    } catch (err) {
      if (err instanceof QuotaExceededError) return null;
      throw err;
    }
  }

  private attachOwned(ds: Dataspace, at: number, prot: number, name: string | undefined): void {
    this.space.root.attach(ds, { at, writable: true, executable: true, name });
    this.owned.add(ds);
    this.space.guestProtection.protect(at, ds.size, prot);
  }

  /**
   * Removes everything in [addr, addr+size) from the root map, retires the
   * owned pages that are no longer attached anywhere (destroying owned
   * dataspaces left with no attachment), and resets guest protection.
   */
  private unmap(addr: number, size: number): void {
    const pieces = this.space.root.unmapRange(addr, size);
    for (const piece of pieces) {
      const target = piece.target;
      if (target.isRegionMap || !this.owned.has(target)) continue;
      if (target.attachments.length === 0) {
        target.destroy();
        this.owned.delete(target);
        continue;
      }
      const first = piece.offset / PAGE_SIZE;
      const count = piece.size / PAGE_SIZE;
      // Retire runs of pages that no remaining region covers.
      let run = first;
      for (let p = first; p <= first + count; p++) {
        if (p === first + count || isPageAttached(target, p)) {
          if (p > run) target.retire(run, p - run);
          run = p + 1;
        }
      }
    }
    this.space.guestProtection.protect(addr, size, ALL_RIGHTS);
  }
}

/** True when some region of `ds` covers its page `page`. */
function isPageAttached(ds: Dataspace, page: number): boolean {
  const offset = page * PAGE_SIZE;
  for (const r of ds.attachments) if (offset >= r.offset && offset < r.offset + r.size) return true;
  return false;
}

function checkPageAddress(fn: string, addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > TOP || (addr & PAGE_MASK) !== 0) {
    throw new UsageError(`${fn}: address must be page aligned, got ${typeof addr === 'number' ? hex32(addr) : String(addr)}`);
  }
}
