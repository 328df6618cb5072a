/**
 * When pre-copy stops (docs/migration.md, "Pre-copy"): when the dirty set
 * stops shrinking, when it is small enough, or at a bound on rounds,
 * bytes or time — whichever comes first.
 */

import { UsageError } from '../../src/index.js';
import type { MigrationRound } from './source.js';

/**
 * Bounds of pre-copy. Pre-copy stops after a round when any holds:
 * `maxRounds` rounds were sent, `maxBytes` bytes were sent, `maxMs`
 * milliseconds passed, the round held at most `targetPages` pages
 * (converged), or it held no fewer pages than the round before (the
 * dirty set stopped shrinking: more rounds would not make the final
 * delta smaller).
 *
 * @example
 * ```ts
 * const bounds: PreCopyBounds = { maxRounds: 8, maxBytes: 1 << 30, maxMs: 20_000, targetPages: 32 };
 * ```
 */
export interface PreCopyBounds {
  /** Most pre-copy rounds, the full image included (default 30; 0: none, the final image is full). */
  readonly maxRounds?: number;
  /** Stop once this many bytes were sent (default: no bound). */
  readonly maxBytes?: number;
  /** Stop once this many milliseconds passed since the start (default 60000). */
  readonly maxMs?: number;
  /** A round of at most this many pages ends pre-copy (default 64: 256 KiB left for the final delta). */
  readonly targetPages?: number;
}

/**
 * Applies {@link PreCopyBounds}.
 *
 * @internal Used by migrateOut.
 */
export class PreCopyPolicy {
  readonly maxRounds: number;
  private readonly maxBytes: number;
  private readonly maxMs: number;
  private readonly targetPages: number;

  constructor(bounds: PreCopyBounds, private readonly started: number) {
    const count = (name: string, v: number | undefined, fallback: number): number => {
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !(v >= 0)) throw new UsageError(`migrateOut: ${name} must be a non-negative number, got ${String(v)}`);
      return v;
    };
    this.maxRounds = count('maxRounds', bounds.maxRounds, 30);
    this.maxBytes = count('maxBytes', bounds.maxBytes, Infinity);
    this.maxMs = count('maxMs', bounds.maxMs, 60_000);
    this.targetPages = count('targetPages', bounds.targetPages, 64);
  }

  /**
   * Why pre-copy stops after `rounds`, or null to go on.
   *
   * @param rounds - the rounds sent so far
   * @param bytesSent - bytes sent so far
   * @param now - the clock now (same clock as `started`)
   */
  stop(rounds: readonly MigrationRound[], bytesSent: number, now: number): string | null {
    const n = rounds.length;
    if (n >= this.maxRounds) return `${n} rounds (the bound)`;
    if (bytesSent >= this.maxBytes) return `${bytesSent} bytes sent (the bound is ${this.maxBytes})`;
    if (now - this.started >= this.maxMs) return `${Math.round(now - this.started)} ms (the bound is ${this.maxMs})`;
    if (n >= 2) {
      const last = rounds[n - 1]!.pages, prev = rounds[n - 2]!.pages;
      if (last <= this.targetPages) return `converged (${last} pages in the last round)`;
      if (last >= prev) return `the dirty set stopped shrinking (${prev} then ${last} pages)`;
    }
    return null;
  }
}
