/**
 * The machine's file system: an in-memory tree of files, directories and
 * symlinks that belongs to the machine (and to its checkpoints), plus host
 * directories mounted at guest paths (docs/design.md §12, docs/files.md).
 *
 * Every operation a guest can cause returns a negative `Errno` value on
 * failure, as Linux gives it, and never throws; host misuse (a bad mount,
 * releasing a node not retained) throws a `UsageError`. There are no
 * permission checks inside the tree (the guest runs as root); read-only
 * mounts refuse changes with `-EROFS`. The caller applies the umask: the
 * modes given here are final.
 */

import { crc32 } from '../checkpoint/crc32.js';
import { expectBytes, expectString } from '../arguments.js';
import { UsageError } from '../errors.js';
import { describeValue } from '../quote.js';
import { quote } from '../quote.js';
import { Errno } from '../syscalls/errno.js';
import { CHUNK_SIZE, type ContentQuota, FileContents } from './file-contents.js';
import {
  DOT_COOKIE,
  DOTDOT_COOKIE,
  FsNode,
  HostNode,
  MemoryDirectory,
  MemoryFile,
  type MemoryNode,
  MemorySymlink,
} from './fs-node.js';
import { type FsStat, type NodeKind, PERMISSION_BITS, typeBits } from './fs-stat.js';
import { forgetHostPath, hostLookup, hostRename, hostStat, replaceableKinds } from './host-tree.js';
import { hostParentPath, joinHostPath, Mount, type MountInfo, type MountOptions } from './mount.js';
import type { MountedDirectory } from './mounted-directory.js';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, type ParentLookup, PathWalker, utf8Length } from './path-walk.js';

/**
 * Default byte budget of in-memory file contents: 64 MiB.
 *
 * @example
 * ```ts
 * new FileSystem({ quota: 4 * DEFAULT_FS_QUOTA });
 * ```
 */
export const DEFAULT_FS_QUOTA = 64 * 1024 * 1024;
/**
 * Default largest file size: 1 TiB (sparse files may be this large).
 *
 * @example
 * ```ts
 * new FileSystem().maxFileSize === DEFAULT_MAX_FILE_SIZE; // true
 * ```
 */
export const DEFAULT_MAX_FILE_SIZE = 2 ** 40;
/**
 * Default most in-memory nodes (files, directories, symlinks, the root
 * included); creating past it gives `-ENOSPC`, as a file system out of
 * inodes does.
 *
 * @example
 * ```ts
 * new FileSystem().maxNodes === DEFAULT_MAX_NODES; // true
 * ```
 */
export const DEFAULT_MAX_NODES = 262_144;

/**
 * Device number of the in-memory tree; mounts get 2, 3, …
 *
 * @example
 * ```ts
 * const st = fs.stat(node);
 * const inMemory = typeof st !== 'number' && st.dev === MEMORY_DEV;
 * ```
 */
export const MEMORY_DEV = 1;
/** Preferred I/O size reported by `stat`. */
const BLOCK_SIZE = CHUNK_SIZE;

/**
 * Options of the {@link FileSystem} constructor.
 *
 * @example
 * ```ts
 * const fs = new FileSystem({ clock: () => machine.virtualTimeNs, quota: 1 << 20 });
 * ```
 */
export interface FileSystemOptions {
  /** Current time in nanoseconds for node times (default: always 0). The machine passes its virtual time. */
  readonly clock?: () => number;
  /** Bytes of file contents the tree may hold; past it writes give `-ENOSPC` (default {@link DEFAULT_FS_QUOTA}). */
  readonly quota?: number;
  /** Largest file size; writes and truncates past it give `-EFBIG` (default {@link DEFAULT_MAX_FILE_SIZE}). */
  readonly maxFileSize?: number;
  /** Most in-memory nodes; creating past it gives `-ENOSPC` (default {@link DEFAULT_MAX_NODES}). */
  readonly maxNodes?: number;
}

/**
 * Renameat2 flags (Linux `include/uapi/linux/fs.h`).
 *
 * @example
 * ```ts
 * fs.rename(dir, 'a', dir, 'b', RenameFlags.NOREPLACE);
 * ```
 *
 * @enum
 */
export const RenameFlags = {
  /** 1: fail with `-EEXIST` instead of replacing the target. */
  NOREPLACE: 1,
  /** 2: swap the two entries atomically (both must exist). */
  EXCHANGE: 2,
  /** 4: leave a whiteout (overlay file systems only: `-EINVAL` here). */
  WHITEOUT: 4,
} as const;

/**
 * One entry of a directory listing. `cookie` is the entry's position:
 * listing again after it resumes with the next entry (a `getdents64`
 * `d_off`).
 *
 * @example
 * ```ts
 * const list = fs.listDirectory(dir, 0);
 * if (typeof list !== 'number') for (const e of list) console.log(e.name, e.ino, e.kind, e.cookie);
 * ```
 */
export interface DirEntry {
  /** Entry name (`.` and `..` included). */
  readonly name: string;
  /** Inode number of the node it names. */
  readonly ino: number;
  /** What it names. */
  readonly kind: NodeKind;
  /** Position: list after this cookie to continue past the entry. */
  readonly cookie: number;
}

/**
 * Options of {@link FileSystem.openAt} (the path part of `openat`).
 *
 * @example
 * ```ts
 * const node = fs.openAt('out.txt', { at: cwd, write: true, create: { mode: 0o644 }, truncate: true });
 * ```
 */
export interface OpenOptions {
  /** Directory a relative path starts at (default: the root). */
  readonly at?: FsNode;
  /** Follow a symlink in the last component (default true; `O_NOFOLLOW` is false). */
  readonly follow?: boolean;
  /** Opened for writing (`O_WRONLY`/`O_RDWR`): refused on directories and read-only mounts. */
  readonly write?: boolean;
  /** Create the file when missing (`O_CREAT`), with these final permission bits; `exclusive` is `O_EXCL`. */
  readonly create?: {
    /** Permission bits of a created file (the umask already applied). */
    readonly mode: number;
    /** Fail with `-EEXIST` when the entry exists (`O_EXCL`); a final symlink is then not followed. */
    readonly exclusive?: boolean;
  };
  /** Truncate a regular file to 0 (`O_TRUNC`). */
  readonly truncate?: boolean;
  /** The node must be a directory (`O_DIRECTORY`). */
  readonly directory?: boolean;
}

/**
 * Where a path-level call starts and whether it follows a final symlink.
 *
 * @example
 * ```ts
 * fs.statAt('link', { at: cwd, follow: false });
 * ```
 */
export interface AtOptions {
  /** Directory a relative path starts at (default: the root). */
  readonly at?: FsNode;
  /** Follow a symlink in the last component (default true; ignored where Linux never follows). */
  readonly follow?: boolean;
}

/**
 * What a checkpoint records about a mounted file so a restore can tell
 * whether the host file is still the one the guest saw.
 *
 * @example
 * ```ts
 * const id = fs.identity(node);
 * if (typeof id !== 'number') console.log(id.size, id.mtimeNs, id.contentHash.toString(16));
 * ```
 */
export interface MountedFileIdentity {
  /** Size in bytes. */
  readonly size: number;
  /** Host modification time, nanoseconds. */
  readonly mtimeNs: bigint;
  /** CRC-32 of the whole contents. */
  readonly contentHash: number;
}

