/**
 * The shipped guest runtime (`include/faultline-rt.h`, `include/faultline-rt.c`)
 * built with the exact command the README documents: every program in
 * `programs/` is copied to `prog.c` in a fresh directory holding `include/`,
 * built by running the README's command line with `sh`, then run under
 * qemu-riscv32 and under `faultline run` with the same arguments. Both must
 * print `NAME.expected` and exit with its status — the expected files are
 * checked by hand against the C rules (printf), so agreement between the
 * two machines is not the only judge.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { INCLUDE_DIR, formatRun, parseExpected, runUnderQemu } from './guest-build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROGRAMS = fileURLToPath(new URL('./programs', import.meta.url));
/** Arguments every program gets (one with a space: argv must keep it whole). */
const GUEST_ARGS = ['one', 'two words'];

/** The lines of `markdown` that are a cross-compiler command building with the runtime. */
function documentedCommands(markdown: string): string[] {
  return markdown.split('\n').filter((l) => l.startsWith('riscv64-unknown-elf-gcc ') && l.includes('include/faultline-rt.c'));
}

const README_COMMANDS = documentedCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const GUIDE_COMMANDS = documentedCommands(readFileSync(join(ROOT, 'docs', 'guest-programs.md'), 'utf8'));
const PROGRAM_NAMES = readdirSync(PROGRAMS).filter((f) => f.endsWith('.c')).map((f) => basename(f, '.c')).sort();

describe('the documented build command', () => {
  it('is one command in the README, building prog.c into prog with include/faultline-rt.c', () => {
    expect(README_COMMANDS).toHaveLength(1);
    const words = (README_COMMANDS[0] as string).split(/\s+/);
    expect(words).toEqual(expect.arrayContaining(['-march=rv32ima', '-mabi=ilp32', '-static', '-nostdlib', '-I', 'include', '-o', 'prog', 'prog.c', 'include/faultline-rt.c']));
  });

  it('is the same in docs/guest-programs.md (up to the file names)', () => {
    const generic = (l: string): string => l.replace(/-o \S+ \S+\.c /, '-o prog prog.c ');
    expect(GUIDE_COMMANDS.length).toBeGreaterThan(0);
    for (const line of GUIDE_COMMANDS) expect(generic(line)).toBe(README_COMMANDS[0]);
  });
});

describeWithTools([GCC, QEMU], "C programs built with the README's command", () => {
  let dir = '';
  const elves = new Map<string, string>();
  /** gcc's and ld's messages per program (the command must be quiet). */
  const messages = new Map<string, string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-runtime-'));
    const command = README_COMMANDS[0] as string;
    for (const name of PROGRAM_NAMES) {
      const work = join(dir, name);
      mkdirSync(work);
      symlinkSync(INCLUDE_DIR, join(work, 'include'));
      cpSync(join(PROGRAMS, `${name}.c`), join(work, 'prog.c'));
      const r = spawnSync('sh', ['-e', '-c', command], { cwd: work, encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`${name}.c: the README's command failed (status ${r.status}):\n${command}\n${r.stderr}`);
      elves.set(name, join(work, 'prog'));
      messages.set(name, r.stderr);
    }
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('builds every program without a warning (no RWX segment either)', () => {
    expect(elves.size).toBe(PROGRAM_NAMES.length);
    expect(Object.fromEntries(messages)).toEqual(Object.fromEntries(PROGRAM_NAMES.map((n) => [n, ''])));
  });

  for (const name of PROGRAM_NAMES) {
    it(`${name}.c prints ${name}.expected and exits alike under qemu-riscv32 and faultline run`, async () => {
      const file = join(PROGRAMS, `${name}.expected`);
      const expected = formatRun(parseExpected(readFileSync(file, 'utf8'), file));
      const elf = elves.get(name) as string;
      const q = await runUnderQemu(elf, GUEST_ARGS, dir);
      expect(formatRun(q), `${name} under ${QEMU}`).toBe(expected);
      const f = faultline(['run', elf, '--', ...GUEST_ARGS]);
      expect(f.stderr, `${name}: faultline's stderr`).toBe('');
      expect(formatRun(f), `${name} under faultline run`).toBe(expected);
    });
  }
});
