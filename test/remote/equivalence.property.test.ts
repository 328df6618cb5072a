/**
 * Differential: random programs (mmap, munmap, mprotect, brk, stack and
 * data writes, output) checkpointed into a chain, then restored over HTTP
 * (lazily or eagerly, readahead of 1 to 8 pages, first reads of 64 bytes
 * to 64 KiB: sections read in several steps) continue exactly as the
 * uninterrupted run, and after `complete()` hold the same state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectedOutput, assemble } from '../../src/index.js';
import { restoreRemote } from '../../handlers/index.js';
import { checkpointChain, expectSameState, newMachine, opArbitrary, randomSource } from '../checkpoint/programs.js';
import { withServer, writeChain } from './remote-helpers.js';

const op = opArbitrary();

const scenario = fc.record({
  ops: fc.array(op, { minLength: 1, maxLength: 24 }),
  rounds: fc.integer({ min: 1, max: 40 }),
  steps: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 2, maxLength: 4 }),
  lazy: fc.boolean(),
  maxBatchPages: fc.integer({ min: 1, max: 8 }),
  firstReadBytes: fc.constantFrom(64, 4096, 65536),
});

describe('remote restore equivalence', () => {
  it('a chain restored over HTTP continues exactly as the uninterrupted run (registers, memory, output)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ ops, rounds, steps, lazy, maxBatchPages, firstReadBytes }) => {
        const program = assemble(randomSource(ops, rounds), { fileName: 'random.s' });
        const outA = new CollectedOutput();
        const a = newMachine({ stdout: outA.sink });
        a.load(program);
        const images = checkpointChain(a, steps.slice(0, -1)).map((image) => image.bytes);
        const printedAtCheckpoint = outA.text().length;
        const after = steps[steps.length - 1]!;
        const resultA = a.run({ maxInstructions: after });
        await withServer(writeChain(images), async (server) => {
          const outB = new CollectedOutput();
          const b = newMachine({ stdout: outB.sink });
          const remote = await restoreRemote(b, [server.url], { lazy, maxBatchPages, firstReadBytes });
          const resultB = await b.runAsync({ maxInstructions: after, timeoutMs: remote.waitBoundMs });
          expect(resultB).toEqual(resultA);
          expect(outB.text()).toBe(outA.text().slice(printedAtCheckpoint));
          await remote.complete();
          expectSameState(a, b);
          // A first read too short for any page: every page came by a page request.
          if (firstReadBytes === 64) expect(remote.chain.stats.pageBytes, JSON.stringify(remote.chain.stats)).toBeGreaterThan(0);
        });
      }),
      { numRuns: process.env['CI'] ? 40 : 15 },
    );
  });
});
