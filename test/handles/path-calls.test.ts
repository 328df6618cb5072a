/**
 * The path calls one at a time on the in-memory tree: creating, listing,
 * renaming and removing, attributes in Linux's rv32 layouts, the working
 * directory, and errno for each misuse.
 */

import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/syscalls/errno.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100, AT_REMOVEDIR = 0x200, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
const P1 = DATA_BASE, P2 = DATA_BASE + 0x800, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;

function open(d: CallDriver, path: string, flags: number, mode = 0o644, dirfd = AT_FDCWD): number {
  return d.call(Syscall.Openat, dirfd, d.str(P1, path), flags, mode);
}
function mkdir(d: CallDriver, path: string, mode = 0o755): number {
  return d.call(Syscall.Mkdirat, AT_FDCWD, d.str(P1, path), mode);
}
/** Names listed by getdents64 on `fd`, with d_type, in order, reading `count` bytes per call. */
function list(d: CallDriver, fd: number, count = 4096): string[] {
  const names: string[] = [];
  for (;;) {
    const n = d.call(Syscall.Getdents64, fd, OUT, count);
    if (n <= 0) { if (n < 0) names.push(`error ${n}`); return names; }
    const bytes = d.bytes(OUT, n), v = new DataView(bytes.buffer, bytes.byteOffset);
    for (let at = 0; at < n;) {
      const reclen = v.getUint16(at + 16, true), type = v.getUint8(at + 18);
      const name = new TextDecoder().decode(bytes.subarray(at + 19, at + reclen)).replace(/\0+$/, '');
      names.push(`${name}:${type}`);
      at += reclen;
    }
  }
}
/** statx of `path`: [mode, size, ino, nlink]. */
function statx(d: CallDriver, path: string, flags = 0, dirfd = AT_FDCWD): number[] | number {
  const r = d.call(Syscall.Statx, dirfd, d.str(P1, path), flags, 0x7ff, OUT);
  if (r < 0) return r;
  const b = d.bytes(OUT, 256), v = new DataView(b.buffer, b.byteOffset);
  return [v.getUint16(28, true), Number(v.getBigUint64(40, true)), Number(v.getBigUint64(32, true)), v.getUint32(16, true)];
}

