/**
 * Capture: which pages an image holds. A full image holds every page with
 * contents; an incremental one the pages that got contents since the
 * previous image, the pages the dirty log saw written, host writes
 * reported with markDirty, and the stack's pages unless the stack is
 * logged.
 */

import { PAGE_SIZE, type AddressSpace, type Dataspace, type LayoutState, type RegionMap } from '../../src/index.js';
import { RegionName, RegionWalk, frameGeneration, pageFrame, walkRegions, type ImagePageSource } from '../../src/plugin-kit.js';

/** State of the previous image of the current chain. */
export interface ChainState {
  readonly chainId: string;
  sequence: number;
  imageId: number;
  /** The file system's generation when the previous image was taken (its tree increment starts there). */
  treeGeneration: number;
  /** Per dataspace id: 1 where the page had contents at the previous image. */
  data: Map<number, Uint8Array>;
  /** Per dataspace id: its frame generation at the previous image (while unchanged, `data` still holds). */
  generations: Map<number, number>;
}

/** Pages marked in one dataspace: a bit per page and the marked pages in the order marked (each once). */
export interface Marks {
  readonly bits: Uint8Array;
  readonly list: number[];
}

/**
 * Pages to save whatever the previous image held, per dataspace: the
 * dirty log's pages, host writes reported with markDirty before the log
 * existed, and (unless the stack is logged) every page of the stack.
 * O(marked pages).
 */
export function markedPages(as: AddressSpace, dirty: Uint32Array, pendingDirty: readonly (readonly [number, number])[], logStack: boolean): Map<Dataspace, Marks> {
  const marked = new Map<Dataspace, Marks>();
  const mark = (ds: Dataspace, page: number, count = 1): void => {
    let m = marked.get(ds);
    if (m === undefined) marked.set(ds, (m = { bits: new Uint8Array(ds.pageCount), list: [] }));
    for (let p = page; p < page + count; p++) {
      if (m.bits[p] !== 0) continue;
      m.bits[p] = 1;
      m.list.push(p);
    }
  };
  for (const vaddr of dirty) {
    const hit = resolvePage(as.root, vaddr);
    if (hit !== null) mark(hit.ds, hit.page);
  }
  for (const [vaddr, length] of pendingDirty) {
    for (let a = Math.floor(vaddr / PAGE_SIZE) * PAGE_SIZE; a < vaddr + length; a += PAGE_SIZE) {
      const hit = resolvePage(as.root, a);
      if (hit !== null) mark(hit.ds, hit.page);
    }
  }
  if (!logStack) {
    for (const r of as.root.regions()) {
      if (r.name === RegionName.Stack && !r.target.isRegionMap) mark(r.target, r.offset / PAGE_SIZE, r.size / PAGE_SIZE);
    }
  }
  return marked;
}

/** The walk record of {@link resolvePage} (one, reused). */
const walk = new RegionWalk();

/** The dataspace and page behind virtual address `vaddr`, through nested maps, or null. */
function resolvePage(root: RegionMap, vaddr: number): { ds: Dataspace; page: number } | null {
  if (!walkRegions(root, vaddr >>> 0, walk)) return null;
  return { ds: walk.dataspace!, page: Math.floor(walk.dataspaceOffset / PAGE_SIZE) };
}

/** 1 where the page of `ds` has contents. */
export function dataBits(ds: Dataspace): Uint8Array {
  const bits = new Uint8Array(ds.pageCount);
  for (let p = 0; p < ds.pageCount; p++) if (pageFrame(ds, p) >= 0) bits[p] = 1;
  return bits;
}

/** The pages an image holds, and how many pages were looked at to choose them (a test hook). */
export interface Selection {
  readonly source: ImagePageSource;
  readonly visited: number;
}

/**
 * The pages an image must hold, sorted by (id, page): every page with
 * contents for a full image (`prev` null) or a dataspace new since `prev`;
 * otherwise the pages with contents that had none at `prev` or are marked.
 * A dataspace whose frame generation is the one `prev` saw has the same
 * pages with contents as then: only its marked pages are looked at
 * (O(dirty)); any other is walked page by page.
 */
export function selectPages(
  layout: LayoutState,
  dataspaces: ReadonlyMap<number, Dataspace>,
  prev: ChainState | null,
  marked: Map<Dataspace, Marks> | null,
  memory: Uint8Array,
): Selection {
  const ids: number[] = [], pages: number[] = [], frames: number[] = [];
  let visited = 0;
  const take = (id: number, p: number, frame: number): void => {
    ids.push(id);
    pages.push(p);
    frames.push(frame);
  };
  for (const rec of layout.dataspaces) {
    const ds = dataspaces.get(rec.id)!;
    const before = prev?.data.get(rec.id);
    const mark = marked?.get(ds);
    if (before !== undefined && prev!.generations.get(rec.id) === frameGeneration(ds)) {
      // Same pages with contents as at prev: only marked ones can be new.
      if (mark === undefined) continue;
      const list = mark.list.sort((a, b) => a - b);
      visited += list.length;
      for (const p of list) {
        const frame = pageFrame(ds, p);
        if (frame >= 0) take(rec.id, p, frame);
      }
      continue;
    }
    visited += ds.pageCount;
    for (let p = 0; p < ds.pageCount; p++) {
      const frame = pageFrame(ds, p);
      if (frame < 0) continue;
      if (before !== undefined && before[p] === 1 && (mark === undefined || mark.bits[p] === 0)) continue;
      take(rec.id, p, frame);
    }
  }
  return { source: { count: ids.length, ids: Uint32Array.from(ids), pages: Uint32Array.from(pages), frames: Int32Array.from(frames), memory }, visited };
}
