import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .ts file below `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('the core in src/ and handlers/ imports no node: module (it must run in a browser)', () => {
    const offenders = [...sources('src'), ...sources('handlers')].filter((file) =>
      /from\s+['"](node:|fs['"]|path['"]|child_process['"])/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
