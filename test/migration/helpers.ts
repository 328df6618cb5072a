/** Shared pieces of the migration tests: the dirtier guest, a reference run, a destination run loop. */
import { Machine, assemble, type RunResult } from '../../src/index.js';
import { checkpoint, type Checkpointer, type IncomingMigration } from '../../handlers/index.js';
import { dirtierSource, type DirtierOptions } from '../../bench/programs/dirtier.js';

/** A small dirtier: 64 pages, 400 steps, a line every 40. */
export const SMALL: DirtierOptions = { pages: 64, steps: 400, spin: 40, printEvery: 40 };

/** A machine writing its stdout into `out`. */
export function outputMachine(out: string[], quota?: number): Machine {
  return new Machine({ ...(quota === undefined ? {} : { memoryQuota: quota }), stdout: (b) => { out.push(new TextDecoder().decode(b)); } });
}

/** The dirtier loaded in a machine with a checkpoint plugin. */
export function dirtierMachine(out: string[], options: DirtierOptions = SMALL): { machine: Machine; cp: Checkpointer } {
  const machine = outputMachine(out);
  machine.load(assemble(dirtierSource(options), { fileName: 'dirtier.s' }));
  const cp = checkpoint();
  machine.use(cp);
  return { machine, cp };
}

/** The output of an uninterrupted run. */
export function referenceOutput(options: DirtierOptions = SMALL): { output: string; result: RunResult } {
  const out: string[] = [];
  const { machine } = dirtierMachine(out, options);
  const result = machine.run({ maxInstructions: 1e9 });
  return { output: out.join(''), result };
}

/** Runs an arrived guest to its end (runAsync, polling between slices). */
export async function runIncoming(incoming: IncomingMigration): Promise<RunResult> {
  for (;;) {
    const r = await incoming.machine.runAsync({ maxInstructions: 1 << 16, timeoutMs: 20_000 });
    incoming.poll();
    if (r.kind !== 'limit') {
      await incoming.finish();
      return r;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
