/**
 * Nodes of the machine's file system: in-memory files, directories and
 * symlinks, and nodes backed by a mounted host directory.
 *
 * Every node has an inode number from one allocation counter (so the same
 * operations give the same numbers on every run) and a kind. A node lives
 * while it is linked into a directory or open (see `FileSystem.retain`):
 * an unlinked file that a handle still holds stays readable and writable.
 */

import type { FileContents } from './file-contents.js';
import type { NodeKind } from './fs-stat.js';
import type { Mount, MountInfo } from './mount.js';
import type { HostFile } from './mounted-directory.js';

/**
 * A node of the file system, as the API hands it out. Compare nodes by
 * identity or by {@link FsNode.ino}; everything else goes through the
 * `FileSystem` methods.
 *
 * @example
 * ```ts
 * const node = fs.resolve('/etc/motd');
 * if (typeof node !== 'number') console.log(node.ino, node.kind);
 * ```
 */
export abstract class FsNode {
  /** What the node is. */
  abstract readonly kind: NodeKind;
  /**
   * Opens held on the node (handles, a current directory).
   *
   * @internal Kept by `FileSystem.retain`/`release`.
   */
  openCount = 0;

  /**
   * Creates a node; only the file system does.
   *
   * @param ino - inode number, from the file system's allocation counter
   */
  constructor(
    /** Inode number, unique among live nodes and never reused. */
    readonly ino: number,
  ) {}

  /** The mount this node belongs to, `null` for the in-memory tree. */
  abstract get mount(): MountInfo | null;
}

/**
 * Attributes every in-memory node keeps.
 *
 * @internal The in-memory tree; reached through `FileSystem`.
 */
export abstract class MemoryNode extends FsNode {
  /** Permission bits (0o7777). */
  mode: number;
  /** Access time, nanoseconds. */
  atimeNs: number;
  /** Modification time, nanoseconds. */
  mtimeNs: number;
  /** Status-change time, nanoseconds. */
  ctimeNs: number;
  /** Whether a directory entry names the node. */
  linked = true;
  /** Generation at which the node was created. */
  createdAt: number;
  /** Generation of the node's last change (attributes, contents or entries). */
  changedAt: number;

  constructor(ino: number, mode: number, nowNs: number, generation: number) {
    super(ino);
    this.mode = mode;
    this.atimeNs = this.mtimeNs = this.ctimeNs = nowNs;
    this.createdAt = this.changedAt = generation;
  }

  override get mount(): MountInfo | null {
    return null;
  }
}

/**
 * An in-memory regular file.
 *
 * @internal The in-memory tree.
 */
export class MemoryFile extends MemoryNode {
  override readonly kind = 'file' as const;

  constructor(
    ino: number,
    mode: number,
    nowNs: number,
    generation: number,
    /** The file's bytes. */
    readonly contents: FileContents,
  ) {
    super(ino, mode, nowNs, generation);
  }
}

/**
 * One entry of an in-memory directory: the node it names and its cookie
 * (position for `getdents64`), increasing in insertion order.
 *
 * @internal The in-memory tree.
 */
export interface DirectorySlot {
  /** The named node. */
  readonly node: MemoryNode;
  /** Position in the listing; entries are listed in cookie order. */
  readonly cookie: number;
}

/** Cookie of `.`; `..` is 2 and entries count from {@link FIRST_ENTRY_COOKIE}. */
export const DOT_COOKIE = 1;
/** Cookie of `..`. */
export const DOTDOT_COOKIE = 2;
/** Cookie of a directory's first entry. */
export const FIRST_ENTRY_COOKIE = 3;

/**
 * An in-memory directory: entries in insertion order (a `Map` keeps it),
 * each with a cookie so a listing resumes by position.
 *
 * @internal The in-memory tree.
 */
export class MemoryDirectory extends MemoryNode {
  override readonly kind = 'directory' as const;
  /** Entries by name, in insertion (= cookie) order. */
  readonly entries = new Map<string, DirectorySlot>();
  /** Cookie the next entry gets. */
  nextCookie = FIRST_ENTRY_COOKIE;
  /** Entries that are directories (nlink is 2 + this). */
  subdirectories = 0;
  /** The mount covering this directory, if one is mounted here. */
  coveredBy: Mount | null = null;

  constructor(
    ino: number,
    mode: number,
    nowNs: number,
    generation: number,
    /** The parent directory (the root is its own parent). */
    public parent: MemoryDirectory | null,
  ) {
    super(ino, mode, nowNs, generation);
  }
}

/**
 * An in-memory symbolic link.
 *
 * @internal The in-memory tree.
 */
export class MemorySymlink extends MemoryNode {
  override readonly kind = 'symlink' as const;

  constructor(
    ino: number,
    nowNs: number,
    generation: number,
    /** The link text. */
    public target: string,
  ) {
    super(ino, 0o777, nowNs, generation);
  }
}

/**
 * A node under a mount, backed by an entry of the host directory.
 *
 * @internal Mounted nodes; reached through `FileSystem`.
 */
export class HostNode extends FsNode {
  /** The open host file while the node is retained (files only). */
  file: HostFile | null = null;
  /** Whether the guest removed the entry (the open host file may still be read). */
  unlinked = false;
  /** Listing cookies by name (directories): assigned in sorted order when a name is first seen. */
  readonly cookies = new Map<string, number>();
  /** Cookie the next name gets. */
  nextCookie = FIRST_ENTRY_COOKIE;

  constructor(
    ino: number,
    /** What the node is. */
    readonly kind: NodeKind,
    /** The mount the node is under. */
    readonly owner: Mount,
    /** Path relative to the mounted directory, `''` for its root. */
    public path: string,
    /** The host's identity of the entry when it was looked up. */
    readonly hostIno: bigint,
  ) {
    super(ino);
  }

  override get mount(): Mount {
    return this.owner;
  }
}
