/**
 * Component-by-component path resolution with Linux's rules:
 *
 * - an absolute path starts at the guest root, a relative one at the
 *   directory given (`AT_FDCWD`'s current directory or a `dirfd`);
 * - empty components and `.` are skipped, `..` goes to the parent (the
 *   root's parent is the root; a mount root's parent is the mount point's
 *   parent, as for a bind mount);
 * - a symlink before the last component is always followed, the last one
 *   only when asked (or when the path ends in `/`); a symlink's text is
 *   itself a guest path, taken from the directory holding the link (an
 *   absolute text starts at the guest root, also for host symlinks under a
 *   mount, which is what confines them);
 * - more than {@link MAX_SYMLINKS} links followed in one walk is `-ELOOP`;
 *   a path longer than {@link MAX_PATH_BYTES} bytes or a component longer
 *   than {@link MAX_NAME_BYTES} is `-ENAMETOOLONG`; a non-directory before
 *   the last component, or a non-directory last component of a path ending
 *   in `/`, is `-ENOTDIR`; the empty path is `-ENOENT`.
 *
 * Lengths are counted in UTF-8 bytes, as the guest wrote them.
 */

import { Errno } from '../syscalls/errno.js';
import type { FsNode } from './fs-node.js';

/**
 * Longest path, in bytes without the terminating NUL (Linux `PATH_MAX` - 1).
 *
 * @example
 * ```ts
 * fs.resolve('/' + 'a'.repeat(MAX_PATH_BYTES)) === -Errno.ENAMETOOLONG; // true
 * ```
 */
export const MAX_PATH_BYTES = 4095;
/**
 * Longest path component, in bytes (Linux `NAME_MAX`).
 *
 * @example
 * ```ts
 * fs.mkdirAt('/' + 'n'.repeat(MAX_NAME_BYTES + 1), 0o755) === -Errno.ENAMETOOLONG; // true
 * ```
 */
export const MAX_NAME_BYTES = 255;
/**
 * Symlinks one walk may follow before `-ELOOP` (Linux `MAXSYMLINKS`).
 *
 * @example
 * ```ts
 * fs.symlinkAt('loop', '/loop');
 * fs.resolve('/loop') === -Errno.ELOOP; // true, after MAX_SYMLINKS links
 * ```
 */
export const MAX_SYMLINKS = 40;

/**
 * What the walker needs from the file system.
 *
 * @internal Implemented by `FileSystem`.
 */
export interface WalkOps {
  /** The guest root directory. */
  readonly root: FsNode;
  /** The child `name` of directory `dir` (not following it), or a negative errno. */
  lookup(dir: FsNode, name: string): FsNode | number;
  /** The parent of directory `dir` (never fails). */
  parent(dir: FsNode): FsNode;
  /** The text of symlink `node`, or a negative errno. */
  linkText(node: FsNode): string | number;
}

/**
 * Kind of a path's last component, as Linux's `LAST_NORM`/`LAST_DOT`/
 * `LAST_DOTDOT`/`LAST_ROOT`.
 *
 * @example
 * ```ts
 * const p = fs.resolveParent('/a/..');
 * if (typeof p !== 'number') console.log(p.last); // 'dotdot'
 * ```
 */
export type LastComponent = 'normal' | 'dot' | 'dotdot' | 'root';

/**
 * A path resolved up to its last component: the directory holding it and
 * its name.
 *
 * @example
 * ```ts
 * const p = fs.resolveParent('/tmp/new.txt');
 * if (typeof p !== 'number') fs.createFile(p.dir, p.name, 0o644);
 * ```
 */
export interface ParentLookup {
  /** The directory that holds (or would hold) the last component. */
  readonly dir: FsNode;
  /** The last component (`.`, `..` or `/` for those kinds). */
  readonly name: string;
  /** What the last component is. */
  readonly last: LastComponent;
  /** Whether the path ended in `/` (the last component must be a directory). */
  readonly trailingSlash: boolean;
}

/** A path split into components. */
interface SplitPath {
  readonly absolute: boolean;
  readonly parts: string[];
  readonly trailingSlash: boolean;
}

