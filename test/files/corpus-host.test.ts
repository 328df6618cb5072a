/**
 * The file corpus built with the host's C library: every program that does
 * not use faultline's threads is also an ordinary POSIX program, so built
 * with `gcc` for the host and run in a fresh scratch directory with the
 * stdin fixture it must print, exit and leave the tree of its
 * `NAME.expected`. This holds the guest C library's semantics (stdio
 * positions, errno values, dup and fcntl, directory listing) to glibc's.
 */

import { execFile, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTools } from '../helpers/toolchain.js';
import { pool } from '../runtime/guest-build.js';
import { FILES_CORPUS_DIR, STDIN_FIXTURE, filePrograms, formatFileRun, readFileExpectation, snapshotTree } from './corpus.js';

const HOST_CC = 'gcc';
const execFileAsync = promisify(execFile);

/** Programs that include <faultline-thread.h> need the guest runtime's threads. */
function portable(name: string): boolean {
  return !readFileSync(join(FILES_CORPUS_DIR, `${name}.c`), 'utf8').includes('faultline-thread.h');
}

describeWithTools([HOST_CC], "file corpus built with the host's C library", () => {
  const names = filePrograms().filter(portable);
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-file-corpus-host-'));
    await pool(names, 2, (name) =>
      execFileAsync(HOST_CC, ['-D_GNU_SOURCE', '-O1', '-Wall', '-o', join(dir, name), join(FILES_CORPUS_DIR, `${name}.c`)]),
    );
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('has programs to compare', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of names) {
    it(`${name}.c built for the host gives ${name}.expected`, () => {
      const scratch = mkdtempSync(join(dir, `${name}-scratch-`));
      const stdin = openSync(STDIN_FIXTURE, 'r'); // a file, as qemu and faultline get it: no EPIPE when unread
      const r = spawnSync(join(dir, name), [scratch], { cwd: scratch, stdio: [stdin, 'pipe', 'ignore'], encoding: 'utf8', timeout: 60_000 });
      closeSync(stdin);
      if (r.error !== undefined) throw r.error;
      const got = formatFileRun({ stdout: r.stdout, status: r.status ?? -1, tree: snapshotTree(scratch) });
      expect(got).toBe(formatFileRun(readFileExpectation(name)));
    });
  }
});
