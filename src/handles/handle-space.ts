/**
 * The guest's capability space (docs/design.md §12): the handle table,
 * the open file descriptions and their objects, the working directory
 * and umask. Shared by every thread (they are Linux threads: CLONE_FILES
 * and CLONE_FS).
 */

import type { FileSystem } from '../fs/file-system.js';
import type { FsNode } from '../fs/fs-node.js';
import { Errno } from '../syscalls/errno.js';
import { DEFAULT_HANDLE_LIMIT, HandleTable } from './handle-table.js';
import { OpenFile, OpenFlag, type HandleObject } from './open-file.js';
import { Pipe, PipeEnd } from './pipe.js';
import { InputStream } from './stream.js';

/**
 * The process umask Linux starts `init` with.
 *
 * @example
 * ```ts
 * new Machine({ umask: DEFAULT_UMASK | 0o070 });   // also no group rights
 * ```
 */
export const DEFAULT_UMASK = 0o022;

/**
 * What a blocked thread waits on for `object`: the pipe for either end
 * (both ends' changes wake it), else the object itself.
 * @internal
 */
export function waitKeyOf(object: HandleObject): object {
  return object instanceof PipeEnd ? object.pipe : object;
}

/**
 * The handle table and what it refers to. A new handle takes the lowest
 * free number; `dup` shares the open file description (offset and status
 * flags); an object is released when the last description referring to it
 * closes.
 *
 * @example
 * ```ts
 * const space = machine.handles;
 * const [readEnd, writeEnd] = space.pipe(0) as [number, number];
 * space.dup(writeEnd, 10, false);   // 10: the lowest free number from 10
 * space.close(readEnd);
 * ```
 */
export class HandleSpace {
  /** The numbered slots. */
  readonly table: HandleTable;
  /** The process umask (applied by the calls that create files). */
  umask = DEFAULT_UMASK;
  /**
   * The working directory: retained in the file system while it is the
   * working directory, except the root (which is never freed), so a new
   * machine's file system stays unchanged until the guest runs.
   */
  cwd: FsNode;
  /** The machine's stdin (what fd 0 refers to at start; a restore gives it its pending input). @internal */
  stdin: InputStream = new InputStream(() => null);
  /** Called when a pipe changed, with the pipe: the machine wakes the threads waiting on it. @internal */
  changed: (key: object) => void = () => {};
  private nextFileId = 1;
  private nextPipeId = 1;

  /**
   * Creates an empty space whose working directory is the root.
   *
   * @param fileSystem - the machine's file system (the working directory starts at its root)
   * @param limit - the number of slots (default 1024)
   */
  constructor(readonly fileSystem: FileSystem, limit = DEFAULT_HANDLE_LIMIT) {
    this.table = new HandleTable(limit);
    this.cwd = fileSystem.root;
  }

  /**
   * Makes `node` the working directory: 0, or -ENOTDIR when it is not a
   * directory (nothing changes then).
   *
   * @param node - the new working directory
   */
  changeDirectory(node: FsNode): number {
    if (node.kind !== 'directory') return -Errno.ENOTDIR;
    const fs = this.fileSystem;
    if (node !== fs.root) {
      const r = fs.retain(node);
      if (r < 0) return r;
    }
    const old = this.cwd;
    this.cwd = node;
    if (old !== fs.root) fs.release(old);
    return 0;
  }

  /**
   * The open file description at `fd`, or null.
   *
   * @param fd - a handle number
   */
  get(fd: number): OpenFile | null {
    return this.table.get(fd);
  }

  /**
   * A new open file description of `object` with `flags` (access mode and
   * status flags; `O_CLOEXEC` and the creation flags are not kept), put in
   * the lowest free slot at or above `min`. Returns the handle number or
   * -EMFILE (the object is then released).
   *
   * @param object - what the handle refers to
   * @param flags - `openat` flags
   * @param min - the lowest number it may take
   */
  open(object: HandleObject, flags: number, min = 0): number {
    const file = this.describe(object, flags);
    const fd = this.table.allocate(file, (flags & OpenFlag.CloseOnExec) !== 0, min);
    if (fd < 0) object.release();
    return fd;
  }

