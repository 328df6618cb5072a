/**
 * The plugin kit: what fault-handling plugins need beyond the user API —
 * the stock plugins in `faultline/handlers` use exactly this and
 * `faultline`, and a third-party plugin may too. Not needed by ordinary
 * users: a program that runs guests, registers handlers or installs the
 * stock plugins imports `faultline` (and `faultline/handlers`) only.
 *
 * @example
 * ```ts
 * import { Machine, Prot } from 'faultline';
 * import { RegionWalk, walkRegions } from 'faultline/plugin-kit';
 *
 * const machine = new Machine();
 * const w = new RegionWalk();
 * const writable = walkRegions(machine.addressSpace.root, 0x1000_0000, w) && (w.rights & Prot.Write) !== 0;
 * ```
 *
 * @packageDocumentation
 * @module faultline/plugin-kit
 */

// Walking nested region maps
export { RegionWalk, walkRegions } from './memory/walk.js';

// Owned anonymous memory and the Linux memory bookkeeping
export { linuxMemoryState, restoreLinuxMemoryState, isOwnedAnonymous, adoptAnonymous } from './kit/linux-memory-state.js';
