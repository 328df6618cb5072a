/**
 * Page-state queries for plugins: what a dataspace page holds, without
 * reading the frame table's private encoding, and the run lists of the
 * image format expanded page by page.
 */

import type { Dataspace } from '../memory/dataspace.js';
import { PAGE_SIZE } from '../memory/page.js';
import { PageState, RUN_SHIFT, type DataspaceRecord } from '../checkpoint/image-format.js';

/** Mask of the state bits of a run word. */
const RUN_STATE_MASK = (1 << RUN_SHIFT) - 1;

/**
 * State of page `page` of `ds`: {@link PageState.Zero} (never written,
 * reads as zero), {@link PageState.Data} (has its own frame) or
 * {@link PageState.Retired} (given up for good by `munmap`). O(1).
 *
 * @param ds - the dataspace
 * @param page - a page number inside it
 * @throws UsageError when `page` is outside the dataspace.
 * @example
 * ```ts
 * if (pageState(ds, 3) === PageState.Data) console.log('page 3 has contents');
 * ```
 */
export function pageState(ds: Dataspace, page: number): number {
  ds.checkPage('pageState', page);
  const f = ds.frames[page]!;
  return f >= 0 ? PageState.Data : ds.isRetired(page) ? PageState.Retired : PageState.Zero;
}

/**
 * Byte offset of the frame holding page `page` of `ds` in
 * `ds.memory.u8`, or -1 when the page has no contents of its own (zero or
 * retired). The offset is valid until the page is discarded or the
 * dataspace destroyed. O(1).
 *
 * @param ds - the dataspace
 * @param page - a page number inside it
 * @throws UsageError when `page` is outside the dataspace.
 * @example
 * ```ts
 * const f = pageFrame(ds, 0);
 * const firstByte = f < 0 ? 0 : ds.memory.u8[f];
 * ```
 */
export function pageFrame(ds: Dataspace, page: number): number {
  ds.checkPage('pageFrame', page);
  const f = ds.frames[page]!;
  return f >= 0 ? f : -1;
}

/**
 * A number that changes whenever a page of `ds` gains or loses contents
 * of its own (a first write, a discard, a retire, destroy); writes to
 * pages that have contents leave it alone. While it stays the same, the
 * set of pages with contents is the same: a checkpoint compares it to
 * skip walking every page. O(1).
 *
 * @param ds - the dataspace
 * @example
 * ```ts
 * const before = frameGeneration(ds);
 * machine.run({ maxInstructions: 1e6 });
 * if (frameGeneration(ds) === before) console.log('no page of ds gained or lost contents');
 * ```
 */
export function frameGeneration(ds: Dataspace): number {
  return ds.frameGeneration;
}

/**
 * The state of every page of a dataspace record of an image, expanded
 * from its run list: one {@link PageState} per page.
 *
 * @param record - a dataspace record of a decoded image's layout
 * @example
 * ```ts
 * const states = recordPageStates(image.layout.dataspaces[0]!);
 * const withContents = states.filter((s) => s === PageState.Data).length;
 * ```
 */
export function recordPageStates(record: DataspaceRecord): Uint8Array {
  const states = new Uint8Array(record.size / PAGE_SIZE);
  let page = 0;
  for (const run of record.runs) {
    const count = run >>> RUN_SHIFT;
    states.fill(run & RUN_STATE_MASK, page, page + count);
    page += count;
  }
  return states;
}

/**
 * Bytes of guest memory (quota) a dataspace record of an image reserves
 * once restored: its size less its retired pages. O(runs), no allocation:
 * check what an image claims before building anything for it.
 *
 * @param record - a dataspace record of a decoded image's layout
 * @example
 * ```ts
 * const needed = image.layout.dataspaces.reduce((n, d) => n + recordReservedBytes(d), 0);
 * ```
 */
export function recordReservedBytes(record: DataspaceRecord): number {
  let retired = 0;
  for (const run of record.runs) if ((run & RUN_STATE_MASK) === PageState.Retired) retired += run >>> RUN_SHIFT;
  return record.size - retired * PAGE_SIZE;
}

/**
 * Gives up `count` pages of `ds` from `firstPage` for good, as `munmap`
 * does with owned anonymous memory no region covers any more: their
 * frames are freed and their share of the quota returned; they read as
 * zero and must never be attached again.
 *
 * @param ds - the dataspace
 * @param firstPage - first page to retire
 * @param count - pages to retire
 * @throws UsageError when the page range is outside the dataspace.
 * @example
 * ```ts
 * retirePages(ds, 4, 2);
 * ```
 */
export function retirePages(ds: Dataspace, firstPage: number, count: number): void {
  ds.retire(firstPage, count);
}
