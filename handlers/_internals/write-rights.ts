/**
 * Who denies a write? Shared by the stock handlers that take write faults
 * (dirty logging, write tracking) so that they compose with each other and
 * with the guest's own `mprotect`.
 *
 * A write to a page is allowed when every level allows it:
 *
 *   structural   AND of `writable` of every region on the nesting path and
 *                the dataspace's own right        (region maps, seal)
 *   guest layer  the guest's mprotect overlay      (addressSpace.guestProtection)
 *   other layers plugins' overlays                 (dirty logging, ...)
 *
 * A plugin that took a write fault lifts its own restriction first, then
 * asks {@link writeResolvable} whether answering `Fixed` is right. The rule
 * that makes several such plugins compose in any chain order: the guest's
 * layer and the structural rights are *intent* (a plugin must not override
 * them: answer Continue, restore its restriction), other plugins' layers
 * are *restrictions that resolve themselves* (their owner takes the fault
 * when the instruction retries).
 *
 * Not part of the handlers' public surface (handlers/index.ts does not export it).
 */

import { ALL_RIGHTS, Prot, type AddressSpace, type ProtectionLayer } from '../../src/index.js';
import { RegionWalk, walkRegions } from '../../src/plugin-kit.js';

/**
 * AND of the Prot bits at `vaddr` over every protection layer of `as`
 * except the guest's and `except` (7 when there is none). O(layers), no
 * allocation.
 */
export function otherLayersProt(as: AddressSpace, vaddr: number, except: ProtectionLayer | null): number {
  const layers = as.protectionLayers;
  let prot: number = ALL_RIGHTS;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (layer !== except && layer !== as.guestProtection) prot &= layer.get(vaddr);
  }
  return prot;
}

/** The walk record of {@link structurallyWritable} (one, reused). */
const walk = new RegionWalk();

/**
 * True when the path to `vaddr` allows writing structurally: every region
 * on the nesting path is attached writable and the dataspace is writable
 * (protection layers ignored). False for an unmapped address or a hole in
 * a managed map. No allocation.
 */
export function structurallyWritable(as: AddressSpace, vaddr: number): boolean {
  return walkRegions(as.root, vaddr >>> 0, walk) && (walk.rights & Prot.Write) !== 0;
}

/**
 * After a plugin lifted its own restriction at `vaddr` (`own`: its layer,
 * or null when its restriction is a region right): true when the plugin
 * should answer `Fixed` — the write is now allowed, or only other plugins'
 * layers still deny it (they resolve their own faults on the retry). False
 * when the guest's `mprotect`, a read-only region on the path or a
 * read-only dataspace denies it: that is someone's intent, the fault
 * belongs to the handlers behind. Fast (no allocation) when the write is
 * allowed or the guest layer denies it.
 */
export function writeResolvable(as: AddressSpace, vaddr: number, own: ProtectionLayer | null): boolean {
  const effective = as.effectiveProt(vaddr);
  if (effective < 0) return false;
  if ((effective & Prot.Write) !== 0) return true;
  if ((as.guestProtection.get(vaddr) & Prot.Write) === 0) return false;
  if ((otherLayersProt(as, vaddr, own) & Prot.Write) !== 0) return false; // only structure denies
  return structurallyWritable(as, vaddr);
}
