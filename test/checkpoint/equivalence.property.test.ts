import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, assemble } from '../../src/index.js';
import { checkpoint, restoreCheckpoint, type ImageInput } from '../../handlers/index.js';
import { DATA_BYTES, FREE_REGS, expectSameState, newMachine, randomSource, type Op } from './programs.js';

const reg = fc.constantFrom(...FREE_REGS);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('alu' as const), rd: reg, rs: reg, imm: fc.integer({ min: -2048, max: 2047 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('store' as const), offset: fc.integer({ min: 0, max: DATA_BYTES - 4 }), rs: reg, byte: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const), rd: reg, offset: fc.integer({ min: 0, max: DATA_BYTES - 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), offset: fc.integer({ min: 0, max: DATA_BYTES - 64 }), length: fc.integer({ min: 1, max: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mmap' as const), pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('munmap' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mprotect' as const), prot: fc.constantFrom(1, 3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('brk' as const), delta: fc.integer({ min: -8192, max: 12288 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stack' as const), offset: fc.integer({ min: 0, max: 8000 }), rs: reg }) },
);

const scenario = fc.record({
  ops: fc.array(op, { minLength: 1, maxLength: 24 }),
  rounds: fc.integer({ min: 1, max: 40 }),
  /** Instructions between checkpoints (the last entry: steps after the last checkpoint). */
  steps: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 2, maxLength: 5 }),
  lazy: fc.boolean(),
});

describe('checkpoint/restore equivalence', () => {
  it('a restored chain continues exactly as the uninterrupted run (registers, memory, output)', () => {
    fc.assert(
      fc.property(scenario, ({ ops, rounds, steps, lazy }) => {
        const program = assemble(randomSource(ops, rounds), { fileName: 'random.s' });
        const outA = new CollectedOutput();
        const a = newMachine({ stdout: outA.sink });
        a.load(program);
        const cp = checkpoint();
        a.use(cp);
        const images: ImageInput[] = [];
        const run = steps.slice(0, -1);
        for (const n of run) {
          a.run({ maxInstructions: n });
          images.push({ name: `#${images.length}`, bytes: cp.checkpoint() });
        }
        const printedAtCheckpoint = outA.text().length;
        const after = steps[steps.length - 1]!;
        const resultA = a.run({ maxInstructions: after });

        const outB = new CollectedOutput();
        const b = newMachine({ stdout: outB.sink });
        const restored = restoreCheckpoint(b, images, { lazy });
        const resultB = b.run({ maxInstructions: after });
        expect(resultB).toEqual(resultA);
        expect(outB.text()).toBe(outA.text().slice(printedAtCheckpoint));
        restored.lazy?.complete();
        expectSameState(a, b);
      }),
      { numRuns: 60 },
    );
  });
});
