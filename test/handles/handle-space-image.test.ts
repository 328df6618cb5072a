/**
 * The capability space through a checkpoint: handle numbers, shared
 * descriptions, offsets, flags, pipes, stdin, services and mounted files
 * come back; a restore that cannot re-create an external object refuses,
 * naming the handle and the object, and changes nothing.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import { captureHandleSpace, restoreHandleSpace } from '../../src/handles/handle-space-image.js';
import { captureTree, applyTreeImage } from '../../src/fs/tree-image.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { FileHandle } from '../../src/handles/file-handle.js';
import { WOULD_BLOCK } from '../../src/handles/stream.js';
import type { ServiceProvider } from '../../src/handles/services.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { HostDirectory } from '../../node/index.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100;
const P1 = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A canonical description of a machine's handle table: numbers, sharing, flags, offsets, objects. */
function describeSpace(m: Machine): string[] {
  const ids = new Map<number, number>();
  const out: string[] = [];
  for (const [fd, file, cloexec] of m.handles.table.entries()) {
    if (!ids.has(file.id)) ids.set(file.id, ids.size);
    out.push(`${fd}: desc ${ids.get(file.id)} flags ${file.flags.toString(8)} offset ${file.offset} cloexec ${cloexec} ${file.object.describe()}`);
  }
  return out;
}

/** Checkpoints `from` (handles and tree) into a fresh machine made with `options`; returns it. */
function transfer(from: Machine, options: MachineOptions = {}, relink?: Record<string, string>, prepare?: (m: Machine) => void): Machine {
  const tree = captureTree(from.fileSystem, 0);
  const bytes = captureHandleSpace(from);
  const to = new Machine({ memoryQuota: 64 << 20, ...options });
  prepare?.(to);
  applyTreeImage(to.fileSystem, [tree], { mountedDirectory: (mount) => new HostDirectory(mount.label) });
  restoreHandleSpace(to, bytes, relink === undefined ? {} : { relink });
  return to;
}

function echoProvider(log: string[]): ServiceProvider {
  return {
    open: (args) => {
      log.push(`open ${args.name} ${args.path} ${args.flags}`);
      const queue: Uint8Array[] = [];
      return { read: () => queue.shift() ?? WOULD_BLOCK, write: (b) => { queue.push(b); return b.length; }, close: () => log.push('close') };
    },
  };
}

