/**
 * The interface a host directory implements to be mounted into the
 * machine's file system. The core imports no `node:` module: the Node
 * implementation is `HostDirectory` in `faultline/node`; a browser could
 * implement the same interface over IndexedDB or a fetch cache.
 *
 * Paths given to every method are **relative to the mounted directory**,
 * components joined by `/`, `''` for the directory itself. The guest
 * walker has already resolved them component by component with `lstat`
 * semantics: they hold no `.`, `..` or empty component and no symlink
 * before the last component. An implementation must still refuse (with
 * `-EACCES`) anything that would resolve outside its directory — a host
 * process may rename things between the walk and the call — and must never
 * follow a symlink in the last component.
 *
 * Every method returns a negative `Errno` value for failures the guest can
 * see (a missing entry, permission denied on the host, …) and throws only
 * for broken invariants.
 */

import type { NodeKind } from './fs-stat.js';

/**
 * What `lstat` of a host entry gives. Entries of kinds the guest cannot see
 * (sockets, devices, FIFOs) report `'other'`; the file system hides them.
 *
 * @example
 * ```ts
 * const st = dir.lstat('notes.txt');
 * if (typeof st !== 'number' && st.kind === 'file') console.log(st.size);
 * ```
 */
export interface HostStat {
  /** What the entry is. */
  readonly kind: NodeKind | 'other';
  /** Permission bits (0o7777). */
  readonly mode: number;
  /** Size in bytes. */
  readonly size: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  /** Hard links to the entry. */
  readonly nlink: number;
  /** Host identity of the entry (its inode number); a change means the entry was replaced. */
  readonly hostIno: bigint;
  /** Access time, nanoseconds since the Unix epoch. */
  readonly atimeNs: bigint;
  /** Modification time, nanoseconds since the Unix epoch. */
  readonly mtimeNs: bigint;
  /** Status-change time, nanoseconds since the Unix epoch. */
  readonly ctimeNs: bigint;
}

/**
 * An open host file, confined to its mounted directory (checked after
 * opening). Offsets are absolute; there is no file position.
 *
 * @example
 * ```ts
 * const f = dir.open('data.bin', { write: false });
 * if (typeof f !== 'number') { const n = f.read(0, new Uint8Array(16)); f.close(); }
 * ```
 */
export interface HostFile {
  /** Whether the file was opened for writing. */
  readonly writable: boolean;
  /**
   * Reads up to `dest.length` bytes at `offset`.
   *
   * @param offset - byte offset in the file
   * @param dest - where the bytes go
   * @returns bytes read (0 at end of file), or a negative errno
   */
  read(offset: number, dest: Uint8Array): number;
  /**
   * Writes `src` at `offset`.
   *
   * @param offset - byte offset in the file
   * @param src - the bytes
   * @returns bytes written, or a negative errno (`-EBADF` if not writable)
   */
  write(offset: number, src: Uint8Array): number;
  /**
   * Sets the size.
   *
   * @param size - new size in bytes
   * @returns 0, or a negative errno
   */
  truncate(size: number): number;
  /**
   * The open file's attributes.
   *
   * @returns the attributes, or a negative errno
   */
  stat(): HostStat | number;
  /** Closes the file; later calls are broken invariants. Never throws. */
  close(): void;
}

/**
 * Options of {@link MountedDirectory.open}.
 *
 * @example
 * ```ts
 * const options: HostOpenOptions = { write: true, create: { mode: 0o644 } };
 * ```
 */
export interface HostOpenOptions {
  /** Open for reading and writing (else reading only). */
  readonly write: boolean;
  /** Create the file, which must not exist (`O_CREAT|O_EXCL`), with these permission bits. */
  readonly create?: {
    /** Permission bits of the new file. */
    readonly mode: number;
  };
}

/**
 * A host directory that can be mounted at a guest path (see the module
 * comment for the path rules every method relies on).
 *
 * @example
 * ```ts
 * import { HostDirectory } from 'faultline/node';
 * const fs = new FileSystem();
 * fs.mount('/data', new HostDirectory('/tmp/data'), { readOnly: true });
 * ```
 */
export interface MountedDirectory {
  /** Opaque text naming the host directory, recorded in checkpoint images (e.g. the host path). */
  readonly label: string;
  /**
   * Attributes of an entry, not following a final symlink.
   *
   * @param path - relative path (`''`: the directory itself)
   * @returns the attributes, or `-ENOENT`, `-ENOTDIR`, `-EACCES`, …
   */
  lstat(path: string): HostStat | number;
  /**
   * Names in a directory, without `.` and `..`, in any order.
   *
   * @param path - relative path of a directory
   * @returns the names, or a negative errno
   */
  readdir(path: string): string[] | number;
  /**
   * A symlink's target text.
   *
   * @param path - relative path of a symlink
   * @returns the target, or a negative errno (`-EINVAL` if not a symlink)
   */
  readlink(path: string): string | number;
  /**
   * Opens a regular file without following a final symlink, and checks
   * after opening that the file is inside the directory.
   *
   * @param path - relative path
   * @param options - access and creation
   * @returns the open file, or a negative errno (`-ELOOP` for a symlink,
   *   `-EEXIST` when creating over an entry, `-EACCES` outside the directory)
   */
  open(path: string, options: HostOpenOptions): HostFile | number;
  /**
   * Creates a directory.
   *
   * @param path - relative path of the new directory
   * @param mode - permission bits
   * @returns 0, or a negative errno
   */
  mkdir(path: string, mode: number): number;
  /**
   * Creates a symlink holding `target` (taken as guest-path text).
   *
   * @param target - link text
   * @param path - relative path of the new link
   * @returns 0, or a negative errno
   */
  symlink(target: string, path: string): number;
  /**
   * Removes a non-directory entry.
   *
   * @param path - relative path
   * @returns 0, or a negative errno
   */
  unlink(path: string): number;
  /**
   * Removes an empty directory.
   *
   * @param path - relative path
   * @returns 0, or a negative errno (`-ENOTEMPTY`)
   */
  rmdir(path: string): number;
  /**
   * Renames an entry, replacing what `to` names as `rename(2)` does.
   *
   * @param from - relative path of the entry
   * @param to - its new relative path
   * @returns 0, or a negative errno
   */
  rename(from: string, to: string): number;
  /**
   * Sets a file's size by path.
   *
   * @param path - relative path of a regular file
   * @param size - new size
   * @returns 0, or a negative errno
   */
  truncate(path: string, size: number): number;
}
