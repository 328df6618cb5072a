/**
 * The Linux memory calls of one address space — mmap, munmap, mprotect,
 * brk — in the system-call layer, above the memory layer they drive.
 * Guest errors are negative errno values, never exceptions.
 *
 * Every mapping made here is "owned anonymous memory": a dataspace created
 * for it, attached rwx at region level, with the guest's protection in the
 * guest protection layer. When munmap removes part of it, those pages are
 * retired (their quota comes back); when nothing of it stays attached, it
 * is destroyed.
 *
 * Placement of `mmap` without a fixed address is first fit from
 * MMAP_BASE, with Linux's old free-area cache so that a run of mappings
 * does not search from the bottom every time:
 *
 *   MMAP_BASE        cacheHoleStart   cacheAt                     mmapTop
 *   |##|  |#####|##|        ...|#####|.........free.........|####|
 *   every gap below cacheAt is at most `cacheHole` bytes
 *
 * A request larger than `cacheHole` starts at the free stretch holding
 * `cacheAt`; a smaller one searches from MMAP_BASE again. Whatever frees
 * memory in the root (munmap, a detach by anyone) lowers `cacheAt` to it.
 */

import { QuotaExceededError, UsageError, hex32 } from '../errors.js';
import type { AddressSpace } from '../memory/address-space.js';
import { Dataspace } from '../memory/dataspace.js';
import { MMAP_BASE, MMAP_MIN_ADDR, MapFlags, RegionName } from '../memory/mman.js';
import { ALL_RIGHTS, PAGE_MASK, PAGE_SIZE, Prot, pageRoundUp } from '../memory/page.js';
import { Errno } from './errno.js';

/** End of the 32-bit address space. */
const TOP = 2 ** 32;

/**
 * Options of {@link LinuxMemory.mapAnonymous}.
 *
 * @example
 * ```ts
 * machine.linuxMemory.mapAnonymous(0x2000_0000, 0x4000, { prot: Prot.Read | Prot.Write, name: 'scratch' });
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
 * and restored by checkpointing (the plugin kit's `linuxMemoryState`).
 *
 * @example
 * ```ts
 * const state: LinuxMemoryState = { brkBase: 0x20000, currentBrk: 0x20000, brkSet: true, mmapTop: 0xbf80_0000 };
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
 * The Linux memory calls of one address space: `mmap`, `munmap`,
 * `mprotect`, `brk`, and the loader's `mapAnonymous`. A {@link Machine}
 * has one (`machine.linuxMemory`) that its system calls use; make one
 * yourself only to drive an {@link AddressSpace} without a machine.
 *
 * Every mapping made here is *owned anonymous memory*: a dataspace of its
 * own, attached rwx at region level, with the guest's protection in the
 * guest protection layer, so that `mprotect` and `munmap` work on it page
 * by page and `munmap` gives the quota back.
 *
 * @example
 * ```ts
 * const lm = machine.linuxMemory;
 * const addr = lm.mmap(0, 8192, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous, -1, 0);
 * machine.addressSpace.writeU32(addr, 42);
 * lm.munmap(addr, 8192);
 * ```
 */
export class LinuxMemory {
  /** The address space these calls map into. */
  readonly addressSpace: AddressSpace;
  private base = 0;
  private current = 0;
  private brkSet = false;
  private mmapTop = TOP;
  private readonly owned = new Set<Dataspace>();
  /** Free-area cache of the search above MMAP_BASE (see the file comment); 0 = none. */
  private cacheAt = 0;
  private cacheHole = 0;
  private readonly skipped = { largest: 0 };

  /**
   * Linux memory calls for `addressSpace`: no break yet (`brk` fails until
   * {@link setBrkBase}), `mmap` searching up to 2^32. Never throws.
   *
   * @param addressSpace - the address space to map into
   * @example
   * ```ts
   * const lm = new LinuxMemory(new AddressSpace({ memory: new PhysicalMemory() }));
   * ```
   */
  constructor(addressSpace: AddressSpace) {
    this.addressSpace = addressSpace;
  }

