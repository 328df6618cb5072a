/**
 * Random sequences of handle and file calls on the in-memory file system,
 * with a checkpoint (handle space and tree) at a random step into a fresh
 * machine: from there on, the copy answers every call as the original
 * does, and both end with the same handle table and file tree. A plain
 * reference — the uninterrupted machine — is the model.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureHandleSpace, restoreHandleSpace } from '../../src/handles/handle-space-image.js';
import { applyTreeImage, captureTree } from '../../src/fs/tree-image.js';
import { describeTree } from '../../src/fs/describe-tree.js';
import type { Machine } from '../../src/machine/machine.js';
import { CallDriver } from './call-driver.js';
import { opArb, perform, table } from './call-sequence.js';

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
