/**
 * The C library's string, conversion, character-class, sorting, error-text
 * and allocation functions against the host's C library: libc-functions.c
 * is built for the guest (run under qemu-riscv32) and with the host's
 * `gcc`, and both print the same lines; so does `faultline run` of the
 * guest build (the program needs only memory and stdout).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { STDIN_FIXTURE } from './corpus.js';
import { buildWithLibc, runUnderQemuWithStdin } from './libc-build.js';

const HOST_CC = 'gcc';
const SOURCE = fileURLToPath(new URL('./libc-functions.c', import.meta.url));

describeWithTools([GCC, QEMU, HOST_CC], "the C library's functions against the host's", () => {
  let dir = '';
  let hostOutput = '';
  let guestRun = { stdout: '', status: -1 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-libc-functions-'));
    await buildWithLibc([SOURCE], join(dir, 'guest'));
    execFileSync(HOST_CC, ['-O1', '-Wall', '-Wextra', '-Werror', '-o', join(dir, 'host'), SOURCE]);
    hostOutput = execFileSync(join(dir, 'host'), { encoding: 'utf8' });
    guestRun = await runUnderQemuWithStdin(join(dir, 'guest'), [], dir, STDIN_FIXTURE);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('runs to the end on both machines', () => {
    expect(guestRun.status).toBe(0);
    expect(hostOutput).toContain('allocation check 0 (0: every byte kept)');
  });

  it('prints line for line what the host prints', () => {
    const got = guestRun.stdout.split('\n');
    const wanted = hostOutput.split('\n');
    expect(got.length).toBe(wanted.length);
    for (let i = 0; i < wanted.length; i++) expect(got[i], `line ${i + 1}`).toBe(wanted[i]);
  });

  it('prints the same under faultline run', () => {
    const r = faultline(['run', join(dir, 'guest')], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(hostOutput);
  });
});
