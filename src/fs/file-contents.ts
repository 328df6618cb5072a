/**
 * The bytes of an in-memory regular file, kept in 4 KiB chunks so a file
 * written at a large offset holds only the chunks written (a sparse file),
 * and a checkpoint increment carries only the chunks changed since the
 * last image.
 */

/** Bytes per chunk of file contents. */
export const CHUNK_SIZE = 4096;

/**
 * The machine-wide byte budget for file contents: chunks are charged when
 * allocated and refunded when dropped.
 *
 * @internal Shared by the file system and its files.
 */
export interface ContentQuota {
  /** Bytes charged so far. */
  used: number;
  /** Bytes that may be charged. */
  readonly limit: number;
}

/**
 * Sparse chunked contents of one file. A missing chunk reads as zeros.
 *
 * @internal The file system's storage; guests reach it through `FileSystem.read`/`write`.
 * @example
 * ```ts
 * const c = new FileContents({ used: 0, limit: 1 << 20 });
 * c.write(10_000, new Uint8Array([1, 2]), 1);
 * c.size; // 10002
 * ```
 */
export class FileContents {
  /** Size in bytes. */
  size = 0;
  /** Allocated chunks by index. */
  readonly chunks = new Map<number, Uint8Array>();
  /** Generation at which each chunk last changed. */
  readonly chunkChangedAt = new Map<number, number>();

  constructor(private readonly quota: ContentQuota) {}

  /** 512-byte blocks the allocated chunks hold. */
  get blocks(): number {
    return this.chunks.size * (CHUNK_SIZE / 512);
  }

  /**
   * Copies bytes from `offset` into `dest`; holes read as zeros.
   *
   * @returns bytes copied: `min(dest.length, size - offset)`, 0 at or past the end
   */
  read(offset: number, dest: Uint8Array): number {
    if (offset >= this.size) return 0;
    const n = Math.min(dest.length, this.size - offset);
    let done = 0;
    while (done < n) {
      const at = offset + done;
      const index = Math.floor(at / CHUNK_SIZE);
      const within = at - index * CHUNK_SIZE;
      const take = Math.min(CHUNK_SIZE - within, n - done);
      const chunk = this.chunks.get(index);
      if (chunk === undefined) dest.fill(0, done, done + take);
      else dest.set(chunk.subarray(within, within + take), done);
      done += take;
    }
    return n;
  }

  /**
   * Writes `src` at `offset`, allocating chunks as needed, and grows the
   * size. Stops early when the quota runs out.
   *
   * @param generation - stamped on every chunk touched
   * @returns bytes written (less than `src.length` only when the quota ran out)
   */
  write(offset: number, src: Uint8Array, generation: number): number {
    let done = 0;
    while (done < src.length) {
      const at = offset + done;
      const index = Math.floor(at / CHUNK_SIZE);
      const within = at - index * CHUNK_SIZE;
      const take = Math.min(CHUNK_SIZE - within, src.length - done);
      let chunk = this.chunks.get(index);
      if (chunk === undefined) {
        if (this.quota.used + CHUNK_SIZE > this.quota.limit) break;
        this.quota.used += CHUNK_SIZE;
        chunk = new Uint8Array(CHUNK_SIZE);
        this.chunks.set(index, chunk);
      }
      chunk.set(src.subarray(done, done + take), within);
      this.chunkChangedAt.set(index, generation);
      done += take;
    }
    if (done > 0 && offset + done > this.size) this.size = offset + done;
    return done;
  }

  /**
   * Sets the size: growing leaves a hole, shrinking drops whole chunks past
   * the end and zeroes the tail of the last one.
   *
   * @param generation - stamped on the chunk whose tail was zeroed
   */
  truncate(size: number, generation: number): void {
    if (size < this.size) {
      const keep = Math.ceil(size / CHUNK_SIZE);
      for (const index of [...this.chunks.keys()]) {
        if (index >= keep) this.dropChunk(index);
      }
      const within = size % CHUNK_SIZE;
      const last = this.chunks.get(keep - 1);
      if (within !== 0 && last !== undefined) {
        last.fill(0, within);
        this.chunkChangedAt.set(keep - 1, generation);
      }
    }
    this.size = size;
  }

  /** Drops every chunk and refunds the quota (the file was freed). */
  clear(): void {
    for (const index of [...this.chunks.keys()]) this.dropChunk(index);
    this.size = 0;
  }

  /**
   * Installs a chunk read from a checkpoint image (charged to the quota
   * without a limit check: the image was within its own quota).
   */
  putChunk(index: number, data: Uint8Array, generation: number): void {
    if (!this.chunks.has(index)) this.quota.used += CHUNK_SIZE;
    const chunk = new Uint8Array(CHUNK_SIZE);
    chunk.set(data.subarray(0, CHUNK_SIZE));
    this.chunks.set(index, chunk);
    this.chunkChangedAt.set(index, generation);
  }

  private dropChunk(index: number): void {
    if (this.chunks.delete(index)) this.quota.used -= CHUNK_SIZE;
    this.chunkChangedAt.delete(index);
  }
}