/**
 * A freed in-memory node, kept for checkpoint increments.
 *
 * @internal Read by tree-image.ts.
 */
export interface Deletion {
  /** Inode number of the freed node. */
  readonly ino: number;
  /** Generation the node was created at. */
  readonly createdAt: number;
  /** Generation it was freed at. */
  readonly deletedAt: number;
}

/**
 * The machine's file system.
 *
 * @example
 * ```ts
 * const fs = new FileSystem();
 * const f = fs.openAt('/hello.txt', { write: true, create: { mode: 0o644 } });
 * if (typeof f !== 'number') {
 *   fs.write(f, 0, new TextEncoder().encode('hi\n'));
 *   fs.release(f);
 * }
 * ```
 */
export class FileSystem {
  /** The guest root directory. */
  readonly root: FsNode;
  /** @internal Live in-memory nodes by inode number. */
  readonly inodes = new Map<number, MemoryNode>();
  /** @internal Host nodes by inode number. */
  readonly hostInodes = new Map<number, HostNode>();
  /** @internal Freed in-memory nodes, in order. */
  readonly deletions: Deletion[] = [];
  /** @internal The mount table, in mount order. */
  readonly mountTable: Mount[] = [];
  /** @internal Content bytes charged and allowed. */
  readonly quota: ContentQuota;
  /** @internal Next inode number to allocate. */
  nextIno = 1;
  /** @internal The change counter. */
  gen = 0;
  /** @internal Generation of the last change to the mount table. */
  mountsChangedAt = 0;
  private readonly clock: () => number;
  /** Largest file size in bytes. */
  readonly maxFileSize: number;
  /** Most in-memory nodes. */
  readonly maxNodes: number;