  /** Start of the heap (0 until {@link setBrkBase}). */
  get brkBase(): number {
    return this.base;
  }

  /** Current program break. */
  get currentBrk(): number {
    return this.current;
  }

  /**
   * Linux `mmap` for anonymous memory. Returns the address (unsigned) or a
   * negative errno: -EINVAL (length 0, bad flags/prot, unaligned fixed
   * address or offset), -EBADF (not anonymous), -EEXIST
   * (MAP_FIXED_NOREPLACE over a mapping), -ENOMEM (no room or quota; nothing
   * changed). Never throws on guest errors. Placement costs O(mappings
   * passed), and a run of mappings passes only the newest.
   *
   * @param addr - hint, or the exact address with `MAP_FIXED`
   * @param length - bytes (rounded up to pages)
   * @param prot - {@link Prot} bits
   * @param flags - {@link MapFlags}: exactly one of `Private`/`Shared`, plus `Anonymous`
   * @param fd - must be -1 (anonymous)
   * @param offset - must be 0 or page aligned
   * @example
   * ```ts
   * const a = machine.linuxMemory.mmap(0, 4096, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous, -1, 0);
   * ```
   */
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
    const root = this.addressSpace.root;
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

  /**
   * Linux `munmap`: 0, or -EINVAL for an unaligned address, length 0 or a
   * range past 2^32. Holes are fine. Owned anonymous memory no longer
   * mapped gives its quota back; guest protection resets to 7 there.
   *
   * @param addr - start (page aligned)
   * @param length - bytes (rounded up to pages)
   * @example
   * ```ts
   * machine.linuxMemory.munmap(a, 4096);
   * ```
   */
  munmap(addr: number, length: number): number {
    addr >>>= 0;
    length >>>= 0;
    if ((addr & PAGE_MASK) !== 0 || length === 0) return -Errno.EINVAL;
    const size = pageRoundUp(length);
    if (addr + size > TOP) return -Errno.EINVAL;
    this.unmap(addr, size);
    return 0;
  }

  /**
   * Linux `mprotect` on the guest protection layer: 0, -EINVAL (unaligned,
   * unknown prot bits) or -ENOMEM when any page of the range is not mapped
   * (then nothing changes). A page inside a managed region counts as mapped
   * even when the managed map has a hole there.
   *
   * @param addr - start (page aligned)
   * @param length - bytes (rounded up to pages)
   * @param prot - the new {@link Prot} bits
   * @example
   * ```ts
   * machine.linuxMemory.mprotect(a, 4096, Prot.Read);
   * ```
   */
  mprotect(addr: number, length: number, prot: number): number {
    addr >>>= 0;
    length >>>= 0;
    prot >>>= 0;
    if ((addr & PAGE_MASK) !== 0) return -Errno.EINVAL;
    if ((prot & ~ALL_RIGHTS) !== 0) return -Errno.EINVAL;
    if (length === 0) return 0;
    const size = pageRoundUp(length);
    if (addr + size > TOP) return -Errno.ENOMEM;
    if (!this.addressSpace.root.isFullyMapped(addr, size)) return -Errno.ENOMEM;
    this.addressSpace.guestProtection.protect(addr, size, prot);
    return 0;
  }

  /**
   * Linux `brk`: returns the new break (exactly `addr`) on success, the
   * current break for `brk(0)` and for requests that cannot be met.
   *
   * @param addr - the requested break, or 0 to ask for the current one
   * @example
   * ```ts
   * const start = machine.linuxMemory.brk(0);
   * machine.linuxMemory.brk(start + 10000);
   * ```
   */
  brk(addr: number): number {
    addr >>>= 0;
    if (!this.brkSet || addr < this.base) return this.current;
    const oldEnd = pageRoundUp(this.current);
    const newEnd = pageRoundUp(addr);
    if (newEnd > oldEnd) {
      const size = newEnd - oldEnd;
      if (!this.addressSpace.root.isFree(oldEnd, size)) return this.current;
      const ds = this.tryCreate(size, RegionName.Heap, false);
      if (ds === null) return this.current;
      this.attachOwned(ds, oldEnd, Prot.Read | Prot.Write, RegionName.Heap);
    } else if (newEnd < oldEnd) {
      this.unmap(newEnd, oldEnd - newEnd);
    }
    this.current = addr;
    return addr;
  }

