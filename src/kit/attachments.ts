/**
 * Where a dataspace or region map is attached, for plugins that move
 * things between region maps (a lazy restore puts dataspaces back in
 * place of their stand-ins).
 */

import type { RegionMap } from '../memory/region-map.js';
import type { AttachTarget, RegionInfo } from '../memory/region.js';

/**
 * One place where a target is attached: the region (as
 * {@link RegionMap.regions} reports it) and the region map holding it.
 *
 * @example
 * ```ts
 * for (const a of attachmentsOf(ds)) console.log(a.map.name, hex32(a.at));
 * ```
 */
export interface Attachment extends RegionInfo {
  /** The region map holding the region. */
  readonly map: RegionMap;
}

/**
 * Every region through which `target` is attached, as snapshots (later
 * changes do not show in them). O(attachments).
 *
 * @param target - a dataspace or region map
 * @example
 * ```ts
 * const inRoot = attachmentsOf(ds).some((a) => a.map === machine.addressSpace.root);
 * ```
 */
export function attachmentsOf(target: AttachTarget): Attachment[] {
  return target.attachments.map((r) => ({ ...r.snapshot(), map: r.map }));
}
