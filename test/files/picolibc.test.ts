/**
 * The picolibc recipe under qemu-riscv32: picolibc-basics.c, built with
 * Debian's picolibc and faultline's glue (include/picolibc/), prints its
 * picolibc-basics.expected — printf (integers and floating point), malloc,
 * fopen/fgets/fseek/ftell/append, errno values translated to picolibc's,
 * stdin, the exit status — and builds a program whose text and data are
 * separate segments and whose TLS is in a PT_TLS segment.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, READELF, describeWithTools, runTool } from '../helpers/toolchain.js';
import { formatRun } from '../runtime/guest-build.js';
import { STDIN_FIXTURE } from './corpus.js';
import { PICOLIBC_BASICS, PICOLIBC_BASICS_EXPECTED, PICOLIBC_PACKAGE, PICOLIBC_SPECS, buildWithPicolibc, runUnderQemuWithStdin } from './libc-build.js';

const picolibcTool = existsSync(PICOLIBC_SPECS) ? [] : [PICOLIBC_PACKAGE];

describeWithTools([GCC, QEMU, READELF, ...picolibcTool], 'picolibc programs under qemu-riscv32', () => {
  let dir = '';
  let elf = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-picolibc-'));
    elf = join(dir, 'basics');
    await buildWithPicolibc([PICOLIBC_BASICS], elf);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('printf, malloc, fopen, errno and stdin work and the exit status comes through', async () => {
    const scratch = mkdtempSync(join(dir, 'scratch-'));
    const run = await runUnderQemuWithStdin(elf, [scratch], scratch, STDIN_FIXTURE);
    expect(formatRun(run)).toBe(readFileSync(PICOLIBC_BASICS_EXPECTED, 'utf8'));
  });

  it('links a read+execute text segment, a read+write data segment and a TLS segment', () => {
    const segments = runTool(READELF, ['-lW', elf])
      .split('\n')
      .filter((l) => /^\s+(LOAD|TLS)\s/.test(l))
      .map((l) => l.trim().split(/\s+/));
    const flags = segments.map((s) => `${s[0]} ${s.slice(6, -1).join('')}`);
    expect(flags).toEqual(['LOAD RE', 'LOAD RW', 'TLS R']);
  });
});
