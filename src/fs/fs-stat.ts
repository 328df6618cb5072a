/**
 * What `stat` reports about a node of the machine's file system, and the
 * Linux numbers (`S_IF*` file types, `DT_*` directory-entry types) the
 * system-call layer writes into `statx` and `getdents64` records.
 */

/**
 * The three kinds of node the file system holds.
 *
 * @example
 * ```ts
 * const kind: NodeKind = 'file';
 * ```
 */
export type NodeKind = 'file' | 'directory' | 'symlink';

/**
 * File-type bits of `st_mode` (Linux `include/uapi/linux/stat.h`).
 *
 * @example
 * ```ts
 * const isDir = (st.mode & FileType.S_IFMT) === FileType.S_IFDIR;
 * ```
 *
 * @enum
 */
export const FileType = {
  /** 0o170000: mask of the type bits. */
  S_IFMT: 0o170000,
  /** 0o120000: symbolic link. */
  S_IFLNK: 0o120000,
  /** 0o100000: regular file. */
  S_IFREG: 0o100000,
  /** 0o040000: directory. */
  S_IFDIR: 0o040000,
} as const;

/**
 * `d_type` values of a `getdents64` record (Linux `include/linux/fs_types.h`).
 *
 * @example
 * ```ts
 * const type = direntType('directory'); // DirentType.DT_DIR
 * ```
 *
 * @enum
 */
export const DirentType = {
  /** 4: directory. */
  DT_DIR: 4,
  /** 8: regular file. */
  DT_REG: 8,
  /** 10: symbolic link. */
  DT_LNK: 10,
} as const;

/**
 * Permission bits a caller may give (`S_ISUID`… `S_IXOTH`, 0o7777).
 *
 * @example
 * ```ts
 * const perms = st.mode & PERMISSION_BITS;
 * ```
 */
export const PERMISSION_BITS = 0o7777;

/**
 * Bytes per `st_blocks` unit, as Linux counts it.
 *
 * @example
 * ```ts
 * const allocated = st.blocks * STAT_BLOCK_SIZE;
 * ```
 */
export const STAT_BLOCK_SIZE = 512;

/**
 * A node's attributes as `stat`/`statx` give them. Times are nanoseconds
 * since the epoch of the clock that set them (virtual time for the
 * in-memory tree, host time for mounted nodes).
 *
 * @example
 * ```ts
 * const st = fs.stat(node);
 * if (typeof st !== 'number') console.log(st.ino, st.size, st.mode.toString(8));
 * ```
 */
export interface FsStat {
  /** Device number: 1 for the in-memory tree, one per mount from 2. */
  readonly dev: number;
  /** Inode number, unique on its device while the node lives. */
  readonly ino: number;
  /** What the node is. */
  readonly kind: NodeKind;
  /** `st_mode`: file-type bits ({@link FileType}) and permission bits. */
  readonly mode: number;
  /** Hard links: 1 for a linked file or symlink, 0 once unlinked, 2 + subdirectories for a directory. */
  readonly nlink: number;
  /** Owner: 0 (the guest runs as root). */
  readonly uid: number;
  /** Group: 0. */
  readonly gid: number;
  /** Size in bytes: a file's length, a symlink's target length in bytes, 0 for an in-memory directory. */
  readonly size: number;
  /** 512-byte blocks holding data (sparse files hold fewer). */
  readonly blocks: number;
  /** Preferred I/O size. */
  readonly blksize: number;
  /** Last access (nanoseconds). */
  readonly atimeNs: bigint;
  /** Last content change (nanoseconds). */
  readonly mtimeNs: bigint;
  /** Last attribute change (nanoseconds). */
  readonly ctimeNs: bigint;
}

/**
 * The `st_mode` type bits of a kind.
 *
 * @param kind - the node kind
 * @returns `S_IFREG`, `S_IFDIR` or `S_IFLNK`
 * @example
 * ```ts
 * typeBits('directory') === FileType.S_IFDIR; // true
 * ```
 */
export function typeBits(kind: NodeKind): number {
  return kind === 'file' ? FileType.S_IFREG : kind === 'directory' ? FileType.S_IFDIR : FileType.S_IFLNK;
}

/**
 * The `getdents64` `d_type` of a kind.
 *
 * @param kind - the node kind
 * @returns `DT_REG`, `DT_DIR` or `DT_LNK`
 * @example
 * ```ts
 * direntType('symlink') === DirentType.DT_LNK; // true
 * ```
 */
export function direntType(kind: NodeKind): number {
  return kind === 'file' ? DirentType.DT_REG : kind === 'directory' ? DirentType.DT_DIR : DirentType.DT_LNK;
}
