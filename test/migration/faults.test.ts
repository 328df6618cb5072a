/**
 * Fault injection: a proxy between source and destination drops the
 * connection, truncates, corrupts or stalls the stream at a random byte
 * (either way), or delays every chunk. Over many trials, every migration
 * ends within the timeout, and never with a wrong result: either the
 * destination runs the guest to the reference output, or the migration
 * fails with a MigrationError naming the peer and the source's machine
 * (untouched) runs it to the same output — never both, never neither
 * unless the failure came after Commit (then the source's machine is
 * still intact and can continue, which the test does).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MigrationError, memoryChannelPair, migrateIn, migrateOut, type MigrationChannel } from '../../handlers/index.js';
import type { DirtierOptions } from '../../bench/programs/dirtier.js';
import { dirtierMachine, outputMachine, referenceOutput, runIncoming } from './helpers.js';

type Fault = 'drop' | 'truncate' | 'corrupt' | 'stall' | 'delay';

/** A proxy: `[toDestination, toSource]` as the two sides see them, with `fault` applied at byte `at` of direction `dir`. */
function faultyPair(fault: Fault, dir: 0 | 1, at: number): [MigrationChannel, MigrationChannel] {
  const [src, srcFar] = memoryChannelPair(['destination', 'proxy']);
  const [dstFar, dst] = memoryChannelPair(['proxy', 'source']);
  const pump = async (from: MigrationChannel, to: MigrationChannel, faulty: boolean): Promise<void> => {
    let offset = 0;
    for (;;) {
      const bytes = await from.receive().catch(() => null);
      if (bytes === null) { to.close(); return; }
      const end = offset + bytes.length;
      if (faulty && fault === 'delay') await new Promise((r) => setTimeout(r, 1));
      if (faulty && fault !== 'delay' && at >= offset && at < end) {
        const k = at - offset;
        if (fault === 'corrupt') {
          const copy = bytes.slice();
          copy[k]! ^= 0x40;
          await to.send(copy).catch(() => {});
        } else {
          if (fault === 'truncate' && k > 0) await to.send(bytes.subarray(0, k)).catch(() => {});
          if (fault === 'stall') return; // neither forwards nor closes
          to.close();
          from.close();
          return;
        }
      } else {
        await to.send(bytes).catch(() => {});
      }
      offset = end;
    }
  };
  void pump(srcFar, dstFar, dir === 0);
  void pump(dstFar, srcFar, dir === 1);
  return [src, dst];
}

const GUEST: DirtierOptions = { pages: 24, steps: 150, spin: 20, printEvery: 30 };
const TIMEOUT = 200;

describe('migration under injected faults', () => {
  const reference = referenceOutput(GUEST).output;

  it('never hangs, never gives a wrong result, always a clear message (≥ 50 trials)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Fault>('drop', 'truncate', 'corrupt', 'stall', 'delay'),
        fc.constantFrom<0 | 1>(0, 1),
        fc.nat(140_000),
        fc.boolean(),
        async (fault, dir, at, postCopy) => {
          const out: string[] = [];
          const { machine, cp } = dirtierMachine(out, GUEST);
          machine.run({ maxInstructions: 4000 });
          const before = out.join('');
          const [toDestination, toSource] = faultyPair(fault, dir, dir === 1 ? at % 2000 : at);
          const dstOut: string[] = [];
          const incomingP = migrateIn(toSource, { machine: () => outputMachine(dstOut), timeoutMs: TIMEOUT }).then(
            async (incoming) => {
              try {
                const r = await runIncoming(incoming);
                return { ran: true as const, result: r, error: null };
              } catch (err) {
                return { ran: true as const, result: null, error: err };
              }
            },
            (err: unknown) => ({ ran: false as const, result: null, error: err }),
          );
          const outgoing = await migrateOut(machine, cp, toDestination, { postCopy, timeoutMs: TIMEOUT, sliceInstructions: 1000 }).then(
            (r) => ({ ok: true as const, r, error: null }),
            (err: unknown) => ({ ok: false as const, r: null, error: err }),
          );
          const incoming = await incomingP;
          for (const e of [outgoing.error, incoming.error]) {
            if (e === null) continue;
            expect(e).toBeInstanceOf(Error);
            expect((e as Error).message).toMatch(/^migration: (peer |fault at )|^fault handler/);
          }
          if (outgoing.error !== null) {
            expect(outgoing.error).toBeInstanceOf(MigrationError);
            expect((outgoing.error as Error).message).toMatch(/peer (destination|source)/);
          }
          const committed = outgoing.ok || (outgoing.error as MigrationError).committed;
          if (!committed) expect(incoming.ran).toBe(false);
          if (incoming.ran && incoming.error === null) {
            // The destination ran it to the end: exactly the reference.
            expect(incoming.result).toEqual({ kind: 'exit', exitCode: 0 });
            expect(out.join('') + dstOut.join('')).toBe(reference);
            expect(out.join('').startsWith(before)).toBe(true);
          } else if (incoming.ran) {
            // Post-copy, pages lost after resume: a clear stop, and what it printed is a prefix of the truth.
            expect(postCopy).toBe(true);
            expect(reference.startsWith(out.join('') + dstOut.join(''))).toBe(true);
          } else {
            // Nothing runs on the destination: the source's machine continues to the reference output.
            expect(dstOut).toEqual([]);
            const r = machine.run({ maxInstructions: 1e8 });
            expect(r).toEqual({ kind: 'exit', exitCode: 0 });
            expect(out.join('')).toBe(reference);
          }
          if (fault === 'delay') expect(outgoing.ok).toBe(true);
        },
      ),
      { numRuns: process.env['CI'] ? 200 : 60 },
    );
  }, 120_000);
});
