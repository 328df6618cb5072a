/**
 * Build step: writes `dist/cli/faultline.js`, the command line as one file
 * (the package's `bin`). `npm run build` runs it after `tsc`:
 *
 *   node dist/tools/bundle-cli.js
 *
 * Why: Node loads an ES module graph file by file — resolve, stat, read,
 * compile, link — and `faultline run` needs about 100 modules. One file is
 * read and compiled once (function bodies lazily), which cuts faultline's
 * own share of start-up by well over half (docs/performance.md, start-up).
 *
 * How: every module reachable from dist/cli/main.js (static and dynamic
 * imports) is rewritten to CommonJS by the TypeScript compiler's
 * `transpileModule` and wrapped in a function of a small module table.
 * A module runs when first required, in the order its importers name it,
 * as in the ES module graph; a dynamic `import()` stays lazy. Node's
 * built-in modules and packages (eventemitter3) come from Node's own
 * `require`. `import.meta.url` is the URL the module has in dist/, so
 * paths relative to it (package.json) resolve as before.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

/** One module as CommonJS, `import.meta.url` replaced by the wrapper's parameter. */
function toCommonJs(id: string, source: string): string {
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

/** The module table's loader, after the table: `require` resolves relative ids in it, anything else through Node. */
const LOADER = `
const __nodeRequire = __createRequire(import.meta.url);
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
`;

/**
 * Writes the bundle of dist/cli/main.js to `outFile` (default
 * dist/cli/faultline.js), which must lie inside `dist`.
 *
 * @param dist - the tsc output directory
 * @param outFile - where the bundle goes
 * @throws Error when a module cannot be read or transpiled, or imports outside `dist`.
 * @example
 * ```ts
 * const { modules, bytes } = bundleCli('dist');
 * ```
 */
export function bundleCli(dist: string, outFile = join(dist, 'cli', 'faultline.js')): BundleReport {
  const root = resolve(dist);
  const modules = collectModules(root, ENTRY);
  const toDist = relative(dirname(resolve(outFile)), root).split(/[\\/]/).filter((p) => p !== '').map((p) => `${p}/`).join('');
  const parts = [
    '#!/usr/bin/env node\n',
    `// The faultline command line in one file (${modules.size} modules of dist/), written by tools/bundle-cli.ts: do not edit.\n`,
    "import { createRequire as __createRequire } from 'node:module';\n",
    `const __distUrl = new URL(${JSON.stringify(toDist === '' ? './' : toDist)}, import.meta.url);\n`,
    'const __modules = {\n',
  ];
  for (const [id, source] of modules) {
    parts.push(`${JSON.stringify(id)}: function (exports, require, module, __moduleUrl) {\n${toCommonJs(id, source)}},\n`);
  }
  parts.push('};\n', LOADER, `__load(${JSON.stringify(ENTRY)});\n`);
  const text = parts.join('');
  writeFileSync(outFile, text, { mode: 0o755 });
  return { file: outFile, modules: modules.size, bytes: Buffer.byteLength(text) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const report = bundleCli(dist);
  console.log(`bundle-cli: ${relative(process.cwd(), report.file)}: ${report.modules} modules, ${report.bytes} bytes`);
}