  /**
   * Creates a file system holding an empty root directory (inode 1, mode 0o755).
   *
   * @param options - clock, quota and file size limit
   * @throws UsageError when a limit is not a non-negative safe integer.
   */
  constructor(options: FileSystemOptions = {}) {
    const quota = options.quota ?? DEFAULT_FS_QUOTA;
    const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    const maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    for (const [name, v] of [['quota', quota], ['maxFileSize', maxFileSize], ['maxNodes', maxNodes]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new UsageError(`FileSystem: ${name} ${String(v)} is not a non-negative safe integer`);
    }
    this.maxNodes = maxNodes;
    this.quota = { used: 0, limit: quota };
    this.maxFileSize = maxFileSize;
    this.clock = options.clock ?? (() => 0);
    const root = new MemoryDirectory(this.nextIno++, 0o755, this.now(), this.gen, null);
    root.parent = root;
    this.inodes.set(root.ino, root);
    this.root = root;
  }

  /** The change counter: bumped by every change to the tree or the mount table. */
  get generation(): number {
    return this.gen;
  }

  /** Bytes of file contents held (whole 4 KiB chunks). */
  get bytesUsed(): number {
    return this.quota.used;
  }

  /** The mount table, in mount order. */
  get mounts(): readonly MountInfo[] {
    return this.mountTable;
  }

  // ---- Walking -----------------------------------------------------------

  /**
   * Resolves a path to a node.
   *
   * @param path - absolute, or relative to `options.at`
   * @param options - start directory and whether a final symlink is followed
   * @returns the node, or `-ENOENT`, `-ENOTDIR`, `-ELOOP`, `-ENAMETOOLONG`, `-EACCES` (a host entry outside the guest's view)
   * @example
   * ```ts
   * const node = fs.resolve('/tmp/a.txt');
   * ```
   */
  resolve(path: string, options: AtOptions = {}): FsNode | number {
    expectPathCall('resolve', path, options.at);
    return new PathWalker(this).resolve(options.at ?? this.root, path, options.follow ?? true);
  }

  /**
   * Resolves every component of a path but the last.
   *
   * @param path - absolute, or relative to `options.at`
   * @param options - start directory
   * @returns the directory and last component, or a negative errno as {@link FileSystem.resolve}
   * @example
   * ```ts
   * const p = fs.resolveParent('/tmp/new');
   * ```
   */
  resolveParent(path: string, options: AtOptions = {}): ParentLookup | number {
    expectPathCall('resolveParent', path, options.at);
    return new PathWalker(this).resolveParent(options.at ?? this.root, path);
  }

  /**
   * The entry `name` of directory `dir`, not following a symlink; a
   * directory covered by a mount gives the mount's root.
   *
   * @param dir - a directory
   * @param name - one component (not `.` or `..`)
   * @returns the node, or `-ENOTDIR`, `-ENOENT` (also in a removed directory), `-EACCES` (a host entry of another kind)
   * @example
   * ```ts
   * const child = fs.lookup(fs.root, 'tmp');
   * ```
   */
  lookup(dir: FsNode, name: string): FsNode | number {
    expectNode('lookup', 'dir', dir);
    expectString('FileSystem.lookup', 'name', name);
    if (dir.kind !== 'directory') return -Errno.ENOTDIR;
    if (dir instanceof MemoryDirectory) {
      if (!dir.linked) return -Errno.ENOENT;
      const node = dir.entries.get(name)?.node;
      if (node === undefined) return -Errno.ENOENT;
      return node instanceof MemoryDirectory && node.coveredBy !== null ? node.coveredBy.root : node;
    }
    const host = dir as HostNode;
    if (host.unlinked) return -Errno.ENOENT;
    return hostLookup(this.hostInodes, host.owner, joinHostPath(host.path, name));
  }

  /**
   * The parent of a directory (`..`): the root's parent is the root, a
   * mount root's parent is the mount point's parent.
   *
   * @internal Part of the walker's interface.
   */
  parent(dir: FsNode): FsNode {
    if (dir instanceof MemoryDirectory) return dir.parent ?? dir;
    const host = dir as HostNode;
    const mount = host.owner;
    if (host.path === '') return mount.point.parent ?? mount.point;
    const up = hostLookup(this.hostInodes, mount, hostParentPath(host.path));
    return typeof up === 'number' || up.kind !== 'directory' ? mount.root : up;
  }

  /**
   * The text of a symlink.
   *
   * @internal Part of the walker's interface; users call {@link FileSystem.readlink}.
   */
  linkText(node: FsNode): string | number {
    if (node instanceof MemorySymlink) return node.target;
    if (node instanceof HostNode && node.kind === 'symlink') return node.owner.directory.readlink(node.path);
    return -Errno.EINVAL;
  }

  // ---- Path-level calls (the *at system calls) ---------------------------

  /**
   * The path part of `openat`: resolves (and with `create`, creates) the
   * node, checks the access asked for, truncates with `truncate`, and
   * **retains** the node: the caller must {@link FileSystem.release} it
   * when its handle closes.
   *
   * @param path - absolute, or relative to `options.at`
   * @param options - the open flags that concern the file system
   * @returns the retained node, or `-EINVAL` (`create` with `directory`), `-ENOENT`, `-ENOTDIR`, `-ELOOP` (too many links, or a final symlink with `follow: false`),
   *   `-ENAMETOOLONG`, `-EEXIST` (`create.exclusive` over an entry), `-EISDIR` (writing or creating a directory, a path
   *   ending in `/` with `create`), `-EROFS`, `-ENOSPC`, `-EACCES` (host permission or confinement)
   * @example
   * ```ts
   * const dir = fs.openAt('/tmp', { directory: true });
   * ```
   */
  openAt(path: string, options: OpenOptions = {}): FsNode | number {
    expectPathCall('openAt', path, options.at);
    return this.openWith(new PathWalker(this), options.at ?? this.root, path, options);
  }

  private openWith(walker: PathWalker, at: FsNode, path: string, o: OpenOptions): FsNode | number {
    // O_CREAT|O_DIRECTORY is -EINVAL since Linux 6.4 (build_open_flags).
    if (o.create !== undefined && o.directory === true) return -Errno.EINVAL;
    const follow = o.follow ?? true;
    if (o.create === undefined) {
      const node = walker.resolve(at, path, follow);
      if (typeof node === 'number') return node;
      // A final symlink not followed: O_DIRECTORY's -ENOTDIR comes before may_open's -ELOOP.
      if (node.kind === 'symlink') return o.directory === true ? -Errno.ENOTDIR : -Errno.ELOOP;
      return this.finishOpen(node, o);
    }
    const p = walker.resolveParent(at, path);
    if (typeof p === 'number') return p;
    // `.`, `..` or `/` name an existing directory: O_EXCL's -EEXIST, else -EISDIR; `name/` is -EISDIR.
    if (p.last !== 'normal') return o.create.exclusive === true ? -Errno.EEXIST : -Errno.EISDIR;
    if (p.trailingSlash) return -Errno.EISDIR;
    const existing = this.lookup(p.dir, p.name);
    if (typeof existing === 'number') {
      if (existing !== -Errno.ENOENT) return existing;
      const made = this.createFile(p.dir, p.name, o.create.mode);
      if (typeof made === 'number') return made;
      return this.finishOpen(made, { ...o, truncate: false });
    }
    if (o.create.exclusive === true) return -Errno.EEXIST;
    if (existing.kind === 'symlink') {
      if (!follow) return -Errno.ELOOP;
      if (!walker.countLink()) return -Errno.ELOOP;
      const text = this.linkText(existing);
      if (typeof text === 'number') return text;
      return this.openWith(walker, p.dir, text, o);
    }
    if (existing.kind === 'directory') return -Errno.EISDIR;
    return this.finishOpen(existing, o);
  }

  /** Checks the access `o` asks of `node`, retains it and truncates it. */
  private finishOpen(node: FsNode, o: OpenOptions): FsNode | number {
    const write = o.write ?? false;
    if (o.directory === true && node.kind !== 'directory') return -Errno.ENOTDIR;
    // O_TRUNC asks for write access too (Linux build_open_flags), so a directory refuses it.
    if (node.kind === 'directory' && (write || o.truncate === true)) return -Errno.EISDIR;
    const truncate = (o.truncate ?? false) && node.kind === 'file';
    if ((write || truncate) && this.isReadOnly(node)) return -Errno.EROFS;
    const held = this.retain(node, { write: write || truncate });
    if (held < 0) return held;
    if (truncate) {
      const r = this.truncate(node, 0);
      if (r < 0) {
        this.release(node);
        return r;
      }
    }
    return node;
  }

  /**
   * `mkdirat`: creates a directory at a path.
   *
   * @param path - absolute, or relative to `options.at`; a trailing `/` is allowed
   * @param mode - final permission bits
   * @param options - start directory
   * @returns 0, or `-EEXIST` (also for `.`, `..`, `/`), `-ENOENT`, `-ENOTDIR`, `-EROFS`, `-ENAMETOOLONG`, `-ELOOP`
   * @example
   * ```ts
   * fs.mkdirAt('/tmp/work', 0o755);
   * ```
   */
  mkdirAt(path: string, mode: number, options: AtOptions = {}): number {
    expectPathCall('mkdirAt', path, options.at);
    const p = this.resolveParent(path, options);
    if (typeof p === 'number') return p;
    if (p.last !== 'normal') return -Errno.EEXIST;
    const made = this.mkdir(p.dir, p.name, mode);
    return typeof made === 'number' ? made : 0;
  }

  /**
   * `unlinkat`: removes a non-directory, or with `directory` an empty
   * directory (`AT_REMOVEDIR`).
   *
   * @param path - absolute, or relative to `options.at`
   * @param options - start directory and `directory` for `AT_REMOVEDIR`
   * @returns 0, or as {@link FileSystem.unlink} / {@link FileSystem.rmdir}; a path ending in `/` naming a non-directory is `-ENOTDIR`
   * @example
   * ```ts
   * fs.unlinkAt('/tmp/old.txt');
   * fs.unlinkAt('/tmp/work', { directory: true });
   * ```
   */
  unlinkAt(path: string, options: AtOptions & { readonly directory?: boolean } = {}): number {
    expectPathCall('unlinkAt', path, options.at);
    const p = this.resolveParent(path, options);
    if (typeof p === 'number') return p;
    if (options.directory === true) return this.rmdirLast(p);
    if (p.last !== 'normal') return -Errno.EISDIR;
    if (p.trailingSlash) {
      if (this.isReadOnly(p.dir)) return -Errno.EROFS;
      const node = this.lookup(p.dir, p.name);
      if (typeof node === 'number') return node;
      return node.kind === 'directory' ? -Errno.EISDIR : -Errno.ENOTDIR;
    }
    return this.unlink(p.dir, p.name);
  }

  /** rmdir of a resolved path: Linux's checks of the last component first. */
  private rmdirLast(p: ParentLookup): number {
    if (p.last === 'dot') return -Errno.EINVAL;
    if (p.last === 'dotdot') return -Errno.ENOTEMPTY;
    if (p.last === 'root') return -Errno.EBUSY;
    return this.rmdir(p.dir, p.name);
  }

  /**
   * `renameat2`: renames between two paths.
   *
   * @param oldPath - the entry to move
   * @param newPath - where it goes
   * @param options - start directories (`oldAt`, `newAt`, default the root) and renameat2 `flags`
   * @returns 0, or as {@link FileSystem.rename}; a trailing `/` on a non-directory is `-ENOTDIR`
   * @example
   * ```ts
   * fs.renameAt('/tmp/a', '/tmp/b', { flags: RenameFlags.NOREPLACE });
   * ```
   */
  renameAt(oldPath: string, newPath: string, options: { readonly oldAt?: FsNode; readonly newAt?: FsNode; readonly flags?: number } = {}): number {
    expectPathCall('renameAt', oldPath, options.oldAt);
    expectPathCall('renameAt', newPath, options.newAt);
    const flags = options.flags ?? 0;
    const from = this.resolveParent(oldPath, { at: options.oldAt });
    if (typeof from === 'number') return from;
    const to = this.resolveParent(newPath, { at: options.newAt });
    if (typeof to === 'number') return to;
    if (from.last !== 'normal' || to.last !== 'normal') {
      if (deviceOf(from.dir) !== deviceOf(to.dir)) return -Errno.EXDEV;
      return -Errno.EBUSY;
    }
    if (from.trailingSlash || (to.trailingSlash && (flags & RenameFlags.EXCHANGE) === 0)) {
      const node = this.lookup(from.dir, from.name);
      if (typeof node !== 'number' && node.kind !== 'directory') {
        const check = this.renameChecks(from.dir, from.name, to.dir, to.name, flags);
        return check < 0 ? check : -Errno.ENOTDIR;
      }
    }
    if (to.trailingSlash && (flags & RenameFlags.EXCHANGE) !== 0) {
      const node = this.lookup(to.dir, to.name);
      if (typeof node !== 'number' && node.kind !== 'directory') return -Errno.ENOTDIR;
    }
    return this.rename(from.dir, from.name, to.dir, to.name, flags);
  }

  /**
   * `symlinkat`: creates a symlink holding `target`.
   *
   * @param target - link text (not resolved now)
   * @param path - where the link goes
   * @param options - start directory
   * @returns 0, or as {@link FileSystem.symlink}
   * @example
   * ```ts
   * fs.symlinkAt('../data/input.txt', '/tmp/input');
   * ```
   */
  symlinkAt(target: string, path: string, options: AtOptions = {}): number {
    expectString('FileSystem.symlinkAt', 'target', target);
    expectPathCall('symlinkAt', path, options.at);
    const p = this.resolveParent(path, options);
    if (typeof p === 'number') return p;
    if (p.last !== 'normal') return -Errno.EEXIST;
    // `name/` for a non-directory: -EEXIST when the entry exists, else -ENOENT (filename_create).
    if (p.trailingSlash) return typeof this.lookup(p.dir, p.name) === 'number' ? -Errno.ENOENT : -Errno.EEXIST;
    const made = this.symlink(p.dir, p.name, target);
    return typeof made === 'number' ? made : 0;
  }

  /**
   * `readlinkat`: a symlink's text (the last component is never followed).
   *
   * @param path - the link
   * @param options - start directory
   * @returns the text, or `-EINVAL` (not a symlink), `-ENOENT`, …
   * @example
   * ```ts
   * const text = fs.readlinkAt('/tmp/input');
   * ```
   */
  readlinkAt(path: string, options: AtOptions = {}): string | number {
    expectPathCall('readlinkAt', path, options.at);
    const node = this.resolve(path, { at: options.at, follow: false });
    if (typeof node === 'number') return node;
    return this.readlink(node);
  }

  /**
   * `newfstatat`/`statx` by path.
   *
   * @param path - the node
   * @param options - start directory, whether a final symlink is followed (`AT_SYMLINK_NOFOLLOW` is false)
   * @returns the attributes, or a negative errno as {@link FileSystem.resolve}
   * @example
   * ```ts
   * const st = fs.statAt('/tmp', { follow: false });
   * ```
   */
  statAt(path: string, options: AtOptions = {}): FsStat | number {
    expectPathCall('statAt', path, options.at);
    const node = this.resolve(path, options);
    if (typeof node === 'number') return node;
    return this.stat(node);
  }

  // ---- Node-level calls ----------------------------------------------------

  /**
   * Creates an empty regular file `name` in `dir`.
   *
   * @param dir - the directory
   * @param name - one component
   * @param mode - final permission bits
   * @returns the new node (not retained), or `-ENOTDIR`, `-EEXIST` (any entry of that name, also `.`/`..`),
   *   `-EROFS`, `-ENOENT` (`dir` was removed), `-ENAMETOOLONG`, `-EACCES`/`-EIO` from the host
   * @example
   * ```ts
   * const f = fs.createFile(fs.root, 'notes.txt', 0o644);
   * ```
   */
  createFile(dir: FsNode, name: string, mode: number): FsNode | number {
    expectEntry('createFile', dir, name);
    const bad = this.checkNew(dir, name);
    if (bad !== 0) return bad;
    if (dir instanceof MemoryDirectory) {
      const node = new MemoryFile(this.nextIno++, mode & PERMISSION_BITS, this.now(), ++this.gen, new FileContents(this.quota));
      this.link(dir, name, node);
      return node;
    }
    const host = dir as HostNode;
    const path = joinHostPath(host.path, name);
    const file = host.owner.directory.open(path, { write: true, create: { mode: mode & PERMISSION_BITS } });
    if (typeof file === 'number') return file;
    file.close();
    return hostLookup(this.hostInodes, host.owner, path);
  }

  /**
   * Creates a directory `name` in `dir`.
   *
   * @param dir - the directory
   * @param name - one component
   * @param mode - final permission bits
   * @returns the new directory, or as {@link FileSystem.createFile}
   * @example
   * ```ts
   * const tmp = fs.mkdir(fs.root, 'tmp', 0o1777);
   * ```
   */
  mkdir(dir: FsNode, name: string, mode: number): FsNode | number {
    expectEntry('mkdir', dir, name);
    const bad = this.checkNew(dir, name);
    if (bad !== 0) return bad;
    if (dir instanceof MemoryDirectory) {
      const node = new MemoryDirectory(this.nextIno++, mode & PERMISSION_BITS, this.now(), ++this.gen, dir);
      this.link(dir, name, node);
      return node;
    }
    const host = dir as HostNode;
    const path = joinHostPath(host.path, name);
    const r = host.owner.directory.mkdir(path, mode & PERMISSION_BITS);
    if (r < 0) return r;
    return hostLookup(this.hostInodes, host.owner, path);
  }

  /**
   * Creates a symlink `name` in `dir` holding `target`.
   *
   * @param dir - the directory
   * @param name - one component
   * @param target - link text: `-ENOENT` when empty, `-ENAMETOOLONG` past 4095 bytes
   * @returns the new link, or as {@link FileSystem.createFile}
   * @example
   * ```ts
   * fs.symlink(fs.root, 'home', '/tmp');
   * ```
   */
  symlink(dir: FsNode, name: string, target: string): FsNode | number {
    expectEntry('symlink', dir, name);
    expectString('FileSystem.symlink', 'target', target);
    if (target === '') return -Errno.ENOENT;
    if (utf8Length(target) > MAX_PATH_BYTES) return -Errno.ENAMETOOLONG;
    const bad = this.checkNew(dir, name);
    if (bad !== 0) return bad;
    if (dir instanceof MemoryDirectory) {
      // A link's text counts against the content quota.
      const bytes = utf8Length(target);
      if (this.quota.used + bytes > this.quota.limit) return -Errno.ENOSPC;
      this.quota.used += bytes;
      const node = new MemorySymlink(this.nextIno++, this.now(), ++this.gen, target);
      this.link(dir, name, node);
      return node;
    }
    const host = dir as HostNode;
    const path = joinHostPath(host.path, name);
    const r = host.owner.directory.symlink(target, path);
    if (r < 0) return r;
    return hostLookup(this.hostInodes, host.owner, path);
  }

  /**
   * Removes the non-directory entry `name` of `dir`. The node lives on
   * while retained (an open file stays readable and writable).
   *
   * @param dir - the directory
   * @param name - one component
   * @returns 0, or `-ENOTDIR`, `-EISDIR` (a directory, `.`, `..`), `-EROFS`, `-ENOENT`, a host errno
   * @example
   * ```ts
   * fs.unlink(fs.root, 'notes.txt');
   * ```
   */
  unlink(dir: FsNode, name: string): number {
    expectEntry('unlink', dir, name);
    if (dir.kind !== 'directory') return -Errno.ENOTDIR;
    if (name === '.' || name === '..') return -Errno.EISDIR;
    if (this.isReadOnly(dir)) return -Errno.EROFS;
    if (dir instanceof MemoryDirectory) {
      const slot = dir.linked ? dir.entries.get(name) : undefined;
      if (slot === undefined) return -Errno.ENOENT;
      if (slot.node.kind === 'directory') return -Errno.EISDIR;
      this.unlinkSlot(dir, name);
      return 0;
    }
    const host = dir as HostNode;
    const path = joinHostPath(host.path, name);
    const node = hostLookup(this.hostInodes, host.owner, path);
    if (typeof node === 'number') return node;
    if (node.kind === 'directory') return -Errno.EISDIR;
    const r = host.owner.directory.unlink(path);
    if (r < 0) return r;
    forgetHostPath(this.hostInodes, host.owner, path);
    return 0;
  }

  /**
   * Removes the empty directory `name` of `dir`.
   *
   * @param dir - the directory
   * @param name - one component
   * @returns 0, or `-ENOTDIR`, `-EINVAL` (`.`), `-ENOTEMPTY` (`..` or entries left), `-EBUSY` (a mount point),
   *   `-EROFS`, `-ENOENT`, a host errno
   * @example
   * ```ts
   * fs.rmdir(fs.root, 'tmp');
   * ```
   */
  rmdir(dir: FsNode, name: string): number {
    expectEntry('rmdir', dir, name);
    if (dir.kind !== 'directory') return -Errno.ENOTDIR;
    if (name === '.') return -Errno.EINVAL;
    if (name === '..') return -Errno.ENOTEMPTY;
    if (this.isReadOnly(dir)) return -Errno.EROFS;
    if (dir instanceof MemoryDirectory) {
      const slot = dir.linked ? dir.entries.get(name) : undefined;
      if (slot === undefined) return -Errno.ENOENT;
      const node = slot.node;
      if (!(node instanceof MemoryDirectory)) return -Errno.ENOTDIR;
      if (node.coveredBy !== null) return -Errno.EBUSY;
      if (node.entries.size > 0) return -Errno.ENOTEMPTY;
      this.unlinkSlot(dir, name);
      return 0;
    }
    const host = dir as HostNode;
    const path = joinHostPath(host.path, name);
    const node = hostLookup(this.hostInodes, host.owner, path);
    if (typeof node === 'number') return node;
    if (node.kind !== 'directory') return -Errno.ENOTDIR;
    const r = host.owner.directory.rmdir(path);
    if (r < 0) return r;
    forgetHostPath(this.hostInodes, host.owner, path);
    return 0;
  }

  /**
   * Renames entry `oldName` of `oldDir` to `newName` of `newDir`
   * (`renameat2` with {@link RenameFlags}).
   *
   * @param oldDir - directory holding the entry
   * @param oldName - its name
   * @param newDir - directory it moves to
   * @param newName - its new name
   * @param flags - 0, `NOREPLACE` or `EXCHANGE`
   * @returns 0, or `-EINVAL` (bad flags; a directory into itself), `-ENOTDIR`, `-EXDEV` (between devices),
   *   `-EBUSY` (`.`, `..`, a mount point), `-EROFS`, `-ENOENT`, `-EEXIST` (`NOREPLACE`), `-EISDIR`, `-ENOTEMPTY`
   * @example
   * ```ts
   * fs.rename(fs.root, 'a', fs.root, 'b');
   * ```
   */
  rename(oldDir: FsNode, oldName: string, newDir: FsNode, newName: string, flags = 0): number {
    expectEntry('rename', oldDir, oldName);
    expectEntry('rename', newDir, newName);
    const check = this.renameChecks(oldDir, oldName, newDir, newName, flags);
    if (check < 0) return check;
    const exchange = (flags & RenameFlags.EXCHANGE) !== 0;
    if (oldDir instanceof MemoryDirectory && newDir instanceof MemoryDirectory) {
      const from = oldDir.entries.get(oldName)!.node;
      const to = newDir.entries.get(newName)?.node;
      if (to === from) return 0;
      if (from instanceof MemoryDirectory && from.coveredBy !== null) return -Errno.EBUSY;
      if (to instanceof MemoryDirectory && to.coveredBy !== null) return -Errno.EBUSY;
      if (exchange) {
        if (this.isAncestor(from, newDir) || this.isAncestor(to!, oldDir)) return -Errno.EINVAL;
        this.unlinkEntry(oldDir, oldName);
        this.unlinkEntry(newDir, newName);
        this.link(newDir, newName, from);
        this.link(oldDir, oldName, to!);
        from.ctimeNs = to!.ctimeNs = this.now();
        return 0;
      }
      if (this.isAncestor(from, newDir)) return -Errno.EINVAL;
      if (to !== undefined) {
        if (this.isAncestor(to, oldDir)) return -Errno.ENOTEMPTY;
        const r = replaceable(from.kind, to);
        if (r < 0) return r;
        this.unlinkSlot(newDir, newName);
      }
      this.unlinkEntry(oldDir, oldName);
      this.link(newDir, newName, from);
      from.ctimeNs = this.now();
      from.changedAt = this.gen;
      return 0;
    }
    return hostRename(this.hostInodes, oldDir as HostNode, oldName, newDir as HostNode, newName, exchange);
  }

  /** The checks of {@link FileSystem.rename} that come before looking at the two entries' kinds. */
  private renameChecks(oldDir: FsNode, oldName: string, newDir: FsNode, newName: string, flags: number): number {
    if ((flags & ~(RenameFlags.NOREPLACE | RenameFlags.EXCHANGE | RenameFlags.WHITEOUT)) !== 0) return -Errno.EINVAL;
    if ((flags & RenameFlags.WHITEOUT) !== 0) return -Errno.EINVAL;
    if ((flags & RenameFlags.NOREPLACE) !== 0 && (flags & RenameFlags.EXCHANGE) !== 0) return -Errno.EINVAL;
    if (oldDir.kind !== 'directory' || newDir.kind !== 'directory') return -Errno.ENOTDIR;
    if (deviceOf(oldDir) !== deviceOf(newDir)) return -Errno.EXDEV;
    for (const n of [oldName, newName]) if (n === '.' || n === '..' || n === '/') return -Errno.EBUSY;
    if (this.isReadOnly(oldDir)) return -Errno.EROFS;
    const from = this.rawEntry(oldDir, oldName);
    if (typeof from === 'number') return from;
    const to = this.rawEntry(newDir, newName);
    if (typeof to === 'number' && to !== -Errno.ENOENT) return to;
    const exists = typeof to !== 'number';
    if ((flags & RenameFlags.NOREPLACE) !== 0 && exists) return -Errno.EEXIST;
    if ((flags & RenameFlags.EXCHANGE) !== 0 && !exists) return -Errno.ENOENT;
    if (utf8Length(newName) > MAX_NAME_BYTES) return -Errno.ENAMETOOLONG;
    return 0;
  }

  /**
   * A symlink's text.
   *
   * @param node - the symlink
   * @returns the text, or `-EINVAL` when `node` is not a symlink, a host errno
   * @example
   * ```ts
   * const text = fs.readlink(link);
   * ```
   */
  readlink(node: FsNode): string | number {
    expectNode('readlink', 'node', node);
    return this.linkText(node);
  }

  /**
   * Sets a regular file's size (`ftruncate64`/`truncate`): growing leaves
   * a hole that reads as zeros.
   *
   * @param node - the file
   * @param size - new size in bytes
   * @returns 0, or `-EINVAL` (negative size, not a file), `-EISDIR`, `-EFBIG` (past `maxFileSize`), `-EROFS`, a host errno
   * @example
   * ```ts
   * fs.truncate(file, 0);
   * ```
   */
  truncate(node: FsNode, size: number): number {
    expectNode('truncate', 'node', node);
    if (node.kind === 'directory') return -Errno.EISDIR;
    if (node.kind !== 'file' || !Number.isSafeInteger(size) || size < 0) return -Errno.EINVAL;
    if (size > this.maxFileSize) return -Errno.EFBIG;
    if (this.isReadOnly(node)) return -Errno.EROFS;
    if (node instanceof MemoryFile) {
      node.contents.truncate(size, ++this.gen);
      node.mtimeNs = node.ctimeNs = this.now();
      node.changedAt = this.gen;
      return 0;
    }
    const host = node as HostNode;
    if (host.file !== null && host.file.writable) return host.file.truncate(size);
    if (host.unlinked) return -Errno.ENOENT;
    return host.owner.directory.truncate(host.path, size);
  }

  /**
   * Reads bytes of a regular file at `offset` (`pread64`; `read` at the
   * handle's offset). Access times are not updated (as `noatime`).
   *
   * @param node - the file
   * @param offset - byte offset, a non-negative safe integer
   * @param dest - where the bytes go; up to its length is read
   * @returns bytes read (0 at end of file), or `-EISDIR`, `-EINVAL` (not a file, bad offset), a host errno
   * @example
   * ```ts
   * const buf = new Uint8Array(64);
   * const n = fs.read(file, 0, buf);
   * ```
   */
  read(node: FsNode, offset: number, dest: Uint8Array): number {
    expectNode('read', 'node', node);
    expectBytes('FileSystem.read', 'dest', dest);
    if (node.kind === 'directory') return -Errno.EISDIR;
    if (node.kind !== 'file' || !Number.isSafeInteger(offset) || offset < 0) return -Errno.EINVAL;
    if (node instanceof MemoryFile) return node.contents.read(offset, dest);
    const host = node as HostNode;
    if (host.file !== null) return host.file.read(offset, dest);
    if (host.unlinked) return -Errno.ENOENT;
    const file = host.owner.directory.open(host.path, { write: false });
    if (typeof file === 'number') return file;
    try {
      return file.read(offset, dest);
    } finally {
      file.close();
    }
  }

  /**
   * Writes bytes into a regular file at `offset` (`pwrite64`; `write` at
   * the handle's offset, or at the size for `O_APPEND`). A write that
   * would pass `maxFileSize` is cut short there.
   *
   * @param node - the file
   * @param offset - byte offset, a non-negative safe integer
   * @param src - the bytes
   * @returns bytes written, or `-EISDIR`, `-EINVAL`, `-EROFS`, `-EFBIG` (offset at or past `maxFileSize`),
   *   `-ENOSPC` (quota exhausted before any byte), a host errno
   * @example
   * ```ts
   * fs.write(file, 0, new TextEncoder().encode('hello'));
   * ```
   */
  write(node: FsNode, offset: number, src: Uint8Array): number {
    expectNode('write', 'node', node);
    expectBytes('FileSystem.write', 'src', src);
    if (node.kind === 'directory') return -Errno.EISDIR;
    if (node.kind !== 'file' || !Number.isSafeInteger(offset) || offset < 0) return -Errno.EINVAL;
    if (this.isReadOnly(node)) return -Errno.EROFS;
    if (src.length === 0) return 0;
    if (offset >= this.maxFileSize) return -Errno.EFBIG;
    const bytes = offset + src.length > this.maxFileSize ? src.subarray(0, this.maxFileSize - offset) : src;
    if (node instanceof MemoryFile) {
      const n = node.contents.write(offset, bytes, ++this.gen);
      if (n === 0) return -Errno.ENOSPC;
      node.mtimeNs = node.ctimeNs = this.now();
      node.changedAt = this.gen;
      return n;
    }
    const host = node as HostNode;
    if (host.file !== null && host.file.writable) return host.file.write(offset, bytes);
    if (host.unlinked) return -Errno.ENOENT;
    const file = host.owner.directory.open(host.path, { write: true });
    if (typeof file === 'number') return file;
    try {
      return file.write(offset, bytes);
    } finally {
      file.close();
    }
  }

  /**
   * A node's attributes (`fstat`, `statx`).
   *
   * @param node - any node
   * @returns the attributes, or a host errno (a mounted entry removed behind the guest's back)
   * @example
   * ```ts
   * const st = fs.stat(fs.root);
   * ```
   */
  stat(node: FsNode): FsStat | number {
    expectNode('stat', 'node', node);
    if (node instanceof HostNode) {
      const st = node.file !== null ? node.file.stat() : node.unlinked ? -Errno.ENOENT : node.owner.directory.lstat(node.path);
      if (typeof st === 'number') return st;
      return hostStat(node, st);
    }
    const m = node as MemoryNode;
    let size = 0;
    let blocks = 0;
    let nlink = m.linked ? 1 : 0;
    if (m instanceof MemoryFile) {
      size = m.contents.size;
      blocks = m.contents.blocks;
    } else if (m instanceof MemorySymlink) {
      size = utf8Length(m.target);
    } else if (m instanceof MemoryDirectory) {
      nlink = m.linked ? 2 + m.subdirectories : 0;
    }
    return {
      dev: MEMORY_DEV,
      ino: m.ino,
      kind: m.kind,
      mode: typeBits(m.kind) | m.mode,
      nlink,
      uid: 0,
      gid: 0,
      size,
      blocks,
      blksize: BLOCK_SIZE,
      atimeNs: BigInt(m.atimeNs),
      mtimeNs: BigInt(m.mtimeNs),
      ctimeNs: BigInt(m.ctimeNs),
    };
  }

  /**
   * Lists a directory after position `afterCookie` (0: from the start):
   * `.`, `..`, then the entries in insertion order (in-memory) or in name
   * order as first seen (mounted). Entries added during a listing come
   * after every earlier one, so a listing resumed by cookie sees each
   * surviving entry exactly once.
   *
   * @param dir - the directory
   * @param afterCookie - the cookie of the last entry already seen, 0 for none
   * @returns the entries, or `-ENOTDIR`, `-ENOENT` (the directory was removed), a host errno
   * @example
   * ```ts
   * let cookie = 0;
   * const page = fs.listDirectory(dir, cookie);
   * if (typeof page !== 'number' && page.length > 0) cookie = page[page.length - 1]!.cookie;
   * ```
   */
  listDirectory(dir: FsNode, afterCookie = 0): DirEntry[] | number {
    expectNode('listDirectory', 'dir', dir);
    if (dir.kind !== 'directory') return -Errno.ENOTDIR;
    const out: DirEntry[] = [];
    if (afterCookie < DOT_COOKIE) out.push({ name: '.', ino: dir.ino, kind: 'directory', cookie: DOT_COOKIE });
    if (afterCookie < DOTDOT_COOKIE) out.push({ name: '..', ino: this.parent(dir).ino, kind: 'directory', cookie: DOTDOT_COOKIE });
    if (dir instanceof MemoryDirectory) {
      if (!dir.linked) return -Errno.ENOENT;
      for (const [name, slot] of dir.entries) {
        if (slot.cookie > afterCookie) out.push({ name, ino: slot.node.ino, kind: slot.node.kind, cookie: slot.cookie });
      }
      return out;
    }
    const host = dir as HostNode;
    if (host.unlinked) return -Errno.ENOENT;
    const names = host.owner.directory.readdir(host.path);
    if (typeof names === 'number') return names;
    names.sort();
    for (const name of names) {
      if (!host.cookies.has(name)) host.cookies.set(name, host.nextCookie++);
    }
    const listed = names.map((name) => ({ name, cookie: host.cookies.get(name)! })).filter((e) => e.cookie > afterCookie);
    listed.sort((a, b) => a.cookie - b.cookie);
    for (const { name, cookie } of listed) {
      const node = hostLookup(this.hostInodes, host.owner, joinHostPath(host.path, name));
      if (typeof node !== 'number') out.push({ name, ino: node.ino, kind: node.kind, cookie });
    }
    return out;
  }

  /**
   * The absolute guest path of a directory (`getcwd`) or of a mounted
   * node.
   *
   * @param node - a directory, or any node under a mount
   * @returns the path, or `-ENOENT` (removed), `-EINVAL` (an in-memory non-directory: it has no single path)
   * @example
   * ```ts
   * fs.pathOf(fs.root); // '/'
   * ```
   */
  pathOf(node: FsNode): string | number {
    expectNode('pathOf', 'node', node);
    if (node instanceof HostNode) {
      if (node.unlinked) return -Errno.ENOENT;
      return node.path === '' ? node.owner.guestPath : `${node.owner.guestPath}/${node.path}`;
    }
    if (!(node instanceof MemoryDirectory)) return -Errno.EINVAL;
    const names: string[] = [];
    let at: MemoryDirectory = node;
    while (at !== this.root) {
      if (!at.linked || at.parent === null) return -Errno.ENOENT;
      let found: string | undefined;
      for (const [name, slot] of at.parent.entries) {
        if (slot.node === at) {
          found = name;
          break;
        }
      }
      if (found === undefined) return -Errno.ENOENT;
      names.push(found);
      at = at.parent;
    }
    return `/${names.reverse().join('/')}`;
  }

  /**
   * Whether changes to `node` are refused (it is under a read-only mount).
   *
   * @param node - any node
   * @returns true under a read-only mount
   * @example
   * ```ts
   * if (fs.isReadOnly(node)) console.log('EROFS');
   * ```
   */
  isReadOnly(node: FsNode): boolean {
    return node.mount?.readOnly ?? false;
  }

  /**
   * Holds a node open: it lives (and, mounted, keeps its host file open)
   * until the matching {@link FileSystem.release}, even when unlinked.
   * {@link FileSystem.openAt} retains for you; call this for other holds
   * (a current directory).
   *
   * @param node - the node
   * @param options - `write`: open a mounted file for writing too
   * @returns 0, or a host errno (`-EACCES`, `-ENOENT`, `-ELOOP`)
   * @example
   * ```ts
   * fs.retain(dir);
   * ```
   */
  retain(node: FsNode, options: { readonly write?: boolean } = {}): number {
    expectNode('retain', 'node', node);
    if (node instanceof HostNode && node.kind === 'file') {
      const write = (options.write ?? false) && !node.owner.readOnly;
      if (node.file === null || (write && !node.file.writable)) {
        if (node.unlinked) return node.file === null ? -Errno.ENOENT : -Errno.EACCES;
        // On a writable mount the host file is opened for writing whenever the
        // host grants it, even for a read-only hold: once the guest unlinks it,
        // the path is gone and the open file must stay writable, as on Linux.
        const dir = node.owner.directory;
        let file = dir.open(node.path, { write: !node.owner.readOnly });
        if (typeof file === 'number' && !write && !node.owner.readOnly) file = dir.open(node.path, { write: false });
        if (typeof file === 'number') return file;
        node.file?.close();
        node.file = file;
      }
    }
    node.openCount++;
    if (!(node instanceof HostNode)) (node as MemoryNode).changedAt = ++this.gen;
    return 0;
  }

  /**
   * Ends a hold taken by {@link FileSystem.retain} or
   * {@link FileSystem.openAt}; an unlinked node whose last hold ends is
   * freed.
   *
   * @param node - a retained node
   * @throws UsageError when the node is not retained.
   * @example
   * ```ts
   * fs.release(node);
   * ```
   */
  release(node: FsNode): void {
    expectNode('release', 'node', node);
    if (node.openCount <= 0) throw new UsageError(`FileSystem.release: inode ${node.ino} is not retained`);
    node.openCount--;
    if (node instanceof HostNode) {
      if (node.openCount === 0 && node.file !== null) {
        node.file.close();
        node.file = null;
      }
      return;
    }
    const m = node as MemoryNode;
    m.changedAt = ++this.gen;
    this.maybeFree(m);
  }

  /**
   * The live node with inode number `ino` (in-memory nodes, including
   * unlinked ones still retained, and mounted nodes looked up so far).
   *
   * @param ino - an inode number
   * @returns the node, or undefined
   * @example
   * ```ts
   * const node = fs.nodeByIno(1); // the root
   * ```
   */
  nodeByIno(ino: number): FsNode | undefined {
    return this.inodes.get(ino) ?? this.hostInodes.get(ino);
  }

  /**
   * The identity of a mounted regular file as a checkpoint records it:
   * size, host modification time and a CRC-32 of the whole contents.
   *
   * @param node - a mounted file
   * @returns the identity, or `-EINVAL` (not a mounted file), a host errno
   * @example
   * ```ts
   * const id = fs.identity(node);
   * ```
   */
  identity(node: FsNode): MountedFileIdentity | number {
    expectNode('identity', 'node', node);
    if (!(node instanceof HostNode) || node.kind !== 'file') return -Errno.EINVAL;
    const st = this.stat(node);
    if (typeof st === 'number') return st;
    const buf = new Uint8Array(64 * 1024);
    let hash = 0;
    for (let offset = 0; ; ) {
      const n = this.read(node, offset, buf);
      if (n < 0) return n;
      if (n === 0) break;
      hash = crc32(buf, hash, 0, n);
      offset += n;
    }
    return { size: st.size, mtimeNs: st.mtimeNs, contentHash: hash };
  }

  /**
   * Mounts a host directory at an absolute guest path. Missing directories
   * of the path are created (mode 0o755) in the in-memory tree.
   *
   * @param guestPath - absolute guest path, not `/`, not under another mount
   * @param directory - the host directory
   * @param options - `readOnly`
   * @returns the mount's description
   * @throws UsageError when the path is relative, `/`, names a non-directory, lies under a mount or is
   *   already a mount point, or the host directory cannot be read.
   * @example
   * ```ts
   * fs.mount('/data', new HostDirectory('/srv/data'), { readOnly: true });
   * ```
   */
  mount(guestPath: string, directory: MountedDirectory, options: MountOptions = {}): MountInfo {
    expectString('FileSystem.mount', 'guestPath', guestPath);
    if (typeof directory !== 'object' || directory === null || typeof directory.lstat !== 'function') {
      throw new UsageError(`FileSystem.mount: directory must be a MountedDirectory, got ${describeValue(directory)}`);
    }
    const where = `FileSystem.mount: guest path ${quote(guestPath)}`;
    if (!guestPath.startsWith('/')) throw new UsageError(`${where} is not absolute`);
    const parts = guestPath.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0) throw new UsageError(`${where} is the root, which cannot be mounted over`);
    if (parts.includes('..')) throw new UsageError(`${where} holds '..'`);
    let dir = this.root as MemoryDirectory;
    for (const name of parts) {
      if (utf8Length(name) > MAX_NAME_BYTES) throw new UsageError(`${where}: component ${quote(name)} is longer than ${MAX_NAME_BYTES} bytes`);
      if (dir.coveredBy !== null) throw new UsageError(`${where} lies under the mount at ${quote(dir.coveredBy.guestPath)}`);
      const slot = dir.entries.get(name);
      if (slot === undefined) {
        dir = this.mkdir(dir, name, 0o755) as MemoryDirectory;
      } else if (slot.node instanceof MemoryDirectory) {
        dir = slot.node;
      } else {
        throw new UsageError(`${where}: ${quote(name)} is a ${slot.node.kind}, not a directory`);
      }
    }
    if (dir.coveredBy !== null) throw new UsageError(`${where} is already a mount point (of ${quote(dir.coveredBy.label)})`);
    const st = directory.lstat('');
    if (typeof st === 'number') throw new UsageError(`${where}: host directory ${quote(directory.label)} cannot be read (errno ${-st})`);
    if (st.kind !== 'directory') throw new UsageError(`${where}: host ${quote(directory.label)} is not a directory`);
    const normal = `/${parts.join('/')}`;
    const point = dir;
    const pathNow = (): string => {
      const now = this.pathOf(point);
      return typeof now === 'string' ? now : normal;
    };
    const mount = new Mount(pathNow, directory, options.readOnly ?? false, MEMORY_DEV + 1 + this.mountTable.length, dir);
    mount.root = new HostNode(mount.allocIno(), 'directory', mount, '', st.hostIno);
    this.hostInodes.set(mount.root.ino, mount.root);
    mount.nodes.set('', mount.root);
    dir.coveredBy = mount;
    this.mountTable.push(mount);
    this.mountsChangedAt = ++this.gen;
    return mount;
  }

