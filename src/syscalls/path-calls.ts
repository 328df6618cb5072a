/**
 * The path calls (docs/design.md §12) on the machine's file system:
 * openat, mkdirat, unlinkat, symlinkat, renameat2, readlinkat, faccessat,
 * fstatat64, fstat64, statx, getdents64, getcwd, chdir, fchdir, umask.
 * Paths are read from guest memory up to their NUL (at most PATH_MAX),
 * faulting in page by page; they are decoded as UTF-8.
 */

import { Access } from '../fault/cause.js';
import type { FileSystem } from '../fs/file-system.js';
import type { FsNode } from '../fs/fs-node.js';
import { FileHandle } from '../handles/file-handle.js';
import type { HandleSpace } from '../handles/handle-space.js';
import { ObjectKind, OpenFlag } from '../handles/open-file.js';
import { ServiceHandle, parseServicePath, type ServiceRegistry } from '../handles/services.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { GuestClock } from '../handles/clock.js';
import type { GuestThread } from '../threads/guest-thread.js';
import { Errno } from './errno.js';
import { Syscall } from './numbers.js';
import { PATH_MAX, type SyscallRanges } from './syscall-ranges.js';
import { STAT64_SIZE, STATX_SIZE, StatxMask, direntSize, encodeDirent, encodeStat64, encodeStatx } from './stat-layout.js';

/** `dirfd` meaning the working directory. */
export const AT_FDCWD = -100;
/** `*at` flags (include/uapi/linux/fcntl.h). */
const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
const AT_STATX_SYNC_TYPE = 0x6000;
/** Permission bits a created node may have. */
const MODE_BITS = 0o7777;
/** `O_TMPFILE` without its `O_DIRECTORY` part. */
const O_TMPFILE_BIT = 0o20000000;

/** What the path calls need from the machine. @internal */
export interface PathCallHost {
  readonly addressSpace: AddressSpace;
  readonly handles: HandleSpace;
  readonly services: ServiceRegistry;
  readonly clock: GuestClock;
}

/** Whether `nr` is a call of this file. @internal */
export function isPathCall(nr: number): boolean {
  switch (nr) {
    case Syscall.Openat: case Syscall.Mkdirat: case Syscall.Unlinkat: case Syscall.Symlinkat:
    case Syscall.Renameat2: case Syscall.Readlinkat: case Syscall.Faccessat: case Syscall.Fstatat64:
    case Syscall.Fstat64: case Syscall.Statx: case Syscall.Getdents64: case Syscall.Getcwd:
    case Syscall.Chdir: case Syscall.Fchdir: case Syscall.Umask:
      return true;
    default:
      return false;
  }
}

/**
 * Notes the guest memory of path call `nr`: each path as a string range
 * (Read, up to its NUL), each output buffer (Write), a `getdents64`
 * buffer only as far as the entries it will hold.
 * @internal
 */
export function describePathCall(nr: number, x: Int32Array, ranges: SyscallRanges, handles: HandleSpace): void {
  const a0 = x[10]!, a1 = x[11]!, a2 = x[12]!, a3 = x[13]!, a4 = x[14]!;
  switch (nr) {
    case Syscall.Openat: case Syscall.Mkdirat: case Syscall.Unlinkat: case Syscall.Faccessat:
      ranges.addString(a1);
      return;
    case Syscall.Symlinkat:
      ranges.addString(a0);
      ranges.addString(a2);
      return;
    case Syscall.Renameat2:
      ranges.addString(a1);
      ranges.addString(a3);
      return;
    case Syscall.Readlinkat:
      ranges.addString(a1);
      if ((a3 | 0) > 0) ranges.add(a2, Math.min(a3, PATH_MAX), Access.Write);
      return;
    case Syscall.Fstatat64:
      ranges.addString(a1);
      ranges.add(a2, STAT64_SIZE, Access.Write);
      return;
    case Syscall.Fstat64:
      ranges.add(a1, STAT64_SIZE, Access.Write);
      return;
    case Syscall.Statx:
      if (a1 !== 0) ranges.addString(a1);
      ranges.add(a4, STATX_SIZE, Access.Write);
      return;
    case Syscall.Getdents64: {
      const n = direntBytes(handles, a0, a2 >>> 0);
      if (n > 0) ranges.add(a1, n, Access.Write);
      return;
    }
    case Syscall.Getcwd:
      if ((a1 >>> 0) > 0) ranges.add(a0, Math.min(a1 >>> 0, PATH_MAX), Access.Write);
      return;
    case Syscall.Chdir:
      ranges.addString(a0);
      return;
    default:
      return;
  }
}

