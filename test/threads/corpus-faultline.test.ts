/**
 * The threaded C corpus under faultline: every program (validated against
 * qemu-riscv32 by corpus.test.ts) prints its `NAME.expected` and exits with
 * its status when faultline runs it — interpreted and compiled, with time
 * slices from one instruction up — and two runs with the same options
 * interleave identically (same per-thread instruction counts and switches).
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Machine, exitStatusOf, parseElf } from '../../src/index.js';
import { GCC, describeWithTools } from '../helpers/toolchain.js';
import { formatRun } from '../runtime/guest-build.js';
import { buildCorpus, corpusPrograms, readExpected } from './corpus.js';

/** The execution modes every program must agree in. */
const MODES = [
  { label: 'interpreted, default slice', jit: false, timeSlice: undefined },
  { label: 'compiled, 7-instruction slices', jit: true, timeSlice: 7 },
  { label: 'interpreted, 1-instruction slices', jit: false, timeSlice: 1 },
  { label: 'compiled, 1,000-instruction slices', jit: true, timeSlice: 1000 },
] as const;

interface Trace {
  readonly output: string;
  readonly switches: number;
  readonly instret: number;
}

/** Runs `elf` to its end in a fresh machine and returns what it printed, its status and how it interleaved. */
function runUnderFaultline(elf: Uint8Array, name: string, mode: (typeof MODES)[number]): Trace {
  let stdout = '';
  const decoder = new TextDecoder();
  const machine = new Machine({
    stdout: (bytes) => { stdout += decoder.decode(bytes, { stream: true }); },
    jit: mode.jit,
    ...(mode.jit ? { jitThreshold: 1 } : {}),
    ...(mode.timeSlice === undefined ? {} : { timeSlice: mode.timeSlice }),
  });
  machine.load(parseElf(elf, name));
  const result = machine.run({ maxInstructions: 200_000_000 });
  const status = result.kind === 'limit' ? -1 : exitStatusOf(result);
  return { output: formatRun({ stdout, status }), switches: machine.scheduler.switches, instret: machine.cpu.instret };
}

describeWithTools([GCC], 'threaded C corpus under faultline', () => {
  const names = corpusPrograms();
  let dir = '';
  let elves = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-thread-corpus-fl-'));
    elves = await buildCorpus(dir);
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const name of names) {
    it(`${name}.c gives ${name}.expected in every mode, and interleaves the same way twice`, () => {
      const elf = readFileSync(elves.get(name)!);
      const expected = readExpected(name);
      for (const mode of MODES) {
        const first = runUnderFaultline(elf, name, mode);
        expect(first.output, `${name}, ${mode.label}`).toBe(formatRun(expected));
        if (mode.timeSlice === 7) {
          const second = runUnderFaultline(elf, name, mode);
          expect(second, `${name}, ${mode.label}, second run`).toEqual(first);
        }
      }
    });
  }
});
