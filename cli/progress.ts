/**
 * The progress line of long runs (docs/access-tracking.md, "Progress"):
 * once a run has lasted ~2 s, one line on stderr, redrawn in place a few
 * times a second — instructions, faults, images written, time and rate —
 * and erased when the run ends. Only when stderr is a terminal: never in
 * a pipe, a file or a test.
 */

/** What the line shows. */
export interface ProgressSample {
  /** Instructions retired so far. */
  readonly instructions: number;
  /** Faults so far. */
  readonly faults: number;
  /** Checkpoint images written so far. */
  readonly images: number;
}

/** Where the line goes: a stream with `isTTY` (process.stderr). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** Milliseconds a run lasts before the line appears. */
export const PROGRESS_DELAY_MS = 2000;
/** Milliseconds between redraws. */
export const PROGRESS_INTERVAL_MS = 250;

/** `n` with a k/M/G suffix (3 significant digits), e.g. 1234567 → "1.23M". */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  const units = ['k', 'M', 'G', 'T'];
  let v = n, u = -1;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${units[u]}`;
}

/**
 * The line's text for `sample` after `seconds`, at most `width` columns:
 * `faultline: 12.3M instructions (6.15 MIPS), 4.51k faults, 3 images, 2.0 s`.
 */
export function formatProgress(sample: ProgressSample, seconds: number, width = 80): string {
  const mips = seconds > 0 ? sample.instructions / seconds / 1e6 : 0;
  const text = `faultline: ${shortCount(sample.instructions)} instructions (${mips.toFixed(mips >= 100 ? 0 : 2)} MIPS), ${shortCount(sample.faults)} faults, ${sample.images} image${sample.images === 1 ? '' : 's'}, ${seconds.toFixed(1)} s`;
  return text.length > width - 1 ? text.slice(0, Math.max(0, width - 2)) + '…' : text;
}

/**
 * A progress line on `stream`. {@link tick} draws it when the stream is a
 * terminal and the run has lasted {@link PROGRESS_DELAY_MS}; {@link stop}
 * erases it. On anything but a terminal it never writes.
 */
export class ProgressLine {
  private readonly started: number;
  private shown = false;
  private stopped = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly sample: () => ProgressSample,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** True when the line can appear at all (the stream is a terminal). */
  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** Redraws the line if it is due. */
  tick(): void {
    if (this.stopped || !this.enabled) return;
    const elapsed = this.now() - this.started;
    if (elapsed < PROGRESS_DELAY_MS) return;
    this.shown = true;
    this.stream.write(`\r${formatProgress(this.sample(), elapsed / 1000, this.stream.columns || 80)}\x1b[K`);
  }

  /** Erases the line (if it was drawn) and draws no more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.shown) this.stream.write('\r\x1b[K');
  }
}

/**
 * Starts a progress line on `stream` redrawn every
 * {@link PROGRESS_INTERVAL_MS} (an unref'd timer: it never keeps the
 * process alive); returns the function that stops and erases it.
 */
export function startProgress(stream: ProgressStream, sample: () => ProgressSample): () => void {
  const line = new ProgressLine(stream, sample);
  if (!line.enabled) return () => {};
  const timer = setInterval(() => line.tick(), PROGRESS_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    line.stop();
  };
}
