/**
 * Hostile and careless input to the command line: every case ends with
 * one line on stderr (no stack trace, no raw errno code, no internal
 * class name) and the documented status, at once — never a hang, never
 * unbounded host memory. docs/hostile-inputs.md lists these cases.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, assemble } from '../../src/index.js';
import { checkpoint } from '../../handlers/checkpoint/index.js';
import { CLI, faultline, type CliResult } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-hostile-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

const HELLO = file('hello.s', 'li a0, 1\n la a1, m\n li a2, 6\n li a7, 64\n ecall\n li a0, 0\n li a7, 93\n ecall\n.data\nm: .ascii "hello\\n"\n');

/** Asserts the one-line error `line` (exactly, or matching) and status `status`. */
function expectOneLine(r: CliResult, line: string | RegExp, status = 2): void {
  expect(r.stderr.endsWith('\n')).toBe(true);
  const lines = r.stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+|ENOENT|EISDIR|ENOSPC|PhysicalMemory|region map "root"|Error:/);
  expect(r.status).toBe(status);
}

describe('command-line mistakes are one line in our words, status 2', () => {
  it('an unknown option, a missing value, a value for a flag', () => {
    expectOneLine(faultline(['run', '--bogus', HELLO]), 'faultline: run: unknown option --bogus (see faultline run --help)');
    expectOneLine(faultline(['run', HELLO, '--max-instructions']), 'faultline: run: --max-instructions needs a value (see faultline run --help)');
    expectOneLine(faultline(['run', '--stats=yes', HELLO]), 'faultline: run: --stats takes no value (see faultline run --help)');
    expectOneLine(faultline(['restore', '--frob']), 'faultline: restore: unknown option --frob (see faultline restore --help)');
  });

  it('a negative count is refused by the option, in one line', () => {
    expectOneLine(faultline(['run', '--max-instructions', '-5', HELLO]), "faultline: --max-instructions: expected a non-negative integer, got '-5'");
  });

  it('a bad quota names --memory-quota, not the library class', () => {
    expectOneLine(faultline(['run', HELLO, '--memory-quota', '100']), 'faultline: --memory-quota: must be a positive multiple of 4096 bytes up to 1610612736 (1.5G), got 100');
    expectOneLine(faultline(['run', HELLO, '--memory-quota', '2G']), /^faultline: --memory-quota: must be .* got 2147483648$/);
    expectOneLine(faultline(['run', HELLO, '--memory-quota', 'lots']), /^faultline: --memory-quota: expected a size in bytes .*got 'lots'$/);
    expectOneLine(faultline(['run', HELLO, '--memory-quota', '1M']), /^faultline: --memory-quota 1M: too small to load .*hello\.s and its 8 MiB stack/);
  });

  it('sizes take K, M and G suffixes', () => {
    const r = faultline(['run', HELLO, '--memory-quota', '64M']);
    expect([r.stdout, r.status, r.stderr]).toEqual(['hello\n', 0, '']);
    const lazy = file('lazy.s', 'li t0, 0x50000000\n sw t0, 0(t0)\n li t1, 0x5000fffc\n sw t0, 0(t1)\n li a0, 0\n li a7, 93\n ecall\n');
    expect(faultline(['run', lazy, '--demand-paging', '0x50000000:64K', '--memory-quota', '1g']).status).toBe(0);
    expect(faultline(['run', lazy, '--demand-paging', '0x50000000:32K']).status).toBe(139);
  });

  it('a --demand-paging range over the program names the option', () => {
    expectOneLine(faultline(['run', HELLO, '--demand-paging', '0x10000:4K']), /^faultline: --demand-paging 0x00010000:0x00001000: the range overlaps memory already mapped at 0x00010000-0x[0-9a-f]{8} \(.*hello\.s\)$/);
  });

  it('--version prints the package version', () => {
    const r = faultline(['--version']);
    expect(r.stdout).toMatch(/^faultline \d+\.\d+\.\d+\n$/);
    expect(r.status).toBe(0);
  });
});

describe('files the command line cannot use: one line, status 2, no hang', () => {
  it('a missing file or a directory, in words', () => {
    expectOneLine(faultline(['run', join(dir, 'nope.elf')]), `faultline: ${join(dir, 'nope.elf')}: no such file or directory`);
    expectOneLine(faultline(['run', dir]), `faultline: ${dir} is a directory`);
    expectOneLine(faultline(['inspect', dir]), `faultline: ${dir} is a directory`);
    expectOneLine(faultline(['asm', join(dir, 'nope.s'), '-o', join(dir, 'x.elf')]), `faultline: ${join(dir, 'nope.s')}: no such file or directory`);
  });

  it('a FIFO as program, as image, or as the newest image of a directory', () => {
    const program = fifo('pipe.s');
    expectOneLine(faultline(['run', program]), `faultline: ${program} is a FIFO (named pipe), not a regular file`);
    expectOneLine(faultline(['inspect', program]), `faultline: ${program} is a FIFO (named pipe), not a regular file`);
    const images = join(dir, 'fifo-images');
    mkdirSync(images);
    execFileSync('mkfifo', [join(images, '00000000.ckpt')]);
    expectOneLine(faultline(['restore', images]), `faultline: ${join(images, '00000000.ckpt')} is a FIFO (named pipe), not a regular file`);
  });

  it('/dev/zero, /dev/urandom and an image linked to /dev/zero are refused before reading', () => {
    expectOneLine(faultline(['run', '/dev/zero']), 'faultline: /dev/zero is a character device, not a regular file');
    expectOneLine(faultline(['inspect', '/dev/urandom']), 'faultline: /dev/urandom is a character device, not a regular file');
    const images = join(dir, 'zero-images');
    mkdirSync(images);
    symlinkSync('/dev/zero', join(images, '00000000.ckpt'));
    expectOneLine(faultline(['restore', images]), `faultline: ${join(images, '00000000.ckpt')} is a character device, not a regular file`);
    expectOneLine(faultline(['restore', join(images, '00000000.ckpt')]), `faultline: ${join(images, '00000000.ckpt')} is a character device, not a regular file`);
  });

  it('a file larger than the limit is refused from its size, before reading (sparse files: no disk used)', () => {
    const program = join(dir, 'huge.elf');
    execFileSync('truncate', ['-s', String((256 << 20) + 1), program]);
    expectOneLine(faultline(['run', program]), `faultline: ${program} is too big for a program (${(256 << 20) + 1} bytes; the limit is ${256 << 20})`);
    const image = join(dir, 'huge.ckpt');
    execFileSync('truncate', ['-s', String(2 ** 31 + 1), image]);
    expectOneLine(faultline(['inspect', image]), `faultline: ${image} is too big for a checkpoint image (${2 ** 31 + 1} bytes; the limit is ${2 ** 31})`);
  });

  it('control characters in a name are escaped: the message stays one line', () => {
    const name = join(dir, 'a\x1b[31mb\nc.s');
    expectOneLine(faultline(['run', name]), `faultline: ${join(dir, 'a\\x1b[31mb\\x0ac.s')}: no such file or directory`);
  });
});