/** The path in string range `k`, or -EFAULT / -ENAMETOOLONG. */
function pathArg(as: AddressSpace, ranges: SyscallRanges, k: number): string | number {
  if (ranges.terminated(k)) return new TextDecoder().decode(as.readBytes(ranges.address[k]!, ranges.length[k]! - 1));
  if (k < ranges.count && ranges.accessible[k]! >= ranges.length[k]! && ranges.length[k] === PATH_MAX) return -Errno.ENAMETOOLONG;
  return -Errno.EFAULT;
}

/**
 * The directory a relative path starts at: the working directory for
 * AT_FDCWD, else the directory `dirfd` refers to (-EBADF, -ENOTDIR).
 * Absolute paths ignore `dirfd`, as Linux does.
 */
function startAt(handles: HandleSpace, dirfd: number, path: string): FsNode | number {
  if (path.startsWith('/')) return handles.fileSystem.root;
  if (dirfd === AT_FDCWD) return handles.cwd;
  const file = handles.get(dirfd);
  if (file === null) return -Errno.EBADF;
  const o = file.object;
  if (!(o instanceof FileHandle) || o.node.kind !== 'directory') return -Errno.ENOTDIR;
  return o.node;
}

/** Bytes of the `linux_dirent64` records a `getdents64` of `fd` into `count` bytes would write now. */
function direntBytes(handles: HandleSpace, fd: number, count: number): number {
  const file = handles.get(fd);
  if (file === null || !(file.object instanceof FileHandle) || file.object.kind !== ObjectKind.Directory) return 0;
  const list = handles.fileSystem.listDirectory(file.object.node, file.offset);
  if (typeof list === 'number') return 0;
  const enc = new TextEncoder();
  let n = 0;
  for (const e of list) {
    const size = direntSize(enc.encode(e.name).length);
    if (n + size > count) break;
    n += size;
  }
  return n;
}

/**
 * Performs path call `nr`. Returns the value for a0.
 * @internal
 */
