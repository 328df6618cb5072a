/**
 * Pipes (`pipe2`): a 64 KiB ring shared by a read end and a write end.
 * Writes of at most PIPE_BUF bytes are atomic; a read of an empty pipe
 * with no writer left is end of file; a write with no reader left is
 * EPIPE (and SIGPIPE: the caller ends the process).
 */

import { Errno } from '../syscalls/errno.js';
import { BLOCKED, ObjectKind, type HandleObject, type OpenFile } from './open-file.js';

/**
 * Bytes a pipe holds (Linux's default pipe size: 16 pages).
 *
 * @example
 * ```ts
 * // fcntl(fd, F_GETPIPE_SZ) in the guest returns PIPE_CAPACITY
 * ```
 */
export const PIPE_CAPACITY = 65536;
/**
 * Writes up to this size are atomic (Linux's PIPE_BUF).
 *
 * @example
 * ```ts
 * const atomic = (length: number): boolean => length <= PIPE_BUF;
 * ```
 */
export const PIPE_BUF = 4096;

/**
 * The shared part of a pipe: the ring and how many open descriptions of
 * each end there are. `changed` is called whenever a waiting thread
 * might now proceed (data arrived, room appeared, an end closed).
 *
 * @example
 * ```ts
 * const pipe = new Pipe(1, () => {});
 * pipe.push(new TextEncoder().encode('hi'));
 * pipe.count;   // 2
 * ```
 */
export class Pipe {
  /** The ring. */
  private readonly ring = new Uint8Array(PIPE_CAPACITY);
  /** Index of the first byte held. */
  private head = 0;
  /** Bytes held. */
  count = 0;
  /** Open descriptions of the read end. */
  readers = 0;
  /** Open descriptions of the write end. */
  writers = 0;

  /**
   * @param id - its number in the handle space (stable across checkpoints)
   * @param changed - called when a waiter might proceed
   */
  constructor(readonly id: number, readonly changed: (pipe: Pipe) => void) {}

  /** Free bytes. */
  get room(): number {
    return PIPE_CAPACITY - this.count;
  }

  /** Appends as much of `src` as fits; returns how much. */
  push(src: Uint8Array): number {
    const n = Math.min(src.length, this.room);
    let tail = (this.head + this.count) % PIPE_CAPACITY;
    const first = Math.min(n, PIPE_CAPACITY - tail);
    this.ring.set(src.subarray(0, first), tail);
    if (n > first) this.ring.set(src.subarray(first, n), 0);
    tail = (tail + n) % PIPE_CAPACITY;
    this.count += n;
    return n;
  }

  /** Removes up to `dest.length` bytes into `dest`; returns how many. */
  pull(dest: Uint8Array): number {
    const n = Math.min(dest.length, this.count);
    const first = Math.min(n, PIPE_CAPACITY - this.head);
    dest.set(this.ring.subarray(this.head, this.head + first), 0);
    if (n > first) dest.set(this.ring.subarray(0, n - first), first);
    this.head = (this.head + n) % PIPE_CAPACITY;
    this.count -= n;
    return n;
  }

  /** A copy of the bytes held, oldest first (for checkpoints). */
  contents(): Uint8Array {
    const out = new Uint8Array(this.count);
    const first = Math.min(this.count, PIPE_CAPACITY - this.head);
    out.set(this.ring.subarray(this.head, this.head + first), 0);
    if (this.count > first) out.set(this.ring.subarray(0, this.count - first), first);
    return out;
  }
}

/**
 * One end of a {@link Pipe} as a handle object.
 *
 * @example
 * ```ts
 * const [r, w] = machine.handles.pipe(0);   // two handle numbers, as pipe2 gives them
 * ```
 */
export class PipeEnd implements HandleObject {
  /** {@link ObjectKind.Pipe}. */
  readonly kind = ObjectKind.Pipe;
  /** Pipes do not seek. */
  readonly seekable = false;

  /**
   * Counts itself as an open end of `pipe`.
   *
   * @param pipe - the pipe
   * @param writeEnd - true for the write end
   */
  constructor(readonly pipe: Pipe, readonly writeEnd: boolean) {
    if (writeEnd) pipe.writers++;
    else pipe.readers++;
  }

  /** See {@link HandleObject.readable}. */
  readable(file: OpenFile, _offset: number, max: number): number {
    const p = this.pipe;
    if (this.writeEnd) return -Errno.EBADF;
    if (max === 0) return 0;
    if (p.count > 0) return Math.min(p.count, max);
    if (p.writers === 0) return 0;
    return file.nonBlocking ? -Errno.EAGAIN : BLOCKED;
  }

  /** Reads what the pipe holds (up to `dest.length`); 0 at end of file; BLOCKED or EAGAIN when empty with a writer. */
  read(file: OpenFile, dest: Uint8Array, offset: number): number {
    const n = this.readable(file, offset, dest.length);
    if (n <= 0) return n;
    const got = this.pipe.pull(dest.subarray(0, n));
    this.pipe.changed(this.pipe);
    return got;
  }

  /**
   * Writes `src`: all of it when it has at most PIPE_BUF bytes and fits
   * (else nothing: BLOCKED or EAGAIN), otherwise as much as fits (BLOCKED
   * or EAGAIN when nothing does). -EPIPE with no read end open.
   */
  write(file: OpenFile, src: Uint8Array, _offset: number): number {
    const p = this.pipe;
    if (!this.writeEnd) return -Errno.EBADF;
    if (p.readers === 0) return -Errno.EPIPE;
    if (src.length === 0) return 0;
    const fits = src.length <= PIPE_BUF ? p.room >= src.length : p.room > 0;
    if (!fits) return file.nonBlocking ? -Errno.EAGAIN : BLOCKED;
    const n = p.push(src);
    p.changed(p);
    return n;
  }

  /** Pipes have no size. */
  size(): number {
    return 0;
  }

  /** This end closed: waiters on the other end see EOF or EPIPE. */
  release(): void {
    if (this.writeEnd) this.pipe.writers--;
    else this.pipe.readers--;
    this.pipe.changed(this.pipe);
  }

  /** `pipe N (read end)` or `pipe N (write end)`. */
  describe(): string {
    return `pipe ${this.pipe.id} (${this.writeEnd ? 'write' : 'read'} end)`;
  }

  /** Only another thread can unblock a pipe. */
  whenReady(): Promise<void> | null {
    return null;
  }
}