  /**
   * Sets where the heap starts (the loader passes the page-rounded end of
   * the highest segment); the break is reset to it.
   *
   * @param addr - page-aligned start of the heap
   * @throws UsageError when `addr` is not page aligned.
   * @example
   * ```ts
   * machine.linuxMemory.setBrkBase(0x0002_0000);
   * ```
   */
  setBrkBase(addr: number): void {
    checkPageAddress('setBrkBase', addr);
    this.base = addr;
    this.current = addr;
    this.brkSet = true;
  }

  /**
   * Sets the upper end of the range `mmap` searches without a fixed address
   * (the loader passes the lowest address of the stack area). Default 2^32.
   *
   * @param addr - page-aligned end of the search range
   * @throws UsageError when `addr` is not page aligned.
   * @example
   * ```ts
   * machine.linuxMemory.setMmapTop(0xbf00_0000);
   * ```
   */
  setMmapTop(addr: number): void {
    checkPageAddress('setMmapTop', addr);
    this.mmapTop = addr;
    this.cacheAt = 0;
  }

  /**
   * The bookkeeping not visible in the region maps (break, heap start,
   * mmap search top), for checkpointing.
   *
   * @internal Reached through the plugin kit's `linuxMemoryState`.
   */
  state(): LinuxMemoryState {
    return { brkBase: this.base, currentBrk: this.current, brkSet: this.brkSet, mmapTop: this.mmapTop };
  }

  /**
   * Sets the bookkeeping back to `state` (checkpoint restore). Maps
   * nothing: the heap's mappings come back with the region maps.
   *
   * @internal Reached through the plugin kit's `restoreLinuxMemoryState`.
   * @throws UsageError when an address is not page aligned or the break is below the heap start.
   */
  restoreState(state: LinuxMemoryState): void {
    checkPageAddress('restoreLinuxState', state.brkBase);
    checkPageAddress('restoreLinuxState', state.mmapTop);
    if (!Number.isInteger(state.currentBrk) || state.currentBrk < state.brkBase || state.currentBrk >= TOP) {
      throw new UsageError(`restoreLinuxState: break ${String(state.currentBrk)} is below the heap start ${hex32(state.brkBase)} or past 2^32`);
    }
    this.base = state.brkBase;
    this.current = state.currentBrk;
    this.brkSet = state.brkSet;
    this.mmapTop = state.mmapTop;
    this.cacheAt = 0;
  }

  /**
   * True when `ds` is owned anonymous memory (made by `mmap`, `brk` or
   * {@link mapAnonymous}): `munmap` retires its pages and destroys it when
   * nothing of it stays mapped.
   *
   * @internal Reached through the plugin kit's `isOwnedAnonymous`.
   */
  isOwned(ds: Dataspace): boolean {
    return this.owned.has(ds);
  }

  /**
   * Makes `ds`, already attached in the root map, owned anonymous memory
   * (checkpoint restore recreates `mmap`-made memory this way).
   *
   * @internal Reached through the plugin kit's `adoptAnonymous`.
   * @throws UsageError when `ds` is destroyed, of another physical memory, or not attached in the root map.
   */
  adopt(ds: Dataspace): void {
    if (ds.isDestroyed || ds.memory !== this.addressSpace.memory) {
      throw new UsageError(`adoptAnonymous: dataspace "${ds.name}" is destroyed or belongs to another physical memory`);
    }
    if (!ds.attachments.some((r) => r.map === this.addressSpace.root)) {
      throw new UsageError(`adoptAnonymous: dataspace "${ds.name}" is not attached in the root region map`);
    }
    this.owned.add(ds);
  }