  /**
   * A new open file description of `object` that no slot holds yet (for a
   * restore, which places it with {@link HandleTable.installAt}).
   * @internal
   */
  describe(object: HandleObject, flags: number, id = this.nextFileId++, offset = 0): OpenFile {
    if (id >= this.nextFileId) this.nextFileId = id + 1;
    const kept = flags & ~(OpenFlag.CloseOnExec | OpenFlag.Create | OpenFlag.Exclusive | OpenFlag.NoCtty | OpenFlag.Truncate);
    return new OpenFile(id, object, kept | OpenFlag.LargeFile, offset);
  }

  /** The id the next open file description gets (checkpoints keep it). @internal */
  get upcomingFileId(): number {
    return this.nextFileId;
  }

  /** Sets the counters a checkpoint restores. @internal */
  setCounters(nextFileId: number, nextPipeId: number): void {
    this.nextFileId = nextFileId;
    this.nextPipeId = nextPipeId;
  }

  /** The id the next pipe gets. @internal */
  get upcomingPipeId(): number {
    return this.nextPipeId;
  }

  /**
   * Closes `fd`: 0, or -EBADF when it is not open. The object is released with its last description.
   *
   * @param fd - a handle number
   */
  close(fd: number): number {
    const file = this.table.remove(fd);
    if (file === null) return -Errno.EBADF;
    if (file.refs === 0) file.object.release();
    return 0;
  }

  /**
   * `dup`/`F_DUPFD`: a new handle on `fd`'s description, the lowest free
   * number at or above `min`. -EBADF when `fd` is not open, -EINVAL when
   * `min` is not below the limit, -EMFILE when no slot is free.
   *
   * @param fd - the handle to duplicate
   * @param min - the lowest number the copy may take
   * @param cloexec - close-on-exec for the copy
   */
  dup(fd: number, min: number, cloexec: boolean): number {
    const file = this.table.get(fd);
    if (file === null) return -Errno.EBADF;
    if (min < 0 || min >= this.table.limit) return -Errno.EINVAL;
    return this.table.allocate(file, cloexec, min);
  }

  /**
   * `dup3(oldfd, newfd, flags)`: `newfd` refers to `oldfd`'s description
   * (what it held is closed). -EBADF for an `oldfd` not open or a `newfd`
   * outside the table, -EINVAL when they are equal.
   *
   * @param oldfd - the handle to duplicate
   * @param newfd - the number the copy takes
   * @param cloexec - close-on-exec for the copy
   */
  dup3(oldfd: number, newfd: number, cloexec: boolean): number {
    const file = this.table.get(oldfd);
    if (file === null) return -Errno.EBADF;
    if (newfd < 0 || newfd >= this.table.limit) return -Errno.EBADF;
    if (oldfd === newfd) return -Errno.EINVAL;
    const old = this.table.installAt(newfd, file, cloexec);
    if (old !== null && old.refs === 0) old.object.release();
    return newfd;
  }

  /**
   * `pipe2`: a new pipe; returns `[readFd, writeFd]` (the two lowest free
   * numbers), or -EMFILE when there are not two free slots (nothing is
   * opened then).
   *
   * @param flags - O_CLOEXEC and O_NONBLOCK, for both ends
   */
  pipe(flags: number): [number, number] | number {
    const first = this.table.lowestFree(0);
    if (first < 0 || this.table.lowestFree(first + 1) < 0) return -Errno.EMFILE;
    const pipe = this.newPipe();
    const r = this.open(new PipeEnd(pipe, false), OpenFlag.ReadOnly | flags);
    const w = this.open(new PipeEnd(pipe, true), OpenFlag.WriteOnly | flags);
    return [r, w];
  }

  /** A pipe with the next id whose changes wake its waiters. @internal */
  newPipe(id = this.nextPipeId++): Pipe {
    if (id >= this.nextPipeId) this.nextPipeId = id + 1;
    return new Pipe(id, (p) => this.changed(p));
  }

  /**
   * Closes every handle (the process ended), releasing every object:
   * service sessions are closed, pipes see their ends go.
   */
  closeAll(): void {
    for (const [fd] of [...this.table.entries()]) this.close(fd);
  }
}