export function pathCall(host: PathCallHost, t: GuestThread, nr: number, a: Int32Array, ranges: SyscallRanges): number {
  void t;
  const as = host.addressSpace, handles = host.handles, fs = handles.fileSystem;
  switch (nr) {
    case Syscall.Openat:
      return openat(host, a, ranges);
    case Syscall.Mkdirat: {
      const path = pathArg(as, ranges, 0);
      if (typeof path === 'number') return path;
      const at = startAt(handles, a[0]!, path);
      if (typeof at === 'number') return at;
      return fs.mkdirAt(path, (a[2]! & MODE_BITS) & ~handles.umask, { at });
    }
    case Syscall.Unlinkat: {
      const flags = a[2]!;
      if ((flags & ~AT_REMOVEDIR) !== 0) return -Errno.EINVAL;
      const path = pathArg(as, ranges, 0);
      if (typeof path === 'number') return path;
      const at = startAt(handles, a[0]!, path);
      if (typeof at === 'number') return at;
      return fs.unlinkAt(path, { at, directory: (flags & AT_REMOVEDIR) !== 0 });
    }
    case Syscall.Symlinkat: {
      const target = pathArg(as, ranges, 0);
      if (typeof target === 'number') return target;
      const path = pathArg(as, ranges, 1);
      if (typeof path === 'number') return path;
      if (target === '') return -Errno.ENOENT;
      const at = startAt(handles, a[1]!, path);
      if (typeof at === 'number') return at;
      return fs.symlinkAt(target, path, { at });
    }
    case Syscall.Renameat2: {
      const flags = a[4]! >>> 0;
      const oldPath = pathArg(as, ranges, 0);
      if (typeof oldPath === 'number') return oldPath;
      const newPath = pathArg(as, ranges, 1);
      if (typeof newPath === 'number') return newPath;
      if ((flags & ~7) !== 0 || (flags & 3) === 3) return -Errno.EINVAL;
      const oldAt = startAt(handles, a[0]!, oldPath);
      if (typeof oldAt === 'number') return oldAt;
      const newAt = startAt(handles, a[2]!, newPath);
      if (typeof newAt === 'number') return newAt;
      if (oldPath === '' || newPath === '') return -Errno.ENOENT;
      return fs.renameAt(oldPath, newPath, { oldAt, newAt, flags });
    }
    case Syscall.Readlinkat: {
      const path = pathArg(as, ranges, 0);
      if (typeof path === 'number') return path;
      if ((a[3]! | 0) <= 0) return -Errno.EINVAL;
      const at = startAt(handles, a[0]!, path);
      if (typeof at === 'number') return at;
      if (path === '') return -Errno.ENOENT;
      const text = fs.readlinkAt(path, { at });
      if (typeof text === 'number') return text;
      const bytes = new TextEncoder().encode(text).subarray(0, Math.min(a[3]!, ranges.accessible[1]!));
      if (bytes.length === 0 && text !== '') return -Errno.EFAULT;
      as.writeBytes(a[2]! >>> 0, bytes);
      return bytes.length;
    }
    case Syscall.Faccessat: {
      const mode = a[2]!;
      if ((mode & ~7) !== 0) return -Errno.EINVAL;
      const path = pathArg(as, ranges, 0);
      if (typeof path === 'number') return path;
      const at = startAt(handles, a[0]!, path);
      if (typeof at === 'number') return at;
      if (path === '') return -Errno.ENOENT;
      const node = fs.resolve(path, { at });
      if (typeof node === 'number') return node;
      if ((mode & 2) !== 0 && fs.isReadOnly(node)) return -Errno.EROFS;
      if ((mode & 1) !== 0 && node.kind === 'file') {
        const st = fs.stat(node);
        if (typeof st === 'number') return st;
        if ((st.mode & 0o111) === 0) return -Errno.EACCES;
      }
      return 0;
    }
    case Syscall.Fstatat64:
      return statCall(host, a[0]!, ranges, 0, a[3]!, a[2]! >>> 0, ranges.count > 1 ? 1 : -1, false);
    case Syscall.Fstat64: {
      const file = handles.get(a[0]!);
      if (file === null) return -Errno.EBADF;
      return writeStat(host, file.object, a[1]! >>> 0, ranges, 0, false);
    }
    case Syscall.Statx: {
      const flags = a[2]!;
      if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) !== 0) return -Errno.EINVAL;
      if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -Errno.EINVAL;
      if ((a[3]! & StatxMask.RESERVED) !== 0) return -Errno.EINVAL;
      if (a[1] === 0) {
        if ((flags & AT_EMPTY_PATH) === 0) return -Errno.EFAULT;
        return statCall(host, a[0]!, ranges, -1, flags, a[4]! >>> 0, 0, true);
      }
      return statCall(host, a[0]!, ranges, 0, flags, a[4]! >>> 0, 1, true);
    }
    case Syscall.Getdents64:
      return getdents(host, a[0]!, a[1]! >>> 0, a[2]! >>> 0, ranges);
    case Syscall.Getcwd: {
      const path = fs.pathOf(handles.cwd);
      if (typeof path === 'number') return path;
      const bytes = new TextEncoder().encode(`${path}\0`);
      if (bytes.length > PATH_MAX) return -Errno.ENAMETOOLONG;
      if ((a[1]! >>> 0) < bytes.length) return -Errno.ERANGE;
      if (!ranges.whole(0, bytes.length)) return -Errno.EFAULT;
      as.writeBytes(a[0]! >>> 0, bytes);
      return bytes.length;
    }
    case Syscall.Chdir: {
      const path = pathArg(as, ranges, 0);
      if (typeof path === 'number') return path;
      if (path === '') return -Errno.ENOENT;
      const node = fs.resolve(path, { at: handles.cwd });
      if (typeof node === 'number') return node;
      return handles.changeDirectory(node);
    }
    case Syscall.Fchdir: {
      const file = handles.get(a[0]!);
      if (file === null) return -Errno.EBADF;
      const o = file.object;
      if (!(o instanceof FileHandle)) return -Errno.ENOTDIR;
      return handles.changeDirectory(o.node);
    }
    case Syscall.Umask: {
      const old = handles.umask;
      handles.umask = a[0]! & 0o777;
      return old;
    }
    default:
      return -Errno.ENOSYS;
  }
}

