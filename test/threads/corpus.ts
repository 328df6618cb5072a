/**
 * The threaded C corpus (`programs/*.c`): Linux thread programs that print
 * only interleaving-independent results, each with `NAME.expected` (its
 * stdout, then `[exit N]`). corpus.test.ts validates it against
 * qemu-riscv32; a faultline run of the same ELFs must give the same.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWithRuntime, parseExpected, pool, type GuestRun } from '../runtime/guest-build.js';

/** Where the corpus programs and their expected outputs live. */
export const CORPUS_DIR = fileURLToPath(new URL('./programs', import.meta.url));

/** Names of the corpus programs (`NAME.c`), sorted. */
export function corpusPrograms(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => basename(f, '.c'))
    .sort();
}

/** Names that have an expected-output file. */
export function expectedFiles(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.expected'))
    .map((f) => basename(f, '.expected'))
    .sort();
}

/** The expected stdout and exit status of program `name`. */
export function readExpected(name: string): GuestRun {
  const file = join(CORPUS_DIR, `${name}.expected`);
  return parseExpected(readFileSync(file, 'utf8'), file);
}

/**
 * Builds every corpus program with the shipped runtime into `dir` (two
 * compilers at a time); returns name -> ELF path.
 */
export async function buildCorpus(dir: string): Promise<Map<string, string>> {
  const names = corpusPrograms();
  await pool(names, 2, (name) => buildWithRuntime([join(CORPUS_DIR, `${name}.c`)], join(dir, name)));
  return new Map(names.map((name) => [name, join(dir, name)]));
}
