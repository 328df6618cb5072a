/**
 * Building C guests with the shipped runtime (`include/faultline-rt.c`) and
 * running them under qemu-riscv32 — shared by the runtime tests and the
 * threaded corpus (test/threads).
 */

import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GCC, QEMU, RV32_FLAGS } from '../helpers/toolchain.js';

const execFileAsync = promisify(execFile);

/** The repository's `include/` directory (headers and the runtime). */
export const INCLUDE_DIR = fileURLToPath(new URL('../../include', import.meta.url));
/** The runtime's one source file. */
export const RUNTIME_SOURCE = join(INCLUDE_DIR, 'faultline-rt.c');

/** Stdout and exit status of a guest run (128 + signal when it died of one). */
export interface GuestRun {
  readonly stdout: string;
  readonly status: number;
}

/**
 * Compiles `sources` with the runtime into `output`, with the flags the
 * documentation gives (`-march=rv32ima -mabi=ilp32 -static -nostdlib -O2
 * -I include ... include/faultline-rt.c -lgcc`) plus warnings as errors.
 * Throws with gcc's messages.
 */
export async function buildWithRuntime(sources: readonly string[], output: string): Promise<void> {
  const args = [...RV32_FLAGS, '-O2', '-Wall', '-Wextra', '-Werror', '-I', INCLUDE_DIR, '-o', output, ...sources, RUNTIME_SOURCE, '-lgcc'];
  try {
    await execFileAsync(GCC, args, { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`${GCC} ${args.join(' ')} failed:\n${e.stderr ?? String(err)}`);
  }
}

/**
 * Runs the RV32 ELF `path` under qemu-riscv32 with `args`, in `cwd`, without
 * core files, stdin read from the file `stdinFile` (else none). A run that
 * has not ended after `hangLimitMs` (a bound for a hung guest, far above
 * any normal run) is killed and reported as a hang.
 */
export function runUnderQemu(path: string, args: readonly string[], cwd: string, hangLimitMs = 120_000, stdinFile?: string): Promise<GuestRun> {
  return new Promise<GuestRun>((resolve, reject) => {
    const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
    // ulimit -c 0: a guest that dies of a signal would otherwise leave a core file behind.
    const child = spawn('/bin/sh', ['-c', `ulimit -c 0; exec ${QEMU} "$@"`, 'sh', path, ...args], {
      cwd,
      stdio: [stdin, 'pipe', 'ignore'],
    });
    if (typeof stdin === 'number') closeSync(stdin);
    const chunks: Buffer[] = [];
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, hangLimitMs);
    // stdout is 'pipe' above, so it is never null
    (child.stdout as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(chunks).toString('utf8');
      if (hung) {
        reject(new Error(`${QEMU} ${path} was still running after ${hangLimitMs / 1000} s (a hung guest?); output so far:\n${stdout}`));
        return;
      }
      const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      resolve({ stdout, status });
    });
  });
}

/** Runs `fn` over `items` with at most `limit` in flight; results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Parses an expected-output file: the program's stdout, then a last line
 * `[exit N]` with its exit status.
 */
export function parseExpected(text: string, file: string): GuestRun {
  const m = /^([\s\S]*?)\[exit (\d+)\]\n?$/.exec(text);
  if (m === null) throw new Error(`${file}: the last line must be "[exit N]" (the expected exit status)`);
  return { stdout: m[1] ?? '', status: Number(m[2]) };
}

/** Formats a run the way expected-output files are written. */
export function formatRun(run: GuestRun): string {
  return `${run.stdout}[exit ${run.status}]\n`;
}
