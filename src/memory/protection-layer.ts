/**
 * Page-protection layers: per-virtual-page masks of Prot bits ANDed into
 * every translation (the guest's mprotect overlay, plugins' own overlays).
 */

import { UsageError, hex32 } from '../errors.js';
import { ALL_RIGHTS, PAGE_SHIFT, PAGE_SIZE, PAGE_MASK, VPAGE_COUNT } from './page.js';
import type { TranslationOwner } from './region-map.js';


/**
 * One protection overlay of an address space: `Prot` bits per virtual page,
 * 7 (no restriction) by default. The effective right of an access is ANDed
 * with every layer, so independent users (the guest's `mprotect`, dirty
 * logging) never overwrite each other's intent. Removing rights flushes the
 * cached translations of the affected pages; adding rights needs no flush.
 * Create with `addressSpace.createProtectionLayer(name)`.
 *
 * @example
 * ```ts
 * const layer = addressSpace.createProtectionLayer('dirty-log');
 * layer.protect(0x10000, 0x4000, Prot.Read | Prot.Exec); // the next write faults
 * addressSpace.removeProtectionLayer(layer);
 * ```
 */
export class ProtectionLayer {
  /**
   * Prot bits per virtual page.
   *
   * @internal Read by the MMU slow path; change only through {@link protect}.
   */
  readonly prot = new Uint8Array(VPAGE_COUNT).fill(ALL_RIGHTS);
  /**
   * Bumped by every {@link protect}: while it stays the same, so does
   * the table (a checkpoint reuses its runs).
   *
   * @internal
   */
  generation = 0;

  /** @internal Use `addressSpace.createProtectionLayer`. */
  constructor(
    /** Name for messages. */
    readonly name: string,
    private readonly owner: TranslationOwner,
  ) {}

  /**
   * Sets the protection of every page in `[vaddr, vaddr + length)` (length
   * rounded up to whole pages) to `prot`. Flushes the pages whose rights
   * shrink, for the kinds removed only.
   *
   * @param vaddr - first address (page aligned)
   * @param length - bytes, rounded up to whole pages
   * @param prot - the new Prot bits of every page in the range
   * @throws UsageError when `vaddr` is not page aligned, `prot` has bits other than Prot.Read|Write|Exec, or the range passes 2^32.
   * @example
   * ```ts
   * layer.protect(0x2000_0000, 8192, Prot.Read);
   * ```
   */
  protect(vaddr: number, length: number, prot: number): void {
    if (!Number.isInteger(vaddr) || vaddr < 0 || (vaddr & PAGE_MASK) !== 0) {
      throw new UsageError(`protect: address must be page aligned, got ${hex32(vaddr)} (layer "${this.name}")`);
    }
    if (!Number.isInteger(prot) || (prot & ~ALL_RIGHTS) !== 0) {
      throw new UsageError(`protect: unknown protection bits ${String(prot)} (layer "${this.name}")`);
    }
    if (!Number.isInteger(length) || length < 0 || vaddr + length > 2 ** 32) {
      throw new UsageError(`protect: length ${String(length)} from ${hex32(vaddr)} passes the end of the address space`);
    }
    const first = vaddr / PAGE_SIZE;
    const end = first + Math.ceil(length / PAGE_SIZE);
    const table = this.prot;
    this.generation++;
    let removed = 0;
    let lo = end;
    let hi = first;
    for (let p = first; p < end; p++) {
      const lost = table[p]! & ~prot;
      if (lost !== 0) {
        removed |= lost;
        if (p < lo) lo = p;
        hi = p + 1;
      }
      table[p] = prot;
    }
    if (removed !== 0) this.owner.flush(lo, hi - lo, removed);
  }

  /**
   * Prot bits of the page holding `vaddr`.
   *
   * @param vaddr - any address in the page
   * @example
   * ```ts
   * if ((layer.get(addr) & Prot.Write) === 0) console.log('write-protected');
   * ```
   */
  get(vaddr: number): number {
    return this.prot[(vaddr >>> 0) >>> PAGE_SHIFT]!;
  }
}
