/**
 * Crash safety of `faultline run --checkpoint-every`: a run killed with
 * SIGKILL at a random moment — while it computes, writes an image, or
 * deletes an older chain — always leaves a directory that `faultline
 * restore` continues to the exact end of the program, and no temporary
 * file is ever taken for an image.
 *
 * The moments are random but never a fixed delay: each trial waits
 * (polling) until the run has written image number k, or printed b bytes,
 * for random k and b, then kills it.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeImage } from '../../src/index.js';
import { faultline } from '../helpers/cli.js';
import { imageNames, startFaultline, waitUntil } from '../helpers/cli-process.js';
import { counterSource } from '../checkpoint/programs.js';

/** Numbers the counter prints before it exits 0. */
const COUNT = 300;
const EXPECTED = Array.from({ length: COUNT }, (_, k) => `${k}\n`).join('');
/** Trials: 50 in CI; a few locally, where the machine is shared (about 2 s each). */
const TRIALS = process.env['CI'] ? 50 : 6;

/** Bytes of stdout the run had written at `image`. */
function stdoutBytesAt(image: string): number {
  const decoded = decodeImage(readFileSync(image), image);
  return (JSON.parse(new TextDecoder().decode(decoded.plugins.get('faultline-cli')!)) as { stdoutBytes: number }).stdoutBytes;
}

describe('a checkpointing run killed at a random moment', () => {
  if (!process.env['CI']) console.log(`crash-safety: ${TRIALS} SIGKILL trials locally (50 with CI=1)`);

  it(`always leaves a chain that restore continues to the exact end (${TRIALS} trials)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('images' as const), at: fc.integer({ min: 0, max: 40 }) }),
          fc.record({ kind: fc.constant('bytes' as const), at: fc.integer({ min: 1, max: EXPECTED.length - 1 }) }),
        ),
        async (moment) => {
          const cwd = mkdtempSync(join(tmpdir(), 'faultline-crash-'));
          writeFileSync(join(cwd, 'counter.s'), counterSource(COUNT, 1500));
          const images = join(cwd, 'images');
          const run = startFaultline(['run', 'counter.s', '--checkpoint-every', '15000', '--checkpoint-full-every', '4', '--checkpoint-dir', 'images'], cwd);
          await waitUntil(
            `${moment.kind} ${moment.at}`,
            () => run.ended() || (moment.kind === 'images' ? Number(imageNames(images).at(-1)?.slice(0, -5) ?? -1) >= moment.at : run.stdout().length >= moment.at),
          );
          run.child.kill('SIGKILL');
          const end = await run.end;
          const names = imageNames(images);
          // Nothing but images and (at most) the temporary file of the write under way.
          const others = readdirSync(images).filter((n) => !names.includes(n));
          expect(others.every((n) => /^\d{8}\.ckpt\.tmp-\d+$/.test(n)), others.join(', ')).toBe(true);
          expect(others.length).toBeLessThanOrEqual(1);
          if (names.length === 0) {
            expect(faultline(['restore', 'images'], cwd).status).toBe(2);
            return;
          }
          const kept = end.stdout.slice(0, stdoutBytesAt(join(images, names.at(-1)!)));
          const restored = faultline(['restore', 'images', '--no-checkpoint'], cwd);
          expect(restored.stderr).toBe('');
          expect(restored.status).toBe(0);
          expect(kept + restored.stdout).toBe(EXPECTED);
        },
      ),
      { numRuns: TRIALS },
    );
  }, 600_000);
});
