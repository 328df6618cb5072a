import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostDirectory } from '../../node/index.js';
import { applyTreeImage, captureTree, crc32, Errno, FileSystem, type FsNode, type HostFile, type HostOpenOptions, type MountedDirectory } from '../../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function node(r: FsNode | number): FsNode {
  if (typeof r === 'number') throw new Error(`expected a node, got errno ${r}`);
  return r;
}

function readAll(fs: FileSystem, n: FsNode): string {
  const buf = new Uint8Array(4096);
  const got = fs.read(n, 0, buf);
  if (got < 0) throw new Error(`read ${got}`);
  return dec(buf.subarray(0, got));
}

let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'faultline-fs-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  writeFileSync(join(root, 'inside.txt'), 'inside');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'f.txt'), 'f');
  symlinkSync('../outside/secret.txt', join(root, 'link-out'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'abs-link'));
  symlinkSync(outside, join(root, 'abs-dir'));
  symlinkSync('..', join(root, 'up'));
  symlinkSync('sub/f.txt', join(root, 'link-in'));
});

afterEach(() => {
  try {
    chmodSync(join(root, 'sub'), 0o755);
  } catch {
    // already gone
  }
  rmSync(base, { recursive: true, force: true });
});

/** The secret file outside the mount is untouched and nothing new appeared beside it. */
function outsideUntouched(): void {
  expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  expect(readdirSync(outside)).toEqual(['secret.txt']);
  expect(readdirSync(base).sort()).toEqual(['outside', 'root']);
}