  /**
   * Maps fresh owned anonymous memory at a fixed address for the host (the
   * loader's segments and stack), attached rwx at region level with `prot`
   * in the guest protection layer, so the guest's `mprotect` and `munmap`
   * treat it like its own mappings. Returns the dataspace (write the
   * contents through it or `addressSpace.writeBytes`).
   *
   * @param at - page-aligned address
   * @param size - bytes: a positive multiple of 4096
   * @param options - guest protection (`prot`), `name` and `shared` for `maps()`
   * @throws UsageError when the range is unaligned or overlaps a mapping.
   * @throws QuotaExceededError when the quota cannot cover it.
   * @example
   * ```ts
   * const text = machine.linuxMemory.mapAnonymous(0x10000, 0x2000, { prot: Prot.Read | Prot.Exec, name: 'hello' });
   * text.write(0, segmentBytes);
   * ```
   */
  mapAnonymous(at: number, size: number, options: MapAnonymousOptions): Dataspace {
    checkPageAddress('mapAnonymous', at);
    if (!Number.isInteger(size) || size <= 0 || (size & PAGE_MASK) !== 0 || at + size > TOP) {
      throw new UsageError(`mapAnonymous: size must be a positive multiple of ${PAGE_SIZE} within 2^32, got ${String(size)}`);
    }
    if ((options.prot & ~ALL_RIGHTS) !== 0) {
      throw new UsageError(`mapAnonymous: unknown protection bits ${String(options.prot)}`);
    }
    if (!this.addressSpace.root.isFree(at, size)) {
      throw new UsageError(`mapAnonymous: range ${hex32(at)}..${hex32(at + size - 1)} overlaps a mapping`);
    }
    const ds = new Dataspace(this.addressSpace.memory, size, { name: options.name ?? '', shared: options.shared ?? false });
    this.attachOwned(ds, at, options.prot, options.name);
    return ds;
  }

  /** Where a non-fixed mapping of `size` bytes goes: the hint if free, else first fit; -1 if none. */
  private place(hint: number, size: number): number {
    const root = this.addressSpace.root;
    if (hint !== 0) {
      const h = pageRoundUp(hint);
      if (h >= MMAP_MIN_ADDR && h + size <= TOP && root.isFree(h, size)) return h;
    }
    if (this.mmapTop > MMAP_BASE) {
      const at = this.placeAbove(size);
      if (at >= 0) return at;
    }
    return root.findFree(size, MMAP_MIN_ADDR, Math.min(MMAP_BASE, this.mmapTop));
  }

  /** First fit in [MMAP_BASE, mmapTop) through the free-area cache; -1 if none. */
  private placeAbove(size: number): number {
    const root = this.addressSpace.root;
    if (root.lowestFreed < this.cacheAt) this.cacheAt = root.lowestFreed;
    root.lowestFreed = root.size;
    const skipped = this.skipped;
    let from = MMAP_BASE;
    skipped.largest = 0;
    if (this.cacheAt > MMAP_BASE && size > this.cacheHole) {
      from = root.holeStart(this.cacheAt, MMAP_BASE);
      skipped.largest = this.cacheHole;
    }
    const at = root.findFree(size, from, this.mmapTop, skipped);
    if (at >= 0) {
      this.cacheAt = at + size;
      this.cacheHole = skipped.largest;
    }
    return at;
  }

  /** A new owned dataspace, or null when the quota cannot cover it. */
  private tryCreate(size: number, name: string, shared: boolean): Dataspace | null {
    try {
      return new Dataspace(this.addressSpace.memory, size, { name, shared });
    } catch (err) {
      if (err instanceof QuotaExceededError) return null;
      throw err;
    }
  }

  private attachOwned(ds: Dataspace, at: number, prot: number, name: string | undefined): void {
    this.addressSpace.root.attach(ds, { at, writable: true, executable: true, name });
    this.owned.add(ds);
    this.addressSpace.guestProtection.protect(at, ds.size, prot);
  }

  /**
   * Removes everything in [addr, addr+size) from the root map, retires the
   * owned pages that are no longer attached anywhere (destroying owned
   * dataspaces left with no attachment), and resets guest protection.
   */
  private unmap(addr: number, size: number): void {
    const pieces = this.addressSpace.root.unmapRange(addr, size);
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
    this.addressSpace.guestProtection.protect(addr, size, ALL_RIGHTS);
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
