/**
 * What `npm pack` ships: the library (dist/src, dist/handlers, dist/node), its types,
 * the command line (dist/cli), the C header and guest runtime (include/),
 * LICENSE, README and package.json — nothing else: no benchmarks, examples
 * or tests, no source maps pointing at TypeScript that is not shipped.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The file list of `npm pack --dry-run` (scripts skipped: test/global-setup.ts built dist/). */
function packedFiles(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined) throw r.error;
  expect(r.status, r.stderr).toBe(0);
  const [report] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return report!.files.map((f) => f.path).sort();
}

describe('npm pack', () => {
  const files = packedFiles();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    sideEffects?: unknown;
    bin: Record<string, string>;
    exports: Record<string, { types: string; default: string }>;
  };

  it('ships only the library, its types, the command line, include/, LICENSE, README and package.json', () => {
    const allowed = /^(LICENSE|README\.md|package\.json|include\/.+|dist\/(src|handlers|node|cli)\/.+\.(js|d\.ts))$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'include/faultline.h', 'dist/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/handlers/index.js', 'dist/handlers/index.d.ts', 'dist/node/index.js', 'dist/node/index.d.ts']) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('ships every file the bin and the exports name, and every module a shipped module imports', () => {
    const shipped = new Set(files);
    for (const target of [...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => [e.types, e.default])]) {
      expect(shipped.has(normalize(target))).toBe(true);
    }
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = normalize(join(dirname(file), m[1]!));
        const candidates = file.endsWith('.d.ts') ? [target.replace(/\.js$/, '.d.ts'), target] : [target];
        expect(candidates.some((c) => shipped.has(c)), `${file} imports ${m[1]}`).toBe(true);
      }
    }
  });

  it('declares no import side effects, and an MIT LICENSE', () => {
    expect(pkg.sideEffects).toBe(false);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the faultline authors\n/);
  });
});
