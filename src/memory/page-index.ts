/**
 * The per-page index of a region map: which region covers each page, in
 * host memory that follows what is attached, not the map's size.
 *
 * Two levels, like an Sv32 page table (a page number of the map split in
 * ten and ten bits):
 *
 *   19                10 9                 0
 *  +--------------------+-------------------+
 *  |   chunk (dir slot) |  page in the chunk |
 *  +--------------------+-------------------+
 *
 *   leaves[chunk] === null  ->  every page of the chunk has slot uniform[chunk]
 *   leaves[chunk] = Int32Array  ->  slot per page (-1 = hole)
 *
 * The directory is allocated on the first region attached; a chunk gets a
 * leaf only when a region boundary falls inside it. An empty 4 GiB map
 * costs nothing, one region attached across it costs 12 KiB (the
 * directory), and each leaf costs 4 KiB. Lookups stay O(1): two loads.
 */

/** log2 of the pages per chunk (a leaf). */
const LEAF_SHIFT = 10;
/** Pages per chunk. */
const LEAF_PAGES = 1 << LEAF_SHIFT;
/** Mask of the page inside its chunk. */
const LEAF_MASK = LEAF_PAGES - 1;
/** The slot of a page no region covers. */
const HOLE = -1;
/** Host bytes per directory entry: one Int32 in `uniform`, one pointer in `leaves`. */
const DIR_ENTRY_BYTES = 4 + 8;

/**
 * Slot of the region covering each page of a region map, or -1.
 *
 * @internal Owned by {@link RegionMap}.
 */
export class PageIndex {
  /** Pages indexed. */
  readonly pageCount: number;
  private readonly chunkCount: number;
  /** Slot of every page of a chunk that has no leaf; null until the first fill. */
  private uniform: Int32Array | null = null;
  /** Per-page slots of chunks where regions begin or end; null until the first fill. */
  private leaves: (Int32Array | null)[] | null = null;
  private allocated = 0;

  /** An index of `pageCount` holes; allocates nothing yet. */
  constructor(pageCount: number) {
    this.pageCount = pageCount;
    this.chunkCount = Math.ceil(pageCount / LEAF_PAGES);
  }

  /** Host bytes the index holds now (directory and leaves). */
  get bytes(): number {
    return this.allocated;
  }

  /** Slot covering page `p` (in range, unchecked), or -1. O(1), no allocation. */
  get(p: number): number {
    const leaves = this.leaves;
    if (leaves === null) return HOLE;
    const c = p >>> LEAF_SHIFT;
    const leaf = leaves[c]!;
    return leaf === null ? this.uniform![c]! : leaf[p & LEAF_MASK]!;
  }

  /**
   * Sets pages [start, end) to `slot` (-1 clears them). A chunk filled
   * whole drops its leaf; a chunk filled in part gets one.
   */
  fill(start: number, end: number, slot: number): void {
    if (start >= end) return;
    if (this.leaves === null) {
      if (slot === HOLE) return;
      this.uniform = new Int32Array(this.chunkCount).fill(HOLE);
      this.leaves = new Array<Int32Array | null>(this.chunkCount).fill(null);
      this.allocated += this.chunkCount * DIR_ENTRY_BYTES;
    }
    const leaves = this.leaves, uniform = this.uniform!;
    for (let c = start >>> LEAF_SHIFT; c <= (end - 1) >>> LEAF_SHIFT; c++) {
      const cs = c << LEAF_SHIFT;
      const ce = Math.min(cs + LEAF_PAGES, this.pageCount);
      const s = Math.max(start, cs), e = Math.min(end, ce);
      let leaf = leaves[c]!;
      if (s === cs && e === ce) {
        if (leaf !== null) {
          this.allocated -= leaf.byteLength;
          leaves[c] = null;
        }
        uniform[c] = slot;
        continue;
      }
      if (leaf === null) {
        if (uniform[c] === slot) continue;
        leaf = new Int32Array(ce - cs).fill(uniform[c]!);
        leaves[c] = leaf;
        this.allocated += leaf.byteLength;
      }
      leaf.fill(slot, s - cs, e - cs);
    }
  }

  /** First page in [start, end) covered by a region, or -1. Skips whole uniform chunks. */
  firstBusy(start: number, end: number): number {
    return this.first(start, end, true);
  }

  /** First page in [start, end) that is a hole, or -1. Skips whole uniform chunks. */
  firstHole(start: number, end: number): number {
    return this.first(start, end, false);
  }

  /** Last page in [start, end) covered by a region, or -1. Skips whole uniform chunks. */
  lastBusy(start: number, end: number): number {
    if (start >= end) return -1;
    const leaves = this.leaves;
    if (leaves === null) return -1;
    const uniform = this.uniform!;
    for (let c = (end - 1) >>> LEAF_SHIFT; c >= start >>> LEAF_SHIFT; c--) {
      const cs = c << LEAF_SHIFT;
      const s = Math.max(start, cs), e = Math.min(end, cs + LEAF_PAGES);
      const leaf = leaves[c]!;
      if (leaf === null) {
        if (uniform[c]! >= 0) return e - 1;
        continue;
      }
      for (let p = e - 1; p >= s; p--) if (leaf[p - cs]! >= 0) return p;
    }
    return -1;
  }

  private first(start: number, end: number, busy: boolean): number {
    if (start >= end) return -1;
    const leaves = this.leaves;
    if (leaves === null) return busy ? -1 : start;
    const uniform = this.uniform!;
    for (let c = start >>> LEAF_SHIFT; c <= (end - 1) >>> LEAF_SHIFT; c++) {
      const cs = c << LEAF_SHIFT;
      const s = Math.max(start, cs), e = Math.min(end, cs + LEAF_PAGES);
      const leaf = leaves[c]!;
      if (leaf === null) {
        if ((uniform[c]! >= 0) === busy) return s;
        continue;
      }
      for (let p = s; p < e; p++) if ((leaf[p - cs]! >= 0) === busy) return p;
    }
    return -1;
  }
}
