/**
 * Every command and every piece of
 * TypeScript that README.md and the guides in docs/ show works as shown.
 *
 * The rules, for whoever writes a guide:
 *
 * - A ```ts block is a complete ES module importing from `faultline` (or
 *   `faultline/handlers`). All of them are type-checked together (strict)
 *   against the built package, then each is run with node.
 * - A ```sh block is run with `sh -e`, one block after the other, in a
 *   working directory per document that looks like a fresh clone: copies of
 *   `include/` and `examples/`, and `faultline` on PATH (the built CLI).
 * - A ```text block right after a ts or sh block is that block's expected
 *   standard output (compared after trimming trailing spaces).
 * - Markers in HTML comments before a block, `<!-- snippet: ... -->`:
 *   `skip` (not run: installing, synopses, the long benchmark);
 *   `file NAME` (write the block into NAME in the working directory, e.g. a
 *   C or assembly source a later shell block builds); `exit N` (the block
 *   must exit with status N instead of 0); `needs TOOL` (run only when TOOL
 *   is installed; skipped otherwise, failing under FAULTLINE_REQUIRE_TOOLS=1).
 * - Blocks of other languages (c, asm, text, console) are not run.
 * - A shell block that installs or runs the whole suite (npm install/ci/test,
 *   npm run bench, apt-get, git clone, sudo) must carry `skip`: the test
 *   refuses to run it and fails instead, so a missing marker can never
 *   touch the checkout's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_TOOLS, hasTool } from '../helpers/toolchain.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** The documents whose snippets are checked. */
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

interface Block {
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly body: string;
  readonly markers: readonly string[];
  /** Expected stdout, from a ```text block right after this one. */
  readonly expected: string | undefined;
}

