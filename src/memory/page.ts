/**
 * Page geometry of the 32-bit guest address space.
 *
 *   31                    12 11          0
 *  +------------------------+-------------+
 *  |  virtual page number   | page offset |
 *  +------------------------+-------------+
 */

/**
 * log2 of the page size.
 *
 * @example
 * ```ts
 * const vpage = address >>> PAGE_SHIFT;
 * ```
 */
export const PAGE_SHIFT = 12;
/**
 * Bytes in a page: 4096.
 *
 * @example
 * ```ts
 * const ds = machine.addressSpace.createDataspace(4 * PAGE_SIZE);
 * ```
 */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/**
 * Mask of the offset inside a page (4095).
 *
 * @example
 * ```ts
 * const pageStart = address & ~PAGE_MASK;
 * ```
 */
export const PAGE_MASK = PAGE_SIZE - 1;
/** Number of virtual pages in the 4 GiB address space. */
export const VPAGE_COUNT = 1 << (32 - PAGE_SHIFT);

/**
 * Protection bits, as in Linux `PROT_*` (and ELF `p_flags` reordered).
 *
 * @example
 * ```ts
 * machine.linuxMemory.mprotect(addr, 4096, Prot.Read);
 * ```
 *
 * @enum
 */
export const Prot = {
  /** 0: no access (`PROT_NONE`). */
  None: 0,
  /** 1: reading allowed (`PROT_READ`). */
  Read: 1,
  /** 2: writing allowed (`PROT_WRITE`). */
  Write: 2,
  /** 4: execution allowed (`PROT_EXEC`). */
  Exec: 4,
} as const;

/**
 * Every protection bit: read, write and execute (7). The guest protection
 * of a page nobody restricted, and "every translation kind" for flushes.
 *
 * @example
 * ```ts
 * machine.addressSpace.guestProtection.protect(addr, PAGE_SIZE, ALL_RIGHTS);
 * ```
 */
export const ALL_RIGHTS = Prot.Read | Prot.Write | Prot.Exec;

/** True when `value` is a multiple of the page size. */
export function isPageAligned(value: number): boolean {
  return (value & PAGE_MASK) === 0;
}

/** Rounds `value` up to a page boundary (value ≤ 2^32). */
export function pageRoundUp(value: number): number {
  return Math.ceil(value / PAGE_SIZE) * PAGE_SIZE;
}
