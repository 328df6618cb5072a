/**
 * Page-source backing: a unit's first touch asks the {@link PageSource}
 * for its contents. A synchronous answer is filled in at once; a promise
 * makes the faulting thread wait (under `runAsync`) until it settles. Two
 * faults on a unit whose fetch is under way share that fetch.
 */

import { isThenable } from '../../src/plugin-kit.js';
import { ChunkedBacking, type ChunkLayout } from './chunked.js';
import type { PageSource } from './index.js';

function noop(): void {}

/** See {@link ChunkedBacking}; contents come from a page source. */
export class SourceBacking extends ChunkedBacking {
  /** Fetches under way, by unit. */
  private readonly inflight = new Map<number, Promise<boolean>>();
  /** Bumped on every reset: a fetch that settles later belongs to a past region. */
  private generation = 0;

  constructor(layout: ChunkLayout, private readonly source: PageSource) {
    super(layout);
  }

  /**
   * Rejections are marked handled here so that a promise the machine
   * refuses under `run()` cannot become an unhandled rejection; the fetch
   * still completes and fills its unit, as a prefetch would.
   */
  prepare(unit: number): Promise<boolean> | null {
    if (this.filled[unit] !== 0) return null;
    const already = this.inflight.get(unit);
    if (already !== undefined) return already;
    const answer = this.source(this.unitOffset(unit), this.unitSize(unit));
    if (!isThenable(answer)) {
      this.fill(unit, answer);
      this.fetched++;
      return null;
    }
    const generation = this.generation;
    const pending = Promise.resolve(answer).then(
      (bytes) => {
        this.inflight.delete(unit);
        if (generation !== this.generation) return false;
        if (this.filled[unit] === 0) {
          this.fill(unit, bytes);
          this.fetched++;
        }
        return true;
      },
      (err: unknown) => {
        this.inflight.delete(unit);
        throw err;
      },
    );
    pending.catch(noop);
    this.inflight.set(unit, pending);
    return pending;
  }

  override reset(...args: Parameters<ChunkedBacking['reset']>): void {
    super.reset(...args);
    // Called from the base constructor before the fields exist.
    if (this.inflight !== undefined) {
      this.generation++;
      this.inflight.clear();
    }
  }
}
