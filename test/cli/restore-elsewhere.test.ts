/**
 * `faultline run --mount/--stdin/--env` and `faultline restore --relink`
 * (docs/handles.md): a run holding a mounted file open is checkpointed;
 * restoring it where the file changed or the directory is gone is refused
 * with one line naming the handle or the directory, before anything runs;
 * `--relink` makes it go on, reading the file it was relinked to.
 */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';

/** Opens /data/in.txt, spins (checkpoints fall while it is open), then prints its first 64 bytes. */
const READER = `
    li   a0, -100
    la   a1, path
    li   a2, 0
    li   a7, 56
    ecall
    bltz a0, fail
    mv   s0, a0
    li   t0, 400000
1:  addi t0, t0, -1
    bnez t0, 1b
    mv   a0, s0
    la   a1, buf
    li   a2, 64
    li   a7, 63
    ecall
    mv   a2, a0
    li   a0, 1
    la   a1, buf
    li   a7, 64
    ecall
    li   a0, 0
    li   a7, 93
    ecall
fail:
    neg  a0, a0
    li   a7, 93
    ecall
    .data
path: .asciz "/data/in.txt"
buf:  .space 64
`;

/** Copies stdin to stdout, then prints the environment strings, one per line. */
const ECHO = `
    mv   s1, sp
1:  li   a0, 0
    la   a1, buf
    li   a2, 64
    li   a7, 63
    ecall
    blez a0, 2f
    mv   a2, a0
    li   a0, 1
    la   a1, buf
    li   a7, 64
    ecall
    j    1b
2:  lw   t0, 0(s1)
    addi t0, t0, 2
    slli t0, t0, 2
    add  s2, s1, t0
3:  lw   s3, 0(s2)
    beqz s3, 5f
    mv   a1, s3
    li   a2, 0
4:  add  t1, s3, a2
    lbu  t1, 0(t1)
    beqz t1, 6f
    addi a2, a2, 1
    j    4b
6:  li   a0, 1
    li   a7, 64
    ecall
    li   a0, 1
    la   a1, nl
    li   a2, 1
    li   a7, 64
    ecall
    addi s2, s2, 4
    j    3b
5:  li   a0, 0
    li   a7, 93
    ecall
    .data
nl:  .ascii "\\n"
buf: .space 64
`;

/** A run of READER on a mounted directory, checkpointed while the file is open. */
function checkpointedRun(): { dir: string; data: string; images: string } {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-elsewhere-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'in.txt'), 'first version\n');
  writeFileSync(join(dir, 'reader.s'), READER);
  const images = join(dir, 'images');
  const run = faultline(['run', '--mount', `${data}:/data:ro`, '--checkpoint-every', '100000', '--checkpoint-dir', images, 'reader.s'], dir);
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe('first version\n');
  expect(run.status).toBe(0);
  return { dir, data, images };
}

describe('faultline restore elsewhere', () => {
  it('restores and goes on when the mounted file is as it was', () => {
    const { dir, images } = checkpointedRun();
    const r = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint'], dir);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'first version\n', '']);
  });

  it('refuses a changed mounted file naming the handle and the file, and runs nothing; --relink takes the new file', () => {
    const { dir, data, images } = checkpointedRun();
    writeFileSync(join(data, 'in.txt'), 'second version, longer\n');
    const refused = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint'], dir);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^faultline: .*00000001\.ckpt: offset 0x[0-9a-f]{8}: HNDL: handle 3: mounted file \/data\/in\.txt changed \(size 14 → 23, contents, modification time .*\)\n$/);
    const relinked = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint', '--relink', '/data/in.txt=/data/in.txt'], dir);
    expect([relinked.status, relinked.stdout, relinked.stderr]).toEqual([0, 'second version, longer\n', '']);
  });

  it('refuses a missing mounted directory naming it; --relink OLD=NEW mounts a copy from elsewhere', () => {
    const { dir, data, images } = checkpointedRun();
    const moved = join(dir, 'moved');
    renameSync(data, moved);
    const refused = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint'], dir);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`restore: mounted directory ${data}: no such file or directory (give --relink ${data}=NEWDIR)`);
    const relinked = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint', '--relink', `${data}=${moved}`], dir);
    expect([relinked.status, relinked.stdout, relinked.stderr]).toEqual([0, 'first version\n', '']);
  });

  it('names a bad --relink value', () => {
    const { dir, images } = checkpointedRun();
    const r = faultline(['restore', images, '--relink', 'nothing'], dir);
    expect([r.status, r.stderr]).toEqual([2, 'faultline: --relink nothing: expected OLD=NEW\n']);
  });
});

describe('faultline run: stdin and environment', () => {
  it('--stdin FILE is the guest\'s stdin, --env NAME=VALUE its environment (empty otherwise)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-io-'));
    writeFileSync(join(dir, 'echo.s'), ECHO);
    writeFileSync(join(dir, 'in.txt'), 'from a file\n');
    const r = faultline(['run', '--stdin', 'in.txt', '--env', 'A=1', '--env', 'B=x=y', 'echo.s'], dir);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'from a file\nA=1\nB=x=y\n', '']);
    const bare = faultline(['run', '--stdin', 'in.txt', 'echo.s'], dir);
    expect(bare.stdout).toBe('from a file\n');
  });

  it('names bad --mount, --env and --stdin values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-io-'));
    writeFileSync(join(dir, 'echo.s'), ECHO);
    writeFileSync(join(dir, 'file'), '');
    const cases: [string[], string][] = [
      [['--env', 'oops'], 'faultline: --env oops: expected NAME=VALUE\n'],
      [['--mount', 'nope:/data'], 'faultline: --mount nope:/data: nope: no such file or directory\n'],
      [['--mount', 'file:/data'], 'faultline: --mount file:/data: file is not a directory\n'],
      [['--mount', '.:data'], 'faultline: --mount .:data: expected HOST:GUEST[:ro] with GUEST an absolute guest path\n'],
      [['--stdin', 'nope'], 'faultline: --stdin nope: no such file or directory\n'],
      [['--seed', '-1'], "faultline: --seed: expected a non-negative integer, got '-1'\n"],
    ];
    for (const [args, message] of cases) {
      const r = faultline(['run', ...args, 'echo.s'], dir);
      expect([r.status, r.stderr]).toEqual([2, message]);
    }
  });
});
