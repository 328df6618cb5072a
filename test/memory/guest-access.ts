/**
 * Guest memory accesses for tests, done exactly as the CPU's fast path does
 * them: look the page up in the TLB of the access kind, call `translate` on
 * a miss, then access `memory.i32` at the frame. A stale TLB entry or stale
 * decoded code is therefore observed, not papered over.
 *
 * The property tests take a {@link GuestAccess}; `cpu-guest-access.ts` is
 * the other implementation, where the real CPU does the accesses.
 */

import { Access } from '../../src/fault/cause.js';
import type { AddressSpace } from '../../src/memory/address-space.js';
import { PAGE_MASK, PAGE_SHIFT } from '../../src/memory/page.js';
import type { RegionMap } from '../../src/memory/region-map.js';

/** A copy of the address space's translation fault. */
export interface FaultRecord {
  address: number;
  access: number;
  protection: boolean;
  regionMap: RegionMap;
  offset: number;
}

/** Outcome of one guest access: the value (0 for a store), or the fault. */
export type GuestResult = { ok: true; value: number } | { ok: false; fault: FaultRecord };

/** Word-sized guest accesses at 4-byte aligned addresses. */
export interface GuestAccess {
  /** Load a word. */
  read32(as: AddressSpace, vaddr: number): GuestResult;
  /** Store a word. */
  write32(as: AddressSpace, vaddr: number, value: number): GuestResult;
  /** Fetch an instruction word (through the decoded-code cache). */
  fetch32(as: AddressSpace, vaddr: number): GuestResult;
  /** `fence.i`: later fetches see every earlier store. */
  fenceI(as: AddressSpace): void;
}

function faulted(as: AddressSpace): GuestResult {
  const f = as.fault;
  return {
    ok: false,
    fault: { address: f.address, access: f.access, protection: f.protection, regionMap: f.regionMap, offset: f.offset },
  };
}

/**
 * The CPU fast path, modelled. Decoded code is a copy of the page's words,
 * made on the first fetch from a page and kept in `codeCache` (marked with
 * `markCode`), as the CPU keeps its decoded instructions; a store that takes
 * the slow path into such a page updates the copy, as the CPU does.
 */
export const tlbGuestAccess: GuestAccess = {
  read32(as, vaddr) {
    vaddr >>>= 0;
    let e = as.readTlb[vaddr >>> PAGE_SHIFT]!;
    if (e === 0) {
      e = as.translate(vaddr, Access.Read);
      if (e < 0) return faulted(as);
    }
    return { ok: true, value: as.memory.i32[(e | (vaddr & PAGE_MASK)) >> 2]! };
  },

  write32(as, vaddr, value) {
    vaddr >>>= 0;
    const vpage = vaddr >>> PAGE_SHIFT;
    const e = as.writeTlb[vpage]!;
    if (e > 0) {
      as.memory.i32[(e | (vaddr & PAGE_MASK)) >> 2] = value;
      return { ok: true, value: 0 };
    }
    const frame = as.translate(vaddr, Access.Write);
    if (frame < 0) return faulted(as);
    as.memory.i32[(frame | (vaddr & PAGE_MASK)) >> 2] = value;
    const decoded = as.codeCache.get(vpage);
    if (decoded !== undefined) decoded[(vaddr & PAGE_MASK) >> 2] = value;
    return { ok: true, value: 0 };
  },

  fetch32(as, vaddr) {
    vaddr >>>= 0;
    const vpage = vaddr >>> PAGE_SHIFT;
    let e = as.execTlb[vpage]!;
    if (e === 0) {
      e = as.translate(vaddr, Access.Execute);
      if (e < 0) return faulted(as);
    }
    let decoded = as.codeCache.get(vpage);
    if (decoded === undefined) {
      decoded = as.memory.i32.slice(e >> 2, (e >> 2) + 1024);
      as.codeCache.set(vpage, decoded);
      as.markCode(vpage);
    }
    return { ok: true, value: decoded[(vaddr & PAGE_MASK) >> 2]! };
  },

  fenceI(as) {
    as.dropDecodedCode();
  },
};
