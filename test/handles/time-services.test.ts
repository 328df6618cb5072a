/**
 * Time, randomness, uname and services, and the rule that every guest
 * buffer a call touches faults through the handler chain first.
 */

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno } from '../../src/syscalls/errno.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { OpenFlag } from '../../src/handles/open-file.js';
import { WOULD_BLOCK } from '../../src/handles/stream.js';
import type { ServiceOpenArgs } from '../../src/handles/services.js';
import { FaultStatus } from '../../src/fault/status.js';
import { Access } from '../../src/fault/cause.js';
import { dirtyLog } from '../../handlers/dirty-log.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

const AT_FDCWD = -100;
const P1 = DATA_BASE, BUF = DATA_BASE + 0x1000, OUT = DATA_BASE + 0x4000;
const NS = 1_000_000_000;

/** clock_gettime64 of `id` as nanoseconds (exact while below 2^53). */
function now(d: CallDriver, id: number): number {
  expect(d.call(Syscall.ClockGettime64, id, OUT)).toBe(0);
  return (d.u32(OUT) + d.u32(OUT + 4) * 2 ** 32) * NS + d.u32(OUT + 8);
}

describe('clocks', () => {
  it('CLOCK_MONOTONIC counts retired instructions from 0 and never goes back; REALTIME starts at 2000-01-01', () => {
    const d = new CallDriver();
    const a = now(d, 1), b = now(d, 1);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(10);
    expect(b).toBeGreaterThan(a);
    d.call(Syscall.ClockGettime64, 0, OUT);
    expect(d.u32(OUT)).toBe(946_684_800);
    expect(d.call(Syscall.ClockGettime64, 10, OUT)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.ClockGettime64, 1, 0x7000_0000)).toBe(-Errno.EFAULT);
    expect(d.call(Syscall.ClockGetresTime64, 1, OUT)).toBe(0);
    expect(d.u32(OUT + 8)).toBe(1);
  });

  it('with hostTime, CLOCK_REALTIME reads the host clock', () => {
    const d = new CallDriver({ hostTime: true });
    d.call(Syscall.ClockGettime64, 0, OUT);
    expect(Math.abs(d.u32(OUT) - Date.now() / 1000)).toBeLessThan(3600);
  });

  it('clock_nanosleep blocks the thread in virtual time: a lone sleeper makes time jump to its deadline', () => {
    const d = new CallDriver();
    d.put(BUF, new Uint8Array(new Uint32Array([2, 0, 500, 0]).buffer));
    const before = now(d, 1);
    expect(d.call(Syscall.ClockNanosleepTime64, 1, 0, BUF, 0)).toBe(0);
    expect(now(d, 1) - before).toBeGreaterThanOrEqual(2 * NS + 500);
    // Absolute: a deadline already passed returns at once.
    expect(d.call(Syscall.ClockNanosleepTime64, 1, 1, BUF, 0)).toBe(0);
    d.put(BUF, new Uint8Array(new Uint32Array([0, 0, NS, 0]).buffer));
    expect(d.call(Syscall.ClockNanosleepTime64, 1, 0, BUF, 0)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.ClockNanosleepTime64, 3, 0, BUF, 0)).toBe(-Errno.EOPNOTSUPP);
    expect(d.call(Syscall.ClockNanosleepTime64, 10, 0, BUF, 0)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.ClockNanosleepTime64, 4, 0, BUF, 0)).toBe(-Errno.EOPNOTSUPP);
    expect(d.call(Syscall.ClockNanosleepTime64, 1, 0, 0x7000_0000, 0)).toBe(-Errno.EFAULT);
  });
});

describe('getrandom and uname', () => {
  it('gives the same bytes for the same seed and different bytes for another (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 300 }), (seed, n) => {
      const a = new CallDriver({ seed }), b = new CallDriver({ seed }), c = new CallDriver({ seed: seed + 1 });
      expect(a.call(Syscall.Getrandom, OUT, n, 0)).toBe(n);
      b.call(Syscall.Getrandom, OUT, n, 0);
      c.call(Syscall.Getrandom, OUT, n, 0);
      expect(a.bytes(OUT, n)).toEqual(b.bytes(OUT, n));
      if (n >= 8) expect(a.bytes(OUT, n)).not.toEqual(c.bytes(OUT, n));
    }), { numRuns: 25 });
  });

  it('refuses unknown flags and RANDOM|INSECURE; a state restored gives the same bytes again', () => {
    const d = new CallDriver();
    expect(d.call(Syscall.Getrandom, OUT, 4, 8)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Getrandom, OUT, 4, 6)).toBe(-Errno.EINVAL);
    expect(d.call(Syscall.Getrandom, 0x7000_0000, 4, 0)).toBe(-Errno.EFAULT);
    const saved = d.machine.random.state();
    d.call(Syscall.Getrandom, OUT, 16, 1);
    const first = d.bytes(OUT, 16);
    d.machine.random.setState(saved);
    d.call(Syscall.Getrandom, OUT, 16, 0);
    expect(d.bytes(OUT, 16)).toEqual(first);
  });

  it('uname says Linux on riscv32', () => {
    const d = new CallDriver();
    expect(d.call(Syscall.Uname, OUT)).toBe(0);
    expect(d.text(OUT, 5)).toBe('Linux');
    expect(d.text(OUT + 4 * 65, 7)).toBe('riscv32');
    expect(d.call(Syscall.Uname, 0x7000_0000)).toBe(-Errno.EFAULT);
  });
});

