/**
 * Flags of the guest's `mmap` (Linux asm-generic/mman-common.h), and the
 * layout constants the Linux-flavoured calls use.
 */

/**
 * `mmap` flags as the guest passes them in `a3`.
 *
 * @example
 * ```ts
 * machine.linuxMemory.mmap(0, 8192, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous, -1, 0);
 * ```
 *
 * @enum
 */
export const MapFlags = {
  /** `MAP_SHARED`: changes are shared (shown as `s` in `maps()`). */
  Shared: 0x01,
  /** `MAP_PRIVATE`: private copy-on-write mapping. */
  Private: 0x02,
  /** `MAP_FIXED`: place exactly at `addr`, replacing what is there. */
  Fixed: 0x10,
  /** `MAP_ANONYMOUS`: zero-filled memory not backed by a file. */
  Anonymous: 0x20,
  /** `MAP_FIXED_NOREPLACE`: place exactly at `addr`, fail with `EEXIST` on overlap. */
  FixedNoReplace: 0x100000,
} as const;

/**
 * Where `mmap` without `MAP_FIXED` (and without a usable hint) starts
 * searching upward for a free range; below it only when nothing fits above.
 *
 * @example
 * ```ts
 * const a = machine.linuxMemory.mmap(0, PAGE_SIZE, Prot.Read, MapFlags.Private | MapFlags.Anonymous, -1, 0);
 * a >= MMAP_BASE; // true on a fresh machine
 * ```
 */
export const MMAP_BASE = 0x4000_0000;

/**
 * Names the loader and `brk` give the regions Linux shows by name in
 * `/proc/self/maps`; plugins that treat them specially (the checkpoint
 * plugin saves the stack whole) compare with these.
 *
 * @example
 * ```ts
 * const stack = machine.addressSpace.root.regions().find((r) => r.name === RegionName.Stack);
 * ```
 *
 * @enum
 */
export const RegionName = {
  /** `[stack]`: the initial thread's stack, mapped by the loader. */
  Stack: '[stack]',
  /** `[heap]`: the memory `brk` grows. */
  Heap: '[heap]',
} as const;

/** Lowest address `mmap` hands out when it has to search below {@link MMAP_BASE} (Linux `mmap_min_addr`). */
export const MMAP_MIN_ADDR = 0x1_0000;