describe('mounted host directories', () => {
  it('reads, writes, creates and lists host files through the guest tree', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    expect(readAll(fs, node(fs.resolve('/mnt/inside.txt')))).toBe('inside');
    expect(readAll(fs, node(fs.resolve('/mnt/link-in')))).toBe('f');
    const f = node(fs.openAt('/mnt/sub/new.txt', { write: true, create: { mode: 0o640 } }));
    expect(fs.write(f, 0, enc('written'))).toBe(7);
    fs.release(f);
    expect(readFileSync(join(root, 'sub', 'new.txt'), 'utf8')).toBe('written');
    expect(fs.mkdirAt('/mnt/d', 0o755)).toBe(0);
    expect(fs.renameAt('/mnt/sub/new.txt', '/mnt/d/moved.txt')).toBe(0);
    expect(readFileSync(join(root, 'd', 'moved.txt'), 'utf8')).toBe('written');
    expect(fs.unlinkAt('/mnt/d/moved.txt')).toBe(0);
    expect(fs.unlinkAt('/mnt/d', { directory: true })).toBe(0);
    expect(existsSync(join(root, 'd'))).toBe(false);
    const list = fs.listDirectory(node(fs.resolve('/mnt')));
    if (typeof list === 'number') throw new Error(`list ${list}`);
    expect(list.map((e) => e.name)).toEqual(['.', '..', 'abs-dir', 'abs-link', 'inside.txt', 'link-in', 'link-out', 'sub', 'up']);
    expect(list[1]!.ino).toBe(fs.root.ino);
    const st = fs.stat(node(fs.resolve('/mnt/inside.txt')));
    expect(st).toMatchObject({ kind: 'file', size: 6, dev: 2, nlink: 1 });
    outsideUntouched();
  });

  it('keeps ".." at the mount root inside the guest tree, as a bind mount does', () => {
    const fs = new FileSystem();
    fs.mount('/a/mnt', new HostDirectory(root));
    expect(fs.resolve('/a/mnt/..')).toBe(fs.resolve('/a'));
    expect(fs.resolve('/a/mnt/../../..')).toBe(fs.root);
    expect(fs.resolve('/a/mnt/sub/../../mnt/inside.txt')).toBe(fs.resolve('/a/mnt/inside.txt'));
    expect(fs.resolve('/a/mnt/up')).toBe(fs.resolve('/a'));
    expect(fs.resolve('/a/mnt/../outside/secret.txt')).toBe(-Errno.ENOENT);
    expect(fs.pathOf(node(fs.resolve('/a/mnt/sub')))).toBe('/a/mnt/sub');
  });

  it('interprets host symlinks as guest paths, so none reaches outside', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    expect(fs.resolve('/mnt/link-out')).toBe(-Errno.ENOENT);
    expect(fs.resolve('/mnt/abs-link')).toBe(-Errno.ENOENT);
    expect(fs.resolve('/mnt/abs-dir/secret.txt')).toBe(-Errno.ENOENT);
    expect(fs.openAt('/mnt/link-out', { write: true, create: { mode: 0o644 } })).toBe(-Errno.ENOENT);
    expect(fs.openAt('/mnt/abs-dir/new', { write: true, create: { mode: 0o644 } })).toBe(-Errno.ENOENT);
    expect(fs.readlinkAt('/mnt/abs-link')).toBe(join(outside, 'secret.txt'));
    // A guest file at the link's guest path is what the link reaches.
    fs.mkdirAt('/outside', 0o755);
    const g = node(fs.openAt('/outside/secret.txt', { write: true, create: { mode: 0o644 } }));
    fs.write(g, 0, enc('guest'));
    fs.release(g);
    expect(readAll(fs, node(fs.resolve('/mnt/link-out')))).toBe('guest');
    outsideUntouched();
  });

  it('refuses every change under a read-only mount with EROFS', () => {
    const fs = new FileSystem();
    fs.mount('/ro', new HostDirectory(root), { readOnly: true });
    expect(readAll(fs, node(fs.resolve('/ro/inside.txt')))).toBe('inside');
    expect(fs.openAt('/ro/inside.txt', { write: true })).toBe(-Errno.EROFS);
    expect(fs.openAt('/ro/new', { write: true, create: { mode: 0o644 } })).toBe(-Errno.EROFS);
    expect(fs.openAt('/ro/inside.txt', { truncate: true })).toBe(-Errno.EROFS);
    expect(fs.mkdirAt('/ro/d', 0o755)).toBe(-Errno.EROFS);
    expect(fs.mkdirAt('/ro/sub', 0o755)).toBe(-Errno.EEXIST);
    expect(fs.unlinkAt('/ro/inside.txt')).toBe(-Errno.EROFS);
    expect(fs.unlinkAt('/ro/sub', { directory: true })).toBe(-Errno.EROFS);
    expect(fs.renameAt('/ro/inside.txt', '/ro/x')).toBe(-Errno.EROFS);
    expect(fs.symlinkAt('x', '/ro/l')).toBe(-Errno.EROFS);
    const f = node(fs.openAt('/ro/inside.txt'));
    expect(fs.write(f, 0, enc('x'))).toBe(-Errno.EROFS);
    expect(fs.truncate(f, 0)).toBe(-Errno.EROFS);
    fs.release(f);
    expect(readFileSync(join(root, 'inside.txt'), 'utf8')).toBe('inside');
  });

  it('refuses to remove or rename a mount point and renames across mounts with EXDEV', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    fs.mkdirAt('/tmp', 0o755);
    expect(fs.unlinkAt('/mnt', { directory: true })).toBe(-Errno.EBUSY);
    expect(fs.renameAt('/mnt', '/other')).toBe(-Errno.EBUSY);
    expect(fs.renameAt('/mnt/inside.txt', '/tmp/inside.txt')).toBe(-Errno.EXDEV);
    expect(fs.renameAt('/tmp', '/mnt/tmp')).toBe(-Errno.EXDEV);
  });

  it('keeps a host file open across unlink and across a host rename', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    const f = node(fs.openAt('/mnt/inside.txt', { write: true }));
    expect(fs.unlinkAt('/mnt/inside.txt')).toBe(0);
    expect(existsSync(join(root, 'inside.txt'))).toBe(false);
    expect(readAll(fs, f)).toBe('inside');
    expect(fs.write(f, 6, enc('!'))).toBe(1);
    expect(readAll(fs, f)).toBe('inside!');
    expect(fs.stat(f)).toMatchObject({ nlink: 0 });
    fs.release(f);
    const g = node(fs.openAt('/mnt/sub/f.txt', { write: true }));
    renameSync(join(root, 'sub'), join(outside, 'sub'));
    expect(fs.write(g, 0, enc('G'))).toBe(1);
    fs.release(g);
  });

  it('keeps a file held for reading writable through its node after unlink, as the in-memory tree does', () => {
    // Found by the mount differential property (seed -69046303): the host
    // file was held read-only, and a write after unlink reopened it by path.
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    const f = node(fs.openAt('/mnt/inside.txt'));
    expect(fs.unlinkAt('/mnt/inside.txt')).toBe(0);
    expect(fs.write(f, 0, enc('I'))).toBe(1);
    expect(readAll(fs, f)).toBe('Inside');
    fs.release(f);
    // A read-only mount still holds its files read-only.
    const ro = new FileSystem();
    ro.mount('/ro', new HostDirectory(root), { readOnly: true });
    const g = node(ro.openAt('/ro/sub/f.txt'));
    expect(ro.write(g, 0, enc('x'))).toBe(-Errno.EROFS);
    ro.release(g);
    expect(readFileSync(join(root, 'sub', 'f.txt'), 'utf8')).toBe('f');
  });

  it('refuses a host rename racing between the walk and the open', () => {
    const real = new HostDirectory(root);
    let race = (): void => {};
    const racing: MountedDirectory = {
      label: real.label,
      lstat: (p) => real.lstat(p),
      readdir: (p) => real.readdir(p),
      readlink: (p) => real.readlink(p),
      open: (p: string, o: HostOpenOptions): HostFile | number => {
        race();
        return real.open(p, o);
      },
      mkdir: (p, m) => (race(), real.mkdir(p, m)),
      symlink: (t, p) => real.symlink(t, p),
      unlink: (p) => (race(), real.unlink(p)),
      rmdir: (p) => real.rmdir(p),
      rename: (a, b) => real.rename(a, b),
      truncate: (p, s) => real.truncate(p, s),
    };
    const fs = new FileSystem();
    fs.mount('/mnt', racing);
    // After the walk saw sub/ as a directory, the host swaps it for a symlink out.
    race = () => {
      race = () => {};
      renameSync(join(root, 'sub'), join(base, 'sub-moved'));
      symlinkSync(outside, join(root, 'sub'));
      writeFileSync(join(outside, 'f.txt'), 'outside f');
    };
    expect(fs.openAt('/mnt/sub/f.txt', { write: true })).toBe(-Errno.EACCES);
    expect(readFileSync(join(outside, 'f.txt'), 'utf8')).toBe('outside f');
    rmSync(join(outside, 'f.txt'));
    rmSync(join(root, 'sub'));
    renameSync(join(base, 'sub-moved'), join(root, 'sub'));
    for (const attempt of [
      () => fs.openAt('/mnt/sub/created.txt', { write: true, create: { mode: 0o644 } }),
      () => fs.mkdirAt('/mnt/sub/newdir', 0o755),
      () => fs.unlinkAt('/mnt/sub/f.txt'),
    ]) {
      race = () => {
        race = () => {};
        renameSync(join(root, 'sub'), join(base, 'sub-moved'));
        symlinkSync(outside, join(root, 'sub'));
      };
      expect(attempt()).toBe(-Errno.EACCES);
      rmSync(join(root, 'sub'));
      renameSync(join(base, 'sub-moved'), join(root, 'sub'));
      outsideUntouched();
    }
  });

  it('refuses relative paths that leave the directory at the host interface', () => {
    const dir = new HostDirectory(root);
    expect(dir.open('../outside/secret.txt', { write: false })).toBe(-Errno.EACCES);
    expect(dir.lstat('sub/../..')).toBe(-Errno.EACCES);
    expect(dir.open('link-out', { write: false })).toBe(-Errno.ELOOP);
    expect(dir.open('abs-dir/secret.txt', { write: true })).toBe(-Errno.EACCES);
    expect(dir.mkdir('abs-dir/x', 0o755)).toBe(-Errno.EACCES);
    expect(dir.readdir('abs-dir')).toBe(-Errno.EACCES);
    expect(dir.readdir('sub')).toEqual(['f.txt']);
    outsideUntouched();
  });

  it('maps host permission errors to EACCES', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    chmodSync(join(root, 'sub'), 0);
    const asRoot = process.getuid?.() === 0;
    const r = fs.resolve('/mnt/sub/f.txt');
    if (asRoot) expect(typeof r).not.toBe('number');
    else expect(r).toBe(-Errno.EACCES);
  });

  it('reports the identity of a mounted file: size, mtime and a CRC-32 of its contents', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    const f = node(fs.resolve('/mnt/inside.txt'));
    const id = fs.identity(f);
    expect(id).toMatchObject({ size: 6, contentHash: crc32(enc('inside')) });
    expect(fs.identity(fs.root)).toBe(-Errno.EINVAL);
    writeFileSync(join(root, 'inside.txt'), 'changed!');
    const later = fs.identity(node(fs.resolve('/mnt/inside.txt')));
    expect(later).toMatchObject({ size: 8, contentHash: crc32(enc('changed!')) });
  });

  it('lists a mounted directory in name order and resumes by cookie past added and removed names', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    const dir = node(fs.resolve('/mnt/sub'));
    writeFileSync(join(root, 'sub', 'b'), '');
    writeFileSync(join(root, 'sub', 'a'), '');
    const first = fs.listDirectory(dir, 0);
    if (typeof first === 'number') throw new Error(String(first));
    expect(first.map((e) => e.name)).toEqual(['.', '..', 'a', 'b', 'f.txt']);
    const afterA = first[2]!.cookie;
    rmSync(join(root, 'sub', 'b'));
    writeFileSync(join(root, 'sub', '0-new'), '');
    const rest = fs.listDirectory(dir, afterA);
    if (typeof rest === 'number') throw new Error(String(rest));
    expect(rest.map((e) => e.name)).toEqual(['f.txt', '0-new']);
  });

  it('moves a mount with its mount point when an ancestor is renamed, and images record the new path', () => {
    const fs = new FileSystem();
    fs.mount('/a/mnt', new HostDirectory(root));
    expect(fs.renameAt('/a', '/b')).toBe(0);
    expect(fs.mounts[0]!.guestPath).toBe('/b/mnt');
    expect(fs.pathOf(node(fs.resolve('/b/mnt/sub')))).toBe('/b/mnt/sub');
    const restored = new FileSystem();
    applyTreeImage(restored, [captureTree(fs, 0)], { mountedDirectory: () => new HostDirectory(root) });
    expect(restored.mounts.map((m) => m.guestPath)).toEqual(['/b/mnt']);
    expect(typeof restored.resolve('/b/mnt/inside.txt')).not.toBe('number');
  });

  it('refuses bad mounts with a message naming the path', () => {
    const fs = new FileSystem();
    fs.mount('/mnt', new HostDirectory(root));
    expect(() => fs.mount('relative', new HostDirectory(root))).toThrow(/"relative" is not absolute/);
    expect(() => fs.mount('/', new HostDirectory(root))).toThrow(/root/);
    expect(() => fs.mount('/mnt', new HostDirectory(root))).toThrow(/already a mount point/);
    expect(() => fs.mount('/mnt/sub', new HostDirectory(root))).toThrow(/under the mount at "\/mnt"/);
    expect(() => new HostDirectory(join(root, 'inside.txt'))).toThrow(/not a directory/);
  });
});