  // ---- Internals -----------------------------------------------------------

  /** The current time from the clock. */
  private now(): number {
    const t = Math.floor(this.clock());
    return t > 0 ? t : 0;
  }

  /** The checks before creating `name` in `dir`: 0 when creation may go ahead. */
  private checkNew(dir: FsNode, name: string): number {
    if (dir.kind !== 'directory') return -Errno.ENOTDIR;
    if (name === '' || name.includes('/')) return -Errno.ENOENT;
    if (utf8Length(name) > MAX_NAME_BYTES) return -Errno.ENAMETOOLONG;
    if (name === '.' || name === '..') return -Errno.EEXIST;
    const existing = this.rawEntry(dir, name);
    if (typeof existing !== 'number') return -Errno.EEXIST;
    if (existing !== -Errno.ENOENT) return existing;
    if (this.isReadOnly(dir)) return -Errno.EROFS;
    if (dir instanceof MemoryDirectory && !dir.linked) return -Errno.ENOENT;
    if (dir instanceof MemoryDirectory && this.inodes.size >= this.maxNodes) return -Errno.ENOSPC;
    if (dir instanceof HostNode && dir.unlinked) return -Errno.ENOENT;
    return 0;
  }

  /** The entry `name` of `dir` without crossing into a mount (`-ENOENT` when missing). */
  private rawEntry(dir: FsNode, name: string): FsNode | number {
    if (dir instanceof MemoryDirectory) {
      const slot = dir.linked ? dir.entries.get(name) : undefined;
      return slot === undefined ? -Errno.ENOENT : slot.node;
    }
    return this.lookup(dir, name);
  }