describe('programs that would only fault at their entry are refused', () => {
  it('an empty .s file, or one with data but no instructions', () => {
    const empty = file('empty.s', '');
    expectOneLine(faultline(['run', empty]), `faultline: ${empty}: no instructions (the file assembles to no code; the program would fault at its entry)`);
    const data = file('data.s', '.data\n.word 1, 2, 3\n');
    expectOneLine(faultline(['run', data]), /: no instructions/);
    expectOneLine(faultline(['asm', empty, '-o', join(dir, 'empty.elf')]), /: no instructions/);
  });

  it('a .S file (for the C preprocessor) is refused with how to preprocess it', () => {
    const source = file('pre.S', '#define EXIT 93\n li a7, EXIT\n ecall\n');
    const hint = `faultline: ${source}: a .S file is assembly for the C preprocessor, which faultline does not run; preprocess it first (riscv64-unknown-elf-cpp -P ${source} -o ${source.slice(0, -2)}.s) and give ${source.slice(0, -2)}.s`;
    expectOneLine(faultline(['run', source]), hint);
    expectOneLine(faultline(['asm', source, '-o', join(dir, 'pre.elf')]), hint);
  });
});

describe('output that cannot be written', () => {
  it('stdout on a full device: one line and status 74', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" run "${HELLO}" >/dev/full`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('faultline: cannot write to stdout: no space left on device\n');
    expect(r.status).toBe(74);
  });
});

describe('checkpoint directories that cannot be used are refused up front', () => {
  const counter = file('spin.s', '1: j 1b\n');

  it('under /proc, under a regular file, or unwritable: one line, status 2, at once', () => {
    expectOneLine(faultline(['run', counter, '--checkpoint-every', '1000', '--checkpoint-dir', '/proc/faultline/images']), 'faultline: --checkpoint-dir /proc/faultline/images: cannot create /proc/faultline: no such file or directory');
    expectOneLine(faultline(['run', counter, '--checkpoint-every', '1000', '--checkpoint-dir', '/proc/self']), /^faultline: --checkpoint-dir \/proc\/self: cannot write files there \(.+\)$/);
    expectOneLine(faultline(['run', counter, '--checkpoint-every', '1000', '--checkpoint-dir', join(HELLO, 'sub')]), `faultline: --checkpoint-dir ${join(HELLO, 'sub')}: ${join(HELLO, 'sub')}: a part of the path is not a directory`);
  });
});

describe('an image whose command-line state is crafted (valid checksums)', () => {
  /** An image of a fresh machine whose 'faultline-cli' state is `state`. */
  function imageWithState(name: string, state: Uint8Array): string {
    const machine = new Machine({ memoryQuota: 16 << 20 });
    machine.load(assemble('1: j 1b\n'));
    const cp = checkpoint({ contributors: [{ name: 'faultline-cli', saveState: () => state, restoreState: () => {} }] });
    machine.use(cp);
    machine.run({ maxInstructions: 10 });
    return file(name, cp.checkpoint());
  }
  const text = (s: string) => new TextEncoder().encode(s);

  for (const [what, state, reason] of [
    ['not JSON', text('{"stdoutBytes": '), 'not valid JSON text'],
    ['null', text('null'), 'the state is not an object'],
    ['binary', Uint8Array.of(0xff, 0xfe, 0x00, 0x80), 'not valid JSON text'],
    ['a negative count', text('{"stdoutBytes":-1,"stderrBytes":0,"every":0,"fullEvery":1}'), 'stdoutBytes is not a non-negative integer'],
    ['a range outside 4 GiB', text('{"stdoutBytes":0,"stderrBytes":0,"every":0,"fullEvery":1,"config":{"demandPaging":[{"at":4294963200,"size":8192}]}}'), 'config.demandPaging[0] is not a page-aligned range inside 4 GiB'],
  ] as const) {
    it(`is refused when the state is ${what}`, () => {
      const path = imageWithState(`crafted-${what.replace(/\W+/g, '-')}.img`, state);
      expectOneLine(faultline(['restore', path, '--no-checkpoint']), `faultline: ${path}: plugin state 'faultline-cli': ${reason}`);
    });
  }
});
