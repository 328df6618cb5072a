/**
 * Every header of the C library (include/libc, found by listing it) and
 * the library's source compile cleanly together — `-Wall -Wextra
 * -pedantic -Werror` — under C99, C11 and GNU C17, so a program may pick
 * its standard.
 */

import { readdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, RV32_FLAGS, describeWithTools, runTool } from '../helpers/toolchain.js';
import { LIBC_HEADERS, LIBC_SOURCE } from './libc-build.js';

/** Paths of every header under `dir`, relative to it, sorted. */
function headers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.h')) out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

describeWithTools([GCC], "the C library's headers", () => {
  let dir = '';
  let program = '';
  const all = headers(LIBC_HEADERS);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-libc-headers-'));
    program = join(dir, 'all.c');
    writeFileSync(program, `${all.map((h) => `#include <${h}>`).join('\n')}\n\nint main(void)\n{\n    return 0;\n}\n`);
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('cover the headers a program on files needs', () => {
    expect(all).toEqual(expect.arrayContaining(['stdio.h', 'stdlib.h', 'string.h', 'unistd.h', 'fcntl.h', 'errno.h', 'dirent.h', 'sys/stat.h', 'sys/types.h', 'time.h', 'ctype.h']));
  });

  for (const std of ['c99', 'c11', 'gnu17']) {
    it(`all of them, with the library, compile under -std=${std} -pedantic -Werror`, () => {
      runTool(GCC, [...RV32_FLAGS, `-std=${std}`, '-pedantic', '-Wall', '-Wextra', '-Werror', '-O2', '-I', LIBC_HEADERS, '-o', join(dir, `all-${std}`), program, LIBC_SOURCE, '-lgcc']);
    });
  }
});
