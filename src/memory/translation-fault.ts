/**
 * The record the MMU slow path fills when a translation fails.
 */

import { Access } from '../fault/cause.js';
import type { Dataspace } from './dataspace.js';
import type { RegionMap } from './region-map.js';

/**
 * Why the last failed {@link AddressSpace.translate} failed. One instance per
 * address space, reused (no allocation on the fault path): copy what you
 * need before the next translation.
 *
 * @example
 * ```ts
 * if (addressSpace.translate(addr, Access.Write) < 0) {
 *   const f = addressSpace.fault;
 *   console.log(f.protection ? 'protection' : 'not present', f.regionMap.name, f.offset);
 * }
 * ```
 */
export class TranslationFault {
  /** The faulting virtual address (unsigned). */
  address = 0;
  /** The access kind that failed. */
  access: Access = Access.Read;
  /** True when the page is mapped but the access right is missing; false for a hole. */
  protection = false;
  /**
   * The innermost region map where translation stopped: the map holding the
   * hole, or the map holding the dataspace region for a protection fault.
   */
  regionMap: RegionMap;
  /** Offset of the faulting address inside {@link regionMap}. */
  offset = 0;
  /** For a protection fault, the dataspace reached; null for a hole. */
  dataspace: Dataspace | null = null;

  /** @internal */
  constructor(root: RegionMap) {
    this.regionMap = root;
  }
}
