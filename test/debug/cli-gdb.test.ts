/**
 * `--gdb` on the command line: `restore --gdb` debugs a restored run,
 * `kill` ends the run with status 137, a bad port is a usage error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { CLI } from '../helpers/cli.js';
import { GCC, describeWithTools, itWithTools } from '../helpers/toolchain.js';
import { EXAMPLE_SOURCE, GDB, buildDebugProgram, normalise } from './gdb-session.js';

const TOOLS = [GCC, GDB];

/** `faultline args...` with gdb running `commands` against it; both outputs and the status. */
async function debugCli(args: readonly string[], elf: string, commands: readonly string[]): Promise<{ gdb: string; stdout: string; stderr: string; status: number | null }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const closed = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
  const start = Date.now();
  while (!/listening on 127\.0\.0\.1:\d+/.test(stderr)) {
    if (child.exitCode !== null || Date.now() - start > 60_000) throw new Error(`faultline did not listen: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr)![1]!;
  const gdbArgs = ['-batch', '-nx', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), elf];
  const gdb = spawn(GDB, gdbArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  gdb.stdout.setEncoding('utf8').on('data', (c: string) => { text += c; });
  gdb.stderr.setEncoding('utf8').on('data', (c: string) => { text += c; });
  await new Promise((r) => gdb.on('close', r));
  const status = await closed;
  return { gdb: normalise(text), stdout, stderr, status };
}

describeWithTools(TOOLS, 'faultline --gdb on the command line', () => {
  let dir = '';
  let elf = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-cli-gdb-'));
    elf = buildDebugProgram('basic', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itWithTools(TOOLS, 'restore --gdb debugs the restored run', async () => {
    const images = join(dir, 'images');
    const run = faultline(['run', '--checkpoint-every', '400', '--checkpoint-dir', images, elf]);
    expect(run.status).toBe(0);
    // The first image: before add() is first called (about instruction 1200).
    const first = readdirSync(images).filter((f) => f.endsWith('.ckpt')).sort()[0]!;
    const r = await debugCli(['restore', '--gdb', '0', '--no-checkpoint', join(images, first)], elf, ['break add', 'continue', 'print a', 'delete', 'continue']);
    expect(r.gdb).toMatch(/Breakpoint 1, add \(a=5, b=7\)/);
    expect(r.gdb).toMatch(/\$1 = 5/);
    expect(r.gdb).toMatch(/exited normally/);
    expect(r.stdout).toBe('72\n');
    expect(r.status).toBe(0);
  });

  itWithTools(TOOLS, 'kill ends the run with status 137 and says so', async () => {
    const r = await debugCli(['run', '--gdb', '0', elf], elf, ['break scale', 'continue', 'kill']);
    expect(r.gdb).toMatch(/Breakpoint 1, scale/);
    expect(r.status).toBe(137);
    expect(r.stderr).toMatch(/killed by the debugger/);
    expect(r.stdout).toBe('');
  });

  itWithTools(TOOLS, 'detach lets the guest run on to its end', async () => {
    const r = await debugCli(['run', '--gdb', '0', elf], elf, ['break scale', 'continue', 'detach']);
    expect(r.gdb).toMatch(/\[Inferior 1 \(process <pid>\) detached\]/);
    expect(r.stdout).toBe('72\n');
    expect(r.status).toBe(0);
  });

  itWithTools(TOOLS, 'the guide\'s example prints what its header says, without the debugger', () => {
    const example = buildDebugProgram('debug-corrupt', dir, EXAMPLE_SOURCE);
    const r = faultline(['run', '--demand-paging', '0x50000000:0x10000', example]);
    expect(r.stdout).toBe('checksum 323450 (expected 328314)\n');
    expect(r.status).toBe(1);
  });

  itWithTools(TOOLS, 'a bad port is a usage error naming it', () => {
    const r = faultline(['run', '--gdb', '70000', elf]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--gdb: expected a TCP port from 0 to 65535, got "70000"/);
  });
});
