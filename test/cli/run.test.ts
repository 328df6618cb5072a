import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assemble.js';
import { writeElf } from '../../src/loader/elf-writer.js';
import { spawnSync } from 'node:child_process';
import { CLI, faultline } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const HELLO = `
  .text
  .globl _start
_start:
  li a0, 1
  la a1, msg
  li a2, 6
  li a7, 64
  ecall
  li a0, 300          # exit status is masked to 8 bits: 44
  li a7, 93
  ecall
  .data
msg: .ascii "hello\\n"
`;

describe('faultline run', () => {
  it('runs assembly source: guest stdout, exit status masked to 8 bits', () => {
    const r = faultline(['run', file('hello.s', HELLO)]);
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(44);
    expect(r.stderr).toBe('');
  });

  it('runs an ELF file and passes guest arguments', () => {
    const elf = file('args.elf', writeElf(assemble(`
      .globl _start
    _start:
      lw a0, 0(sp)        # argc
      li a7, 93
      ecall
    `)));
    expect(faultline(['run', elf, 'one', 'two']).status).toBe(3);
  });

  it('keeps output written before an unresolved fault, prints one line and exits 139', () => {
    const r = faultline(['run', file('segv.s', HELLO.replace('li a0, 300', 'li t0, 0x50000000\n sw a0, 0(t0)'))]);
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(139);
    expect(r.stderr.trim().split('\n')).toEqual([
      'faultline: unresolved fault: store/AMO page fault: write at 0x50000000 (not mapped), pc 0x0001001c: sw a0,0(t0), region root+0x50000000',
    ]);
  });

  it('exits 132 for an illegal instruction, 133 for ebreak, 135 for a misaligned AMO', () => {
    expect(faultline(['run', file('ill.s', '.word 0xffffffff\n')]).status).toBe(132);
    expect(faultline(['run', file('brk.s', 'ebreak\n')]).status).toBe(133);
    expect(faultline(['run', file('amo.s', 'la t0, x\n addi t0, t0, 2\n amoadd.w a0, a1, (t0)\n .data\nx: .word 0, 0\n')]).status).toBe(135);
  });

  it('--trace-faults prints each fault with its thread and its outcome; --stats prints counts, also per thread', () => {
    const r = faultline(['run', '--trace-faults', '--stats', file('segv2.s', 'li t0, 8\n lw a0, 0(t0)\n')]);
    expect(r.status).toBe(139);
    expect(r.stderr).toMatch(/^\[fault\] thread 1: load page fault: read at 0x00000008 \(not mapped\), pc 0x00010004: lw a0,0\(t0\).* -> unresolved$/m);
    expect(r.stderr).toMatch(/^\[stats\] instructions: 1$/m);
    expect(r.stderr).toMatch(/^\[stats\]   cause load page fault: 1$/m);
    expect(r.stderr).toMatch(/^\[stats\]   thread 1: 1 instructions, 1 faults, runnable$/m);
  });

  it('--time-slice sets the threads\' slice, and a deadlocked guest ends with one line and status 124', () => {
    const wait = 'la a0, word\n li a1, 128\n li a2, 0\n li a3, 0\n li a7, 422\n ecall\n li a7, 93\n ecall\n .data\n word: .word 0\n';
    const r = faultline(['run', '--time-slice', '7', file('deadlock.s', wait)]);
    expect(r.status).toBe(124);
    expect(r.stderr).toBe('faultline: deadlock: every thread waits and nothing can wake it (thread 1 in futex wait on 0x00011000)\n');
    const bad = faultline(['run', '--time-slice', '0', file('deadlock.s', wait)]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('faultline: --time-slice: must be at least 1 instruction, got 0\n');
  });

  it('--max-instructions stops a runaway guest with status 124', () => {
    const r = faultline(['run', '--max-instructions', '1000', file('loop.s', '1: j 1b\n')]);
    expect(r.status).toBe(124);
    expect(r.stderr).toMatch(/stopped after 1000 instructions/);
  });
});

describe('faultline: bad input gives one line and status 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /Usage: faultline/],
    ['an unknown command', ['frobnicate'], /^faultline: unknown command 'frobnicate'/],
    ['an unknown option', ['run', '--bogus', 'x.s'], /^faultline: run: unknown option --bogus \(see faultline run --help\)$/],
    ['a missing program', ['run'], /^faultline: run: missing PROGRAM/],
    ['a missing file', ['run', join(dir, 'nope.elf')], /^faultline: .*nope\.elf: no such file or directory$/],
    ['a bad number', ['run', '--max-instructions', 'lots', 'x.s'], /^faultline: --max-instructions: expected a non-negative integer, got 'lots'$/],
  ];
  for (const [what, args, message] of cases) {
    it(`for ${what}`, () => {
      const r = faultline(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('for a malformed ELF file, naming the file and offset', () => {
    const bytes = new Uint8Array(64);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    const r = faultline(['run', file('bad.elf', bytes)]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^faultline: .*bad\.elf/);
  });

  it('for a file that is neither ELF nor assembly', () => {
    const r = faultline(['run', file('notes.txt', 'hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an ELF file .* and not assembly source/);
  });

  it('for assembly errors: every error as file:line:column', () => {
    const r = faultline(['run', file('errors.s', 'addi a0, a0, 5000\nfoo a1\n')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/errors\.s:1:14: immediate 5000 out of range for addi \(-2048\.\.2047\)/);
    expect(r.stderr).toMatch(/errors\.s:2:1: unknown instruction foo/);
  });
});

describe('faultline asm', () => {
  it('writes an ELF that faultline runs', () => {
    const out = join(dir, 'hello.elf');
    expect(faultline(['asm', file('hello2.s', HELLO), '-o', out]).status).toBe(0);
    const r = faultline(['run', out]);
    expect([r.stdout, r.status]).toEqual(['hello\n', 44]);
  });

  it('needs -o', () => {
    const r = faultline(['asm', file('hello3.s', HELLO)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing -o/);
  });
});

describe('faultline run into a closed pipe', () => {
  it('ends quietly with 128 + SIGPIPE when the reader goes away', () => {
    const yes = file('yes.s', '1: li a0, 1\n la a1, m\n li a2, 2\n li a7, 64\n ecall\n j 1b\n.data\nm: .ascii "y\\n"\n');
    const r = spawnSync('sh', ['-c', `node "${CLI}" run "${yes}" | head -2; echo "status \${PIPESTATUS:-}"`], { encoding: 'utf8' });
    expect(r.stdout.startsWith('y\ny\n')).toBe(true);
    expect(r.stderr).toBe('');
    const direct = spawnSync('bash', ['-c', `node "${CLI}" run "${yes}" | head -1 >/dev/null; echo \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(direct.stdout.trim()).toBe('141');
  });
});

describe('faultline run with stock handlers', () => {
  const LAZY = 'li t0, 0x50000000\n li t1, 0x50003000\n1: sw t0, 0(t0)\n lw a0, 0(t0)\n addi t0, t0, 1024\n bltu t0, t1, 1b\n li a0, 0\n li a7, 93\n ecall\n';

  it('--demand-paging serves an unmapped range; without it the same guest faults', () => {
    const path = file('lazy.s', LAZY);
    expect(faultline(['run', path]).status).toBe(139);
    const r = faultline(['run', path, '--demand-paging', '0x50000000:0x10000', '--stats']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\[stats\]   fixed by demand-paging 0x50000000: 3$/m);
  });

  it('--dirty-log prints how many pages the guest wrote', () => {
    const r = faultline(['run', file('lazy2.s', LAZY), '--demand-paging', '0x50000000:0x10000', '--dirty-log']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe('[dirty-log] 3 pages written, 3 first-write faults');
  });

  it('refuses a malformed --demand-paging range with status 2', () => {
    const r = faultline(['run', file('lazy3.s', LAZY), '--demand-paging', '0x5000']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("faultline: --demand-paging: expected ADDR:SIZE (e.g. 0x50000000:64K), got '0x5000'");
  });
});
