import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built command line (test/global-setup.ts builds it). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Result of one `faultline` invocation. */
export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `faultline ...args` in `cwd` and waits for it. */
export function faultline(args: readonly string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}
