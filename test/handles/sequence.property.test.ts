/**
 * Random sequences of handle and file calls on the in-memory file system,
 * with a checkpoint (handle space and tree) at a random step into a fresh
 * machine: from there on, the copy answers every call as the original
 * does, and both end with the same handle table and file tree. A plain
 * reference — the uninterrupted machine — is the model.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { captureHandleSpace, restoreHandleSpace } from '../../src/handles/handle-space-image.js';
import { applyTreeImage, captureTree } from '../../src/fs/tree-image.js';
import { describeTree } from '../../src/fs/describe-tree.js';
import type { Machine } from '../../src/machine/machine.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100, AT_REMOVEDIR = 0x200;
const P1 = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;
const NAMES = ['/a', '/b', '/d', '/d/x', '/e'];

type Op =
  | { op: 'open'; path: number; flags: number }
  | { op: 'dup'; fd: number }
  | { op: 'dup3'; fd: number; to: number }
  | { op: 'close'; fd: number }
  | { op: 'read'; fd: number; n: number }
  | { op: 'write'; fd: number; n: number; byte: number }
  | { op: 'lseek'; fd: number; offset: number; whence: number }
  | { op: 'pipe' }
  | { op: 'mkdir'; path: number }
  | { op: 'unlink'; path: number; dir: boolean }
  | { op: 'rename'; from: number; to: number };

const fdArb = fc.integer({ min: 0, max: 12 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('open' as const), path: fc.nat(NAMES.length - 1), flags: fc.constantFrom(0, 1, 2, 0o102, 0o1102, 0o2102, 0o302, 0o200000) }),
  fc.record({ op: fc.constant('dup' as const), fd: fdArb }),
  fc.record({ op: fc.constant('dup3' as const), fd: fdArb, to: fdArb }),
  fc.record({ op: fc.constant('close' as const), fd: fdArb }),
  fc.record({ op: fc.constant('read' as const), fd: fdArb, n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('write' as const), fd: fdArb, n: fc.integer({ min: 0, max: 40 }), byte: fc.integer({ min: 65, max: 90 }) }),
  fc.record({ op: fc.constant('lseek' as const), fd: fdArb, offset: fc.integer({ min: -5, max: 50 }), whence: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('pipe' as const) }),
  fc.record({ op: fc.constant('mkdir' as const), path: fc.nat(NAMES.length - 1) }),
  fc.record({ op: fc.constant('unlink' as const), path: fc.nat(NAMES.length - 1), dir: fc.boolean() }),
  fc.record({ op: fc.constant('rename' as const), from: fc.nat(NAMES.length - 1), to: fc.nat(NAMES.length - 1) }),
);

/** Performs `o` (non-blocking: pipes are made O_NONBLOCK); returns what the guest would see. */
function perform(d: CallDriver, o: Op): string {
  switch (o.op) {
    case 'open': return `${d.call(Syscall.Openat, AT_FDCWD, d.str(P1, NAMES[o.path]!), o.flags, 0o644)}`;
    case 'dup': return `${d.call(Syscall.Dup, o.fd)}`;
    case 'dup3': return `${d.call(Syscall.Dup3, o.fd, o.to, 0)}`;
    case 'close': return `${d.call(Syscall.Close, o.fd)}`;
    case 'read': {
      const n = d.call(Syscall.Read, o.fd, OUT, o.n);
      return n > 0 ? d.text(OUT, n) : `${n}`;
    }
    case 'write': return `${d.call(Syscall.Write, o.fd, d.put(BUF, String.fromCharCode(o.byte).repeat(o.n)), o.n)}`;
    case 'lseek': return `${d.call(Syscall.Llseek, o.fd, o.offset < 0 ? -1 : 0, o.offset, OUT, o.whence)}`;
    case 'pipe': {
      const r = d.call(Syscall.Pipe2, OUT, OpenFlag.NonBlock);
      return r < 0 ? `${r}` : `${d.u32(OUT)},${d.u32(OUT + 4)}`;
    }
    case 'mkdir': return `${d.call(Syscall.Mkdirat, AT_FDCWD, d.str(P1, NAMES[o.path]!), 0o755)}`;
    case 'unlink': return `${d.call(Syscall.Unlinkat, AT_FDCWD, d.str(P1, NAMES[o.path]!), o.dir ? AT_REMOVEDIR : 0)}`;
    case 'rename': return `${d.call(Syscall.Renameat2, AT_FDCWD, d.str(P1, NAMES[o.from]!), AT_FDCWD, d.str(P1 + 0x100, NAMES[o.to]!), 0)}`;
  }
}

function table(m: Machine): string[] {
  const ids = new Map<number, number>();
  return [...m.handles.table.entries()].map(([fd, f, cloexec]) => {
    if (!ids.has(f.id)) ids.set(f.id, ids.size);
    return `${fd} ${ids.get(f.id)} ${f.flags} ${f.offset} ${cloexec} ${f.object.describe()}`;
  });
}

/** A copy of `d`'s machine through a checkpoint of its handle space and tree (memory: the same program, fresh). */
function copyOf(d: CallDriver): CallDriver {
  const copy = new CallDriver();
  applyTreeImage(copy.machine.fileSystem, [captureTree(d.machine.fileSystem, 0)]);
  restoreHandleSpace(copy.machine, captureHandleSpace(d.machine));
  return copy;
}

describe('random call sequences through a checkpoint', () => {
  it('the restored copy answers every later call as the original, and ends with the same table and tree', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.nat(60), (ops, at) => {
      const original = new CallDriver();
      const split = Math.min(at, ops.length);
      for (const o of ops.slice(0, split)) perform(original, o);
      const copy = copyOf(original);
      expect(table(copy.machine)).toEqual(table(original.machine));
      for (const o of ops.slice(split)) expect(perform(copy, o)).toBe(perform(original, o));
      expect(table(copy.machine)).toEqual(table(original.machine));
      // Times differ: the copy's clock (its CPU) starts again at 0 here; a full checkpoint restores it too.
      const untimed = (m: Machine): string => describeTree(m.fileSystem).replace(/ times \S+/g, '');
      expect(untimed(copy.machine)).toBe(untimed(original.machine));
    }), { numRuns: 60 });
  });
});
