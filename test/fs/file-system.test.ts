import { describe, expect, it } from 'vitest';
import { Errno, FileSystem, RenameFlags, type FsNode } from '../../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Narrows a result that must be a node. */
function node(r: FsNode | number): FsNode {
  if (typeof r === 'number') throw new Error(`expected a node, got errno ${r}`);
  return r;
}

/** The whole contents of a file. */
function contents(fs: FileSystem, n: FsNode): string {
  const st = fs.stat(n);
  if (typeof st === 'number') throw new Error(`stat ${st}`);
  const buf = new Uint8Array(st.size);
  expect(fs.read(n, 0, buf)).toBe(st.size);
  return dec(buf);
}

describe('FileSystem: the in-memory tree', () => {
  it('creates, writes and reads back a file', () => {
    const fs = new FileSystem();
    const f = node(fs.openAt('/a.txt', { write: true, create: { mode: 0o644 } }));
    expect(fs.write(f, 0, enc('hello'))).toBe(5);
    expect(fs.write(f, 5, enc(' world'))).toBe(6);
    expect(contents(fs, f)).toBe('hello world');
    const st = fs.stat(f);
    expect(st).toMatchObject({ ino: 2, kind: 'file', mode: 0o100644, nlink: 1, size: 11, blocks: 8, uid: 0, dev: 1 });
    fs.release(f);
  });

  it('gives inode numbers from one counter and lists in insertion order', () => {
    const fs = new FileSystem();
    expect(fs.mkdirAt('/d', 0o755)).toBe(0);
    for (const name of ['z', 'a', 'm']) node(fs.createFile(node(fs.resolve('/d')), name, 0o600));
    const list = fs.listDirectory(node(fs.resolve('/d')));
    expect(typeof list).not.toBe('number');
    expect((list as { name: string; ino: number }[]).map((e) => `${e.name}:${e.ino}`)).toEqual(['.:2', '..:1', 'z:3', 'a:4', 'm:5']);
  });

  it('reports Linux errno values for bad paths', () => {
    const fs = new FileSystem();
    node(fs.createFile(fs.root, 'f', 0o644));
    expect(fs.resolve('/missing')).toBe(-Errno.ENOENT);
    expect(fs.resolve('/f/x')).toBe(-Errno.ENOTDIR);
    expect(fs.resolve('/f/')).toBe(-Errno.ENOTDIR);
    expect(fs.resolve('')).toBe(-Errno.ENOENT);
    expect(fs.resolve(`/${'x'.repeat(256)}`)).toBe(-Errno.ENAMETOOLONG);
    expect(fs.resolve(`/${'x/'.repeat(2048)}`)).toBe(-Errno.ENAMETOOLONG);
    expect(fs.mkdirAt('/f', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.mkdirAt('/', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.unlinkAt('/')).toBe(-Errno.EISDIR);
    expect(fs.unlinkAt('/', { directory: true })).toBe(-Errno.EBUSY);
    expect(fs.unlinkAt('/f/', {})).toBe(-Errno.ENOTDIR);
    expect(fs.openAt('/f', { create: { mode: 0o644, exclusive: true } })).toBe(-Errno.EEXIST);
    expect(fs.openAt('/', { write: true })).toBe(-Errno.EISDIR);
    expect(fs.openAt('/f', { directory: true })).toBe(-Errno.ENOTDIR);
  });

  it('follows symlinks up to 40 and then gives ELOOP', () => {
    const fs = new FileSystem();
    node(fs.createFile(fs.root, 'target', 0o644));
    expect(fs.symlinkAt('target', '/l0')).toBe(0);
    for (let k = 1; k <= 40; k++) expect(fs.symlinkAt(`l${k - 1}`, `/l${k}`)).toBe(0);
    expect(node(fs.resolve('/l39')).kind).toBe('file');
    expect(node(fs.resolve('/l40', { follow: false })).kind).toBe('symlink');
    expect(fs.resolve('/l40')).toBe(-Errno.ELOOP);
    expect(fs.symlinkAt('self', '/self')).toBe(0);
    expect(fs.resolve('/self')).toBe(-Errno.ELOOP);
    expect(fs.openAt('/l0', { follow: false })).toBe(-Errno.ELOOP);
  });

  it('keeps an unlinked open file readable until released', () => {
    const fs = new FileSystem();
    const f = node(fs.openAt('/tmp.txt', { write: true, create: { mode: 0o600 } }));
    fs.write(f, 0, enc('still here'));
    expect(fs.unlinkAt('/tmp.txt')).toBe(0);
    expect(fs.resolve('/tmp.txt')).toBe(-Errno.ENOENT);
    expect(contents(fs, f)).toBe('still here');
    expect(fs.stat(f)).toMatchObject({ nlink: 0 });
    expect(fs.nodeByIno(f.ino)).toBe(f);
    fs.release(f);
    expect(fs.nodeByIno(f.ino)).toBeUndefined();
    expect(fs.bytesUsed).toBe(0);
  });

  it('renames with NOREPLACE, EXCHANGE and refuses a directory into itself', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/a', 0o755);
    fs.mkdirAt('/a/b', 0o755);
    node(fs.createFile(fs.root, 'x', 0o644));
    node(fs.createFile(fs.root, 'y', 0o644));
    expect(fs.renameAt('/a', '/a/b/c')).toBe(-Errno.EINVAL);
    expect(fs.renameAt('/x', '/y', { flags: RenameFlags.NOREPLACE })).toBe(-Errno.EEXIST);
    const x = node(fs.resolve('/x'));
    expect(fs.renameAt('/x', '/a', { flags: RenameFlags.EXCHANGE })).toBe(0);
    expect(fs.resolve('/a')).toBe(x);
    expect(node(fs.resolve('/x')).kind).toBe('directory');
    expect(fs.renameAt('/y', '/x')).toBe(-Errno.EISDIR);
    expect(fs.renameAt('/x', '/y')).toBe(-Errno.ENOTDIR);
    expect(fs.renameAt('/y', '/z')).toBe(0);
    expect(fs.renameAt('/z/', '/w')).toBe(-Errno.ENOTDIR);
    expect(fs.unlinkAt('/x', { directory: true })).toBe(-Errno.ENOTEMPTY);
  });

  it('gives getcwd paths and ENOENT for a removed directory', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/a', 0o755);
    fs.mkdirAt('/a/b', 0o755);
    const b = node(fs.resolve('/a/b'));
    expect(fs.pathOf(b)).toBe('/a/b');
    expect(fs.pathOf(fs.root)).toBe('/');
    fs.retain(b);
    expect(fs.unlinkAt('/a/b', { directory: true })).toBe(0);
    expect(fs.pathOf(b)).toBe(-Errno.ENOENT);
    expect(fs.openAt('x', { at: b, create: { mode: 0o644 } })).toBe(-Errno.ENOENT);
    expect(fs.listDirectory(b)).toBe(-Errno.ENOENT);
    fs.release(b);
  });
});
