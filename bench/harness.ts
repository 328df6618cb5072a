import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One benchmark figure: median and spread over several runs. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/** Summarises samples as median, min and max. */
export function summarize(samples: readonly number[], unit: string): Figure {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, unit };
}

/** Collected figures of one bench run, printed as a table and written as JSON. */
export class Results {
  private readonly figures = new Map<string, Figure>();
  private readonly notes = new Map<string, string>();

  /** Records `figure` under `name` (docs/design.md §9 names), with an optional note for the table. */
  add(name: string, figure: Figure, note = ''): void {
    this.figures.set(name, figure);
    if (note !== '') this.notes.set(name, note);
  }

  /** The table: name, median, min, max, unit, note. */
  table(): string {
    const rows = [['figure', 'median', 'min', 'max', 'unit', 'note']];
    const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
    for (const [name, f] of this.figures) rows.push([name, fmt(f.median), fmt(f.min), fmt(f.max), f.unit, this.notes.get(name) ?? '']);
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    return rows.map((r) => r.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n');
  }

  /** Writes `{ name: { median, min, max, unit } }` to `path`. */
  async write(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(Object.fromEntries(this.figures), null, 2) + '\n');
  }
}

/**
 * Collects garbage left by earlier runs (when node runs with --expose-gc,
 * as `npm run bench` does), so that one run's garbage is not collected
 * inside the next run's timing. Twice: V8 frees dead array buffers after a
 * collection, on a background thread, and the second collection waits for
 * that to finish. A shared WebAssembly memory (the wasm tier) of a
 * previous run is freed only there (a plain ArrayBuffer's allocation makes
 * V8 collect earlier): unmapping its ≈ 270 MiB took ≈ 12 ms of a core
 * inside the next timed run (docs/performance.md, "Fault costs on
 * wasm-backed memory").
 */
export function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  gc();
  gc();
}

/** Wall-clock seconds of `fn`. */
export function timeSeconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