  /** Links `node` into `dir` as `name` with a fresh cookie and stamps the change. */
  private link(dir: MemoryDirectory, name: string, node: MemoryNode): void {
    dir.entries.set(name, { node, cookie: dir.nextCookie++ });
    if (node instanceof MemoryDirectory) {
      dir.subdirectories++;
      node.parent = dir;
    }
    node.linked = true;
    this.inodes.set(node.ino, node);
    dir.mtimeNs = dir.ctimeNs = this.now();
    node.changedAt = dir.changedAt = ++this.gen;
  }

  /** Removes entry `name` from `dir` without freeing its node. */
  private unlinkEntry(dir: MemoryDirectory, name: string): MemoryNode {
    const slot = dir.entries.get(name)!;
    dir.entries.delete(name);
    if (slot.node instanceof MemoryDirectory) dir.subdirectories--;
    dir.mtimeNs = dir.ctimeNs = this.now();
    dir.changedAt = ++this.gen;
    return slot.node;
  }

  /** Removes entry `name` from `dir`; the node is freed unless retained. */
  private unlinkSlot(dir: MemoryDirectory, name: string): void {
    const node = this.unlinkEntry(dir, name);
    node.linked = false;
    node.ctimeNs = this.now();
    node.changedAt = ++this.gen;
    this.maybeFree(node);
  }

