/**
 * A session with the archiver examples/guest/flz.c, shared by
 * real-program.test.ts (qemu-riscv32) and real-program-faultline.test.ts:
 * deterministic inputs in a scratch directory, then pack (with stdin as
 * one member), list, test, unpack, test a damaged copy, and a usage error.
 * The transcript (each step's stdout and status) and the tree the session
 * leaves are what two builds or two machines must agree on.
 */

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuestRun } from '../runtime/guest-build.js';
import { STDIN_FIXTURE, snapshotTree } from './corpus.js';

/** The archiver's source. */
export const FLZ_SOURCE = fileURLToPath(new URL('../../examples/guest/flz.c', import.meta.url));

/** Runs the program with `args` and stdin from `stdinFile`. */
export type GuestRunner = (args: readonly string[], stdinFile: string) => Promise<GuestRun>;

/** What a session produced. */
export interface Session {
  /** "$ flz ARGS\n<stdout>[exit N]\n" per step. */
  readonly transcript: string;
  /** The scratch directory's tree afterwards (see snapshotTree). */
  readonly tree: readonly string[];
}

/** The input files: name -> contents. Compressible text, incompressible bytes, an empty file. */
export function sessionInputs(): Map<string, Uint8Array> {
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const words = ['fault', 'handler', 'page', 'chain', 'guest', 'machine', 'handle', 'checkpoint', 'restore', 'the', 'a', 'of'];
  const lines: string[] = [];
  for (let i = 0; i < 900; i++) {
    const n = 3 + (next() % 9);
    lines.push(Array.from({ length: n }, () => words[next() % words.length]).join(' '));
  }
  const random = new Uint8Array(20_000);
  for (let i = 0; i < random.length; i++) random[i] = next() & 0xff;
  return new Map<string, Uint8Array>([
    ['text.txt', new TextEncoder().encode(lines.join('\n') + '\n')],
    ['random.bin', random],
    ['empty.dat', new Uint8Array(0)],
  ]);
}

/**
 * Runs the session in `scratch` (emptied first) with `run`; returns the
 * transcript and the resulting tree.
 */
export async function runSession(scratch: string, run: GuestRunner): Promise<Session> {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const [name, data] of sessionInputs()) writeFileSync(join(scratch, name), data);
  const archive = join(scratch, 'all.flz');
  const damaged = join(scratch, 'damaged.flz');
  let transcript = '';
  const step = async (args: string[]): Promise<void> => {
    const r = await run(args, STDIN_FIXTURE);
    transcript += `$ flz ${args.map((a) => a.replace(scratch, 'SCRATCH')).join(' ')}\n${r.stdout}[exit ${r.status}]\n`;
  };
  await step(['c', archive, ...[...sessionInputs().keys()].map((n) => join(scratch, n)), '-']);
  await step(['l', archive]);
  await step(['t', archive]);
  await step(['x', archive, join(scratch, 'out-')]);
  copyFileSync(archive, damaged);
  const bytes = readFileSync(damaged);
  bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0x55; // inside the last member's data
  writeFileSync(damaged, bytes);
  await step(['t', damaged]);
  await step(['q', archive]);
  return { transcript, tree: snapshotTree(scratch) };
}
