/**
 * Test helpers for the external tools: the Debian RISC-V cross toolchain
 * (`riscv64-unknown-elf-gcc`, `-readelf`, `-objdump`) and `qemu-riscv32`.
 *
 * Tests that need a tool are wrapped in {@link describeWithTools} /
 * {@link itWithTools}: when a tool is missing they are skipped with a
 * message naming it, unless `FAULTLINE_REQUIRE_TOOLS=1` (CI) is set, in
 * which case they fail.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, it } from 'vitest';

/** The cross compiler (also assembles `.S` files and links). */
export const GCC = 'riscv64-unknown-elf-gcc';
/** binutils readelf for the cross target. */
export const READELF = 'riscv64-unknown-elf-readelf';
/** binutils objdump for the cross target. */
export const OBJDUMP = 'riscv64-unknown-elf-objdump';
/** QEMU user-mode emulator for RV32 Linux programs. */
export const QEMU = 'qemu-riscv32';

/** Flags for guest programs, as docs/design.md §2 fixes them. */
export const RV32_FLAGS = ['-march=rv32ima', '-mabi=ilp32', '-static', '-nostdlib'] as const;

/** True when CI asks for tool-dependent tests to fail instead of skipping. */
export const REQUIRE_TOOLS = process.env['FAULTLINE_REQUIRE_TOOLS'] === '1';

const found = new Map<string, boolean>();

/** True when `name` runs (`name --version`, or `name -v` as nginx has it, exits 0); cached per process. */
export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = ['--version', '-v'].some((flag) => {
      const result = spawnSync(name, [flag], { stdio: 'ignore' });
      return result.error === undefined && result.status === 0;
    });
    found.set(name, ok);
  }
  return ok;
}

/** The names among `names` that are not installed. */
export function missingTools(names: readonly string[]): string[] {
  return names.filter((n) => !hasTool(n));
}

/** Throws, naming the tool, when `name` is not installed (for use inside a test body). */
export function requireTool(name: string): void {
  if (!hasTool(name)) throw new Error(`${name} is not installed (needed by this test; see README: Debian cross tools)`);
}

function asList(tools: string | readonly string[]): readonly string[] {
  return typeof tools === 'string' ? [tools] : tools;
}

/**
 * `describe(title, body)` when every tool is installed. Otherwise the
 * body is not run: the block is skipped with a test that names the
 * missing tools, or that fails when {@link REQUIRE_TOOLS} is set.
 */
export function describeWithTools(tools: string | readonly string[], title: string, body: () => void): void {
  const missing = missingTools(asList(tools));
  if (missing.length === 0) {
    describe(title, body);
  } else if (REQUIRE_TOOLS) {
    describe(title, () => {
      it(`needs ${missing.join(', ')}`, () => {
        throw new Error(`${missing.join(', ')} not found on PATH, and FAULTLINE_REQUIRE_TOOLS=1 forbids skipping`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${missing.join(', ')} not found on PATH)`, () => {
      it(`needs ${missing.join(', ')}`, () => {});
    });
  }
}

/** `it(title, fn)` gated on `tools` like {@link describeWithTools}. */
export function itWithTools(
  tools: string | readonly string[],
  title: string,
  fn: () => void | Promise<void>,
  timeout?: number,
): void {
  const missing = missingTools(asList(tools));
  if (missing.length === 0) {
    it(title, fn, timeout);
  } else if (REQUIRE_TOOLS) {
    it(title, () => {
      throw new Error(`${missing.join(', ')} not found on PATH, and FAULTLINE_REQUIRE_TOOLS=1 forbids skipping`);
    });
  } else {
    it.skip(`${title} (skipped: ${missing.join(', ')} not found on PATH)`, fn);
  }
}

/** Runs `tool args`, returning stdout; throws with stderr on a non-zero exit. */
export function runTool(tool: string, args: readonly string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; status?: number };
    throw new Error(`${tool} ${args.join(' ')} failed (status ${e.status}): ${e.stderr ?? String(err)}`);
  }
}

/**
 * Builds an RV32IMA static executable from C/assembly `sources` with
 * {@link RV32_FLAGS} plus `extra` flags; throws with gcc's messages.
 */
export function compileRv32(sources: readonly string[], output: string, extra: readonly string[] = []): void {
  runTool(GCC, [...RV32_FLAGS, ...extra, '-o', output, ...sources]);
}

/**
 * Runs an RV32 program under qemu; returns its exit status (128 + signal
 * when killed) and output. Makes the file executable first: qemu-user
 * refuses, silently with status 1, files without an execute bit.
 */
export function runQemu(program: string, args: readonly string[] = []): { status: number; stdout: string; stderr: string } {
  chmodSync(program, 0o755);
  const result = spawnSync(QEMU, [program, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  const signal = result.signal ? (constants.signals[result.signal] ?? 0) : 0;
  return { status: result.status ?? 128 + signal, stdout: result.stdout, stderr: result.stderr };
}
