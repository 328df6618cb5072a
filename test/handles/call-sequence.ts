/**
 * Random handle and file calls for the sequence properties: the calls
 * (open, dup, dup3, close, read, write, lseek, pipe, mkdir, unlink,
 * rename on a few names of the in-memory tree), how a guest sees each
 * one's answer, and the handle table as text.
 */

import fc from 'fast-check';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import type { Machine } from '../../src/machine/machine.js';
import { type CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100, AT_REMOVEDIR = 0x200;
const P1 = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;
const NAMES = ['/a', '/b', '/d', '/d/x', '/e'];

export type Op =
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
export const opArb: fc.Arbitrary<Op> = fc.oneof(
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

/**
 * Performs `o` (non-blocking: pipes are made O_NONBLOCK); returns what the
 * guest would see. A write to a pipe with no reader kills the process with
 * SIGPIPE, as Linux does; from then on every call reports how the run ended.
 */
export function perform(d: CallDriver, o: Op): string {
  try {
    return performCall(d, o);
  } catch (e) {
    const r = d.last;
    if (r === null || r.kind === 'limit') throw e;
    return r.kind === 'signal' ? `signal ${r.signal}` : `ended ${r.kind}`;
  }
}

function performCall(d: CallDriver, o: Op): string {
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

export function table(m: Machine): string[] {
  const ids = new Map<number, number>();
  return [...m.handles.table.entries()].map(([fd, f, cloexec]) => {
    if (!ids.has(f.id)) ids.set(f.id, ids.size);
    return `${fd} ${ids.get(f.id)} ${f.flags} ${f.offset} ${cloexec} ${f.object.describe()}`;
  });
}