  /** Frees an in-memory node that is neither linked nor retained. */
  private maybeFree(node: MemoryNode): void {
    if (node.linked || node.openCount > 0) return;
    this.inodes.delete(node.ino);
    if (node instanceof MemoryFile) node.contents.clear();
    if (node instanceof MemorySymlink) this.quota.used -= utf8Length(node.target);
    this.deletions.push({ ino: node.ino, createdAt: node.createdAt, deletedAt: ++this.gen });
  }

  /** Whether `node` is `dir` or one of its ancestors. */
  private isAncestor(node: MemoryNode, dir: MemoryDirectory): boolean {
    if (!(node instanceof MemoryDirectory)) return false;
    for (let at: MemoryDirectory = dir; ; at = at.parent!) {
      if (at === node) return true;
      if (at === this.root || at.parent === null) return false;
    }
  }
}

/** Device number of a node. */
function deviceOf(node: FsNode): number {
  return node.mount?.dev ?? MEMORY_DEV;
}

/** Whether an entry of kind `from` may replace `to` in a rename: 0 or the errno. */
function replaceable(from: NodeKind, to: MemoryNode): number {
  const r = replaceableKinds(from, to.kind);
  if (r < 0) return r;
  if (to instanceof MemoryDirectory && to.entries.size > 0) return -Errno.ENOTEMPTY;
  return 0;
}

/** Throws a UsageError unless `value` is a node of a file system. */
function expectNode(fn: string, param: string, value: unknown): asserts value is FsNode {
  if (!(value instanceof FsNode)) throw new UsageError(`FileSystem.${fn}: ${param} must be a node (FsNode), got ${describeValue(value)}`);
}

/** The argument checks of a path-level call: a string path and, if given, a start node. */
function expectPathCall(fn: string, path: unknown, at: unknown): void {
  expectString(`FileSystem.${fn}`, 'path', path);
  if (at !== undefined) expectNode(fn, 'options.at', at);
}

/** The argument checks of a node-level call on a directory entry. */
function expectEntry(fn: string, dir: unknown, name: unknown): void {
  expectNode(fn, 'dir', dir);
  expectString(`FileSystem.${fn}`, 'name', name);
}
