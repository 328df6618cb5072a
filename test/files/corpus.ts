/**
 * The file corpus (`programs/*.c`): C programs built with the guest C
 * library that use files, directories and pipes in the scratch directory
 * given as argv[1]. A run's result is its stdout, its exit status and the
 * directory tree it leaves (names, sizes, content hashes); `NAME.expected`
 * holds it as
 *
 *     <stdout>[exit N]
 *     [tree]
 *     d sub
 *     f sub/file.txt 12 0123456789abcdef
 *
 * corpus.test.ts checks the files against qemu-riscv32;
 * corpus-faultline.test.ts runs the same ELFs through `faultline run`.
 */

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pool } from '../runtime/guest-build.js';
import { buildWithLibc } from './libc-build.js';

/** Where the corpus programs and their expected results live. */
export const FILES_CORPUS_DIR = fileURLToPath(new URL('./programs', import.meta.url));
/** What every corpus program reads as stdin. */
export const STDIN_FIXTURE = fileURLToPath(new URL('./fixtures/stdin.txt', import.meta.url));

/** Everything a run is judged by. */
export interface FileRun {
  readonly stdout: string;
  readonly status: number;
  /** One line per entry under the scratch directory, sorted (see {@link snapshotTree}). */
  readonly tree: readonly string[];
}

/** Names of the corpus programs (`NAME.c`), sorted. */
export function filePrograms(): string[] {
  return readdirSync(FILES_CORPUS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => basename(f, '.c'))
    .sort();
}

/** Names that have an expected-result file. */
export function fileExpectations(): string[] {
  return readdirSync(FILES_CORPUS_DIR)
    .filter((f) => f.endsWith('.expected'))
    .map((f) => basename(f, '.expected'))
    .sort();
}

/**
 * The tree under `root`: `d PATH` for a directory, `f PATH SIZE HASH` for
 * a file (HASH: the first 16 hex digits of its SHA-256), `o PATH` for
 * anything else; paths relative to root with '/', sorted.
 */
export function snapshotTree(root: string): string[] {
  const lines: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined) {
        lines.push(`o ${rel}`);
      } else if (st.isDirectory()) {
        lines.push(`d ${rel}`);
        walk(path, rel);
      } else if (st.isFile()) {
        const hash = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
        lines.push(`f ${rel} ${st.size} ${hash}`);
      } else {
        lines.push(`o ${rel}`);
      }
    }
  };
  walk(root, '');
  return lines.sort();
}

/** A run as expected-result files hold it. */
export function formatFileRun(run: FileRun): string {
  return `${run.stdout}[exit ${run.status}]\n[tree]\n${run.tree.map((l) => `${l}\n`).join('')}`;
}

/** Parses an expected-result file; throws naming the file when it is malformed. */
export function parseFileRun(text: string, file: string): FileRun {
  const m = /^([\s\S]*?)\[exit (\d+)\]\n\[tree\]\n([\s\S]*)$/.exec(text);
  if (m === null) throw new Error(`${file}: expected "<stdout>[exit N]\\n[tree]\\n<entries>"`);
  const tree = (m[3] ?? '').split('\n').filter((l) => l !== '');
  return { stdout: m[1] ?? '', status: Number(m[2]), tree };
}

/** The expected result of program `name`. */
export function readFileExpectation(name: string): FileRun {
  const file = join(FILES_CORPUS_DIR, `${name}.expected`);
  return parseFileRun(readFileSync(file, 'utf8'), file);
}

/** Builds every corpus program with the C library into `dir` (two at a time); name -> ELF path. */
export async function buildFileCorpus(dir: string): Promise<Map<string, string>> {
  const names = filePrograms();
  await pool(names, 2, (name) => buildWithLibc([join(FILES_CORPUS_DIR, `${name}.c`)], join(dir, name)));
  return new Map(names.map((name) => [name, join(dir, name)]));
}