describe('files and directories', () => {
  it('creates with the umask applied, refuses O_EXCL over an entry, truncates with O_TRUNC', () => {
    const d = new CallDriver({ umask: 0o027 });
    const fd = open(d, '/f', OpenFlag.Create | OpenFlag.WriteOnly, 0o666);
    expect(fd).toBe(3);
    d.call(Syscall.Write, fd, d.put(BUF, 'abc'), 3);
    expect(statx(d, '/f')).toEqual([0o100640, 3, expect.any(Number), 1]);
    expect(open(d, '/f', OpenFlag.Create | OpenFlag.Exclusive | OpenFlag.WriteOnly)).toBe(-Errno.EEXIST);
    expect(open(d, '/f', OpenFlag.WriteOnly | OpenFlag.Truncate)).toBe(4);
    expect(statx(d, '/f')).toEqual([0o100640, 0, expect.any(Number), 1]);
    expect(open(d, '/missing', OpenFlag.ReadOnly)).toBe(-Errno.ENOENT);
    expect(open(d, '/f/x', OpenFlag.ReadOnly)).toBe(-Errno.ENOTDIR);
    expect(open(d, '/f', OpenFlag.ReadOnly | OpenFlag.Directory)).toBe(-Errno.ENOTDIR);
    expect(open(d, '', OpenFlag.ReadOnly)).toBe(-Errno.ENOENT);
    expect(d.call(Syscall.Umask, 0o022)).toBe(0o027);
  });

  it('lists a directory with getdents64 in insertion order, resuming after a small buffer', () => {
    const d = new CallDriver();
    expect(mkdir(d, '/dir')).toBe(0);
    expect(mkdir(d, '/dir')).toBe(-Errno.EEXIST);
    for (const name of ['b', 'a', 'c']) open(d, `/dir/${name}`, OpenFlag.Create | OpenFlag.WriteOnly);
    mkdir(d, '/dir/sub');
    const fd = open(d, '/dir', OpenFlag.ReadOnly | OpenFlag.Directory);
    expect(list(d, fd)).toEqual(['.:4', '..:4', 'b:8', 'a:8', 'c:8', 'sub:4']);
    const again = open(d, '/dir', OpenFlag.ReadOnly | OpenFlag.Directory);
    expect(list(d, again, 24)).toEqual(['.:4', '..:4', 'b:8', 'a:8', 'c:8', 'sub:4']);
    expect(d.call(Syscall.Getdents64, open(d, '/dir', OpenFlag.ReadOnly), OUT, 10)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Getdents64, open(d, '/dir/a', OpenFlag.ReadOnly), OUT, 100)).toBe(-Errno.ENOTDIR);
    expect(d.call(Syscall.Read, fd, OUT, 10)).toBe(-Errno.EISDIR);
    expect(open(d, '/dir', OpenFlag.WriteOnly)).toBe(-Errno.EISDIR);
  });

  it('unlinks and removes directories as Linux does; an unlinked file stays readable while open', () => {
    const d = new CallDriver();
    mkdir(d, '/d');
    const fd = open(d, '/d/f', OpenFlag.Create | OpenFlag.ReadWrite);
    d.call(Syscall.Write, fd, d.put(BUF, 'kept'), 4);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d'), AT_REMOVEDIR)).toBe(-Errno.ENOTEMPTY);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d'), 0)).toBe(-Errno.EISDIR);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d/f'), AT_REMOVEDIR)).toBe(-Errno.ENOTDIR);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d/f'), 0)).toBe(0);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d/f'), 0)).toBe(-Errno.ENOENT);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d'), 0x1)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Pread64, fd, OUT, 10, 0, 0)).toBe(4);
    expect(d.text(OUT, 4)).toBe('kept');
    expect(d.call(Syscall.Fstat64, fd, OUT)).toBe(0);
    expect(d.u32(OUT + 20)).toBe(0); // st_nlink of an unlinked file
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/d'), AT_REMOVEDIR)).toBe(0);
  });

  it('renames with renameat2 flags', () => {
    const d = new CallDriver();
    open(d, '/a', OpenFlag.Create | OpenFlag.WriteOnly);
    open(d, '/b', OpenFlag.Create | OpenFlag.WriteOnly);
    const rename = (from: string, to: string, flags = 0): number =>
      d.call(Syscall.Renameat2, AT_FDCWD, d.str(P1, from), AT_FDCWD, d.str(P2, to), flags);
    expect(rename('/a', '/b', 1)).toBe(-Errno.EEXIST);
    expect(rename('/a', '/c')).toBe(0);
    expect(statx(d, '/a')).toBe(-Errno.ENOENT);
    expect(rename('/c', '/b', 3)).toBe(-Errno.EINVAL);
    expect(rename('/c', '/b', 2)).toBe(0);
    expect(rename('/nope', '/x')).toBe(-Errno.ENOENT);
    mkdir(d, '/dd');
    expect(rename('/dd', '/dd/in')).toBe(-Errno.EINVAL);
  });

  it('resolves relative paths from the working directory and from a directory handle', () => {
    const d = new CallDriver();
    mkdir(d, '/work');
    mkdir(d, '/work/sub');
    expect(d.call(Syscall.Chdir, d.str(P1, '/work'))).toBe(0);
    expect(d.call(Syscall.Getcwd, OUT, 100)).toBe(6);
    expect(d.text(OUT, 6)).toBe('/work\0');
    expect(d.call(Syscall.Getcwd, OUT, 3)).toBe(-Errno.ERANGE);
    expect(open(d, 'rel.txt', OpenFlag.Create | OpenFlag.WriteOnly)).toBe(3);
    expect(statx(d, '/work/rel.txt')).not.toBe(-Errno.ENOENT);
    const dirfd = open(d, 'sub', OpenFlag.ReadOnly | OpenFlag.Directory);
    expect(open(d, 'in-sub', OpenFlag.Create | OpenFlag.WriteOnly, 0o600, dirfd)).toBeGreaterThan(0);
    expect(statx(d, '/work/sub/in-sub')).toEqual([0o100600, 0, expect.any(Number), 1]);
    expect(open(d, 'x', OpenFlag.ReadOnly, 0, 3)).toBe(-Errno.ENOTDIR);
    expect(open(d, 'x', OpenFlag.ReadOnly, 0, 99)).toBe(-Errno.EBADF);
    expect(d.call(Syscall.Chdir, d.str(P1, 'rel.txt'))).toBe(-Errno.ENOTDIR);
    expect(d.call(Syscall.Fchdir, dirfd)).toBe(0);
    expect(d.call(Syscall.Getcwd, OUT, 100)).toBe(10);
    expect(d.call(Syscall.Chdir, d.str(P1, '..'))).toBe(0);
    expect(d.call(Syscall.Getcwd, OUT, 100)).toBe(6);
  });

  it('reports attributes with fstat64, fstatat64 and statx, following symlinks unless asked not to', () => {
    const d = new CallDriver();
    const fd = open(d, '/t', OpenFlag.Create | OpenFlag.WriteOnly, 0o600);
    d.call(Syscall.Write, fd, d.put(BUF, '12345'), 5);
    expect(d.call(Syscall.Symlinkat, d.str(P1, '/t'), AT_FDCWD, d.str(P2, '/link'))).toBe(0);
    expect(statx(d, '/link')).toEqual([0o100600, 5, expect.any(Number), 1]);
    expect((statx(d, '/link', AT_SYMLINK_NOFOLLOW) as number[])[0]).toBe(0o120777);
    expect(d.call(Syscall.Readlinkat, AT_FDCWD, d.str(P1, '/link'), OUT, 100)).toBe(2);
    expect(d.text(OUT, 2)).toBe('/t');
    expect(d.call(Syscall.Readlinkat, AT_FDCWD, d.str(P1, '/t'), OUT, 100)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Fstatat64, AT_FDCWD, d.str(P1, '/t'), OUT, 0)).toBe(0);
    expect(d.u32(OUT + 16)).toBe(0o100600);
    expect(d.u32(OUT + 48)).toBe(5);
    expect(d.call(Syscall.Fstatat64, fd, d.str(P1, ''), OUT, AT_EMPTY_PATH)).toBe(0);
    expect(d.u32(OUT + 48)).toBe(5);
    expect(d.call(Syscall.Fstatat64, AT_FDCWD, d.str(P1, '/t'), OUT, 0x4)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Fstat64, 77, OUT)).toBe(-Errno.EBADF);
    expect(d.call(Syscall.Fstat64, fd, 0x7000_0000)).toBe(-Errno.EFAULT);
    expect(d.call(Syscall.Statx, AT_FDCWD, d.str(P1, '/t'), 0, 0x8000_0000, OUT)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Faccessat, AT_FDCWD, d.str(P1, '/t'), 4)).toBe(0);
    expect(d.call(Syscall.Faccessat, AT_FDCWD, d.str(P1, '/t'), 1)).toBe(-Errno.EACCES);
    expect(d.call(Syscall.Faccessat, AT_FDCWD, d.str(P1, '/t'), 8)).toBe(-Errno.EINVAL);
  });

  it('ftruncate64 grows and shrinks a file opened for writing, EINVAL otherwise', () => {
    const d = new CallDriver();
    const fd = open(d, '/g', OpenFlag.Create | OpenFlag.ReadWrite);
    expect(d.call(Syscall.Ftruncate64, fd, 10, 0)).toBe(0);
    expect((statx(d, '/g') as number[])[1]).toBe(10);
    expect(d.call(Syscall.Ftruncate64, fd, 3, 0)).toBe(0);
    expect((statx(d, '/g') as number[])[1]).toBe(3);
    expect(d.call(Syscall.Ftruncate64, open(d, '/g', OpenFlag.ReadOnly), 0, 0)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Ftruncate64, fd, -1, -1)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Ftruncate64, 1, 0, 0)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Ftruncate64, 99, 0, 0)).toBe(-Errno.EBADF);
  });
});
