/**
 * The C library from four threads (threads-stdio.c): every printf line
 * arrives whole, malloc'd strings stay intact and errno is per thread —
 * under qemu-riscv32 (host threads in parallel) and under faultline with
 * short and default time slices. Lines of different threads may come in
 * any order, so they are compared as sorted sets.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { STDIN_FIXTURE } from './corpus.js';
import { buildWithLibc, runUnderQemuWithStdin } from './libc-build.js';

const SOURCE = fileURLToPath(new URL('./threads-stdio.c', import.meta.url));

/** The lines the program must print, sorted. */
function expectedLines(): string[] {
  const lines: string[] = [];
  for (let t = 0; t < 4; t++) {
    for (let i = 0; i < 200; i++) {
      const word = `w${t}-${i}`;
      lines.push(`thread ${t} line ${String(i).padStart(3, '0')} ${word} ${'padded'.padStart(20 + t)}|`);
    }
  }
  lines.push('done: 0 errno mismatches');
  return lines.sort();
}

function sortedLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '').sort();
}

describeWithTools([GCC, QEMU], 'the C library from four threads', () => {
  let dir = '';
  let elf = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-threads-stdio-'));
    elf = join(dir, 'threads-stdio');
    await buildWithLibc([SOURCE], elf);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('prints every line whole, with per-thread errno, under qemu-riscv32 (three runs)', async () => {
    for (let run = 0; run < 3; run++) {
      const r = await runUnderQemuWithStdin(elf, [], dir, STDIN_FIXTURE);
      expect(r.status).toBe(0);
      expect(sortedLines(r.stdout)).toEqual(expectedLines());
    }
  });

  for (const slice of ['7', '50', undefined]) {
    it(`prints every line whole, with per-thread errno, under faultline run${slice ? ` --time-slice ${slice}` : ''}`, () => {
      const r = faultline(['run', ...(slice ? ['--time-slice', slice] : []), elf], dir);
      expect(r.status, r.stderr).toBe(0);
      expect(sortedLines(r.stdout)).toEqual(expectedLines());
    });
  }
});
