/**
 * Build step: writes `dist/cli/faultline.js`, the command line as one file
 * (the package's `bin`). `npm run build` runs it after `tsc`:
 *
 *   node dist/tools/bundle-cli.js
 *
 * Why: Node loads an ES module graph file by file — resolve, stat, read,
 * compile, link — and `faultline run` needs about 100 modules; then V8
 * compiles every function the run calls. Measured on `exit0.elf`, that was
 * ≈ 140 ms on top of Node's own start (docs/performance.md, start-up);
 * one file with a code cache takes ≈ 45 in all.
 *
 * How: every module reachable from dist/cli/main.js (static and dynamic
 * imports) is rewritten to CommonJS by the TypeScript compiler's
 * `transpileModule` and wrapped in a function of a module table. A module
 * runs when first required, in the order its importers name it, as in the
 * ES module graph; a dynamic `import()` stays lazy. Node's built-in
 * modules and packages (eventemitter3) come from Node's own `require`;
 * `import.meta.url` is the URL the module has in dist/, so paths relative
 * to it (package.json) resolve as before.
 *
 * The table and its loader are one script, kept in a comment at the end
 * of the file and compiled with `vm.Script` together with a V8 code cache
 * of it: the build runs the fresh bundle once on a small program (with
 * FAULTLINE_CODE_CACHE_OUT naming where the bundle writes its cache at
 * exit) and embeds the cache, so a run deserializes the functions that
 * start-up needs instead of parsing and compiling them. V8 checks the
 * cache against its version, its flags and the source's length and
 * ignores it when they differ (another Node version): the bundle then
 * compiles as usual. Script and cache live in the one file, written
 * together, so they cannot get out of step.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type TypeScript from 'typescript';
import { assemble } from '../src/asm/assemble.js';
import { writeElf } from '../src/loader/elf-writer.js';

/** The bundle's entry, relative to dist/. */
const ENTRY = 'cli/main.js';

/** What {@link bundleCli} wrote. */
export interface BundleReport {
  /** Path of the bundle. */
  readonly file: string;
  /** Modules it holds. */
  readonly modules: number;
  /** Its size in bytes. */
  readonly bytes: number;
  /** Bytes of the V8 code cache it holds (0: none could be made). */
  readonly cacheBytes: number;
}

/** Relative specifiers of the static imports, re-exports and dynamic `import()`s in `source`. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(pattern)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

/** Every module reachable from `entry` (paths relative to `dist`, `/`-separated), entry first, with its source. */
function collectModules(dist: string, entry: string): Map<string, string> {
  const modules = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (modules.has(id)) continue;
    const source = readFileSync(join(dist, id), 'utf8').replace(/^#!.*\n/, '');
    modules.set(id, source);
    for (const spec of relativeImports(source)) {
      const target = posix.normalize(posix.join(posix.dirname(id), spec));
      if (target.startsWith('../')) throw new Error(`bundle-cli: ${id} imports ${spec}, outside dist/`);
      if (!modules.has(target)) queue.push(target);
    }
  }
  return modules;
}

/** The TypeScript compiler, loaded when a module is to be rewritten (it takes a second). */
let typescript: typeof TypeScript | null = null;

