/**
 * The picolibc recipe under faultline: picolibc-basics.c, built with
 * Debian's picolibc and faultline's glue, prints its expected output when
 * run by `faultline run --mount SCRATCH:SCRATCH --stdin FIXTURE`.
 *
 * This needs the file system, the handle calls and the `--mount`/`--stdin`
 * flags of the command line.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, describeWithTools } from '../helpers/toolchain.js';
import { formatRun } from '../runtime/guest-build.js';
import { STDIN_FIXTURE } from './corpus.js';
import { PICOLIBC_BASICS, PICOLIBC_BASICS_EXPECTED, PICOLIBC_PACKAGE, PICOLIBC_SPECS, buildWithPicolibc } from './libc-build.js';

const picolibcTool = existsSync(PICOLIBC_SPECS) ? [] : [PICOLIBC_PACKAGE];

describeWithTools([GCC, ...picolibcTool], 'picolibc programs under faultline run', () => {
  let dir = '';
  let elf = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-picolibc-fl-'));
    elf = join(dir, 'basics');
    await buildWithPicolibc([PICOLIBC_BASICS], elf);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('printf, malloc, fopen, errno and stdin work through faultline', () => {
    const scratch = mkdtempSync(join(dir, 'scratch-'));
    const r = faultline(['run', '--mount', `${scratch}:${scratch}`, '--stdin', STDIN_FIXTURE, elf, scratch], scratch);
    expect(formatRun({ stdout: r.stdout, status: r.status }), `stderr: ${r.stderr.trim()}`).toBe(readFileSync(PICOLIBC_BASICS_EXPECTED, 'utf8'));
  });
});
