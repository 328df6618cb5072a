/**
 * A service session through a checkpoint image (docs/design.md §12): the
 * image records the service's name and open arguments; restoring on a
 * machine without a provider of that name is refused naming the handle
 * and the service, with nothing started; a machine with one re-creates
 * the session through it, with the same arguments, and the guest's
 * handle number keeps working; `relink` maps the name to another provider.
 */
import { describe, expect, it } from 'vitest';
import { checkpoint, restoreCheckpoint } from '../../handlers/checkpoint/index.js';
import type { ServiceOpenArgs, ServiceProvider } from '../../src/handles/services.js';
import { Machine } from '../../src/machine/machine.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { CallDriver, DATA_BASE } from './call-driver.js';

/** A provider whose sessions answer every write with `tag:` and the bytes, recording each open. */
function tagging(tag: string, opened: ServiceOpenArgs[]): ServiceProvider {
  return {
    open(args) {
      opened.push(args);
      let reply = new Uint8Array(0);
      return {
        read: (max) => { const out = reply.subarray(0, max); reply = reply.subarray(out.length); return out; },
        write: (bytes) => { reply = new TextEncoder().encode(`${tag}:${new TextDecoder().decode(bytes)}`); return bytes.length; },
        close: () => {},
      };
    },
  };
}

/** A checkpoint of a driver that opened /dev/service/echo/room-7 as handle 3 and then moved it to handle 9. */
function imageWithSession(): Uint8Array {
  const d = new CallDriver();
  const opened: ServiceOpenArgs[] = [];
  d.machine.services.register('echo', tagging('old', opened));
  const cp = checkpoint();
  d.machine.use(cp);
  expect(d.call(Syscall.Openat, -100, d.str(DATA_BASE, '/dev/service/echo/room-7'), 2, 0)).toBe(3);
  expect(d.call(Syscall.Dup3, 3, 9, 0)).toBe(9);
  expect(d.call(Syscall.Close, 3)).toBe(0);
  expect(opened).toEqual([{ name: 'echo', path: 'room-7', flags: 2 }]);
  return cp.checkpoint();
}

/** Talks to handle 9 of `m`: writes `text`, returns what the session answers. */
function talk(m: Machine, text: string): string {
  const d = new CallDriver({}, m);
  expect(d.call(Syscall.Write, 9, d.put(DATA_BASE + 0x100, text), text.length)).toBe(text.length);
  const n = d.call(Syscall.Read, 9, DATA_BASE + 0x200, 64);
  return d.text(DATA_BASE + 0x200, n);
}

describe('a service session across checkpoint and restore', () => {
  it('is refused, naming the handle and the service, where no provider of that name exists; nothing is restored', () => {
    const image = imageWithSession();
    const target = new Machine({ memoryQuota: 64 << 20 });
    expect(() => restoreCheckpoint(target, [{ name: 'a.ckpt', bytes: image }])).toThrow(/^a\.ckpt: offset 0x[0-9a-f]{8}: HNDL: handle 9: service echo .*no provider/);
    expect(target.program).toBeNull();
  });

  it('is re-created through the target\'s provider by name, with its open arguments, on the same handle number', () => {
    const image = imageWithSession();
    const target = new Machine({ memoryQuota: 64 << 20 });
    const opened: ServiceOpenArgs[] = [];
    target.services.register('echo', tagging('new', opened));
    restoreCheckpoint(target, [{ name: 'a.ckpt', bytes: image }]);
    expect(opened).toEqual([{ name: 'echo', path: 'room-7', flags: 2 }]);
    expect(talk(target, 'hi')).toBe('new:hi');
  });

  it('with relink, opens another provider with the same arguments', () => {
    const image = imageWithSession();
    const target = new Machine({ memoryQuota: 64 << 20 });
    const opened: ServiceOpenArgs[] = [];
    target.services.register('echo-v2', tagging('v2', opened));
    restoreCheckpoint(target, [{ name: 'a.ckpt', bytes: image }], { relink: { echo: 'echo-v2' } });
    expect(opened.map((a) => a.path)).toEqual(['room-7']);
    expect(talk(target, 'yo')).toBe('v2:yo');
  });
});
