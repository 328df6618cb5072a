/**
 * Why the last translation failed: a read-only view of the one fault
 * record the MMU slow path fills.
 */

import { Access, Cause } from '../fault/cause.js';
import { Fault } from '../fault/fault.js';
import type { Dataspace } from './dataspace.js';
import type { RegionMap } from './region-map.js';

/**
 * Why the last failed {@link AddressSpace.translate} failed. One instance
 * per address space. Translation writes the failure once, where it fails,
 * into one `Fault` record: the CPU points that at its own
 * `Fault` (`cpu.fault`), so a guest access that faults needs no copy — the
 * CPU adds only the pc and the access size. The getters here read the
 * record, for memory-layer users without a CPU. Copy what you need before
 * the next translation.
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
  /**
   * The fault record a failed translation fills (cause, access, address,
   * protection, region map and offset). The machine's CPU sets this to its
   * own `Fault`. @internal
   */
  record: Fault = new Fault();
  /** For a protection fault, the dataspace reached; null for a hole. */
  dataspace: Dataspace | null = null;

  /** @internal */
  constructor(root: RegionMap) {
    this.record.regionMap = root;
  }

  /** The faulting virtual address (unsigned). */
  get address(): number {
    return this.record.address >>> 0;
  }

  /** The access kind that failed. */
  get access(): Access {
    return this.record.access as Access;
  }

  /** True when the page is mapped but the access right is missing; false for a hole. */
  get protection(): boolean {
    return this.record.protection;
  }

  /**
   * The innermost region map where translation stopped: the map holding the
   * hole, or the map holding the dataspace region for a protection fault.
   */
  get regionMap(): RegionMap {
    return this.record.regionMap!;
  }

  /** Offset of the faulting address inside {@link regionMap}. */
  get offset(): number {
    return this.record.regionOffset;
  }

  /**
   * Fills the record for a failed translation of `vaddr` for `access`.
   * Returns -1 (what `translate` returns). Never allocates. @internal
   */
  fill(vaddr: number, access: number, protection: boolean, map: RegionMap, offset: number, ds: Dataspace | null): number {
    const f = this.record;
    f.cause = access === Access.Write ? Cause.StorePageFault : access === Access.Execute ? Cause.InstructionPageFault : Cause.LoadPageFault;
    f.access = access;
    f.address = vaddr | 0;
    f.protection = protection;
    f.regionMap = map;
    f.regionOffset = offset;
    this.dataspace = ds;
    return -1;
  }
}
