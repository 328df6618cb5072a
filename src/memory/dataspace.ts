/**
 * Dataspaces: backing memory of whole pages, materialized lazily in
 * {@link PhysicalMemory} frames.
 */

import { FaultlineError, UsageError, hex32 } from '../errors.js';
import { ALL_RIGHTS, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, Prot } from './page.js';
import type { PhysicalMemory } from './physical-memory.js';
import type { Region } from './region.js';

/** `frames[page]` of a page that was never written: reads see the zero frame. */
const NOT_MATERIALIZED = -1;
/** `frames[page]` of a page given up for good by {@link Dataspace.retire}. */
const RETIRED = -2;
/** Largest dataspace: the whole 32-bit address space. */
const MAX_SIZE = 2 ** 32;

/**
 * Options of {@link Dataspace} construction and {@link AddressSpace.createDataspace}.
 *
 * @example
 * ```ts
 * const ds = machine.addressSpace.createDataspace(PAGE_SIZE, { name: 'shared-buffer', shared: true });
 * ```
 */
export interface DataspaceOptions {
  /** False makes a read-only dataspace from the start (all zero). Default true. */
  writable?: boolean;
  /** Shown in `maps()` and in messages. Default `''`. */
  name?: string;
  /** Informational: shown as `s` (shared) instead of `p` in `maps()`. Default false. */
  shared?: boolean;
}

/**
 * Backing memory of whole pages. A page gets a frame only when it is first
 * written; until then reads see the machine's zero frame. The full size is
 * charged to the quota at creation and given back by {@link destroy}.
 *
 * The dataspace records every region it is attached through, so that any
 * change of its contents or rights can be pushed up to every address space
 * that maps it.
 *
 * @example
 * ```ts
 * const ds = addressSpace.createDataspace(2 * PAGE_SIZE, { name: 'table' });
 * ds.write(0, new Uint8Array([1, 2, 3]));
 * ds.seal();
 * addressSpace.root.attach(ds, { at: 0x10000 });
 * ```
 */
export class Dataspace {
  /** Discriminant against {@link RegionMap}. */
  readonly isRegionMap = false;
  /** Size in bytes, a multiple of the page size. */
  readonly size: number;
  /** Number of pages. */
  readonly pageCount: number;
  /** Name for `maps()` and messages. */
  readonly name: string;
  /** Informational shared flag (`s` in `maps()`). */
  readonly shared: boolean;
  /**
   * Frame byte offset per page, or -1 when never written (-2 when retired).
   *
   * @internal
   */
  readonly frames: Int32Array;
  /**
   * Regions through which this dataspace is attached.
   *
   * @internal Maintained by {@link RegionMap}.
   */
  readonly attachments: Region[] = [];
  /**
   * Bumped whenever a page gains or loses its frame (materialized,
   * discarded, retired, destroyed): while it stays the same, so does
   * the set of pages with contents, and a checkpoint need not walk them.
   *
   * @internal Read through the plugin kit's `frameGeneration`.
   */
  frameGeneration = 0;

  private isWritable: boolean;
  private destroyed = false;
  private retiredPages = 0;
  /**
   * Pages whose zero-frame translation may be cached somewhere: only their
   * materialization needs to flush translations.
   */
  private readonly zeroMapped: Uint8Array;

