import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, assemble } from '../../src/index.js';
import { restoreCheckpoint } from '../../handlers/index.js';
import { checkpointChain, expectSameState, newMachine, opArbitrary, randomSource } from './programs.js';

const op = opArbitrary();

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
        const images = checkpointChain(a, steps.slice(0, -1));
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
