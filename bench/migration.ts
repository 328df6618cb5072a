import { assemble } from '../src/asm/assemble.js';
import { Machine } from '../src/machine/machine.js';
import { checkpoint, migrateIn, migrateOut, type MigrationReport } from '../handlers/index.js';
import { connectMigration, listenForMigration } from '../node/migration-channel.js';
import { dirtierSource } from './programs/dirtier.js';
import { settle, summarize, type Results } from './harness.js';

/*
 * Live migration over loopback TCP, source and destination in this
 * process (docs/migration.md): the dirtier guest keeps 256 MiB resident
 * and writes about 10 % of its pages per second of guest time (one page
 * every ~152 600 instructions; guest time is 1 ns per instruction).
 * Pre-copy with the default bounds; downtime is from the guest stopping
 * on the source to the destination reporting it running (a round trip
 * included); the ratio is bytes sent ÷ resident bytes.
 */
const MIB = 1 << 20;
const RESIDENT = 256 * MIB;
const PAGES = RESIDENT / 4096;
/** Spin iterations per step: 2 instructions each, ~20 more per step → ~152 600 instructions per page written. */
const SPIN = 76_290;

/** One migration of the dirtier; returns the source's report. */
export async function migrateDirtierOnce(): Promise<MigrationReport> {
  const quota = RESIDENT + 64 * MIB;
  const source = new Machine({ memoryQuota: quota, memoryInitialSize: RESIDENT + 16 * MIB });
  source.load(assemble(dirtierSource({ pages: PAGES, steps: 0, spin: SPIN, printEvery: 1 << 30 }), { fileName: 'dirtier.s' }));
  // Map and touch every page, then write for a while.
  source.run({ maxInstructions: PAGES * 5 + 200 });
  source.run({ maxInstructions: 5_000_000 });
  const cp = checkpoint();
  source.use(cp);
  const listener = await listenForMigration(0);
  const incomingP = listener.accept().then((channel) =>
    migrateIn(channel, { machine: () => new Machine({ memoryQuota: quota, memoryInitialSize: RESIDENT + 16 * MIB }) }),
  );
  const channel = await connectMigration('127.0.0.1', listener.port);
  settle();
  // A collection just before the stop, as settle() does before every timed part: none lands in the downtime.
  const out = await migrateOut(source, cp, channel, { beforeStop: settle });
  const incoming = await incomingP;
  listener.close();
  const after = await incoming.machine.runAsync({ maxInstructions: 1_000_000 });
  if (after.kind !== 'limit') throw new Error(`bench: the migrated dirtier stopped: ${JSON.stringify(after)}`);
  await incoming.finish();
  if (out.kind !== 'migrated') throw new Error('bench: the dirtier ended before it migrated');
  return out.report;
}

/** migration_downtime_ms and migration_bytes_ratio (docs/design.md §9). */
export async function benchMigration(results: Results, runs: number): Promise<void> {
  const downtime: number[] = [], ratio: number[] = [];
  let last: MigrationReport | null = null;
  // Each sample builds and moves 256 MiB: three are enough for a median.
  for (let r = 0; r < Math.min(runs, 3); r++) {
    const report = await migrateDirtierOnce();
    downtime.push(report.downtimeMs);
    ratio.push(report.bytesSent / report.residentBytes);
    last = report;
  }
  const rounds = last === null ? '' : `${last.rounds.length} rounds (${last.rounds.map((x) => x.pages).join('/')} pages), final ${last.finalPages} pages`;
  results.add('migration_downtime_ms', summarize(downtime, 'ms'), `256 MiB resident, ~10 %/guest-s dirtied, pre-copy over loopback: ${rounds}`);
  results.add('migration_bytes_ratio', summarize(ratio, 'x'), 'bytes sent ÷ resident bytes');
}