describe('services', () => {
  it('opens /dev/service/NAME/TAIL through the provider with its arguments, and talks with read and write', () => {
    const d = new CallDriver();
    const opened: ServiceOpenArgs[] = [];
    let closed = 0;
    d.machine.services.register('upper', {
      open: (args) => {
        opened.push(args);
        const out: Uint8Array[] = [];
        return {
          read: () => out.shift() ?? WOULD_BLOCK,
          write: (bytes) => { out.push(new TextEncoder().encode(new TextDecoder().decode(bytes).toUpperCase())); return bytes.length; },
          close: () => { closed++; },
        };
      },
    });
    const fd = d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/upper/greeting'), OpenFlag.ReadWrite | OpenFlag.CloseOnExec, 0);
    expect(fd).toBe(3);
    expect(opened).toEqual([{ name: 'upper', path: 'greeting', flags: OpenFlag.ReadWrite }]);
    expect(d.call(Syscall.Write, fd, d.put(BUF, 'hi there'), 8)).toBe(8);
    expect(d.call(Syscall.Read, fd, OUT, 100)).toBe(8);
    expect(d.text(OUT, 8)).toBe('HI THERE');
    const dup = d.call(Syscall.Dup, 1);
    expect(dup).toBe(4);
    d.call(Syscall.Close, dup);
    expect(d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/nobody'), 0, 0)).toBe(-Errno.ENOENT);
    expect(d.call(Syscall.Llseek, fd, 0, 0, OUT, 0)).toBe(-Errno.ESPIPE);
    // Nothing to read and nobody else to run: the thread waits for ever.
    expect(d.start(Syscall.Read, fd, OUT, 100).kind).toBe('deadlock');
    expect(closed).toBe(0);
    d.machine.handles.closeAll();
    expect(closed).toBe(1);
  });

  it('a provider may refuse with an errno', () => {
    const d = new CallDriver();
    d.machine.services.register('picky', { open: (args) => (args.path === 'ok' ? { read: () => null, write: () => 0, close: () => {} } : -Errno.EACCES) });
    expect(d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/picky/no'), 0, 0)).toBe(-Errno.EACCES);
    expect(d.call(Syscall.Openat, AT_FDCWD, d.str(P1, '/dev/service/picky/ok'), 0, 0)).toBe(3);
    expect(d.call(Syscall.Read, 3, OUT, 10)).toBe(0);
    expect(() => d.machine.services.register('picky', { open: () => -1 })).toThrow(/registered already/);
    expect(() => d.machine.services.register('a/b', { open: () => -1 })).toThrow(/file name/);
  });
});

describe('guest buffers fault through the handler chain', () => {
  it('a read into a demand-paged page faults it in with write access', () => {
    const d = new CallDriver({ stdin: 'paged in' });
    const m = d.machine;
    const page = 0x5000_0000;
    const seen: Array<[number, number]> = [];
    const ds = m.addressSpace.createDataspace(4096, { name: 'lazy' });
    m.registerFaultHandler((fault) => {
      seen.push([fault.address, fault.access]);
      if (fault.address >>> 12 !== page >>> 12) return FaultStatus.Continue;
      m.addressSpace.root.attach(ds, { at: page, writable: true });
      return FaultStatus.Fixed;
    });
    expect(d.call(Syscall.Read, 0, page + 16, 100)).toBe(8);
    expect(seen).toEqual([[page + 16, Access.Write]]);
    expect(d.text(page + 16, 8)).toBe('paged in');
  });

  it('a read into a dirty-logged page is logged; a path read is a read access', () => {
    const d = new CallDriver({ stdin: 'x' });
    const log = dirtyLog();
    d.machine.use(log);
    log.collect();
    expect(log.isDirty(OUT)).toBe(false);
    expect(d.call(Syscall.Read, 0, OUT, 1)).toBe(1);
    expect(log.isDirty(OUT)).toBe(true);
    log.collect();
    d.str(P1, '/new');
    log.collect();
    expect(d.call(Syscall.Openat, AT_FDCWD, P1, OpenFlag.Create | OpenFlag.WriteOnly, 0o600)).toBe(3);
    expect(log.isDirty(P1)).toBe(false);
  });
});
