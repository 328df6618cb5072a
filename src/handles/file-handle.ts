/**
 * A file or directory of the machine's file system as a handle object.
 * The node is retained while a description refers to it (so a file
 * unlinked while open stays readable) and released with the last one.
 */

import type { FileSystem } from '../fs/file-system.js';
import type { FsNode } from '../fs/fs-node.js';
import { Errno } from '../syscalls/errno.js';
import { ObjectKind, type HandleObject, type OpenFile } from './open-file.js';

/**
 * An open file or directory. A directory's description offset is the
 * listing cookie `getdents64` resumes after.
 *
 * @example
 * ```ts
 * const file = machine.handles.get(3)!;
 * if (file.object instanceof FileHandle) console.log(file.object.node.ino);
 * ```
 */
export class FileHandle implements HandleObject {
  /** {@link ObjectKind.File} or {@link ObjectKind.Directory}. */
  readonly kind: ObjectKind;
  /** Files and directories seek (a directory to a listing cookie). */
  readonly seekable = true;

  /**
   * Takes over one retain of `node` (the caller retained it, e.g. through
   * `openAt`): {@link FileHandle.release} gives it back.
   *
   * @param fs - the file system
   * @param node - a retained file or directory
   * @param path - the path it was opened by (for messages and checkpoints)
   */
  constructor(readonly fs: FileSystem, readonly node: FsNode, readonly path: string) {
    this.kind = node.kind === 'directory' ? ObjectKind.Directory : ObjectKind.File;
  }

  /** See {@link HandleObject.readable}: what is left before the end of the file. */
  readable(_file: OpenFile, offset: number, max: number): number {
    if (this.kind === ObjectKind.Directory) return -Errno.EISDIR;
    const size = this.size();
    return Math.max(0, Math.min(max, size - offset));
  }

  /** Reads at `offset`. */
  read(_file: OpenFile, dest: Uint8Array, offset: number): number {
    if (this.kind === ObjectKind.Directory) return -Errno.EISDIR;
    return this.fs.read(this.node, offset, dest);
  }

  /** Writes at `offset`. */
  write(_file: OpenFile, src: Uint8Array, offset: number): number {
    if (this.kind === ObjectKind.Directory) return -Errno.EISDIR;
    return this.fs.write(this.node, offset, src);
  }

  /** `ftruncate`. */
  truncate(length: number): number {
    return this.fs.truncate(this.node, length);
  }

  /** The file's size (0 when its attributes cannot be read). */
  size(): number {
    const st = this.fs.stat(this.node);
    return typeof st === 'number' ? 0 : st.size;
  }

  /** Releases the node. */
  release(): void {
    this.fs.release(this.node);
  }

  /** The path it was opened by, with its kind. */
  describe(): string {
    return `${this.node.mount === null ? '' : 'mounted '}${this.kind === ObjectKind.Directory ? 'directory' : 'file'} ${this.path}`;
  }

  /** Files never wait. */
  whenReady(): Promise<void> | null {
    return null;
  }
}
