import { describe, expect, it } from 'vitest';
import { hostErrno } from '../../node/index.js';
import { applyTreeImage, captureTree, Errno, FileSystem, type FsNode, RenameFlags } from '../../src/index.js';

function node(r: FsNode | number): FsNode {
  if (typeof r === 'number') throw new Error(`expected a node, got errno ${r}`);
  return r;
}

function names(fs: FileSystem, dir: FsNode, after = 0): string[] {
  const list = fs.listDirectory(dir, after);
  if (typeof list === 'number') throw new Error(`list ${list}`);
  return list.map((e) => e.name);
}

describe('Linux rules of the in-memory tree', () => {
  it('counts directory links as 2 + subdirectories', () => {
    const fs = new FileSystem();
    expect(fs.stat(fs.root)).toMatchObject({ nlink: 2, mode: 0o40755 });
    fs.mkdirAt('/a', 0o755);
    fs.mkdirAt('/b', 0o755);
    fs.openAt('/f', { create: { mode: 0o644 } });
    expect(fs.stat(fs.root)).toMatchObject({ nlink: 4 });
    fs.unlinkAt('/b', { directory: true });
    expect(fs.stat(fs.root)).toMatchObject({ nlink: 3 });
    fs.renameAt('/a', '/f2');
    expect(fs.stat(fs.root)).toMatchObject({ nlink: 3 });
  });

  it('applies the trailing-slash and dot rules of mkdir, rmdir, unlink and open', () => {
    const fs = new FileSystem();
    expect(fs.mkdirAt('/d/', 0o755)).toBe(0);
    expect(fs.mkdirAt('/d/.', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.mkdirAt('/d/..', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.unlinkAt('/d/.', { directory: true })).toBe(-Errno.EINVAL);
    expect(fs.unlinkAt('/d/..', { directory: true })).toBe(-Errno.ENOTEMPTY);
    expect(fs.unlinkAt('/d/')).toBe(-Errno.EISDIR);
    expect(fs.unlinkAt('/d')).toBe(-Errno.EISDIR);
    expect(fs.openAt('/d/x/', { create: { mode: 0o644 } })).toBe(-Errno.EISDIR);
    expect(fs.openAt('/d', { create: { mode: 0o644 } })).toBe(-Errno.EISDIR);
    node(fs.openAt('/d/f', { create: { mode: 0o644 } }));
    expect(fs.unlinkAt('/d/f', { directory: true })).toBe(-Errno.ENOTDIR);
    expect(fs.openAt('/d/f/', {})).toBe(-Errno.ENOTDIR);
    expect(fs.unlinkAt('/d/missing/')).toBe(-Errno.ENOENT);
    expect(fs.unlinkAt('/d/', { directory: true })).toBe(-Errno.ENOTEMPTY);
    expect(fs.openAt('/d', { truncate: true })).toBe(-Errno.EISDIR);
    expect(fs.openAt('/d/f', { directory: true, write: true })).toBe(-Errno.ENOTDIR);
  });

  it('creates through a dangling symlink with O_CREAT, and refuses with O_EXCL or O_NOFOLLOW', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/d', 0o755);
    expect(fs.symlinkAt('d/target', '/link')).toBe(0);
    expect(fs.openAt('/link', { create: { mode: 0o644, exclusive: true } })).toBe(-Errno.EEXIST);
    expect(fs.openAt('/link', { create: { mode: 0o644 }, follow: false })).toBe(-Errno.ELOOP);
    const made = node(fs.openAt('/link', { write: true, create: { mode: 0o600 } }));
    expect(fs.resolve('/d/target')).toBe(made);
    expect(fs.readlinkAt('/link')).toBe('d/target');
    expect(fs.readlinkAt('/d')).toBe(-Errno.EINVAL);
    expect(fs.symlinkAt('', '/empty')).toBe(-Errno.ENOENT);
    expect(fs.statAt('/link', { follow: false })).toMatchObject({ kind: 'symlink', size: 8, mode: 0o120777 });
  });

  it('writes sparse files: holes read as zeros and hold no blocks; EFBIG past the size limit; ENOSPC past the quota', () => {
    const fs = new FileSystem({ quota: 3 * 4096, maxFileSize: 1 << 20 });
    const f = node(fs.openAt('/s', { write: true, create: { mode: 0o644 } }));
    expect(fs.write(f, 500_000, new Uint8Array([7]))).toBe(1);
    expect(fs.stat(f)).toMatchObject({ size: 500_001, blocks: 8 });
    const buf = new Uint8Array(4);
    expect(fs.read(f, 499_998, buf)).toBe(3);
    expect([...buf]).toEqual([0, 0, 7, 0]);
    expect(fs.write(f, 1 << 20, new Uint8Array([1]))).toBe(-Errno.EFBIG);
    expect(fs.write(f, (1 << 20) - 2, new Uint8Array([1, 2, 3]))).toBe(2);
    expect(fs.truncate(f, (1 << 20) + 1)).toBe(-Errno.EFBIG);
    expect(fs.write(f, 0, new Uint8Array(8192).fill(1))).toBe(4096);
    expect(fs.write(f, 100_000, new Uint8Array([1]))).toBe(-Errno.ENOSPC);
    expect(fs.truncate(f, 10)).toBe(0);
    expect(fs.bytesUsed).toBe(4096);
    expect(fs.write(f, 100_000, new Uint8Array([1]))).toBe(1);
    expect(fs.read(f, 5, buf)).toBe(4);
    expect([...buf]).toEqual([1, 1, 1, 1]);
    expect(fs.read(f, 8, buf)).toBe(4);
    expect(fs.read(f, 10, new Uint8Array(2))).toBe(2);
    expect(fs.truncate(f, -1)).toBe(-Errno.EINVAL);
    expect(fs.read(f, -1, buf)).toBe(-Errno.EINVAL);
    expect(fs.read(fs.root, 0, buf)).toBe(-Errno.EISDIR);
  });

  it('gives ENOSPC past the node limit and charges symlink text to the quota', () => {
    const fs = new FileSystem({ maxNodes: 3, quota: 10 });
    expect(fs.mkdirAt('/a', 0o755)).toBe(0);
    expect(fs.symlinkAt('0123456789', '/l')).toBe(0);
    expect(fs.bytesUsed).toBe(10);
    expect(fs.mkdirAt('/b', 0o755)).toBe(-Errno.ENOSPC);
    expect(fs.openAt('/f', { create: { mode: 0o644 } })).toBe(-Errno.ENOSPC);
    expect(fs.mkdirAt('/a', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.unlinkAt('/l')).toBe(0);
    expect(fs.bytesUsed).toBe(0);
    expect(fs.symlinkAt('01234567890', '/l')).toBe(-Errno.ENOSPC);
    expect(fs.symlinkAt('x', '/l')).toBe(0);
    expect(() => applyTreeImage(new FileSystem({ maxNodes: 2 }), [captureTree(fs, 0)])).toThrow(/holds 3 nodes, more than the limit 2/);
  });

  it('zeroes the tail of a chunk shrunk by truncate, so growing again reads zeros', () => {
    const fs = new FileSystem();
    const f = node(fs.openAt('/t', { write: true, create: { mode: 0o644 } }));
    fs.write(f, 0, new Uint8Array(100).fill(9));
    fs.truncate(f, 10);
    fs.truncate(f, 100);
    const buf = new Uint8Array(100);
    expect(fs.read(f, 0, buf)).toBe(100);
    expect(buf.slice(9, 11)).toEqual(new Uint8Array([9, 0]));
  });

  it('resumes a listing by cookie while entries are added and removed', () => {
    const fs = new FileSystem();
    for (const n of ['a', 'b', 'c', 'd']) fs.openAt(`/${n}`, { create: { mode: 0o644 } });
    const first = fs.listDirectory(fs.root, 0) as { name: string; cookie: number }[];
    const afterB = first.find((e) => e.name === 'b')!.cookie;
    fs.unlinkAt('/a');
    fs.unlinkAt('/c');
    fs.openAt('/e', { create: { mode: 0o644 } });
    expect(names(fs, fs.root, afterB)).toEqual(['d', 'e']);
    expect(names(fs, fs.root, 0)).toEqual(['.', '..', 'b', 'd', 'e']);
    expect(names(fs, fs.root, 1)).toEqual(['..', 'b', 'd', 'e']);
    expect(fs.listDirectory(node(fs.resolve('/b')))).toBe(-Errno.ENOTDIR);
  });

  it('exchanges a directory and a file, and refuses bad renameat2 flags', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/d', 0o755);
    fs.mkdirAt('/d/sub', 0o755);
    const f = node(fs.openAt('/f', { create: { mode: 0o644 } }));
    const d = node(fs.resolve('/d'));
    expect(fs.renameAt('/d', '/f', { flags: RenameFlags.EXCHANGE })).toBe(0);
    expect(fs.resolve('/d')).toBe(f);
    expect(fs.resolve('/f')).toBe(d);
    expect(fs.pathOf(node(fs.resolve('/f/sub')))).toBe('/f/sub');
    expect(fs.renameAt('/d', '/f', { flags: RenameFlags.EXCHANGE | RenameFlags.NOREPLACE })).toBe(-Errno.EINVAL);
    expect(fs.renameAt('/d', '/f', { flags: RenameFlags.WHITEOUT })).toBe(-Errno.EINVAL);
    expect(fs.renameAt('/d', '/f', { flags: 8 })).toBe(-Errno.EINVAL);
    expect(fs.renameAt('/d', '/nope', { flags: RenameFlags.EXCHANGE })).toBe(-Errno.ENOENT);
    expect(fs.renameAt('/f', '/f/sub/x', { flags: RenameFlags.EXCHANGE })).toBe(-Errno.ENOENT);
    expect(fs.renameAt('/f/sub', '/f')).toBe(-Errno.ENOTEMPTY);
    expect(fs.renameAt('/f/.', '/g')).toBe(-Errno.EBUSY);
    expect(fs.renameAt('/d', '/d')).toBe(0);
  });

  it('resolves relative paths from a directory node and ".." past the root stays at the root', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/a', 0o755);
    fs.mkdirAt('/a/b', 0o755);
    const a = node(fs.resolve('/a'));
    expect(fs.resolve('b', { at: a })).toBe(fs.resolve('/a/b'));
    expect(fs.resolve('../../../a/./b', { at: a })).toBe(fs.resolve('/a/b'));
    expect(fs.resolve('/..')).toBe(fs.root);
    expect(fs.mkdirAt('c', 0o700, { at: a })).toBe(0);
    expect(fs.statAt('/a/c')).toMatchObject({ mode: 0o40700 });
    const f = node(fs.openAt('/a/f', { create: { mode: 0o644 } }));
    expect(fs.resolve('x', { at: f })).toBe(-Errno.ENOTDIR);
    expect(fs.resolve('/x', { at: f })).toBe(-Errno.ENOENT); // an absolute path ignores the start directory
  });

  it('stamps times from the clock: creation sets all three, a write sets mtime and ctime', () => {
    let t = 5;
    const fs = new FileSystem({ clock: () => t });
    const f = node(fs.openAt('/f', { write: true, create: { mode: 0o644 } }));
    t = 9;
    fs.write(f, 0, new Uint8Array([1]));
    expect(fs.stat(f)).toMatchObject({ atimeNs: 5n, mtimeNs: 9n, ctimeNs: 9n });
    expect(fs.stat(fs.root)).toMatchObject({ mtimeNs: 5n });
  });

  it('refuses to release a node that is not retained, naming its inode', () => {
    const fs = new FileSystem();
    expect(() => fs.release(fs.root)).toThrow(/inode 1 is not retained/);
  });

  it('maps host error codes to Linux errno values', () => {
    expect(hostErrno(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(-Errno.EACCES);
    expect(hostErrno(Object.assign(new Error('x'), { code: 'ENOTEMPTY' }))).toBe(-Errno.ENOTEMPTY);
    expect(hostErrno(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBe(-Errno.EIO);
    expect(hostErrno(null)).toBe(-Errno.EIO);
  });
});
