/**
 * A host directory mounted at a guest path: the mount table entry and the
 * cache of host nodes looked up under it (one node per host path, so a
 * path keeps its inode number while the host entry stays the same).
 */

import type { HostNode, MemoryDirectory } from './fs-node.js';
import type { MountedDirectory } from './mounted-directory.js';

/**
 * Options of `FileSystem.mount`.
 *
 * @example
 * ```ts
 * fs.mount('/data', dir, { readOnly: true });
 * ```
 */
export interface MountOptions {
  /** Refuse every change under the mount with `-EROFS` (default false). */
  readonly readOnly?: boolean;
}

/**
 * What the mount table says about one mount (`FileSystem.mounts`).
 *
 * @example
 * ```ts
 * for (const m of fs.mounts) console.log(m.guestPath, m.readOnly, m.label);
 * ```
 */
export interface MountInfo {
  /** Absolute guest path of the mount point. */
  readonly guestPath: string;
  /** Whether changes are refused. */
  readonly readOnly: boolean;
  /** The mounted directory's label (`MountedDirectory.label`). */
  readonly label: string;
  /** Device number its nodes report (2 for the first mount, …). */
  readonly dev: number;
}

/**
 * One mount: where it is, what it mounts and the host nodes seen under it.
 *
 * @internal Kept by `FileSystem`; users see {@link MountInfo}.
 */
export class Mount implements MountInfo {
  /** Host nodes by relative path. */
  readonly nodes = new Map<string, HostNode>();
  /** The node of the mounted directory itself (set right after construction). */
  root!: HostNode;
  /** Next per-mount inode counter value. */
  private nextLocal = 1;

  constructor(
    /** Gives the mount point's current guest path (a rename of an ancestor moves it). */
    private readonly where: () => string,
    /** The mounted host directory. */
    readonly directory: MountedDirectory,
    /** Whether changes are refused. */
    readonly readOnly: boolean,
    /** Device number of its nodes. */
    readonly dev: number,
    /** The in-memory directory the mount covers. */
    readonly point: MemoryDirectory,
  ) {}

  /**
   * A fresh inode number for a node under this mount: `dev × 2^32 + n`
   * with n counting from 1 in lookup order, so mounted lookups never
   * change the numbers of in-memory nodes.
   */
  allocIno(): number {
    return this.dev * 2 ** 32 + this.nextLocal++;
  }

  /** Absolute guest path of the mount point, as it is now. */
  get guestPath(): string {
    return this.where();
  }

  /** The mounted directory's label. */
  get label(): string {
    return this.directory.label;
  }
}

/**
 * Joins a relative host path and a name (`''` is the mount's root).
 *
 * @internal
 */
export function joinHostPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * The parent of a relative host path (`''` for a name at the root).
 *
 * @internal
 */
export function hostParentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
