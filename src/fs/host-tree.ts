/**
 * The mounted side of the file system: host nodes looked up by relative
 * path and cached per mount (one node per host path while the host entry
 * stays the same), kept in step with the guest's renames and removals, and
 * their attributes as `stat` reports them.
 */

import { Errno } from '../syscalls/errno.js';
import { CHUNK_SIZE } from './file-contents.js';
import { HostNode } from './fs-node.js';
import { type FsStat, type NodeKind, PERMISSION_BITS, typeBits } from './fs-stat.js';
import { joinHostPath, type Mount } from './mount.js';
import type { HostStat } from './mounted-directory.js';

/**
 * The node of host path `path` under `mount`: the cached one while the
 * host entry has the same kind and host inode, else a new node (recorded in
 * `registry` by inode number).
 *
 * @internal Used by `FileSystem`.
 * @returns the node, or the host's negative errno; `-EACCES` for an entry that is not a file, directory or symlink
 */
export function hostLookup(registry: Map<number, HostNode>, mount: Mount, path: string): HostNode | number {
  const st = mount.directory.lstat(path);
  if (typeof st === 'number') return st;
  if (st.kind === 'other') return -Errno.EACCES;
  const cached = mount.nodes.get(path);
  if (cached !== undefined && cached.kind === st.kind && cached.hostIno === st.hostIno) return cached;
  const node = path === '' ? mount.root : new HostNode(mount.allocIno(), st.kind, mount, path, st.hostIno);
  mount.nodes.set(path, node);
  registry.set(node.ino, node);
  return node;
}

/**
 * Drops the cached nodes at or below `path` (the guest removed or replaced
 * it), marking them unlinked; retained ones stay in `registry`.
 *
 * @internal Used by `FileSystem`.
 */
export function forgetHostPath(registry: Map<number, HostNode>, mount: Mount, path: string): void {
  for (const [key, node] of [...mount.nodes]) {
    if (key === path || key.startsWith(`${path}/`)) {
      node.unlinked = true;
      mount.nodes.delete(key);
      if (node.openCount === 0) registry.delete(node.ino);
    }
  }
}

/** Moves the cached nodes at or below `from` to `to`. */
function moveHostPath(mount: Mount, from: string, to: string): void {
  const moved: [string, HostNode][] = [];
  for (const [key, node] of [...mount.nodes]) {
    if (key === from || key.startsWith(`${from}/`)) {
      mount.nodes.delete(key);
      moved.push([to + key.slice(from.length), node]);
    }
  }
  for (const [key, node] of moved) {
    node.path = key;
    mount.nodes.set(key, node);
  }
}

/**
 * The kind rule of rename: a directory replaces only a directory, a
 * non-directory only a non-directory.
 *
 * @internal Used by `FileSystem`.
 * @returns 0, `-ENOTDIR` or `-EISDIR`
 */
export function replaceableKinds(from: NodeKind, to: NodeKind): number {
  if (from === 'directory' && to !== 'directory') return -Errno.ENOTDIR;
  if (from !== 'directory' && to === 'directory') return -Errno.EISDIR;
  return 0;
}

/**
 * Renames under one mount, after the checks common to every rename
 * (flags, devices, `.`/`..`, read-only, existence, `NOREPLACE`). An
 * exchange is three host renames through a temporary name (`-EBUSY`
 * when an entry of that name exists).
 *
 * @internal Used by `FileSystem.rename`.
 * @returns 0, or `-EINVAL` (a directory into itself), `-ENOTEMPTY`, `-ENOTDIR`, `-EISDIR`, a host errno
 */
export function hostRename(registry: Map<number, HostNode>, oldDir: HostNode, oldName: string, newDir: HostNode, newName: string, exchange: boolean): number {
  const mount = oldDir.owner;
  const from = joinHostPath(oldDir.path, oldName);
  const to = joinHostPath(newDir.path, newName);
  if (from === to) return 0;
  const a = hostLookup(registry, mount, from);
  if (typeof a === 'number') return a;
  const b = hostLookup(registry, mount, to);
  if (a.kind === 'directory' && to.startsWith(`${from}/`)) return -Errno.EINVAL;
  if (typeof b !== 'number') {
    if (b.kind === 'directory' && from.startsWith(`${to}/`)) return exchange ? -Errno.EINVAL : -Errno.ENOTEMPTY;
    if (!exchange) {
      const r = replaceableKinds(a.kind, b.kind);
      if (r < 0) return r;
    }
  }
  const dir = mount.directory;
  if (exchange) {
    const temp = joinHostPath(oldDir.path, `.faultline-exchange-${a.ino}`);
    if (dir.lstat(temp) !== -Errno.ENOENT) return -Errno.EBUSY;
    let r = dir.rename(from, temp);
    if (r < 0) return r;
    r = dir.rename(to, from);
    if (r < 0) {
      dir.rename(temp, from);
      return r;
    }
    r = dir.rename(temp, to);
    if (r < 0) return r;
    moveHostPath(mount, from, temp);
    moveHostPath(mount, to, from);
    moveHostPath(mount, temp, to);
    return 0;
  }
  const r = dir.rename(from, to);
  if (r < 0) return r;
  if (typeof b !== 'number') forgetHostPath(registry, mount, to);
  moveHostPath(mount, from, to);
  return 0;
}

/**
 * A mounted node's attributes from the host's: its own device and inode
 * number, uid/gid 0, nlink 0 once the guest removed it.
 *
 * @internal Used by `FileSystem.stat`.
 */
export function hostStat(node: HostNode, st: HostStat): FsStat {
  const kind = st.kind === 'other' ? node.kind : st.kind;
  return {
    dev: node.owner.dev,
    ino: node.ino,
    kind,
    mode: typeBits(kind) | (st.mode & PERMISSION_BITS),
    nlink: node.unlinked && kind !== 'directory' ? 0 : st.nlink,
    uid: 0,
    gid: 0,
    size: st.size,
    blocks: st.blocks,
    blksize: CHUNK_SIZE,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
  };
}
