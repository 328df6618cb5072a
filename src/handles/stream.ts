/**
 * The standard streams: stdin from a host source, stdout and stderr to
 * host sinks ({@link OutputSink}).
 */

import { Errno } from '../syscalls/errno.js';
import type { OutputSink } from '../machine/output.js';
import { BLOCKED, ObjectKind, type HandleObject, type OpenFile } from './open-file.js';

/**
 * What an {@link InputSource} returns when it has nothing yet but will
 * later (an asynchronous source): the reading thread waits, others run,
 * and under `runAsync()` the machine awaits the source's `ready()`.
 *
 * @example
 * ```ts
 * const source = Object.assign(() => (queue.shift() ?? WOULD_BLOCK), { ready: () => arrival });
 * ```
 */
export const WOULD_BLOCK: unique symbol = Symbol('would block');

/**
 * A host source of guest input: each call returns the next chunk, `null`
 * at end of input, or {@link WOULD_BLOCK}. An asynchronous source also
 * has `ready()`: a promise that settles when a call may return more.
 * Must not throw.
 *
 * @example
 * ```ts
 * const lines = ['one\n', 'two\n'];
 * const source: InputSource = () => (lines.length > 0 ? new TextEncoder().encode(lines.shift()!) : null);
 * const machine = new Machine({ stdin: source });
 * ```
 */
export interface InputSource {
  (): Uint8Array | null | typeof WOULD_BLOCK;
  /** For an asynchronous source: settles when it may have more. */
  ready?: () => Promise<void>;
}

/**
 * What the `stdin` machine option accepts: bytes, text (UTF-8) or a source.
 *
 * @example
 * ```ts
 * const stdin: StdinOption = 'one line\n';
 * ```
 */
export type StdinOption = Uint8Array | string | InputSource;

/**
 * An {@link InputSource} fed from an async iterable (a Node stream, a
 * `ReadableStream`'s iterator): chunks are buffered as they arrive, and
 * the source answers {@link WOULD_BLOCK} until the next one does.
 *
 * @param chunks - the host's input, as Uint8Array or string chunks
 * @example
 * ```ts
 * const machine = new Machine({ stdin: inputFromAsyncIterable(process.stdin) });
 * await machine.runAsync();
 * ```
 */
export function inputFromAsyncIterable(chunks: AsyncIterable<Uint8Array | string>): InputSource {
  const queue: Uint8Array[] = [];
  let ended = false;
  let waiters: Array<() => void> = [];
  const wake = (): void => { const w = waiters; waiters = []; for (const f of w) f(); };
  let started = false;
  const encoder = new TextEncoder();
  const pump = async (): Promise<void> => {
    try {
      for await (const c of chunks) {
        queue.push(typeof c === 'string' ? encoder.encode(c) : new Uint8Array(c));
        wake();
      }
    } finally {
      ended = true;
      wake();
    }
  };
  const source = (() => {
    if (!started) { started = true; void pump().catch(() => {}); }
    if (queue.length > 0) return queue.shift()!;
    return ended ? null : WOULD_BLOCK;
  }) as InputSource;
  source.ready = () => new Promise<void>((resolve) => {
    if (queue.length > 0 || ended) { resolve(); return; }
    waiters.push(resolve);
  });
  return source;
}

/**
 * An {@link InputSource} that gives `bytes` once, then end of input.
 *
 * @param bytes - the whole input
 * @example
 * ```ts
 * const machine = new Machine({ stdin: inputFromBytes(new TextEncoder().encode('hello\n')) });
 * ```
 */
export function inputFromBytes(bytes: Uint8Array): InputSource {
  let given = false;
  return () => {
    if (given) return null;
    given = true;
    return bytes;
  };
}

/**
 * The guest's stdin: chunks from a host source, handed out in order. It
 * counts the bytes the guest consumed (a checkpoint records the count and
 * the bytes pulled from the source but not read yet).
 *
 * @example
 * ```ts
 * const stdin = new InputStream(inputFromBytes(new TextEncoder().encode('hello')));
 * ```
 */
export class InputStream implements HandleObject {
  /** {@link ObjectKind.Stream}. */
  readonly kind = ObjectKind.Stream;
  /** Streams do not seek. */
  readonly seekable = false;
  /** Bytes pulled from the source and not read yet. */
  pending: Uint8Array = new Uint8Array(0);
  /** Bytes the guest has read. */
  consumed = 0;
  /** The source said end of input. */
  ended = false;

  /** @param source - where the bytes come from */
  constructor(readonly source: InputSource) {}

  /** Pulls from the source until something is pending, the end, or WOULD_BLOCK (returned as BLOCKED). */
  private fill(): number {
    // Empty chunks are skipped; a source that keeps returning them still ends the loop at a bound.
    for (let k = 0; k < 1024 && this.pending.length === 0 && !this.ended; k++) {
      const chunk = this.source();
      if (chunk === null) this.ended = true;
      else if (chunk === WOULD_BLOCK) return BLOCKED;
      else this.pending = chunk;
    }
    return 0;
  }

  /** See {@link HandleObject.readable}. */
  readable(file: OpenFile, _offset: number, max: number): number {
    if (max === 0) return 0;
    if (this.fill() === BLOCKED) return file.nonBlocking ? -Errno.EAGAIN : BLOCKED;
    return Math.min(this.pending.length, max);
  }

  /** Reads pending input; 0 at end of input. */
  read(file: OpenFile, dest: Uint8Array, offset: number): number {
    const n = this.readable(file, offset, dest.length);
    if (n <= 0) return n;
    dest.set(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    this.consumed += n;
    return n;
  }

  /** stdin is read-only: EBADF (the description is opened read-only, so this is not reached). */
  write(): number {
    return -Errno.EBADF;
  }

  /** Streams have no size. */
  size(): number {
    return 0;
  }

  /** Nothing to release: the host owns the source. */
  release(): void {}

  /** `stdin`. */
  describe(): string {
    return 'stdin';
  }

  /** The source's `ready()`, or null for a synchronous source. */
  whenReady(): Promise<void> | null {
    return this.source.ready === undefined ? null : this.source.ready();
  }
}

/**
 * stdout or stderr: every write goes to a host sink at once.
 *
 * @example
 * ```ts
 * const out = new CollectedOutput();
 * const stdout = new OutputStream('stdout', out.sink);
 * ```
 */
export class OutputStream implements HandleObject {
  /** {@link ObjectKind.Stream}. */
  readonly kind = ObjectKind.Stream;
  /** Streams do not seek. */
  readonly seekable = false;

  /**
   * @param name - `stdout` or `stderr`
   * @param sink - where the bytes go
   */
  constructor(readonly name: 'stdout' | 'stderr', readonly sink: OutputSink) {}

  /** Output streams are write-only. */
  readable(): number {
    return -Errno.EBADF;
  }

  /** Output streams are write-only. */
  read(): number {
    return -Errno.EBADF;
  }

  /** Hands the bytes to the sink (the system call copied them out of guest memory: the sink may keep them). */
  write(_file: OpenFile, src: Uint8Array): number {
    if (src.length > 0) this.sink(src);
    return src.length;
  }

  /** Streams have no size. */
  size(): number {
    return 0;
  }

  /** Nothing to release: the host owns the sink. */
  release(): void {}

  /** `stdout` or `stderr`. */
  describe(): string {
    return this.name;
  }

  /** Writes never wait. */
  whenReady(): Promise<void> | null {
    return null;
  }
}
