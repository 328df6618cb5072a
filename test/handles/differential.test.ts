/**
 * The file and handle calls against qemu-riscv32: small C programs
 * (test/handles/programs, built with the shipped runtime) work in a
 * scratch directory named in argv[1]. qemu runs them in a host directory;
 * faultline runs them with another host directory mounted at the same
 * guest path. Stdout, exit status and the resulting directory tree must
 * be equal.
 */

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Machine, exitStatusOf, parseElf } from '../../src/index.js';
import { HostDirectory } from '../../node/index.js';
import { GCC, QEMU, describeWithTools } from '../helpers/toolchain.js';
import { buildWithRuntime, pool } from '../runtime/guest-build.js';

const PROGRAMS = fileURLToPath(new URL('./programs', import.meta.url));
const NAMES = readdirSync(PROGRAMS).filter((f) => f.endsWith('.c')).map((f) => basename(f, '.c')).sort();
/** Input given on stdin to every program (only some read it). */
const STDIN = 'the quick brown fox\njumps over\n\tthe lazy dog\n'.repeat(40) + 'no newline at the end';

interface Run { stdout: string; status: number }

/** Runs `elf` under qemu in `dir` with `args`, feeding `input` on stdin. */
function qemu(elf: string, args: string[], dir: string, input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, [elf, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), status: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0) });
    });
  });
}

/** Runs `elf` under faultline with host directory `hostDir` mounted at `guestDir`. */
function faultline(elf: Uint8Array, name: string, guestDir: string, hostDir: string, input: string, jit: boolean): Run {
  let stdout = '';
  const decoder = new TextDecoder();
  const machine = new Machine({
    stdout: (b) => { stdout += decoder.decode(b, { stream: true }); },
    stdin: input,
    mounts: [{ guestPath: guestDir, directory: new HostDirectory(hostDir) }],
    jit,
    timeSlice: 5000,
  });
  machine.load(parseElf(elf, name), { argv: [name, guestDir] });
  const result = machine.run({ maxInstructions: 500_000_000 });
  if (result.kind === 'limit') throw new Error(`${name}: still running after 500 M instructions`);
  return { stdout, status: exitStatusOf(result) };
}

/** A canonical listing of the tree under `dir`: path, kind, permission bits, size and contents. */
function tree(dir: string, at = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, at)).sort()) {
    const rel = at === '' ? name : `${at}/${name}`;
    const st = lstatSync(join(dir, rel));
    if (st.isDirectory()) {
      out.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`);
      out.push(...tree(dir, rel));
    } else {
      out.push(`${rel} ${(st.mode & 0o7777).toString(8)} ${st.size} ${readFileSync(join(dir, rel)).toString('base64')}`);
    }
  }
  return out;
}

describeWithTools([GCC, QEMU], 'file and handle calls against qemu-riscv32', () => {
  let work = '';
  const elves = new Map<string, string>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'faultline-handles-'));
    await pool(NAMES, 2, async (name) => {
      const elf = join(work, name);
      await buildWithRuntime([join(PROGRAMS, `${name}.c`)], elf);
      chmodSync(elf, 0o755);
      elves.set(name, elf);
    });
  }, 300_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('has at least 12 programs', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of NAMES) {
    it(`${name}: same stdout, status and tree as qemu (interpreted and compiled)`, async () => {
      const elf = elves.get(name)!;
      const qdir = mkdtempSync(join(work, `${name}-qemu-`));
      const expected = await qemu(elf, [qdir], qdir, STDIN);
      const bytes = new Uint8Array(readFileSync(elf));
      for (const jit of [false, true]) {
        const fdir = mkdtempSync(join(work, `${name}-fl-`));
        const got = faultline(bytes, name, qdir, fdir, STDIN, jit);
        expect(got.stdout).toBe(expected.stdout);
        expect(got.status).toBe(expected.status);
        expect(tree(fdir)).toEqual(tree(qdir));
      }
    }, 120_000);
  }
});