/** One module as CommonJS, `import.meta.url` replaced by the wrapper's parameter. */
function toCommonJs(id: string, source: string): string {
  const ts = typescript ??= createRequire(import.meta.url)('typescript') as typeof TypeScript;
  const replaced = source.replace(/\bimport\.meta\.url\b/g, '__moduleUrl');
  if (/\bimport\.meta\b/.test(replaced)) throw new Error(`bundle-cli: ${id} uses import.meta beyond import.meta.url`);
  const out = ts.transpileModule(replaced, {
    fileName: id,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      removeComments: true,
      allowJs: true,
    },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(`bundle-cli: ${id}: ${ts.flattenDiagnosticMessageText(errors[0]!.messageText, '\n')}`);
  return out.outputText;
}

/**
 * The script: a function of Node's `require` (for built-in modules and
 * packages) and the URL of dist/ that runs the entry. Each module's
 * `require` resolves relative ids in the table.
 */
function tableScript(modules: ReadonlyMap<string, string>): string {
  const parts = ["'use strict';\n(function (__nodeRequire, __distUrl) {\nconst __modules = {\n"];
  for (const [id, source] of modules) {
    parts.push(`${JSON.stringify(id)}: function (exports, require, module, __moduleUrl) {\n${toCommonJs(id, source)}},\n`);
  }
  parts.push(`};
const __loaded = new Map();
function __load(id) {
  let m = __loaded.get(id);
  if (m !== undefined) return m.exports;
  const body = __modules[id];
  if (body === undefined) throw new Error('faultline bundle: no module ' + id);
  m = { exports: {} };
  __loaded.set(id, m);
  body.call(undefined, m.exports, (spec) => __require(id, spec), m, new URL(id, __distUrl).href);
  return m.exports;
}
function __require(from, spec) {
  if (spec[0] !== '.') return __nodeRequire(spec);
  const parts = from.split('/');
  parts.pop();
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return __load(parts.join('/'));
}
__load(${JSON.stringify(ENTRY)});
})`);
  return parts.join('');
}

/** Marks the script's start and end in the bundle file, and the cache's. */
const MARK = { script: '\n/*<faultline-script>\n', cache: '\n<faultline-code-cache>\n', end: '\n</faultline-bundle>*/\n' };

/**
 * The bundle file: a small ES module that reads its own file, compiles the
 * script held in the comment at its end with the code cache next to it
 * (base64, may be empty) and runs it. In a comment, not a string literal:
 * V8 skips a comment faster than it scans a 1.5 MB literal (≈ 15 ms).
 */
function bundleFile(script: string, cache: string, toDist: string, modules: number, key: string): string {
  // A '*/' in the script (regular expressions, strings) would end the comment: it is stored as '*' NUL '/'.
  // Characters beyond ASCII become \u escapes, so that the file reads as latin1 (twice as fast as UTF-8).
  if (script.includes('\0')) throw new Error('bundle-cli: the script holds a NUL character');
  const stored = script.replaceAll('*/', '*\0/').replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `#!/usr/bin/env node
// The faultline command line in one file (${modules} modules of dist/ and a V8 code cache), written by tools/bundle-cli.ts: do not edit. Inputs ${key}.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
const file = fileURLToPath(import.meta.url);
const text = readFileSync(file, 'latin1');
const at = text.lastIndexOf(${JSON.stringify(MARK.script)}), cacheAt = text.lastIndexOf(${JSON.stringify(MARK.cache)});
const cache = text.slice(cacheAt + ${MARK.cache.length}, text.lastIndexOf(${JSON.stringify(MARK.end)}));
const script = new Script(text.slice(at + ${MARK.script.length}, cacheAt).replaceAll('*\\0/', '*/'), { filename: file, ...(cache === '' ? {} : { cachedData: Buffer.from(cache, 'base64') }) });
const cacheOut = process.env.FAULTLINE_CODE_CACHE_OUT;
if (cacheOut !== undefined) process.once('exit', () => writeFileSync(cacheOut, script.createCachedData()));
script.runInThisContext()(createRequire(import.meta.url), new URL(${JSON.stringify(toDist === '' ? './' : toDist)}, import.meta.url));
${MARK.script}${stored}${MARK.cache}${cache}${MARK.end}`;
}

/**
 * Runs the bundle at `file` once on a small program that writes a line and
 * exits, and returns the code cache it wrote at exit (base64).
 *
 * @throws Error when the run fails: a bundle that cannot run a program is not shipped.
 */
function trainCodeCache(file: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bundle-'));
  try {
    const program = join(dir, 'hello.elf');
    writeFileSync(program, writeElf(assemble('li a0, 1\n la a1, msg\n li a2, 3\n li a7, 64\n ecall\n li a0, 0\n li a7, 93\n ecall\n .data\nmsg: .ascii "ok\\n"\n')));
    const cache = join(dir, 'cache');
    const r = spawnSync(process.execPath, [file, 'run', program], { env: { ...process.env, FAULTLINE_CODE_CACHE_OUT: cache }, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0 || r.stdout !== 'ok\n') throw new Error(`bundle-cli: the bundle failed its first run (status ${String(r.status)}): ${r.stderr}`);
    return readFileSync(cache).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the bundle of dist/cli/main.js to `outFile` (default
 * dist/cli/faultline.js, which must lie inside `dist`), with a code cache
 * made by running it once.
 *
 * @param dist - the tsc output directory
 * @param outFile - where the bundle goes
 * @throws Error when a module cannot be read or transpiled, imports outside `dist`, or the bundle fails its first run.
 * @example
 * ```ts
 * const { modules, bytes } = bundleCli('dist');
 * ```
 */
export function bundleCli(dist: string, outFile = join(dist, 'cli', 'faultline.js')): BundleReport {
  const root = resolve(dist);
  const modules = collectModules(root, ENTRY);
  const toDist = relative(dirname(resolve(outFile)), root).split(/[\\/]/).filter((p) => p !== '').map((p) => `${p}/`).join('');
  // Everything the file depends on: the modules, this build step, the Node (V8) version of the cache.
  const hash = createHash('sha256').update(`${process.version} ${process.arch} ${toDist}\n`).update(readFileSync(fileURLToPath(import.meta.url)));
  for (const [id, source] of modules) hash.update(`\0${id}\0`).update(source);
  const key = hash.digest('hex').slice(0, 32);
  if (existsSync(outFile)) {
    // Unchanged inputs (tsc rewrites every file of dist/, mostly the same): keep the file, skip the seconds of rewriting and training.
    const text = readFileSync(outFile, 'latin1');
    if (text.slice(0, 400).includes(` Inputs ${key}.`)) {
      const cache = /\n<faultline-code-cache>\n([A-Za-z0-9+/=]*)\n/.exec(text)?.[1] ?? '';
      return { file: outFile, modules: modules.size, bytes: text.length, cacheBytes: Buffer.from(cache, 'base64').length };
    }
  }
  const script = tableScript(modules);
  // Written next to the result (same directory: same module resolution), renamed into place.
  const temporary = `${outFile}.${process.pid}.tmp.js`;
  try {
    writeFileSync(temporary, bundleFile(script, '', toDist, modules.size, key));
    const cache = trainCodeCache(temporary);
    const text = bundleFile(script, cache, toDist, modules.size, key);
    writeFileSync(temporary, text, { mode: 0o755 });
    renameSync(temporary, outFile);
    return { file: outFile, modules: modules.size, bytes: Buffer.byteLength(text), cacheBytes: Buffer.from(cache, 'base64').length };
  } finally {
    rmSync(temporary, { force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const report = bundleCli(dist);
  console.log(`bundle-cli: ${relative(process.cwd(), report.file)}: ${report.modules} modules, ${report.bytes} bytes (code cache ${report.cacheBytes})`);
}
