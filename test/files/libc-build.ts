/**
 * Building C programs against the guest C library (`include/libc` headers,
 * `include/faultline-libc.c`) and against picolibc (`include/picolibc`),
 * with the commands docs/c-programs.md gives, and running them under
 * qemu-riscv32 with stdin from a file — shared by the file corpus, the
 * real-program test and the printf property test.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GCC, RV32_FLAGS } from '../helpers/toolchain.js';
import { type GuestRun, runUnderQemu } from '../runtime/guest-build.js';

const execFileAsync = promisify(execFile);

/** The repository's `include/` directory. */
export const INCLUDE_DIR = fileURLToPath(new URL('../../include', import.meta.url));
/** The C library's headers (`-I include/libc`). */
export const LIBC_HEADERS = join(INCLUDE_DIR, 'libc');
/** The C library's one source file. */
export const LIBC_SOURCE = join(INCLUDE_DIR, 'faultline-libc.c');
/** The picolibc glue: start-up and system calls, and the linker script. */
export const PICOLIBC_GLUE = join(INCLUDE_DIR, 'picolibc', 'faultline-picolibc.c');
export const PICOLIBC_SCRIPT = join(INCLUDE_DIR, 'picolibc', 'faultline.ld');
/** Debian's picolibc for the cross compiler (its specs file). */
export const PICOLIBC_SPECS = '/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs';
/** A program of what picolibc programs need from the glue, and its expected stdout + "[exit N]". */
export const PICOLIBC_BASICS = fileURLToPath(new URL('./picolibc-basics.c', import.meta.url));
export const PICOLIBC_BASICS_EXPECTED = fileURLToPath(new URL('./picolibc-basics.expected', import.meta.url));
/** The Debian package that provides picolibc, named when it is missing. */
export const PICOLIBC_PACKAGE = 'picolibc-riscv64-unknown-elf';

async function gcc(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(GCC, args, { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`${GCC} ${args.join(' ')} failed:\n${e.stderr ?? String(err)}`);
  }
}

/**
 * Compiles `sources` with the C library into `output`: the documented
 * command (`-march=rv32ima -mabi=ilp32 -static -nostdlib -O2 -I
 * include/libc ... include/faultline-libc.c -lgcc`) plus warnings as
 * errors. Throws with gcc's messages.
 */
export function buildWithLibc(sources: readonly string[], output: string): Promise<void> {
  return gcc([...RV32_FLAGS, '-O2', '-Wall', '-Wextra', '-Werror', '-I', LIBC_HEADERS, '-o', output, ...sources, LIBC_SOURCE, '-lgcc']);
}

/**
 * Compiles `sources` against Debian's picolibc with faultline's glue: the
 * documented command (`--specs=picolibc.specs -march=rv32ima -mabi=ilp32
 * -static -nostartfiles -O2 -T include/picolibc/faultline.ld ...
 * include/picolibc/faultline-picolibc.c`) plus warnings as errors.
 */
export function buildWithPicolibc(sources: readonly string[], output: string): Promise<void> {
  return gcc([
    `--specs=${PICOLIBC_SPECS}`, '-march=rv32ima', '-mabi=ilp32', '-static', '-nostartfiles', '-O2',
    '-Wall', '-Wextra', '-Werror', '-T', PICOLIBC_SCRIPT, '-o', output, ...sources, PICOLIBC_GLUE,
  ]);
}

/** Runs the RV32 ELF `path` under qemu-riscv32 with `args` in `cwd`, stdin read from the file `stdinFile` (runUnderQemu). */
export function runUnderQemuWithStdin(path: string, args: readonly string[], cwd: string, stdinFile: string, hangLimitMs = 120_000): Promise<GuestRun> {
  return runUnderQemu(path, args, cwd, hangLimitMs, stdinFile);
}
