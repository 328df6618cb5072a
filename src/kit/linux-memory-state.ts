/**
 * What checkpointing needs of the Linux memory calls beyond their public
 * API: the bookkeeping the region maps do not show, and which dataspaces
 * are owned anonymous memory (the kind `munmap` gives back).
 */

import type { Machine } from '../machine/machine.js';
import type { Dataspace } from '../memory/dataspace.js';
import type { LinuxMemoryState } from '../syscalls/linux-memory.js';

/**
 * The break, heap start and mmap search top of `machine` (not visible in
 * its region maps). Never throws.
 *
 * @param machine - the machine to read
 * @example
 * ```ts
 * const { brkBase, currentBrk } = linuxMemoryState(machine);
 * ```
 */
export function linuxMemoryState(machine: Machine): LinuxMemoryState {
  return machine.linuxMemory.state();
}

/**
 * Sets the break, heap start and mmap search top of `machine` back to
 * `state` (a restore). Maps nothing: the heap's mappings come back with
 * the region maps.
 *
 * @param machine - the machine to change
 * @param state - as {@link linuxMemoryState} returned it
 * @throws UsageError when an address is not page aligned or the break is below the heap start.
 * @example
 * ```ts
 * restoreLinuxMemoryState(copy, linuxMemoryState(original));
 * ```
 */
export function restoreLinuxMemoryState(machine: Machine, state: LinuxMemoryState): void {
  machine.linuxMemory.restoreState(state);
}

/**
 * True when `ds` is owned anonymous memory of `machine`'s Linux memory
 * calls (made by `mmap`, `brk` or `mapAnonymous`): `munmap` retires its
 * pages and destroys it when nothing of it stays mapped.
 *
 * @param machine - the machine to ask
 * @param ds - the dataspace to ask about
 * @example
 * ```ts
 * const owned = machine.addressSpace.root.regions().filter((r) => !r.target.isRegionMap && isOwnedAnonymous(machine, r.target));
 * ```
 */
export function isOwnedAnonymous(machine: Machine, ds: Dataspace): boolean {
  return machine.linuxMemory.isOwned(ds);
}

/**
 * Makes `ds`, already attached in the root map, owned anonymous memory of
 * `machine` (a restore recreates `mmap`-made memory this way), so the
 * guest's `munmap` gives its quota back.
 *
 * @param machine - the machine whose Linux memory calls take it over
 * @param ds - a dataspace of the machine, attached in the root map
 * @throws UsageError when `ds` is destroyed, of another physical memory, or not attached in the root map.
 * @example
 * ```ts
 * const ds = machine.addressSpace.createDataspace(size);
 * machine.addressSpace.root.attach(ds, { at, executable: true });
 * adoptAnonymous(machine, ds);
 * ```
 */
export function adoptAnonymous(machine: Machine, ds: Dataspace): void {
  machine.linuxMemory.adopt(ds);
}
