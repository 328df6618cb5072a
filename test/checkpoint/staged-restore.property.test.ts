/**
 * The staged restore (handlers/checkpoint/staged-restore.ts), which the
 * migration destination uses: a chain applied image by image, then
 * finished with its last image, continues exactly as the uninterrupted
 * run — through mmap, munmap, mprotect and brk between images — and the
 * last image costs only its own pages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, FormatError, assemble } from '../../src/index.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { StagedRestore } from '../../handlers/checkpoint/staged-restore.js';
import { decodeImage } from '../../src/plugin-kit.js';
import { checkpointChain, counterSource, expectSameState, newMachine, opArbitrary, randomSource } from './programs.js';

const op = opArbitrary({ store: 4, alu: 2, write: 1, mmap: 2, munmap: 2, mprotect: 1, brk: 2, stack: 1 });

const scenario = fc.record({
  ops: fc.array(op, { minLength: 1, maxLength: 24 }),
  rounds: fc.integer({ min: 1, max: 40 }),
  /** Instructions between checkpoints (the last entry: steps after the last checkpoint). */
  steps: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 3, maxLength: 6 }),
});

describe('staged restore', () => {
  it('a chain staged image by image continues exactly as the uninterrupted run, and the last image copies only its pages', () => {
    fc.assert(
      fc.property(scenario, ({ ops, rounds, steps }) => {
        const program = assemble(randomSource(ops, rounds), { fileName: 'random.s' });
        const outA = new CollectedOutput();
        const a = newMachine({ stdout: outA.sink });
        a.load(program);
        const images = checkpointChain(a, steps.slice(0, -1));
        const printedAtCheckpoint = outA.text().length;
        const after = steps[steps.length - 1]!;
        const resultA = a.run({ maxInstructions: after });

        const outB = new CollectedOutput();
        const b = newMachine({ stdout: outB.sink });
        const staged = new StagedRestore(b, { rehearse: true });
        for (const image of images.slice(0, -1)) staged.add(image);
        expect(staged.staging).toBe(true);
        // Nothing is attached before the last image: the machine is still fresh for the restore.
        expect(b.addressSpace.root.regionCount).toBe(0);
        const copiedBefore = staged.pagesCopied;
        const last = images[images.length - 1]!;
        const restored = staged.finish(last);
        expect(restored.lazy).toBeNull();
        expect(staged.pagesCopied - copiedBefore).toBe(decodeImage(last.bytes, 'last').pages.ids.length);
        const resultB = b.run({ maxInstructions: after });
        expect(resultB).toEqual(resultA);
        expect(outB.text()).toBe(outA.text().slice(printedAtCheckpoint));
        expectSameState(a, b);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the staging up when the quota cannot hold it (finish then restores the whole chain the usual way)', () => {
    const a = newMachine();
    a.load(assemble(counterSource(50_000, 4), { fileName: 'counter.s' }));
    const images = checkpointChain(a, [20_000, 20_000, 20_000]);
    const resultA = a.run();
    const reference = newMachine();
    restoreCheckpoint(reference, images);
    const needed = reference.memory.reserved;
    // Too small a quota: the staging is given up at the first image (and gives its reservation back), the restore refuses naming the quota.
    const b = newMachine({ memoryQuota: needed - 4096 });
    const staged = new StagedRestore(b);
    staged.add(images[0]!);
    expect(staged.staging).toBe(false);
    expect(b.memory.reserved).toBe(0);
    staged.add(images[1]!);
    expect(() => staged.finish(images[2]!)).toThrow(/quota/);

    const c = newMachine();
    const ok = new StagedRestore(c);
    ok.add(images[0]!);
    ok.add(images[1]!);
    expect(ok.staging).toBe(true);
    ok.finish(images[2]!);
    expect(c.run()).toEqual(resultA);
  });

  it('refuses an image that does not continue the chain before anything is attached', () => {
    const program = assemble(counterSource(50_000, 4), { fileName: 'counter.s' });
    const take = (): Uint8Array[] => {
      const m = newMachine();
      m.load(program);
      const cp = checkpoint();
      m.use(cp);
      const out: Uint8Array[] = [];
      for (let k = 0; k < 3; k++) {
        m.run({ maxInstructions: 10_000 });
        out.push(cp.checkpoint());
      }
      return out;
    };
    const [x0, x1, x2] = take();
    const [, y1] = take();
    const b = newMachine();
    const staged = new StagedRestore(b);
    expect(() => staged.add({ name: 'x1', bytes: x1! })).toThrow(FormatError);
    staged.add({ name: 'x0', bytes: x0! });
    expect(() => staged.add({ name: 'y1', bytes: y1! })).toThrow(/belongs to chain/);
    expect(() => staged.finish({ name: 'x2', bytes: x2! })).toThrow(/sequence 2 where 1 was expected/);
    expect(b.addressSpace.root.regionCount).toBe(0);
  });
});