/**
 * UTF-8 byte length of `text` without encoding it.
 *
 * @internal
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && k + 1 < text.length) {
      n += 4;
      k++;
    } else n += 3;
  }
  return n;
}

/** Splits `path`, or returns `-ENOENT`/`-ENAMETOOLONG`. */
function split(path: string): SplitPath | number {
  if (path === '') return -Errno.ENOENT;
  if (utf8Length(path) > MAX_PATH_BYTES) return -Errno.ENAMETOOLONG;
  const parts = path.split('/').filter((p) => p !== '');
  for (const p of parts) if (p.length > MAX_NAME_BYTES / 4 && utf8Length(p) > MAX_NAME_BYTES) return -Errno.ENAMETOOLONG;
  return { absolute: path.startsWith('/'), parts, trailingSlash: path.endsWith('/') && parts.length > 0 };
}

/**
 * A walk's state: the symlinks followed so far, shared by the walks of
 * the link texts it follows.
 *
 * @internal Used by `FileSystem`.
 */
export class PathWalker {
  private links = 0;

  constructor(private readonly ops: WalkOps) {}

  /**
   * Resolves `path` from `start`.
   *
   * @param start - directory a relative path starts at
   * @param follow - whether a symlink in the last component is followed
   * @returns the node, or `-ENOENT`, `-ENOTDIR`, `-ELOOP`, `-ENAMETOOLONG`, or an error of a host lookup
   */
  resolve(start: FsNode, path: string, follow: boolean): FsNode | number {
    const s = split(path);
    if (typeof s === 'number') return s;
    let node = s.absolute ? this.ops.root : start;
    if (node.kind !== 'directory') return -Errno.ENOTDIR;
    const n = s.parts.length;
    for (let k = 0; k < n; k++) {
      const next = this.step(node, s.parts[k]!, k < n - 1 || follow || s.trailingSlash);
      if (typeof next === 'number') return next;
      if (k < n - 1 && next.kind !== 'directory') return -Errno.ENOTDIR;
      node = next;
    }
    if (s.trailingSlash && node.kind !== 'directory') return -Errno.ENOTDIR;
    return node;
  }

  /**
   * Resolves every component of `path` but the last, which must name a
   * directory.
   *
   * @param start - directory a relative path starts at
   * @returns the directory and the last component, or a negative errno as {@link PathWalker.resolve}
   */
  resolveParent(start: FsNode, path: string): ParentLookup | number {
    const s = split(path);
    if (typeof s === 'number') return s;
    let node = s.absolute ? this.ops.root : start;
    if (node.kind !== 'directory') return -Errno.ENOTDIR;
    const n = s.parts.length;
    if (n === 0) return { dir: this.ops.root, name: '/', last: 'root', trailingSlash: false };
    for (let k = 0; k < n - 1; k++) {
      const next = this.step(node, s.parts[k]!, true);
      if (typeof next === 'number') return next;
      if (next.kind !== 'directory') return -Errno.ENOTDIR;
      node = next;
    }
    const name = s.parts[n - 1]!;
    const last: LastComponent = name === '.' ? 'dot' : name === '..' ? 'dotdot' : 'normal';
    return { dir: node, name, last, trailingSlash: s.trailingSlash };
  }

  /**
   * Follows symlink `link` found in directory `dir`, counting it.
   *
   * @returns the node the link leads to, or a negative errno (`-ELOOP` past the limit)
   */
  follow(dir: FsNode, link: FsNode): FsNode | number {
    if (!this.countLink()) return -Errno.ELOOP;
    const text = this.ops.linkText(link);
    if (typeof text === 'number') return text;
    return this.resolve(dir, text, true);
  }

  /**
   * Counts one more symlink followed.
   *
   * @returns false once more than {@link MAX_SYMLINKS} were followed
   */
  countLink(): boolean {
    return ++this.links <= MAX_SYMLINKS;
  }

  /** One component from directory `dir`: `.`, `..` or a name, following a symlink when `follow`. */
  private step(dir: FsNode, name: string, follow: boolean): FsNode | number {
    if (name === '.') return dir;
    if (name === '..') return this.ops.parent(dir);
    const child = this.ops.lookup(dir, name);
    if (typeof child === 'number' || child.kind !== 'symlink' || !follow) return child;
    return this.follow(dir, child);
  }
}
