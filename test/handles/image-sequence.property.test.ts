/**
 * The capability space through real checkpoint images (docs/design.md §12):
 * random handle and file calls, a full image and an incremental one at
 * random steps, a restore — eager or lazy — into a fresh machine, and
 * the restored machine answers every later call as the uninterrupted one
 * and ends with the same handle table and file tree (times included: the
 * image restores the clock). And 1,000 handles in random slots come back
 * with their numbers, shared descriptions and objects.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpoint, restoreCheckpoint } from '../../handlers/checkpoint/index.js';
import { describeTree } from '../../src/fs/describe-tree.js';
import { Machine } from '../../src/machine/machine.js';
import { Syscall } from '../../src/syscalls/numbers.js';
import { CallDriver, DATA_BASE } from './call-driver.js';
import { opArb, perform, table } from './call-sequence.js';

/** A driver on a fresh machine restored from `images`. */
function restoredDriver(images: readonly Uint8Array[], lazy: boolean): CallDriver {
  const machine = new Machine({ memoryQuota: 64 << 20 });
  const { lazy: restoring } = restoreCheckpoint(machine, images.map((bytes, k) => ({ name: `${k}.ckpt`, bytes })), { lazy });
  // The capability space is rebuilt at once either way; the driver writes call
  // arguments from the host, which a lazy restore serves only to the guest.
  if (restoring !== null) {
    expect(restoring.active).toBe(true);
    restoring.complete();
  }
  return new CallDriver({}, machine);
}

describe('the capability space through checkpoint images', () => {
  it('random calls, a full and an incremental image, eager or lazy restore: the same answers, table and tree', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 2, maxLength: 50 }), fc.nat(50), fc.nat(50), fc.boolean(), (ops, a, b, lazy) => {
      const original = new CallDriver();
      const cp = checkpoint();
      original.machine.use(cp);
      const first = Math.min(a, b, ops.length), second = Math.min(Math.max(a, b), ops.length);
      for (const o of ops.slice(0, first)) perform(original, o);
      const full = cp.checkpoint();
      for (const o of ops.slice(first, second)) perform(original, o);
      const increment = cp.checkpoint();
      const copy = restoredDriver([full, increment], lazy);
      expect(table(copy.machine)).toEqual(table(original.machine));
      expect(describeTree(copy.machine.fileSystem)).toBe(describeTree(original.machine.fileSystem));
      for (const o of ops.slice(second)) expect(perform(copy, o)).toBe(perform(original, o));
      expect(table(copy.machine)).toEqual(table(original.machine));
      expect(describeTree(copy.machine.fileSystem)).toBe(describeTree(original.machine.fileSystem));
    }), {
      numRuns: process.env['CI'] ? 150 : 40,
      // A write with no reader kills the process (SIGPIPE) after the first image: the copy dies the same way.
      examples: [[[{ op: 'pipe' }, { op: 'close', fd: 3 }, { op: 'write', fd: 4, n: 1, byte: 65 }, { op: 'read', fd: 4, n: 1 }, { op: 'open', path: 0, flags: 0o102 }], 1, 2, false]],
    });
  });

  it('1,000 handles in random slots come back with their numbers, shared descriptions and objects', () => {
    fc.assert(fc.property(fc.shuffledSubarray(Array.from({ length: 1017 }, (_, k) => k + 3), { minLength: 997, maxLength: 997 }), fc.boolean(), (slots, lazy) => {
      const d = new CallDriver();
      const cp = checkpoint();
      d.machine.use(cp);
      const path = d.str(DATA_BASE, '/f');
      const file = d.call(Syscall.Openat, -100, path, 0o102, 0o644);
      expect(file).toBe(3);
      d.call(Syscall.Write, file, d.put(DATA_BASE + 0x100, 'hello'), 5);
      const pipe = DATA_BASE + 0x200;
      expect(d.call(Syscall.Pipe2, pipe, 0)).toBe(0);
      const ends = [d.u32(pipe), d.u32(pipe + 4)];
      const sources = [file, ...ends];
      // Park every source far away first, so no random slot is taken by it.
      for (const [k, fd] of sources.entries()) expect(d.call(Syscall.Dup3, fd, 1020 + k, 0)).toBe(1020 + k);
      for (const fd of sources) if (fd < 1020) d.call(Syscall.Close, fd);
      const targets = slots.filter((s) => s < 1020).slice(0, 997);
      targets.forEach((slot, k) => expect(d.call(Syscall.Dup3, 1020 + (k % 3), slot, k % 2 === 0 ? 0o2000000 : 0)).toBe(slot));
      const before = table(d.machine);
      const copy = restoredDriver([cp.checkpoint()], lazy);
      expect(table(copy.machine)).toEqual(before);
      expect([...copy.machine.handles.table.entries()].length).toBe(3 + 3 + targets.length);
      expect(targets.length + 3).toBe(1000);
      // Shared descriptions stay shared: a seek through one slot moves every slot of that file.
      const fileSlot = targets[0]!;
      copy.call(Syscall.Llseek, fileSlot, 0, 1, DATA_BASE + 0x300, 0);
      const other = targets[3]!;
      copy.call(Syscall.Llseek, other, 0, 0, DATA_BASE + 0x300, 1);
      expect(copy.u32(DATA_BASE + 0x300)).toBe(1);
    }), { numRuns: process.env['CI'] ? 10 : 3 });
  });
});
