/**
 * Live migration through the API over an in-memory channel: the migrated
 * guest's output (source part, then destination part) equals an
 * uninterrupted run's, for pre-copy and post-copy.
 */
import { describe, expect, it } from 'vitest';
import { memoryChannelPair, migrateIn, migrateOut, type MigrationChannel } from '../../handlers/index.js';
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
    // Pre-copy applied each round as it came and restored eagerly around it: no page is left to fault in.
    expect(incoming.restored.lazy === null).toBe(!postCopy);
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

describe('post-copy over a transport that takes a turn of the event loop per send', () => {
  it('asks for pages on demand while others are pushed, and every frame arrives whole (concurrent senders do not interleave)', async () => {
    const guest = { pages: 2048, steps: 40, spin: 2000, printEvery: 10 };
    const reference = referenceOutput(guest);
    const out: string[] = [];
    const { machine, cp } = dirtierMachine(out, guest);
    machine.run({ maxInstructions: 12_000 });
    // Each send takes a turn of the event loop, as a socket's does: the destination runs while pages are on their way.
    const [toDestination, toSource] = memoryChannelPair().map((end) => ({
      peer: end.peer,
      send: async (bytes: Uint8Array) => { await new Promise<void>((resolve) => setImmediate(resolve)); await end.send(bytes); },
      receive: () => end.receive(),
      close: () => end.close(),
    })) as [MigrationChannel, MigrationChannel];
    const incomingP = migrateIn(toSource, { machine: () => outputMachine(out) });
    const outgoingP = migrateOut(machine, cp, toDestination, { postCopy: true });
    const incoming = await incomingP;
    const result = await runIncoming(incoming);
    const outgoing = await outgoingP;
    expect(result).toEqual({ kind: 'exit', exitCode: 0 });
    expect(out.join('')).toBe(reference.output);
    expect(outgoing.kind).toBe('migrated');
    if (outgoing.kind === 'migrated') {
      expect(outgoing.report.pagesFetchedAfterResume).toBeGreaterThan(0);
      expect(outgoing.report.pagesSentAfterResume).toBeLessThanOrEqual(outgoing.report.finalPages);
    }
  });
});
