/**
 * `npm run docs` (typedoc with the
 * repository's typedoc.json) finishes with zero warnings, every top-level
 * export carries an `@example`, and the build FAILS as soon as an export
 * loses its documentation.
 *
 * Both typedoc runs use the command line exactly as `npm run docs` does,
 * only with `--out` pointed at a temporary directory so that the test never
 * touches docs/api/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TYPEDOC = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
/** Everything typedoc.json refers to, copied for the negative run. */
const PROJECT_FILES = ['typedoc.json', 'tsconfig.json', 'package.json', 'README.md', 'src', 'handlers', 'node', 'docs', 'cli', 'bench', 'examples', 'tools', 'include'];

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) {
    // Remove the node_modules link first, so that nothing can ever delete through it.
    rmSync(join(dir, 'node_modules'), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Runs typedoc in `cwd` with extra arguments; output without colours. */
function typedoc(cwd: string, args: readonly string[]): { status: number; output: string } {
  const r = spawnSync(process.execPath, [TYPEDOC, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  if (r.error !== undefined) throw r.error;
  // eslint-disable-next-line no-control-regex
  const output = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  return { status: r.status ?? 128, output };
}

interface JsonComment {
  readonly blockTags?: readonly { readonly tag: string }[];
}
interface JsonReflection {
  readonly name: string;
  readonly comment?: JsonComment;
  readonly signatures?: readonly { readonly comment?: JsonComment }[];
  readonly children?: readonly JsonReflection[];
}

function hasExample(r: JsonReflection): boolean {
  const tagged = (c: JsonComment | undefined): boolean => (c?.blockTags ?? []).some((t) => t.tag === '@example');
  return tagged(r.comment) || (r.signatures ?? []).some((s) => tagged(s.comment));
}

describe('API reference (typedoc)', () => {
  it('builds with zero warnings, and every export has an @example', () => {
    const out = tempDir('faultline-docs-');
    const json = join(out, 'api.json');
    const { status, output } = typedoc(ROOT, ['--out', join(out, 'html'), '--json', json]);

    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status).toBe(0);

    const project = JSON.parse(readFileSync(json, 'utf8')) as JsonReflection;
    const withoutExample: string[] = [];
    for (const module of project.children ?? []) {
      for (const symbol of module.children ?? []) {
        if (!hasExample(symbol)) withoutExample.push(`${module.name}.${symbol.name}`);
      }
    }
    expect(withoutExample, 'exports without an @example block').toEqual([]);
  });

  it('fails when an export loses its documentation', () => {
    // A copy of the project in which one documented export (hex32) lost
    // its comment; node_modules is shared through a symlink.
    const copy = tempDir('faultline-undocumented-');
    for (const entry of PROJECT_FILES) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true, filter: (from) => !from.startsWith(join(ROOT, 'docs', 'api')) });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const errorsFile = join(copy, 'src', 'errors.ts');
    const source = readFileSync(errorsFile, 'utf8');
    const stripped = source.replace(/\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*(?=export function hex32)/, '');
    expect(stripped).not.toBe(source);
    writeFileSync(errorsFile, stripped);

    const { status, output } = typedoc(copy, ['--out', join(copy, 'out')]);

    expect(status).not.toBe(0);
    expect(output).toMatch(/hex32.*does not have any documentation/);
  });
});