  /**
   * Creates a zero-filled dataspace and reserves its full size from the quota.
   * Prefer `addressSpace.createDataspace`.
   *
   * @param memory - the physical memory holding the frames (and charged for them)
   * @param size - bytes: a positive multiple of 4096 up to 4 GiB
   * @param options - `writable` (default true), `name`, `shared`
   * @throws UsageError when `size` is not a positive multiple of 4096 up to 4 GiB.
   * @throws QuotaExceededError when the quota cannot cover `size`.
   */
  constructor(
    /** The physical memory holding the frames. */
    readonly memory: PhysicalMemory,
    size: number,
    options: DataspaceOptions = {},
  ) {
    const name = options.name ?? '';
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_SIZE) {
      throw new UsageError(
        `Dataspace: size of "${name}" must be a positive multiple of ${PAGE_SIZE} up to 4 GiB, got ${String(size)}`,
      );
    }
    // The message is built only when the reservation fails (a hot path for demand paging).
    if (size > memory.remaining) memory.reserve(size, `dataspace "${name}"`);
    else memory.reserve(size, 'dataspace');
    this.size = size;
    this.pageCount = size / PAGE_SIZE;
    this.name = name;
    this.shared = options.shared ?? false;
    this.isWritable = options.writable ?? true;
    this.frames = new Int32Array(this.pageCount).fill(NOT_MATERIALIZED);
    this.zeroMapped = new Uint8Array(this.pageCount);
  }

  /** False once sealed (or when created read-only). */
  get writable(): boolean {
    return this.isWritable;
  }

  /** True after {@link destroy}. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /**
   * Makes the dataspace read-only for good. Every mapping loses its write
   * right at once: cached write translations are flushed in every address
   * space. Sealing twice is harmless.
   *
   * @example
   * ```ts
   * ds.write(0, code);
   * ds.seal();
   * ```
   */
  seal(): void {
    if (!this.isWritable) return;
    this.isWritable = false;
    this.invalidatePages(0, this.pageCount, Prot.Write);
  }

  /**
   * Copies `length` bytes starting at `offset` out of the dataspace.
   *
   * @param offset - byte offset inside the dataspace
   * @param length - bytes to copy
   * @throws UsageError when the range is outside the dataspace or the dataspace is destroyed.
   * @example
   * ```ts
   * const header = ds.read(0, 16);
   * ```
   */
  read(offset: number, length: number): Uint8Array {
    this.checkRange('read', offset, length);
    const out = new Uint8Array(length);
    eachPagePiece(offset, length, (page, inPage, chunk, done) => {
      const f = this.frames[page]!;
      if (f >= 0) out.set(this.memory.u8.subarray(f + inPage, f + inPage + chunk), done);
    });
    return out;
  }

  /**
   * Copies `bytes` into the dataspace at `offset`, materializing pages as
   * needed. Decoded-instruction caches of every address space that maps the
   * written pages are invalidated.
   *
   * @param offset - byte offset inside the dataspace
   * @param bytes - what to copy in
   * @throws UsageError when the dataspace is read-only (sealed), destroyed, or the range is outside it.
   * @throws QuotaExceededError only on a broken invariant (pages are reserved at creation).
   * @example
   * ```ts
   * ds.write(0x100, new TextEncoder().encode('hello'));
   * ```
   */
  write(offset: number, bytes: Uint8Array): void {
    this.checkWritableRange('write', offset, bytes.length);
    eachPagePiece(offset, bytes.length, (page, inPage, chunk, done) => {
      const f = this.frameForWrite(page);
      this.memory.u8.set(bytes.subarray(done, done + chunk), f + inPage);
    });
    if (bytes.length > 0) this.invalidateContents(offset, bytes.length);
  }

  /**
   * Sets `length` bytes at `offset` to `value`. Filling with zero does not
   * materialize pages that were never written.
   *
   * @param offset - byte offset inside the dataspace
   * @param length - bytes to fill
   * @param value - the byte value (its low 8 bits)
   * @throws UsageError as {@link write}.
   * @example
   * ```ts
   * ds.fill(0, ds.size, 0xff);
   * ```
   */
  fill(offset: number, length: number, value: number): void {
    this.checkWritableRange('fill', offset, length);
    const byte = value & 0xff;
    eachPagePiece(offset, length, (page, inPage, chunk) => {
      if (byte !== 0 || this.frames[page]! >= 0) {
        const f = this.frameForWrite(page);
        this.memory.fillBytes(f + inPage, chunk, byte);
      }
    });
    if (length > 0) this.invalidateContents(offset, length);
  }

  /**
   * Sets `length` bytes at `offset` to zero (see {@link fill}).
   *
   * @param offset - byte offset inside the dataspace
   * @param length - bytes to clear
   * @throws UsageError as {@link write}.
   * @example
   * ```ts
   * ds.zero(0, ds.size);
   * ```
   */
  zero(offset: number, length: number): void {
    this.fill(offset, length, 0);
  }

  /**
   * Frees every frame and gives the quota back. The dataspace is unusable
   * afterwards.
   *
   * @throws UsageError when it is still attached somewhere (detach first).
   * @example
   * ```ts
   * addressSpace.root.detach(0x10000);
   * ds.destroy();
   * ```
   */
  destroy(): void {
    if (this.destroyed) return;
    if (this.attachments.length > 0) {
      const r = this.attachments[0]!;
      throw new UsageError(
        `destroy: dataspace "${this.name}" is still attached (${this.attachments.length} region(s), e.g. at ${hex32(r.at)} in region map "${r.map.name}")`,
      );
    }
    for (let p = 0; p < this.pageCount; p++) {
      const f = this.frames[p]!;
      if (f >= 0) this.memory.freeFrame(f);
      this.frames[p] = RETIRED;
    }
    this.frameGeneration++;
    this.memory.release((this.pageCount - this.retiredPages) * PAGE_SIZE);
    this.retiredPages = this.pageCount;
    this.destroyed = true;
  }

  // ---- internal interface for AddressSpace, the CPU and checkpointing ----

  /**
   * Frame to read page `page` from: its own frame, or the zero frame when it
   * was never written. Records that a zero-frame translation may now be
   * cached, so materialization knows to flush it.
   *
   * @internal `page` must be in range; no checks (slow path of the MMU).
   */
  frameForRead(page: number): number {
    const f = this.frames[page]!;
    if (f >= 0) return f;
    this.zeroMapped[page] = 1;
    return this.memory.zeroFrame;
  }

  /**
   * Frame to write page `page` to, materializing it (a fresh zeroed frame)
   * on first use. Materializing a page whose zero-frame translation may be
   * cached flushes the read and execute translations of that page wherever
   * it is mapped. The caller has checked the write right; the physical
   * memory may grow (re-read its views).
   *
   * @internal
   * @throws FaultlineError when the page was retired or the dataspace destroyed (a broken invariant).
   */
  frameForWrite(page: number): number {
    const f = this.frames[page]!;
    if (f >= 0) return f;
    if (f === RETIRED) {
      throw new FaultlineError(
        `frameForWrite: page ${page} of dataspace "${this.name}" was retired or destroyed`,
      );
    }
    const frame = this.memory.allocFrame();
    this.frames[page] = frame;
    this.frameGeneration++;
    if (this.zeroMapped[page] !== 0) {
      this.zeroMapped[page] = 0;
      this.invalidatePages(page, 1, Prot.Read | Prot.Exec);
    }
    return frame;
  }

  /**
   * True when page `page` has its own frame.
   *
   * @internal
   */
  isMaterialized(page: number): boolean {
    return this.frames[page]! >= 0;
  }

  /**
   * True when page `page` was retired (or the dataspace destroyed).
   *
   * @internal `page` must be in range.
   */
  isRetired(page: number): boolean {
    return this.frames[page] === RETIRED;
  }

  /**
   * Throws a UsageError naming `fn` unless `page` is a page of this dataspace.
   *
   * @internal
   */
  checkPage(fn: string, page: number): void {
    this.checkPages(fn, page, 1);
  }

  /**
   * Page numbers that have their own frame, in increasing order.
   *
   * @internal
   */
  *materializedPages(): IterableIterator<number> {
    for (let p = 0; p < this.pageCount; p++) if (this.frames[p]! >= 0) yield p;
  }

  /**
   * Frees the frames of `count` pages from `firstPage`; they read as zero
   * again. Translations of those pages are flushed everywhere.
   *
   * @internal Used by munmap of owned anonymous memory and by evicting handlers.
   * @throws UsageError when the page range is outside the dataspace.
   */
  discard(firstPage: number, count: number): void {
    this.checkPages('discard', firstPage, count);
    for (let p = firstPage; p < firstPage + count; p++) {
      const f = this.frames[p]!;
      if (f >= 0) {
        this.memory.freeFrame(f);
        this.frames[p] = NOT_MATERIALIZED;
        this.frameGeneration++;
      }
    }
    this.invalidatePages(firstPage, count, ALL_RIGHTS);
  }

  /**
   * Gives up `count` pages from `firstPage` for good: frees their frames
   * and returns their share of the quota. Retired pages read as zero and
   * must never be written again (they are no longer attached anywhere).
   *
   * @internal Used by munmap of owned anonymous memory.
   * @throws UsageError when the page range is outside the dataspace.
   */
  retire(firstPage: number, count: number): void {
    this.checkPages('retire', firstPage, count);
    let released = 0;
    for (let p = firstPage; p < firstPage + count; p++) {
      const f = this.frames[p]!;
      if (f === RETIRED) continue;
      if (f >= 0) this.memory.freeFrame(f);
      this.frames[p] = RETIRED;
      this.frameGeneration++;
      released++;
    }
    this.retiredPages += released;
    this.memory.release(released * PAGE_SIZE);
    this.invalidatePages(firstPage, count, ALL_RIGHTS);
  }

  /**
   * Flushes the translations of `count` pages from `firstPage` in every
   * address space where they are visible; `rights` (Prot bits) says which
   * translation kinds are affected (Exec also drops decoded code).
   *
   * @internal
   */
  invalidatePages(firstPage: number, count: number, rights: number): void {
    const lo = firstPage * PAGE_SIZE;
    const hi = (firstPage + count) * PAGE_SIZE;
    const list = this.attachments;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      const s = Math.max(lo, r.offset);
      const e = Math.min(hi, r.offset + r.size);
      if (s < e) r.map.invalidate(r.at + (s - r.offset), e - s, rights);
    }
  }

  /** The bytes [offset, offset+length) changed: drop decoded code built from them. */
  private invalidateContents(offset: number, length: number): void {
    const first = Math.floor(offset / PAGE_SIZE);
    const end = Math.ceil((offset + length) / PAGE_SIZE);
    this.invalidatePages(first, end - first, Prot.Exec);
  }

  private checkRange(fn: string, offset: number, length: number): void {
    if (this.destroyed) throw new UsageError(`${fn}: dataspace "${this.name}" is destroyed`);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new UsageError(
        `${fn}: range offset ${String(offset)} length ${String(length)} is outside dataspace "${this.name}" of ${this.size} bytes`,
      );
    }
  }

  private checkWritableRange(fn: string, offset: number, length: number): void {
    this.checkRange(fn, offset, length);
    if (!this.isWritable) throw new UsageError(`${fn}: dataspace "${this.name}" is read-only (sealed)`);
    const first = Math.floor(offset / PAGE_SIZE);
    const end = Math.ceil((offset + length) / PAGE_SIZE);
    for (let p = first; p < end; p++) {
      if (this.frames[p] === RETIRED) {
        throw new UsageError(`${fn}: page ${hex32(p << PAGE_SHIFT)} of dataspace "${this.name}" was unmapped for good`);
      }
    }
  }

  private checkPages(fn: string, firstPage: number, count: number): void {
    if (!Number.isInteger(firstPage) || !Number.isInteger(count) || firstPage < 0 || count < 0 || firstPage + count > this.pageCount) {
      throw new UsageError(
        `${fn}: pages ${String(firstPage)}+${String(count)} are outside dataspace "${this.name}" of ${this.pageCount} pages`,
      );
    }
  }
}

/**
 * Calls `visit` for each piece of `[offset, offset + length)` that lies in
 * one page, in order: the page number, the offset inside the page, the
 * piece's length, and the bytes done before it. Host access, not a hot path.
 */
function eachPagePiece(offset: number, length: number, visit: (page: number, inPage: number, chunk: number, done: number) => void): void {
  let done = 0;
  while (done < length) {
    const at = offset + done;
    const inPage = at & PAGE_MASK;
    const chunk = Math.min(PAGE_SIZE - inPage, length - done);
    visit(Math.floor(at / PAGE_SIZE), inPage, chunk, done);
    done += chunk;
  }
}
