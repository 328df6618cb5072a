/**
 * `faultline run --cpus N` and the rseq lines of `--stats` (run on the
 * built CLI, dist/).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultline } from '../helpers/cli.js';
import { counterSource } from './programs.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-rseq-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = join(dir, 'counter.s');
writeFileSync(SOURCE, counterSource({ threads: 4, iterations: 300, amount: 1, before: [0, 1], after: [2], fallbackAfter: 0, slots: 4 }));

describe('faultline run --cpus', () => {
  it('--stats reports the aborts, the CPUs and where; per thread its aborts', () => {
    const r = faultline(['run', '--cpus', '4', '--time-slice', '13', '--stats', SOURCE]);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    const summary = lines.find((l) => l.startsWith('[stats] rseq: '));
    expect(summary).toMatch(/^\[stats\] rseq: [1-9]\d* aborts, 4 virtual CPUs$/);
    expect(lines.filter((l) => /^\[stats\] {3}rseq aborts at 0x[0-9a-f]{8}: \d+$/.test(l)).length).toBeGreaterThan(0);
    expect(lines.filter((l) => /^\[stats\] {3}thread \d: .*, \d+ rseq aborts, exit 0$/.test(l)).length).toBeGreaterThan(0);
    // The same options give the same aborts.
    const again = faultline(['run', '--cpus', '4', '--time-slice', '13', '--stats', SOURCE]);
    expect(again.stderr.split('\n').find((l) => l.startsWith('[stats] rseq: '))).toBe(summary);
  });

  it('one CPU and no aborts adds no rseq line; a bad --cpus is one line and status 2', () => {
    const r = faultline(['run', '--stats', SOURCE]);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/rseq/);
    for (const bad of ['0', '513']) {
      const b = faultline(['run', '--cpus', bad, SOURCE]);
      expect(b).toEqual({ status: 2, stdout: '', stderr: `faultline: --cpus: must be from 1 to 512 virtual CPUs, got ${bad}\n` });
    }
  });

  it('checkpoints keep the CPUs and registrations: inspect shows them, restore finishes with the same output', () => {
    const images = join(dir, 'images');
    const run = faultline(['run', '--cpus', '4', '--time-slice', '13', '--checkpoint-every', '3000', '--checkpoint-dir', images, SOURCE]);
    expect(run.status).toBe(0);
    const shown = faultline(['inspect', join(images, '00000001.ckpt')]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^threads: 4, .*, 4 virtual CPUs, \d+ rseq aborts$/m);
    expect(shown.stdout).toMatch(/^ {2}thread 3: .*, cpu 2, rseq at 0x[0-9a-f]{8} \(\d+ aborts\)$/m);
    const restored = faultline(['restore', join(images, '00000001.ckpt'), '--no-checkpoint']);
    expect(restored).toEqual({ status: 0, stdout: run.stdout, stderr: '' });
  });
});
