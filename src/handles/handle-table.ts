/**
 * The handle table (Linux's file-descriptor table): numbered slots, each
 * empty or holding an open file description and a close-on-exec flag.
 */

import { Errno } from '../syscalls/errno.js';
import type { OpenFile } from './open-file.js';

/**
 * Slots of a handle table unless the machine says otherwise (Linux's default RLIMIT_NOFILE).
 *
 * @example
 * ```ts
 * const roomy = new Machine({ handleLimit: DEFAULT_HANDLE_LIMIT * 4 });
 * ```
 */
export const DEFAULT_HANDLE_LIMIT = 1024;

/**
 * Numbered slots `0..limit-1`. A new handle takes the lowest free number
 * at or above a minimum; installing at a number replaces what was there.
 * The table counts references on the descriptions it holds; whoever owns
 * the descriptions releases them when {@link HandleTable.remove} reports
 * the last reference gone.
 *
 * @example
 * ```ts
 * const fd = machine.handles.table.lowestFree(0);   // the number open() would give
 * ```
 */
export class HandleTable {
  private readonly slots: Array<OpenFile | null> = [];
  private readonly cloexec: boolean[] = [];
  /** Slots in use. */
  private used = 0;

  /**
   * Creates a table with every slot empty.
   *
   * @param limit - number of slots (handles are 0..limit-1)
   */
  constructor(readonly limit = DEFAULT_HANDLE_LIMIT) {}

  /**
   * The description at `fd`, or null when `fd` is not open.
   *
   * @param fd - a handle number
   */
  get(fd: number): OpenFile | null {
    if (!Number.isInteger(fd) || fd < 0 || fd >= this.slots.length) return null;
    return this.slots[fd] ?? null;
  }

  /**
   * Whether `fd` is open with close-on-exec set.
   *
   * @param fd - a handle number
   */
  closeOnExec(fd: number): boolean {
    return this.get(fd) !== null && this.cloexec[fd] === true;
  }

  /**
   * Sets or clears close-on-exec of open handle `fd`.
   *
   * @param fd - a handle number
   * @param on - the new flag
   */
  setCloseOnExec(fd: number, on: boolean): void {
    if (this.get(fd) !== null) this.cloexec[fd] = on;
  }

  /**
   * The lowest free number at or above `min`, or -EMFILE when none is below the limit.
   *
   * @param min - where to start looking
   */
  lowestFree(min: number): number {
    for (let fd = min; fd < this.limit; fd++) if (this.get(fd) === null) return fd;
    return -Errno.EMFILE;
  }

  /**
   * Puts `file` in the lowest free slot at or above `min`; returns the
   * number, or -EMFILE (nothing changed).
   *
   * @param file - the description
   * @param cloexec - close-on-exec for the slot
   * @param min - the lowest number it may take
   */
  allocate(file: OpenFile, cloexec: boolean, min = 0): number {
    const fd = this.lowestFree(min);
    if (fd < 0) return fd;
    this.put(fd, file, cloexec);
    return fd;
  }

  /**
   * Puts `file` at `fd` (0 ≤ fd < limit). Returns what was there (its
   * reference already dropped: the caller releases it when its `refs` is
   * 0), or null.
   *
   * @param fd - the slot (0 ≤ fd < limit)
   * @param file - the description
   * @param cloexec - close-on-exec for the slot
   */
  installAt(fd: number, file: OpenFile, cloexec: boolean): OpenFile | null {
    const old = this.remove(fd);
    this.put(fd, file, cloexec);
    return old;
  }

  /**
   * Empties slot `fd`; returns the description it held (its `refs` dropped by one) or null.
   *
   * @param fd - a handle number
   */
  remove(fd: number): OpenFile | null {
    const old = this.get(fd);
    if (old === null) return null;
    this.slots[fd] = null;
    this.cloexec[fd] = false;
    old.refs--;
    this.used--;
    return old;
  }

  /** Open handles in ascending order: `[fd, description, cloexec]`. */
  *entries(): IterableIterator<[number, OpenFile, boolean]> {
    for (let fd = 0; fd < this.slots.length; fd++) {
      const f = this.slots[fd];
      if (f !== null && f !== undefined) yield [fd, f, this.cloexec[fd] === true];
    }
  }

  /** Number of open handles. */
  get size(): number {
    return this.used;
  }

  private put(fd: number, file: OpenFile, cloexec: boolean): void {
    while (this.slots.length <= fd) { this.slots.push(null); this.cloexec.push(false); }
    this.slots[fd] = file;
    this.cloexec[fd] = cloexec;
    file.refs++;
    this.used++;
  }
}