/**
 * `openat(dirfd, path, flags, mode)`. A path under `/dev/service/`
 * opens a session of the named service (-ENOENT without a provider).
 */
function openat(host: PathCallHost, a: Int32Array, ranges: SyscallRanges): number {
  const handles = host.handles, fs = handles.fileSystem;
  const flags = a[2]!;
  const path = pathArg(host.addressSpace, ranges, 0);
  if (typeof path === 'number') return path;
  if ((flags & O_TMPFILE_BIT) !== 0) return -Errno.EOPNOTSUPP;
  if ((flags & OpenFlag.Directory) !== 0 && (flags & OpenFlag.Create) !== 0) return -Errno.EINVAL;
  const at = startAt(handles, a[0]!, path);
  if (typeof at === 'number') return at;
  if (path === '') return -Errno.ENOENT;
  const service = parseServicePath(path);
  if (service !== null) return openService(host, service, flags);
  const pathOnly = (flags & OpenFlag.Path) !== 0;
  const mode = flags & OpenFlag.AccessMode;
  const write = !pathOnly && (mode === OpenFlag.WriteOnly || mode === OpenFlag.ReadWrite);
  const create = !pathOnly && (flags & OpenFlag.Create) !== 0;
  const node = fs.openAt(path, {
    at,
    follow: (flags & OpenFlag.NoFollow) === 0,
    write,
    ...(create ? { create: { mode: (a[3]! & MODE_BITS) & ~handles.umask, exclusive: (flags & OpenFlag.Exclusive) !== 0 } } : {}),
    truncate: !pathOnly && (flags & OpenFlag.Truncate) !== 0,
    directory: (flags & OpenFlag.Directory) !== 0,
  });
  if (typeof node === 'number') return node;
  const kept = pathOnly ? flags & (OpenFlag.Path | OpenFlag.Directory | OpenFlag.NoFollow | OpenFlag.CloseOnExec) : flags;
  return handles.open(new FileHandle(fs, node, absolutePath(fs, at, path)), kept);
}

/** `path` (relative to `at`) as an absolute path, for messages and checkpoints. */
function absolutePath(fs: FileSystem, at: FsNode, path: string): string {
  if (path.startsWith('/')) return path;
  const base = fs.pathOf(at);
  if (typeof base === 'number') return path;
  return base === '/' ? `/${path}` : `${base}/${path}`;
}

/** Opens a session of service `s.name` through its provider. */
function openService(host: PathCallHost, s: { name: string; path: string }, flags: number): number {
  const provider = host.services.get(s.name);
  if (provider === undefined) return -Errno.ENOENT;
  if ((flags & OpenFlag.Directory) !== 0) return -Errno.ENOTDIR;
  const args = { name: s.name, path: s.path, flags: flags & ~OpenFlag.CloseOnExec };
  const session = provider.open(args);
  if (typeof session === 'number') return session < 0 && session >= -4095 ? session : -Errno.EIO;
  return host.handles.open(new ServiceHandle(args, session), flags);
}

/**
 * `fstatat64`/`statx` by path (string range `pathRange`, or -1 for
 * AT_EMPTY_PATH with no path) into range `bufRange` at `buf`.
 */
