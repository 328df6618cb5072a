import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as faultline from '../src/index.js';
import * as kit from '../src/plugin-kit.js';

/** Every file below `dir` whose name ends in `suffix`. */
function sources(dir: string, suffix = '.ts'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

/**
 * Facts private to the core that a plugin must take from the plugin kit
 * (or not need at all), each with how it shows in source text.
 */
const PRIVATE_LITERALS: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: "the 'guest handler ' name prefix (use guestFrameLow / guestHandlers)", pattern: /['"`]guest handler /i },
  { what: 'the guest frame size 128 + 176 (use GUEST_FRAME_REACH)', pattern: /\b128\s*\+\s*176\b/ },
  { what: 'the retired frame code -2 (use pageState)', pattern: /[!=]==?\s*-2\b/ },
  { what: 'the run-word shift `>>> 2` (use recordPageStates)', pattern: />>>\s*2\b/ },
  { what: "the literal '[stack]' or '[heap]' (use RegionName)", pattern: /(['"])\[(stack|heap)\]\1/ },
];

/** The module specifiers a handler may import from the core. */
const ALLOWED_CORE = /(^|\/)src\/(index|plugin-kit)\.js$/;

/**
 * What a file of handlers/ does that only the core may: an import from
 * src/ other than `faultline` (src/index.js) and the plugin kit
 * (src/plugin-kit.js), or a private literal. One line per violation.
 */
function handlerViolations(file: string, text: string): string[] {
  const out: string[] = [];
  const imports = text.matchAll(/(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g);
  for (const m of imports) {
    const spec = m[1] ?? m[2]!;
    if (/(^|\/)src\//.test(spec) && !ALLOWED_CORE.test(spec)) out.push(`${file}: imports ${spec}`);
  }
  for (const { what, pattern } of PRIVATE_LITERALS) if (pattern.test(text)) out.push(`${file}: uses ${what}`);
  return out;
}

describe('architecture', () => {
  it('the core in src/ and handlers/ imports no node: module (it must run in a browser)', () => {
    const offenders = [...sources('src'), ...sources('handlers')].filter((file) =>
      /from\s+['"](node:|fs['"]|path['"]|child_process['"])/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('the core imports nothing of the Node-only layer node/ (faultline/node)', () => {
    const offenders = [...sources('src'), ...sources('handlers')].filter((file) =>
      /^\s*(import|export)\s[^;]*?from\s+['"]([./]*node\/|faultline\/node)/m.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('the stock plugins import only faultline and the plugin kit, and repeat no private fact of the core', () => {
    const violations = sources('handlers').flatMap((file) => handlerViolations(file, readFileSync(file, 'utf8')));
    expect(violations).toEqual([]);
  });

  it('the handler check catches a deep import and each private literal', () => {
    const clean = "import { Machine } from '../src/index.js';\nimport { walkRegions } from '../../src/plugin-kit.js';\n";
    expect(handlerViolations('ok.ts', clean)).toEqual([]);
    expect(handlerViolations('bad.ts', "import { Region } from '../src/memory/region.js';")).toEqual(['bad.ts: imports ../src/memory/region.js']);
    expect(handlerViolations('bad.ts', "export { x } from '../../src/checkpoint/image-format.js';")).toHaveLength(1);
    const samples = [
      "if (e.name.startsWith('guest handler ')) return;",
      'const reach = 128 + 176;',
      'if (ds.frames[p] === -2) continue;',
      'const count = run >>> 2;',
      "if (r.name === '[stack]') keep(r);",
    ];
    samples.forEach((sample, k) => {
      expect(handlerViolations('bad.ts', sample)).toEqual([`bad.ts: uses ${PRIVATE_LITERALS[k]!.what}`]);
    });
  });

  it('faultline and the plugin kit share no export, and the plugin internals are only in the kit', () => {
    const user = new Set(Object.keys(faultline));
    expect(Object.keys(kit).filter((name) => user.has(name))).toEqual([]);
    for (const name of ['captureLayout', 'planRestore', 'restoreMachine', 'encodeImage', 'decodeImage', 'ObjectIds', 'fillPage', 'checkFreshMachine', 'verifyPage', 'Region']) {
      expect(user.has(name), name).toBe(false);
    }
  });

  it('every value the stock plugins take from faultline is also used by code or guides outside the core and the plugins', () => {
    const pluginTests = [join('test', 'handlers'), join('test', 'checkpoint'), join('test', 'architecture')];
    const userText = [
      readFileSync('README.md', 'utf8'),
      ...sources('docs', '.md').filter((f) => !f.startsWith(join('docs', 'api'))).map((f) => readFileSync(f, 'utf8')),
      ...[...sources('examples'), ...sources('cli'), ...sources('bench'), ...sources('test').filter((f) => !pluginTests.some((p) => f.startsWith(p)))].map((f) => readFileSync(f, 'utf8')),
    ].join('\n');
    const taken = new Set<string>();
    for (const file of sources('handlers')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*['"][./]*src\/index\.js['"]/g)) {
        for (const part of m[1]!.split(',')) {
          const name = part.trim();
          if (name !== '' && !name.startsWith('type ')) taken.add(name);
        }
      }
    }
    expect(taken.size).toBeGreaterThan(5);
    const onlyPlugins = [...taken].filter((name) => !new RegExp(`\\b${name}\\b`).test(userText));
    expect(onlyPlugins).toEqual([]);
  });

  it('the published declarations hold no @internal member and type-check on their own', () => {
    // Declarations of current sources only (dist/ may hold files of sources since moved).
    const files = [...sources('dist/src', '.d.ts'), ...sources('dist/handlers', '.d.ts')].filter((f) => {
      try {
        return statSync(f.replace(/^dist\//, '').replace(/\.d\.ts$/, '.ts')).isFile();
      } catch {
        return false;
      }
    });
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => readFileSync(f, 'utf8').includes('@internal'))).toEqual([]);
    const program = ts.createProgram(['dist/src/index.d.ts', 'dist/src/plugin-kit.d.ts', 'dist/handlers/index.d.ts'], {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      types: ['node'],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName.includes('/dist/') ?? true);
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });
});
