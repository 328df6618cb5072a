/**
 * Ctrl-C (SIGINT) during a run: one line saying where the run stopped,
 * status 130, and a checkpoint directory holding only whole images.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/index.js';
import { faultline } from '../helpers/cli.js';
import { imageNames, startFaultline, waitUntil } from '../helpers/cli-process.js';
import { counterSource } from '../checkpoint/programs.js';

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-sigint-'));
  writeFileSync(join(dir, 'counter.s'), counterSource(0, 3000));
  return dir;
}

const INTERRUPTED = /^faultline: interrupted by SIGINT at pc 0x[0-9a-f]{8} after (\d+) instructions, (\d+) faults(; newest image (\S+))?$/;

describe('Ctrl-C stops a run with one line and status 130', () => {
  it('a run without checkpoints, once it has printed', async () => {
    const cwd = workspace();
    const run = startFaultline(['run', 'counter.s'], cwd);
    await waitUntil('the counter printing 20', () => run.stdout().includes('\n20\n'), run);
    run.child.kill('SIGINT');
    const end = await run.end;
    expect(end.status).toBe(130);
    const m = INTERRUPTED.exec(end.stderr.trimEnd());
    expect(m, end.stderr).not.toBeNull();
    expect(end.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(Number(m![1])).toBeGreaterThan(20 * 3000);
  });

  it('a checkpointing run: every file in the directory is a whole image, no temporary file is left', async () => {
    const cwd = workspace();
    const run = startFaultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'images'], cwd);
    await waitUntil('the first image', () => imageNames(join(cwd, 'images')).length > 0, run);
    run.child.kill('SIGINT');
    const end = await run.end;
    expect(end.status).toBe(130);
    const m = INTERRUPTED.exec(end.stderr.trimEnd());
    expect(m, end.stderr).not.toBeNull();
    const files = readdirSync(join(cwd, 'images'));
    expect(files.filter((f) => !/^\d{8}\.ckpt$/.test(f))).toEqual([]);
    for (const f of files) expect(() => decodeImage(readFileSync(join(cwd, 'images', f)), f)).not.toThrow();
    // The line names the newest image, and the run continues from it.
    expect(m![4]).toBe(join('images', files.sort().at(-1)!));
    const restored = faultline(['restore', 'images', '--max-instructions', '100000', '--no-checkpoint'], cwd);
    expect(restored.status).toBe(124);
  });
});
