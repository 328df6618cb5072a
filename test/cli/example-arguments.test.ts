/**
 * The runnable examples take their arguments as a command line does: a
 * bad one is one line on stderr and status 2, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MONITOR = fileURLToPath(new URL('../../dist/examples/monitor.js', import.meta.url));

describe('examples/monitor.ts arguments', () => {
  for (const arg of ['abc', '0', '-3', '1e3', '100001']) {
    it(`refuses '${arg}' in one line with status 2`, () => {
      const r = spawnSync(process.execPath, [MONITOR, arg], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`monitor: iterations must be an integer in 1..100000, got '${arg}' (usage: node dist/examples/monitor.js [iterations])\n`);
      expect(r.status).toBe(2);
    });
  }

  it('runs with a good one', () => {
    const r = spawnSync(process.execPath, [MONITOR, '2'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\[target\] 1$/m);
  });
});
