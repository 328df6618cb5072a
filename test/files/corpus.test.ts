/**
 * The file corpus under qemu-riscv32: every program, built with the guest
 * C library and run in a fresh scratch directory with the stdin fixture,
 * must print its `NAME.expected` stdout, exit with its status and leave
 * its directory tree. qemu implements Linux's file calls on the host's
 * kernel, so this proves both the library and the expected files.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { STDIN_FIXTURE, buildFileCorpus, fileExpectations, filePrograms, formatFileRun, readFileExpectation, snapshotTree } from './corpus.js';
import { runUnderQemuWithStdin } from './libc-build.js';

/** What the corpus must cover: one program per behaviour (see each file's header). */
const REQUIRED = [
  'create_write_read', // create, write, read back, fstat
  'lseek_ops', // lseek, holes
  'pread_pwrite', // pread/pwrite leave the offset
  'dup_offsets', // dup/dup2/dup3 share offsets
  'append_mode', // O_APPEND
  'cloexec_flags', // O_CLOEXEC seen through F_GETFD
  'dir_listing', // getdents64, sorted
  'unlink_open', // unlink while open
  'rename_ops', // rename
  'truncate_ops', // ftruncate
  'pipe_threads', // a pipe between two threads
  'stdin_filter', // reading stdin
];

describeWithTools([GCC, QEMU], 'file corpus under qemu-riscv32', () => {
  const names = filePrograms();
  let dir = '';
  let elves = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-file-corpus-'));
    elves = await buildFileCorpus(dir);
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('covers every required behaviour, and every program has an expected-result file', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
    expect(fileExpectations()).toEqual(names);
  });

  for (const name of names) {
    it(`${name}.c prints, exits and leaves the tree of ${name}.expected`, async () => {
      const scratch = mkdtempSync(join(dir, `${name}-scratch-`));
      const run = await runUnderQemuWithStdin(elves.get(name) as string, [scratch], scratch, STDIN_FIXTURE);
      const got = formatFileRun({ ...run, tree: snapshotTree(scratch) });
      expect(got, `${name} under ${QEMU}`).toBe(formatFileRun(readFileExpectation(name)));
    });
  }
});
