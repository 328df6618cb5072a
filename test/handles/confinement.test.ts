/**
 * Paths from the guest stay inside a mounted host directory, whatever the
 * guest tries through the system calls: `..` past the mount, host
 * symlinks pointing out (relative and absolute), and a rename racing an
 * open. Nothing outside the mounted directory is read or written.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/syscalls/errno.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { HostDirectory } from '../../node/index.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100;
const P1 = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;
const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

let outside = '', inside = '';
beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'faultline-confine-'));
  roots.push(root);
  outside = join(root, 'outside');
  inside = join(root, 'inside');
  mkdirSync(outside);
  mkdirSync(inside);
  writeFileSync(join(outside, 'secret'), 'secret');
  writeFileSync(join(inside, 'ok.txt'), 'fine');
  symlinkSync('../outside/secret', join(inside, 'rel-link'));
  symlinkSync(join(outside, 'secret'), join(inside, 'abs-link'));
  symlinkSync('../outside', join(inside, 'dir-link'));
});

function driver(): CallDriver {
  return new CallDriver({ mounts: [{ guestPath: '/mnt', directory: new HostDirectory(inside) }] });
}
function open(d: CallDriver, path: string, flags: number): number {
  return d.call(Syscall.Openat, AT_FDCWD, d.str(P1, path), flags, 0o644);
}
function readAll(d: CallDriver, fd: number): string {
  const n = d.call(Syscall.Read, fd, OUT, 100);
  return n < 0 ? `${n}` : d.text(OUT, n);
}

describe('a mounted directory confines every path', () => {
  it('reads inside the mount; `..` at the mount root goes to the guest parent, not the host parent', () => {
    const d = driver();
    expect(readAll(d, open(d, '/mnt/ok.txt', 0))).toBe('fine');
    expect(open(d, '/mnt/../outside/secret', 0)).toBe(-Errno.ENOENT);
    expect(open(d, '/mnt/../../../outside/secret', 0)).toBe(-Errno.ENOENT);
    d.call(Syscall.Chdir, d.str(P1, '/mnt'));
    expect(open(d, '../outside/secret', 0)).toBe(-Errno.ENOENT);
  });

  it('host symlinks are guest paths: relative and absolute links pointing out never reach the host file', () => {
    const d = driver();
    for (const link of ['/mnt/rel-link', '/mnt/abs-link', '/mnt/dir-link/secret']) {
      const fd = open(d, link, 0);
      expect(fd).toBeLessThan(0);
    }
    expect(open(d, '/mnt/rel-link', OpenFlag.Create | OpenFlag.WriteOnly)).toBeLessThan(0);
    expect(open(d, '/mnt/abs-link', OpenFlag.Create | OpenFlag.WriteOnly | OpenFlag.Truncate)).toBeLessThan(0);
    expect(d.call(Syscall.Mkdirat, AT_FDCWD, d.str(P1, '/mnt/dir-link/new'), 0o755)).toBeLessThan(0);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('secret');
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('a rename racing an open cannot make a write land outside', () => {
    const d = driver();
    const fd = open(d, '/mnt/ok.txt', OpenFlag.ReadWrite);
    expect(fd).toBeGreaterThan(0);
    // The host swaps the file for a symlink pointing out after the guest opened it.
    renameSync(join(inside, 'ok.txt'), join(inside, 'moved.txt'));
    symlinkSync(join(outside, 'secret'), join(inside, 'ok.txt'));
    expect(d.call(Syscall.Write, fd, d.put(BUF, 'GUEST'), 5)).toBe(5);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('secret');
    expect(readFileSync(join(inside, 'moved.txt'), 'utf8')).toBe('GUEST');
    expect(open(d, '/mnt/ok.txt', OpenFlag.WriteOnly)).toBeLessThan(0);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('secret');
  });

  it('a read-only mount refuses every change with EROFS', () => {
    const d = new CallDriver({ mounts: [{ guestPath: '/ro', directory: new HostDirectory(inside), readOnly: true }] });
    expect(open(d, '/ro/ok.txt', OpenFlag.WriteOnly)).toBe(-Errno.EROFS);
    expect(open(d, '/ro/new', OpenFlag.Create | OpenFlag.WriteOnly)).toBe(-Errno.EROFS);
    expect(d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, '/ro/ok.txt'), 0)).toBe(-Errno.EROFS);
    expect(d.call(Syscall.Mkdirat, AT_FDCWD, d.str(P1, '/ro/dir'), 0o755)).toBe(-Errno.EROFS);
    expect(readAll(d, open(d, '/ro/ok.txt', 0))).toBe('fine');
  });
});
