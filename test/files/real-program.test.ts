/**
 * A real program: the archiver examples/guest/flz.c, built once with the
 * guest C library and once with picolibc, runs the same session under
 * qemu-riscv32 (see real-program.ts). Both builds print the same and
 * leave the same files (the archives byte for byte), and unpacking gives
 * back every input, stdin included.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { STDIN_FIXTURE } from './corpus.js';
import { PICOLIBC_PACKAGE, PICOLIBC_SPECS, buildWithLibc, buildWithPicolibc, runUnderQemuWithStdin } from './libc-build.js';
import { FLZ_SOURCE, runSession, sessionInputs, type Session } from './real-program.js';

/** picolibc is a file, not a command: present when its specs file is. */
const picolibcTool = existsSync(PICOLIBC_SPECS) ? [] : [PICOLIBC_PACKAGE];

describeWithTools([GCC, QEMU, ...picolibcTool], 'flz, an LZSS archiver, built with both C libraries under qemu-riscv32', () => {
  let dir = '';
  const sessions = new Map<string, Session>();
  /** What the libc build unpacked: name -> contents. */
  const unpacked = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-flz-'));
    await buildWithLibc([FLZ_SOURCE], join(dir, 'flz-libc'));
    await buildWithPicolibc([FLZ_SOURCE], join(dir, 'flz-picolibc'));
    for (const build of ['libc', 'picolibc']) {
      const elf = join(dir, `flz-${build}`);
      const scratch = join(dir, 'scratch'); // the same path for both builds
      sessions.set(build, await runSession(scratch, (args, stdin) => runUnderQemuWithStdin(elf, args, scratch, stdin)));
      if (build === 'libc') {
        for (const name of [...sessionInputs().keys(), 'stdin']) unpacked.set(name, readFileSync(join(scratch, `out-${name}`)));
      }
    }
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('packs, lists, tests and unpacks; a damaged archive fails its test; a bad command is a usage error', () => {
    const t = sessions.get('libc')!.transcript;
    expect(t).toContain('4 members, ');
    expect(t).toMatch(/packed text\.txt +\d+ -> +\d+ \( ?\d\d%\)/);
    expect(t).toContain('unpacked stdin (');
    expect(t).toMatch(/\$ flz t SCRATCH\/damaged\.flz\n(?:.*\n)*stdin: BAD\n.*some BAD\n\[exit 1\]/);
    expect(t).toMatch(/\$ flz q SCRATCH\/all\.flz\n\[exit 2\]\n$/);
  });

  it('unpacking gives back every input byte for byte, and the text compresses to less than half', () => {
    for (const [name, data] of sessionInputs()) expect(unpacked.get(name), `unpacked ${name}`).toEqual(Buffer.from(data));
    expect(unpacked.get('stdin'), 'unpacked stdin').toEqual(readFileSync(STDIN_FIXTURE));
    const packed = /packed text\.txt +(\d+) -> +(\d+)/.exec(sessions.get('libc')!.transcript);
    expect(Number(packed?.[2])).toBeLessThan(Number(packed?.[1]) / 2);
  });

  it('the picolibc build prints the same and leaves the same files as the faultline-libc build', () => {
    expect(sessions.get('picolibc')).toEqual(sessions.get('libc'));
  });
});
