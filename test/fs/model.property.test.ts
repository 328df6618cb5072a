import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/index.js';
import { applyOp, type FsOp, FsModel, modelOpArb, modelTree, treeOf } from './fs-ops.js';

describe('the in-memory tree against a reference model', () => {
  it('random operation sequences give the same results, tree, contents and listing order as a Map of paths', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(modelOpArb, { minLength: 10, maxLength: 60 }), (ops) => {
        const fs = new FileSystem();
        const model = new FsModel();
        for (const op of ops) {
          const expected = model.apply(op as Extract<FsOp, { readonly path: string }>);
          expect(applyOp(fs, op, []), JSON.stringify({ ...op, data: undefined })).toBe(expected);
          const key = `${op.op} ${expected > 0 ? 'ok' : expected}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
        expect(treeOf(fs)).toEqual(modelTree(model));
      }),
      { numRuns: 400 },
    );
    // The generator reaches the interesting outcomes, so the property is not vacuous.
    for (const key of ['rename 0', 'rename -22', 'rename -39', 'rename -21', 'rmdir -39', 'rmdir 0', 'unlink -21', 'mkdir -20', 'write ok', 'truncate 0']) {
      expect(outcomes.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  });
});
