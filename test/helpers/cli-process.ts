/**
 * A `faultline` child process the test watches while it runs: collects
 * its output, and lets the test wait for a condition (an image on disk,
 * some output) by polling — never for a fixed time — before it sends a
 * signal.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { CLI } from './cli.js';

/** How a child ended. */
export interface ChildEnd {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `faultline` process. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** True once the process has ended. */
  ended(): boolean;
  /** Resolves when the process has ended and its output is complete. */
  readonly end: Promise<ChildEnd>;
}

/** Starts `faultline ...args` in `cwd`. */
export function startFaultline(args: readonly string[], cwd: string): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd });
  let out = '', err = '', done = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const end = new Promise<ChildEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => { done = true; resolve({ status, signal, stdout: out, stderr: err }); });
  });
  return { child, stdout: () => out, stderr: () => err, ended: () => done, end };
}

/**
 * Polls `condition` every 10 ms until it holds; rejects after `limitMs`
 * (generous: this bounds a broken test, it is not a timing assumption)
 * or as soon as `running` has ended without the condition holding.
 */
export async function waitUntil(what: string, condition: () => boolean, running?: RunningCli, limitMs = 90_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (condition()) return;
    if (running?.ended() === true) {
      if (condition()) return;
      throw new Error(`the process ended before ${what}; stderr: ${running.stderr()}`);
    }
    if (Date.now() - start > limitMs) throw new Error(`still waiting for ${what} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Image files (NNNNNNNN.ckpt) in `dir`, sorted; none when it does not exist yet. */
export function imageNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^\d{8,15}\.ckpt$/.test(n)).sort((a, b) => Number(a.slice(0, -5)) - Number(b.slice(0, -5)));
  } catch {
    return [];
  }
}
