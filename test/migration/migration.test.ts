/**
 * Live migration through the API over an in-memory channel: the migrated
 * guest's output (source part, then destination part) equals an
 * uninterrupted run's, for pre-copy and post-copy.
 */
import { describe, expect, it } from 'vitest';
import { memoryChannelPair, migrateIn, migrateOut } from '../../handlers/index.js';
import { SMALL, dirtierMachine, outputMachine, referenceOutput, runIncoming } from './helpers.js';

describe('live migration over an in-memory channel', () => {
  it.each([false, true])('postCopy %s: the output equals an uninterrupted run and the guest exits 0', async (postCopy) => {
    const reference = referenceOutput();
    expect(reference.result).toEqual({ kind: 'exit', exitCode: 0 });
    const out: string[] = [];
    const { machine, cp } = dirtierMachine(out);
    machine.run({ maxInstructions: 30_000 });
    const [toDestination, toSource] = memoryChannelPair();
    const incomingP = migrateIn(toSource, { machine: () => outputMachine(out) });
    const outgoingP = migrateOut(machine, cp, toDestination, { postCopy, sliceInstructions: 2000 });
    const incoming = await incomingP;
    const result = await runIncoming(incoming);
    const outgoing = await outgoingP;
    expect(outgoing.kind).toBe('migrated');
    expect(result).toEqual({ kind: 'exit', exitCode: 0 });
    expect(out.join('')).toBe(reference.output);
    if (outgoing.kind !== 'migrated') return;
    const report = outgoing.report;
    expect(report.mode).toBe(postCopy ? 'post-copy' : 'pre-copy');
    expect(report.downtimeMs).toBeGreaterThanOrEqual(0);
    if (postCopy) {
      expect(report.rounds).toHaveLength(0);
      expect(report.pagesSentAfterResume).toBe(report.finalPages);
    } else {
      expect(report.rounds.length).toBeGreaterThanOrEqual(1);
      expect(report.rounds[0]!.pages).toBeGreaterThanOrEqual(SMALL.pages);
      expect(report.pagesFetchedAfterResume).toBe(0);
    }
  });
});
