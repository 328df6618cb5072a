/**
 * What main receives with the C library under faultline: the arguments of
 * `faultline run PROG ARGS` and the variables of `--env K=V` (the command
 * line's environment flag), as env-args.test.ts checks under qemu-riscv32.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, describeWithTools } from '../helpers/toolchain.js';
import { ARGS, ENV, ENV_ARGS_SOURCE, EXPECTED } from './env-args.js';
import { buildWithLibc } from './libc-build.js';

describeWithTools([GCC], 'arguments and environment of a C library program under faultline', () => {
  let dir = '';
  let elf = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-env-args-fl-'));
    elf = join(dir, 'env-args');
    await buildWithLibc([ENV_ARGS_SOURCE], elf);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('under faultline run --env', () => {
    const envFlags = Object.entries(ENV).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const r = faultline(['run', ...envFlags, elf, ...ARGS], dir);
    expect(r.stdout, r.stderr).toBe(EXPECTED);
    expect(r.status).toBe(5);
  });
});
