/**
 * The archiver examples/guest/flz.c under faultline, through the command
 * line (`faultline run --mount SCRATCH:SCRATCH --stdin FILE flz ARGS`):
 * for each build (the guest C library, picolibc) the session of
 * real-program.ts gives the same transcript and the same files as under
 * qemu-riscv32 in a scratch directory at the same absolute path.
 *
 * This needs the file system, the handle calls and the `--mount`/`--stdin`
 * flags of the command line.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { PICOLIBC_PACKAGE, PICOLIBC_SPECS, buildWithLibc, buildWithPicolibc, runUnderQemuWithStdin } from './libc-build.js';
import { FLZ_SOURCE, runSession } from './real-program.js';

const picolibcTool = existsSync(PICOLIBC_SPECS) ? [] : [PICOLIBC_PACKAGE];

describeWithTools([GCC, QEMU, ...picolibcTool], 'flz under faultline run, both builds', () => {
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-flz-fl-'));
    await buildWithLibc([FLZ_SOURCE], join(dir, 'flz-libc'));
    await buildWithPicolibc([FLZ_SOURCE], join(dir, 'flz-picolibc'));
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const build of ['libc', 'picolibc']) {
    it(`the ${build} build gives the same transcript and files under faultline as under qemu`, async () => {
      const elf = join(dir, `flz-${build}`);
      const scratch = join(dir, 'scratch');
      const underQemu = await runSession(scratch, (args, stdin) => runUnderQemuWithStdin(elf, args, scratch, stdin));
      const underFaultline = await runSession(scratch, async (args, stdin) => {
        const r = faultline(['run', '--mount', `${scratch}:${scratch}`, '--stdin', stdin, elf, ...args], scratch);
        return { stdout: r.stdout, status: r.status };
      });
      expect(underFaultline).toEqual(underQemu);
    }, 300_000);
  }
});
