/**
 * Scripted `gdb-multiarch -batch` sessions against `faultline run --gdb 0`
 * and against `qemu-riscv32 -g PORT` on the same ELF, and the one
 * normalisation that makes their transcripts comparable.
 *
 * What must differ, and is normalised:
 * - the TCP port ("Remote debugging using ..." lines are dropped);
 * - thread names and ids: qemu names a thread by its host tid and "CPU#0",
 *   faultline by guest tid and state ("Thread 1.4516 (CPU#0 [running])"
 *   vs "Thread 1.1 (tid 1 [runnable])" → "Thread <id>"), and process ids;
 * - in `info threads`, the frame arguments (a waiting thread's futex
 *   address and tid) and the column widths;
 * - stack addresses: qemu-user puts the stack below 0x40800000, faultline
 *   (as Linux does) below 0xc0000000, so any number inside either stack
 *   area (hex or decimal) becomes "<stack>".
 * - "Hardware watchpoint N" (faultline) vs "Watchpoint N" (GDB's software
 *   watchpoint, as qemu-user inserts none): the word "Hardware";
 * Everything else — register values, memory words, source lines, signals,
 * exit codes — must be equal.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { QEMU } from '../helpers/toolchain.js';
import { INCLUDE_DIR, RUNTIME_SOURCE } from '../runtime/guest-build.js';
import { GCC, RV32_FLAGS, runTool } from '../helpers/toolchain.js';

/** The debugger. */
export const GDB = 'gdb-multiarch';

/** Where the session programs live. */
export const PROGRAMS_DIR = new URL('./programs', import.meta.url).pathname;

/** The example guest program of docs/debugging.md. */
export const EXAMPLE_SOURCE = new URL('../../examples/guest/debug-corrupt.c', import.meta.url).pathname;

/** Builds `programs/NAME.c` (or `source`) with symbols (-O0 -g) and the shipped runtime into `dir`. */
export function buildDebugProgram(name: string, dir: string, source = join(PROGRAMS_DIR, `${name}.c`)): string {
  const out = join(dir, name);
  runTool(GCC, [...RV32_FLAGS, '-O0', '-g', '-I', INCLUDE_DIR, '-o', out, source, RUNTIME_SOURCE, '-lgcc']);
  chmodSync(out, 0o755);
  return out;
}

/** A free TCP port on 127.0.0.1 (for qemu, which takes no port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Output of a process, once it ended. */
interface Ended { readonly status: number | null; readonly stdout: string; readonly stderr: string }

function collect(child: ReturnType<typeof spawn>): { end: Promise<Ended>; stderr: () => string } {
  let out = '', err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const end = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: out, stderr: err }));
  });
  return { end, stderr: () => err };
}

/** Polls `f` every 10 ms, for at most `limitMs` (a bound for a broken test, not a timing assumption). */
async function poll<T>(what: string, f: () => T | null, limitMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = f();
    if (v !== null) return v;
    if (Date.now() - start > limitMs) throw new Error(`still waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What one session printed. */
export interface SessionOutput {
  /** gdb's stdout and stderr, in order. */
  readonly gdb: string;
  /** The guest's stdout. */
  readonly guest: string;
  /** The emulator's exit status (null when killed by a signal). */
  readonly status: number | null;
}

/** Runs `gdb -batch` with `commands` against `port`; resolves with its output. */
async function runGdb(elf: string, port: number, commands: readonly string[]): Promise<string> {
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  args.push(elf);
  const gdb = spawn(GDB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // stderr merged after stdout would reorder lines: both go to one string.
  let text = '';
  gdb.stdout.setEncoding('utf8').on('data', (c: string) => { text += c; });
  gdb.stderr.setEncoding('utf8').on('data', (c: string) => { text += c; });
  await new Promise<void>((resolve, reject) => { gdb.on('error', reject); gdb.on('close', () => resolve()); });
  return text;
}

/** The session against `faultline run --gdb 0 ELF [extra]`. */
export async function faultlineSession(elf: string, commands: readonly string[], extra: readonly string[] = []): Promise<SessionOutput> {
  const child = spawn(process.execPath, [CLI, 'run', '--gdb', '0', ...extra, elf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = collect(child);
  const port = await poll('faultline to listen', () => {
    const m = /gdb listening on 127\.0\.0\.1:(\d+)/.exec(c.stderr());
    return m === null ? null : Number(m[1]);
  });
  const gdb = await runGdb(elf, port, commands);
  if (child.exitCode === null) child.kill('SIGKILL');
  const end = await c.end;
  return { gdb, guest: end.stdout, status: end.status };
}

/** The session against `qemu-riscv32 -g PORT ELF`. */
export async function qemuSession(elf: string, commands: readonly string[]): Promise<SessionOutput> {
  // qemu-user inserts no hardware watchpoints: GDB's software ones (single-stepping) give the reference.
  commands = commands.some((c) => /^watch /.test(c)) ? ['set can-use-hw-watchpoints 0', ...commands] : commands;
  const port = await freePort();
  const child = spawn('/bin/sh', ['-c', `ulimit -c 0; exec ${QEMU} -g ${port} "$@"`, 'sh', elf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = collect(child);
  // qemu listens before it runs anything; retry the connection through gdb until it does.
  let gdb = '';
  for (let attempt = 0; attempt < 200; attempt++) {
    gdb = await runGdb(elf, port, commands);
    if (!/Connection refused/.test(gdb)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (child.exitCode === null) child.kill('SIGKILL');
  const end = await c.end;
  return { gdb, guest: end.stdout, status: end.status };
}

/** True for a number inside qemu's or faultline's stack area. */
function inStack(v: number): boolean {
  const u = v >>> 0;
  return (u >= 0x40700000 && u < 0x40900000) || (u >= 0xbf000000 && u <= 0xc0000000);
}

/**
 * The transcript with what must differ normalised (see the file comment),
 * and gdb's connection chatter dropped.
 *
 * @param text - gdb's output
 */
export function normalise(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^Remote debugging using|^warning: |^\[remote\]|Terminated via GDBstub|^Kill the program|^\[Inferior 1 \(process \d+\) killed\]/.test(line))
    .map((line) =>
      line
        .replace(/Thread \d+\.\d+( \([^)]*\))?/g, 'Thread <id>')
        .replace(/process \d+/g, 'process <pid>')
        .replace(/^Hardware watchpoint/, 'Watchpoint')
        .replace(/0x[0-9a-f]+/g, (h) => (inStack(parseInt(h, 16)) ? '<stack>' : h))
        .replace(/(?<![\w.<])-?\d{6,}\b/g, (d) => (inStack(Number(d)) ? '<stack>' : d)),
    )
    // info threads: another thread's frame arguments hold its own futex and tid; the column width follows the names.
    .map((line) => (/^[ *]\s+\d+\s+Thread <id>/.test(line) ? line.replace(/\([^()]*\)/g, '(...)') : line).replace(/[ \t]+/g, ' '))
    .join('\n')
    .trim();
}
