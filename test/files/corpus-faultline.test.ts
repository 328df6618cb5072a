/**
 * The file corpus under faultline, through the command line:
 *
 *     faultline run --mount SCRATCH:SCRATCH --stdin FIXTURE PROG SCRATCH
 *
 * Each program runs twice in a fresh scratch directory at the same
 * absolute path — once under qemu-riscv32 (when installed), once under
 * faultline with the directory mounted at that path — and both runs must
 * give the same stdout, exit status and resulting tree, which must also be
 * the program's `NAME.expected` (checked against qemu by corpus.test.ts).
 *
 * This needs the file system, the handle calls and the `--mount`/`--stdin`
 * flags of the command line.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, QEMU, describeWithTools, hasTool } from '../helpers/toolchain.js';
import { STDIN_FIXTURE, buildFileCorpus, filePrograms, formatFileRun, readFileExpectation, snapshotTree } from './corpus.js';
import { runUnderQemuWithStdin } from './libc-build.js';

/** Empties (or makes) `path`: a fresh scratch directory at that same path. */
function freshDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
}

describeWithTools([GCC], 'file corpus under faultline run --mount', () => {
  const names = filePrograms();
  let dir = '';
  let elves = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-file-corpus-fl-'));
    elves = await buildFileCorpus(join(dir));
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const name of names) {
    it(`${name}.c under faultline matches ${name}.expected${hasTool(QEMU) ? ' and qemu in the same directory' : ''}`, async () => {
      const elf = elves.get(name) as string;
      const scratch = join(dir, `${name}-scratch`);
      const expected = formatFileRun(readFileExpectation(name));

      if (hasTool(QEMU)) {
        freshDir(scratch);
        const q = await runUnderQemuWithStdin(elf, [scratch], scratch, STDIN_FIXTURE);
        expect(formatFileRun({ ...q, tree: snapshotTree(scratch) }), `${name} under ${QEMU}`).toBe(expected);
      }

      freshDir(scratch);
      const r = faultline(['run', '--mount', `${scratch}:${scratch}`, '--stdin', STDIN_FIXTURE, elf, scratch], scratch);
      const got = formatFileRun({ stdout: r.stdout, status: r.status, tree: snapshotTree(scratch) });
      expect(got, `${name} under faultline (stderr: ${r.stderr.trim()})`).toBe(expected);
    }, 120_000);
  }
});