/** Splits a Markdown document into fenced blocks with their markers. */
function extractBlocks(doc: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let markers: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    const marker = /^<!--\s*snippet:\s*(.*?)\s*-->\s*$/.exec(line);
    if (marker !== null) { markers.push(marker[1]!); continue; }
    const fence = /^(\s*)(```+)\s*([\w-]*)/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') markers = [];
      continue;
    }
    const [, indent, ticks, lang] = fence;
    const body: string[] = [];
    const start = k;
    for (k++; k < lines.length && !lines[k]!.startsWith(indent! + ticks!); k++) body.push(lines[k]!.slice(indent!.length));
    const block = { doc, line: start + 1, lang: lang!, body: body.join('\n') + '\n', markers, expected: undefined as string | undefined };
    markers = [];
    if (lang === 'text' && blocks.length > 0) {
      const previous = blocks[blocks.length - 1]!;
      if (previous.expected === undefined && (previous.lang === 'ts' || previous.lang === 'sh') && isRightAfter(lines, previous, start)) {
        blocks[blocks.length - 1] = { ...previous, expected: block.body };
        continue;
      }
    }
    blocks.push(block);
  }
  return blocks;
}

/** True when only blank lines separate the block ending before `start` from it. */
function isRightAfter(lines: readonly string[], previous: Block, start: number): boolean {
  let k = start - 1;
  while (k >= 0 && lines[k]!.trim() === '') k--;
  const closing = previous.line - 1 + previous.body.split('\n').length;
  return k === closing;
}

function markerValue(block: Block, name: string): string | undefined {
  for (const m of block.markers) {
    const [key, ...rest] = m.split(/\s+/);
    if (key === name) return rest.join(' ');
  }
  return undefined;
}

/** Commands a snippet must never run from the test (they install, or recurse into the suite). */
const UNSAFE = /\b(npm\s+(install|i|ci|test|run\s+(bench|docs|test))|npx\s+vitest|apt(-get)?|git\s+clone|sudo)\b/;

function snippetName(block: Block): string {
  return `${block.doc.replace(/[^A-Za-z0-9]+/g, '-')}-L${block.line}`;
}

function normalise(text: string): string {
  return text.split('\n').map((l) => l.trimEnd()).join('\n').trim();
}

const all = DOCUMENTS.map((doc) => ({ doc, blocks: extractBlocks(doc, readFileSync(join(ROOT, doc), 'utf8')) }));

let root = '';
let tsErrors = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'faultline-snippets-'));
  // node_modules/faultline -> the repository (built by test/global-setup.ts)
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(ROOT, join(root, 'node_modules', 'faultline'), 'dir');
  // bin/faultline -> the built command line
  mkdirSync(join(root, 'bin'));
  const wrapper = join(root, 'bin', 'faultline');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  // every TypeScript snippet, checked in one compiler run
  const ts = join(root, 'ts');
  mkdirSync(ts);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(join(ts, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
      strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], noEmitOnError: false, rootDir: '.', outDir: 'js',
    },
    include: ['*.ts'],
  }));
  let count = 0;
  for (const { blocks } of all) {
    for (const b of blocks) {
      if (b.lang !== 'ts' || markerValue(b, 'skip') !== undefined || markerValue(b, 'file') !== undefined) continue;
      writeFileSync(join(ts, `${snippetName(b)}.ts`), b.body);
      count++;
    }
  }
  if (count > 0) {
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: ts, encoding: 'utf8', timeout: 120_000 });
    tsErrors = r.status === 0 ? '' : r.stdout + r.stderr;
  }
});

afterAll(() => {
  if (root === '') return;
  // Remove the link into the repository first, so that nothing can ever
  // delete through it.
  unlinkSync(join(root, 'node_modules', 'faultline'));
  rmSync(root, { recursive: true, force: true });
});

/** Runs one block in `cwd`; returns its status and output. */
function runBlock(block: Block, cwd: string): { status: number; stdout: string; stderr: string } {
  const env = { ...process.env, PATH: `${join(root, 'bin')}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };
  const r = block.lang === 'ts'
    ? spawnSync(process.execPath, [join(root, 'ts', 'js', `${snippetName(block)}.js`)], { cwd, encoding: 'utf8', env, timeout: 60_000 })
    : spawnSync('sh', ['-e', '-c', block.body], { cwd, encoding: 'utf8', env, timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

describe('documentation snippets run as shown', () => {
  it('finds snippets to check', () => {
    expect(all.reduce((n, d) => n + d.blocks.filter((b) => b.lang === 'ts' || b.lang === 'sh').length, 0)).toBeGreaterThan(10);
  });

  for (const { doc, blocks } of all) {
    const runnable = blocks.filter((b) => (b.lang === 'ts' || b.lang === 'sh' || markerValue(b, 'file') !== undefined) && markerValue(b, 'skip') === undefined);
    if (runnable.length === 0) continue;
    it(doc, () => {
      const ownErrors = tsErrors.split('\n').filter((l) => l.startsWith(doc.replace(/[^A-Za-z0-9]+/g, '-') + '-L'));
      expect(ownErrors, `type errors in the TypeScript snippets of ${doc}`).toEqual([]);
      const cwd = join(root, 'work', basename(doc, '.md'));
      mkdirSync(cwd, { recursive: true });
      cpSync(join(ROOT, 'include'), join(cwd, 'include'), { recursive: true });
      cpSync(join(ROOT, 'examples'), join(cwd, 'examples'), { recursive: true });
      for (const block of runnable) {
        const where = `${doc}:${block.line}`;
        const file = markerValue(block, 'file');
        if (file !== undefined) { writeFileSync(join(cwd, file), block.body); continue; }
        const tool = markerValue(block, 'needs');
        if (tool !== undefined && !hasTool(tool)) {
          if (REQUIRE_TOOLS) throw new Error(`${where}: needs ${tool}, which is not installed`);
          console.warn(`${where}: skipped, ${tool} is not installed`);
          continue;
        }
        if (block.lang === 'sh' && UNSAFE.test(block.body)) {
          throw new Error(`${where}: this shell block installs or runs the suite; put <!-- snippet: skip --> before it`);
        }
        const result = runBlock(block, cwd);
        const status = Number(markerValue(block, 'exit') ?? '0');
        expect(result.status, `${where} exited ${result.status}\n${result.stderr}`).toBe(status);
        if (block.expected !== undefined) expect(normalise(result.stdout), `${where}: output`).toBe(normalise(block.expected));
      }
    });
  }
});