describe('capture and restore of the handle space', () => {
  it('1,000 handles in random slots come back with their numbers, shared descriptions, offsets and flags (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const d = new CallDriver({ handleLimit: 4096 });
      const m = d.machine;
      let state = seed;
      const next = (n: number): number => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
      const fd = d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/file'), OpenFlag.Create | OpenFlag.ReadWrite, 0o644);
      d.call(Syscall.Write, fd, d.put(BUF, 'contents'), 8);
      d.call(Syscall.Pipe2, OUT, 0);
      const taken = new Set([0, 1, 2, fd, d.u32(OUT), d.u32(OUT + 4)]);
      const sources = [...taken];
      while (taken.size < 1000) {
        const slot = next(4096);
        if (taken.has(slot)) continue;
        const source = sources[next(sources.length)]!;
        expect(d.call(Syscall.Dup3, source, slot, next(2) === 0 ? 0 : OpenFlag.CloseOnExec)).toBe(slot);
        taken.add(slot);
        if (next(4) === 0) sources.push(slot);
        if (next(8) === 0) d.call(Syscall.Llseek, slot, 0, next(8), OUT + 8, 0);
      }
      const before = describeSpace(m);
      const after = transfer(m, { handleLimit: 4096 });
      expect(describeSpace(after)).toEqual(before);
      expect(after.handles.table.size).toBe(1000);
    }), { numRuns: 3 });
  });

  it('keeps pipe contents, stdin pending bytes, the working directory, umask and the random generator', () => {
    const d = new CallDriver({ stdin: 'abcdef', umask: 0o077, seed: 9 });
    const m = d.machine;
    d.call(Syscall.Read, 0, OUT, 2);
    d.call(Syscall.Pipe2, OUT, 0);
    d.call(Syscall.Write, 4, d.put(BUF, 'in the pipe'), 11);
    d.call(Syscall.Mkdirat, AT_FDCWD, d.str(P1, '/work'), 0o755);
    d.call(Syscall.Chdir, d.str(P1, '/work'));
    d.call(Syscall.Getrandom, OUT, 4, 0);
    const to = transfer(m, { stdin: 'NEW' });
    const d2 = Object.assign(Object.create(CallDriver.prototype) as CallDriver, { machine: to, last: null });
    to.load(m.program!);
    expect(d2.call(Syscall.Read, 3, OUT, 100)).toBe(11);
    expect(d2.text(OUT, 11)).toBe('in the pipe');
    expect(d2.call(Syscall.Read, 0, OUT, 100)).toBe(4);
    expect(d2.text(OUT, 4)).toBe('cdef');
    expect(d2.call(Syscall.Read, 0, OUT, 100)).toBe(3);
    expect(d2.call(Syscall.Getcwd, OUT, 100)).toBe(6);
    expect(d2.call(Syscall.Umask, 0)).toBe(0o077);
    d.call(Syscall.Getrandom, OUT, 4, 0);
    const a = d.bytes(OUT, 4);
    d2.call(Syscall.Getrandom, OUT, 4, 0);
    expect(d2.bytes(OUT, 4)).toEqual(a);
  });

  it('re-creates a service session through the target machine\'s provider with its open arguments', () => {
    const log: string[] = [];
    const d = new CallDriver();
    d.machine.services.register('echo', echoProvider(log));
    expect(d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/echo/room-1'), OpenFlag.ReadWrite, 0)).toBe(3);
    const targetLog: string[] = [];
    const to = transfer(d.machine, {}, undefined, (m) => { m.services.register('echo', echoProvider(targetLog)); });
    expect(targetLog).toEqual([`open echo room-1 ${OpenFlag.ReadWrite}`]);
    expect(describeSpace(to)[3]).toContain('service echo/room-1');
  });

  it('refuses a service without a provider, naming the handle; relinking to another name works', () => {
    const d = new CallDriver();
    d.machine.services.register('echo', echoProvider([]));
    d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/echo'), OpenFlag.ReadWrite, 0);
    d.call(Syscall.Dup3, 3, 7, 0);
    expect(() => transfer(d.machine)).toThrow('handle 3: service echo has no provider on this machine');
    const log: string[] = [];
    const to = transfer(d.machine, {}, { echo: 'echo2' }, (m) => { m.services.register('echo2', echoProvider(log)); });
    expect(log).toEqual([`open echo2  ${OpenFlag.ReadWrite}`]);
    expect(to.handles.get(3)).toBe(to.handles.get(7));
  });

  it('refuses a mounted file that changed or is missing, naming the handle and file, and changes nothing; relink continues', () => {
    const host = mkdtempSync(join(tmpdir(), 'faultline-hsi-'));
    dirs.push(host);
    writeFileSync(join(host, 'in.txt'), 'x'.repeat(120));
    writeFileSync(join(host, 'other.txt'), 'other');
    const d = new CallDriver({ mounts: [{ guestPath: '/data', directory: new HostDirectory(host) }] });
    expect(d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/data/in.txt'), OpenFlag.ReadOnly, 0)).toBe(3);
    d.call(Syscall.Dup3, 3, 5, 0);
    d.call(Syscall.Close, 3);
    const tree = captureTree(d.machine.fileSystem, 0);
    const bytes = captureHandleSpace(d.machine);
    const fresh = (): Machine => {
      const m = new Machine({ memoryQuota: 64 << 20 });
      applyTreeImage(m.fileSystem, [tree], { mountedDirectory: (mount) => new HostDirectory(mount.label) });
      return m;
    };
    writeFileSync(join(host, 'in.txt'), 'y'.repeat(80));
    const target = fresh();
    const before = describeSpace(target);
    expect(() => restoreHandleSpace(target, bytes)).toThrow(/^handle 5: mounted file \/data\/in\.txt changed \(size 120 → 80/);
    expect(describeSpace(target)).toEqual(before);
    rmSync(join(host, 'in.txt'));
    expect(() => restoreHandleSpace(fresh(), bytes)).toThrow(/^handle 5: mounted file \/data\/in\.txt is missing/);
    const relinked = fresh();
    restoreHandleSpace(relinked, bytes, { relink: { '/data/in.txt': '/data/other.txt' } });
    const file = relinked.handles.get(5)!;
    expect((file.object as FileHandle).node.mount).not.toBeNull();
    const buf = new Uint8Array(10);
    expect(file.object.read(file, buf, 0)).toBe(5);
    expect(new TextDecoder().decode(buf.subarray(0, 5))).toBe('other');
  });

  it('refuses images with bad layout, naming the offset', () => {
    const d = new CallDriver();
    const bytes = captureHandleSpace(d.machine);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => restoreHandleSpace(new Machine(), bad)).toThrow(/offset 0x00000000: not a handle-space image/);
    expect(() => restoreHandleSpace(new Machine(), bytes.subarray(0, bytes.length - 4))).toThrow(/offset/);
    expect(() => restoreHandleSpace(new Machine({ handleLimit: 100 }), bytes)).toThrow(/1024 handle slots, this machine 100/);
  });
});
