/**
 * The chunk layout shared by zero-fill and page-source backing: units of
 * `chunkPages` pages, `chunksPerDataspace` of them sharing one backing
 * dataspace made on first use.
 *
 *   chunk (unit)  u = floor(offset / chunkBytes)
 *   dataspace     d = floor(u / chunksPerDataspace)
 *   offset in d   (u - d * chunksPerDataspace) * chunkBytes
 *
 * Making a dataspace costs far more than attaching (typed arrays, quota,
 * garbage collection), so sharing one among 16 chunks keeps first touches
 * cheap; and a page read before it is written walks only the ≤ 16
 * attachments of its own dataspace when it gets its frame.
 */

import { PAGE_SIZE, UsageError, hex32, type AttachOptions, type Dataspace, type Machine, type RegionInfo } from '../../src/index.js';
import { attachmentsOf } from '../../src/plugin-kit.js';
import type { Backing, Placement } from './backing.js';

/** Geometry and naming of chunked backing. */
export interface ChunkLayout {
  /** Plugin name: names the backing dataspaces and their regions. */
  readonly name: string;
  /** Bytes of the managed region. */
  readonly regionSize: number;
  /** Pages per unit. */
  readonly chunkPages: number;
  /** Units per backing dataspace. */
  readonly chunksPerDataspace: number;
  /** Attach writable. */
  readonly writable: boolean;
}

/** Chunked backing: the state both chunked kinds keep; subclasses say how contents arrive. */
export abstract class ChunkedBacking implements Backing {
  readonly unitCount: number;
  fetched = 0;
  protected readonly name: string;
  private readonly regionSize: number;
  private readonly unitBytes: number;
  private readonly perDataspace: number;
  private readonly dataspaceBytes: number;
  private readonly writable: boolean;
  private machine: Machine | null = null;
  /** Backing dataspaces by number; null = not made yet. */
  private dataspaces: (Dataspace | null)[] = [];
  /** 1 where the unit's contents are in its dataspace. */
  protected filled = new Uint8Array(0);
  /** Units with contents, per backing dataspace. */
  private filledCount = new Int32Array(0);

  constructor(layout: ChunkLayout) {
    this.name = layout.name;
    this.regionSize = layout.regionSize;
    this.unitBytes = layout.chunkPages * PAGE_SIZE;
    this.perDataspace = layout.chunksPerDataspace;
    this.dataspaceBytes = this.unitBytes * layout.chunksPerDataspace;
    this.writable = layout.writable;
    this.unitCount = Math.ceil(this.regionSize / this.unitBytes);
    this.reset(null);
  }

  abstract prepare(unit: number): Promise<boolean> | null;

  unitAt(offset: number): number {
    return Math.floor(offset / this.unitBytes);
  }

  unitOffset(unit: number): number {
    return unit * this.unitBytes;
  }

  unitSize(unit: number): number {
    return Math.min(this.unitBytes, this.regionSize - unit * this.unitBytes);
  }

  attachment(unit: number, o: AttachOptions): Dataspace {
    const d = Math.floor(unit / this.perDataspace);
    o.offset = (unit - d * this.perDataspace) * this.unitBytes;
    o.writable = this.writable;
    o.name = this.name;
    return this.dataspaces[d]!;
  }

  placement(unit: number): Placement | null {
    const d = Math.floor(unit / this.perDataspace);
    const ds = this.dataspaces[d] ?? null;
    return ds === null ? null : { dataspace: ds, offset: (unit - d * this.perDataspace) * this.unitBytes };
  }

  /** Drops the unit's contents; destroys its dataspace once no unit of it holds any (the quota comes back). */
  discard(unit: number): void {
    if (this.filled[unit] === 0) return;
    const d = Math.floor(unit / this.perDataspace);
    const ds = this.dataspaces[d]!;
    this.filled[unit] = 0;
    if (--this.filledCount[d]! === 0) {
      ds.destroy();
      this.dataspaces[d] = null;
    } else {
      ds.zero((unit - d * this.perDataspace) * this.unitBytes, this.unitSize(unit));
    }
  }

  adopt(unit: number, region: RegionInfo): boolean {
    const d = Math.floor(unit / this.perDataspace);
    const owner = this.dataspaces[d] ?? null;
    if (region.target.isRegionMap || region.offset !== (unit - d * this.perDataspace) * this.unitBytes || (owner !== null && owner !== region.target)) return false;
    this.dataspaces[d] = region.target;
    if (this.filled[unit] === 0) {
      this.filled[unit] = 1;
      this.filledCount[d]!++;
    }
    return true;
  }

  use(machine: Machine): void {
    this.machine = machine;
  }

  reset(machine: Machine | null): void {
    this.machine = machine;
    const count = Math.ceil(this.unitCount / this.perDataspace);
    this.dataspaces = new Array<Dataspace | null>(count).fill(null);
    this.filledCount = new Int32Array(count);
    this.filled = new Uint8Array(this.unitCount);
  }

  release(): void {
    for (const ds of this.dataspaces) if (ds !== null && !ds.isDestroyed && attachmentsOf(ds).length === 0) ds.destroy();
  }

  checkMemory(machine: Machine, fn: string): void {
    if (this.dataspaces.some((ds) => ds !== null && ds.memory !== machine.memory)) {
      throw new UsageError(`${fn}: its dataspaces belong to the machine it was installed in before`);
    }
  }

  /**
   * Puts the contents of `unit` into its backing dataspace, making the
   * dataspace on its first use: `bytes` (at most the unit's size; the rest
   * stays zero) or nothing for zero-fill.
   *
   * @throws UsageError when a page source gave something else than a Uint8Array or null, or too many bytes.
   * @throws QuotaExceededError when the quota cannot cover a new dataspace.
   */
  protected fill(unit: number, bytes: unknown): void {
    const size = this.unitSize(unit);
    if (bytes !== null && !(bytes instanceof Uint8Array)) {
      throw new UsageError(`page source of '${this.name}' returned ${typeof bytes}, not a Uint8Array or null, for offset ${hex32(this.unitOffset(unit))}`);
    }
    if (bytes !== null && bytes.length > size) {
      throw new UsageError(`page source of '${this.name}' returned ${bytes.length} bytes for the ${size}-byte unit at offset ${hex32(this.unitOffset(unit))}`);
    }
    const d = Math.floor(unit / this.perDataspace);
    let ds = this.dataspaces[d]!;
    if (ds === null) {
      const start = d * this.dataspaceBytes;
      ds = this.machine!.addressSpace.createDataspace(Math.min(this.dataspaceBytes, this.regionSize - start), { name: this.name });
      this.dataspaces[d] = ds;
    }
    if (bytes !== null && bytes.length > 0) ds.write((unit - d * this.perDataspace) * this.unitBytes, bytes);
    this.filled[unit] = 1;
    this.filledCount[d]!++;
  }
}
