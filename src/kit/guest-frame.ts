/**
 * The reach of a guest-handler dispatch into the faulting thread's stack,
 * for plugins that must know which guest bytes the host is about to write
 * without a fault (the dirty log of a checkpoint, a lazy restore that
 * must make those pages present first).
 *
 *     sp ────────► ┌─────────────────────────────┐
 *                  │ red zone (RED_ZONE bytes)   │  untouched
 *                  │ alignment slack (≤ 15)      │
 *                  │ frame (FRAME_SIZE bytes)    │  written by the host
 *   sp - REACH ──► └─────────────────────────────┘
 */

import type { Machine } from '../machine/machine.js';
import { GUEST_FRAME_REACH } from '../machine/guest-frame.js';

export { GUEST_FRAME_REACH };

/** Register number of sp. */
const SP = 2;

/**
 * The lowest guest address a guest-handler dispatch for a fault taken now
 * would write: `sp - GUEST_FRAME_REACH` (clamped at 0), with the bytes up
 * to `sp` at risk. -1 when no dispatch would happen: no guest handler is
 * registered, or one is running (guest handlers do not nest). Cheap when
 * the chain is empty; never throws.
 *
 * @param machine - the machine whose current thread faults
 * @example
 * ```ts
 * machine.events.on('fault', () => {
 *   const low = guestFrameLow(machine);
 *   if (low >= 0) log.markDirty(low, (machine.cpu.x[2]! >>> 0) - low);
 * });
 * ```
 */
export function guestFrameLow(machine: Machine): number {
  if (machine.chain.size === 0 || machine.guestHandlers.active || machine.guestHandlers.list().length === 0) return -1;
  const sp = machine.cpu.x[SP]! >>> 0;
  return Math.max(0, sp - GUEST_FRAME_REACH);
}