function statCall(host: PathCallHost, dirfd: number, ranges: SyscallRanges, pathRange: number, flags: number, buf: number, bufRange: number, statx: boolean): number {
  const handles = host.handles, fs = handles.fileSystem;
  if (!statx && (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) !== 0) return -Errno.EINVAL;
  let path = '';
  if (pathRange >= 0) {
    const p = pathArg(host.addressSpace, ranges, pathRange);
    if (typeof p === 'number') return p;
    path = p;
  }
  if (path === '') {
    if ((flags & AT_EMPTY_PATH) === 0) return -Errno.ENOENT;
    if (dirfd === AT_FDCWD) return writeStat(host, null, buf, ranges, bufRange, statx, handles.cwd);
    const file = handles.get(dirfd);
    if (file === null) return -Errno.EBADF;
    return writeStat(host, file.object, buf, ranges, bufRange, statx);
  }
  const at = startAt(handles, dirfd, path);
  if (typeof at === 'number') return at;
  const node = fs.resolve(path, { at, follow: (flags & AT_SYMLINK_NOFOLLOW) === 0 });
  if (typeof node === 'number') return node;
  return writeStat(host, null, buf, ranges, bufRange, statx, node);
}

/** The attributes of `object` (or of `node`) as `stat64` or `statx` at `buf`. */
function writeStat(host: PathCallHost, object: unknown, buf: number, ranges: SyscallRanges, k: number, statx: boolean, node?: FsNode): number {
  const fs = host.handles.fileSystem;
  const target = node ?? (object instanceof FileHandle ? object.node : null);
  const size = statx ? STATX_SIZE : STAT64_SIZE;
  let bytes: Uint8Array;
  if (target !== null) {
    const st = fs.stat(target);
    if (typeof st === 'number') return st;
    const epoch = target.mount === null ? BigInt(host.clock.epochSeconds) * 1_000_000_000n : 0n;
    bytes = statx ? encodeStatx(st, epoch) : encodeStat64(st, epoch);
  } else {
    // Streams, pipes and services: a FIFO or character device with no size.
    const kind = (object as { kind?: number } | null)?.kind;
    const mode = kind === ObjectKind.Pipe ? 0o010600 : 0o020620;
    const st = { dev: 0, ino: 0, kind: 'file' as const, mode, nlink: 1, uid: 0, gid: 0, size: 0, blocks: 0, blksize: 4096, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
    bytes = statx ? encodeStatx(st) : encodeStat64(st);
  }
  if (!ranges.whole(k, size)) return -Errno.EFAULT;
  host.addressSpace.writeBytes(buf, bytes);
  return 0;
}

/** `getdents64(fd, dirp, count)`: as many entries as fit, from the description's cookie on. */
function getdents(host: PathCallHost, fd: number, buf: number, count: number, ranges: SyscallRanges): number {
  const handles = host.handles;
  const file = handles.get(fd);
  if (file === null || file.pathOnly) return -Errno.EBADF;
  const o = file.object;
  if (!(o instanceof FileHandle) || o.kind !== ObjectKind.Directory) return -Errno.ENOTDIR;
  const list = handles.fileSystem.listDirectory(o.node, file.offset);
  if (typeof list === 'number') return list;
  if (list.length === 0) return 0;
  const enc = new TextEncoder();
  const room = ranges.count > 0 ? ranges.accessible[0]! : 0;
  const out = new Uint8Array(Math.min(count, room));
  const view = new DataView(out.buffer);
  let n = 0;
  for (const e of list) {
    const name = enc.encode(e.name);
    const size = direntSize(name.length);
    if (n + size > out.length) break;
    encodeDirent(view, n, e.ino, e.cookie, e.kind, name);
    n += size;
    file.offset = e.cookie;
  }
  if (n === 0) {
    const first = direntSize(enc.encode(list[0]!.name).length);
    return first > count ? -Errno.EINVAL : -Errno.EFAULT;
  }
  host.addressSpace.writeBytes(buf, out.subarray(0, n));
  return n;
}
