/**
 * The one walk down nested region maps: from a map and an offset to the
 * innermost region map reached and, when something backs the offset, the
 * dataspace and the offset inside it, ANDing the rights along the way.
 *
 *   root map       region r0 (writable, executable) --> managed map M1
 *   M1             region r1 (writable)             --> managed map M2
 *   M2             region r2 (read-only)            --> dataspace D, offset o
 *
 *   rights = Read | (W if r0, r1, r2 and D allow it) | (X if r0, r1, r2 allow it)
 *
 * Iterative, so the depth of nesting costs time, never stack. Every place
 * that needs the innermost region or the structural rights (translation,
 * host access, the stock plugins through the plugin kit) calls it.
 */

import type { Dataspace } from './dataspace.js';
import { ALL_RIGHTS, PAGE_SHIFT, Prot } from './page.js';
import type { RegionMap } from './region-map.js';
import type { Region } from './region.js';

/**
 * Where {@link walkRegions} ended. One object is meant to be reused for
 * many walks (the walk fills it and allocates nothing).
 *
 * @example
 * ```ts
 * const at = new RegionWalk();
 * if (walkRegions(machine.addressSpace.root, 0x5000_0000, at)) console.log(at.dataspace!.name, at.dataspaceOffset);
 * ```
 */
export class RegionWalk {
  /** The innermost region map reached: the one holding the dataspace, or the one with the hole. */
  map: RegionMap | null = null;
  /** The offset inside {@link map}. */
  offset = 0;
  /** The dataspace behind the offset, or null when the walk ended in a hole. */
  dataspace: Dataspace | null = null;
  /** The offset inside {@link dataspace} (meaningless for a hole). */
  dataspaceOffset = 0;
  /**
   * Prot bits the structure allows: Read always; Write when every region on
   * the path and the dataspace are writable; Exec when every region on the
   * path is executable. For a hole, what the regions down to it allow.
   */
  rights = 0;
  /**
   * The innermost region (the one attaching {@link dataspace}), or null.
   *
   * @internal
   */
  region: Region | null = null;
}


/**
 * Walks from `root` at `offset` down nested region maps and fills `out`.
 * Returns true when a dataspace backs the offset, false for a hole (then
 * `out.map`/`out.offset` say where) or an offset outside `root` (then
 * `out.map` is null). Needs nothing; allocates nothing; never throws.
 * Protection layers are not consulted: they belong to an address space.
 *
 * @param root - where to start (usually `addressSpace.root`)
 * @param offset - an offset inside `root` (a virtual address for the root)
 * @param out - the record to fill
 * @example
 * ```ts
 * const w = new RegionWalk();
 * const writable = walkRegions(machine.addressSpace.root, address, w) && (w.rights & Prot.Write) !== 0;
 * ```
 */
export function walkRegions(root: RegionMap, offset: number, out: RegionWalk): boolean {
  let map = root;
  let off = offset;
  let rights = ALL_RIGHTS;
  out.dataspace = null;
  out.region = null;
  if (!(off >= 0 && off < root.size)) {
    out.map = null;
    out.offset = off;
    out.rights = 0;
    return false;
  }
  for (;;) {
    const r = map.regionAtPage(off >>> PAGE_SHIFT);
    if (r === null) {
      out.map = map;
      out.offset = off;
      out.rights = rights;
      return false;
    }
    if (!r.writable) rights &= ~Prot.Write;
    if (!r.executable) rights &= ~Prot.Exec;
    const inner = r.offset + (off - r.at);
    const target = r.target;
    if (!target.isRegionMap) {
      if (!target.writable) rights &= ~Prot.Write;
      out.map = map;
      out.offset = off;
      out.dataspace = target;
      out.dataspaceOffset = inner;
      out.region = r;
      out.rights = rights;
      return true;
    }
    map = target;
    off = inner;
  }
}
