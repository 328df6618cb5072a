/**
 * What main receives with the C library: arguments (spaces, UTF-8, empty)
 * and the environment through getenv, environ and envp — under
 * qemu-riscv32, which hands the guest its own environment
 * (env-args-faultline.test.ts runs the same under `faultline run --env`).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { ARGS, ENV, ENV_ARGS_SOURCE, EXPECTED } from './env-args.js';
import { buildWithLibc } from './libc-build.js';

describeWithTools([GCC, QEMU], 'arguments and environment of a C library program', () => {
  let dir = '';
  let elf = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-env-args-'));
    elf = join(dir, 'env-args');
    await buildWithLibc([ENV_ARGS_SOURCE], elf);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('under qemu-riscv32', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FL_')));
    const r = spawnSync(QEMU, [elf, ...ARGS], { env: { ...env, ...ENV }, encoding: 'utf8' });
    expect(r.stdout).toBe(EXPECTED);
    expect(r.status).toBe(5);
  });
});
