/**
 * Runs a machine for the command line: in slices, so that Ctrl-C (SIGINT)
 * and SIGTERM are noticed between two slices, and with a checkpoint image
 * written every N instructions when asked. A signal never cuts an image
 * short: the image being written is finished (renamed into place) before
 * the run stops.
 */
import type { Machine } from '../src/machine/machine.js';
import type { RunResult } from '../src/machine/run-result.js';
import type { ImageWriter } from './checkpoint-dir.js';

/** Instructions per slice when nothing else stops the run sooner: a few milliseconds of guest time. */
const SLICE = 1 << 20;

/** Signals that stop a run, and the exit status of each (128 + signal number). */
const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** How a run ended: the machine's result, or a signal. */
export type LoopOutcome =
  | { readonly kind: 'result'; readonly result: RunResult }
  | { readonly kind: 'signal'; readonly signal: keyof typeof SIGNALS; readonly status: number };

/** Options of {@link runLoop}. */
export interface LoopOptions {
  /** Stop after this many instructions in total, as `--max-instructions`. */
  readonly maxInstructions?: number;
  /** Write an image every `every` instructions with this writer. */
  readonly images?: { readonly writer: ImageWriter; readonly every: number } | null;
  /** Call `end` every `every` instructions (the epochs of --access-log and --dirty-log=FILE). */
  readonly epochs?: { readonly every: number; end(): void } | null;
  /** Run with `runAsync` (handlers may answer later: a remote restore's pages), each wait bounded by `timeoutMs`. */
  readonly async?: { readonly timeoutMs: number };
}

/**
 * Runs `machine` until the guest exits or faults, `maxInstructions` ran,
 * or SIGINT/SIGTERM arrives (caught only while this runs), writing images
 * as asked. Image write failures reject (a CliFileError).
 */
export async function runLoop(machine: Machine, options: LoopOptions): Promise<LoopOutcome> {
  let caught: keyof typeof SIGNALS | null = null;
  const listeners = (Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]).map((signal) => {
    const listener = (): void => { caught ??= signal; };
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  try {
    const cpu = machine.cpu;
    const stopAt = options.maxInstructions === undefined ? Infinity : cpu.instret + options.maxInstructions;
    const images = options.images ?? null;
    let nextImageAt = images === null ? Infinity : cpu.instret + images.every;
    const epochs = options.epochs ?? null;
    let nextEpochAt = epochs === null ? Infinity : cpu.instret + epochs.every;
    for (;;) {
      if (caught !== null) return { kind: 'signal', signal: caught, status: SIGNALS[caught] };
      const until = Math.min(stopAt, nextImageAt, nextEpochAt, cpu.instret + SLICE);
      const result = options.async === undefined
        ? machine.run({ maxInstructions: until - cpu.instret })
        : await machine.runAsync({ maxInstructions: until - cpu.instret, timeoutMs: options.async.timeoutMs });
      if (epochs !== null && cpu.instret >= nextEpochAt && result.kind === 'limit') {
        epochs.end();
        nextEpochAt = cpu.instret + epochs.every;
      }
      if (result.kind !== 'limit' || cpu.instret >= stopAt) return { kind: 'result', result };
      if (images !== null && cpu.instret >= nextImageAt) {
        await images.writer.write();
        nextImageAt = cpu.instret + images.every;
      } else {
        // Let the event loop deliver signals.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    for (const off of listeners) off();
  }
}
