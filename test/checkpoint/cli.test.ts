import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/index.js';
import { faultline } from '../helpers/cli.js';
import { imageNames, startFaultline, waitUntil } from '../helpers/cli-process.js';
import { counterSource } from './programs.js';

/** A temporary directory holding the endless counter as counter.s. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-ckpt-'));
  writeFileSync(join(dir, 'counter.s'), counterSource(0, 3000));
  return dir;
}

/** Newest image file of `dir`. */
function newestImage(dir: string): string {
  const names = readdirSync(dir).filter((n) => /^\d{8}\.ckpt$/.test(n)).sort();
  return join(dir, names[names.length - 1]!);
}

/** Bytes of stdout the run had written when `image` was taken (the CLI's plugin state). */
function stdoutBytesAt(image: string): number {
  const decoded = decodeImage(readFileSync(image), image);
  return (JSON.parse(new TextDecoder().decode(decoded.plugins.get('faultline-cli')!)) as { stdoutBytes: number }).stdoutBytes;
}

/**
 * Runs the counter with checkpoints, waits until `images` images are on
 * disk (polling, however slow the machine), SIGKILLs it and resolves with
 * what it printed.
 */
async function runAndKill(cwd: string, images: number): Promise<string> {
  const run = startFaultline(['run', 'counter.s', '--checkpoint-every', '50000', '--checkpoint-dir', 'images', '--checkpoint-full-every', '8'], cwd);
  await waitUntil(`${images} images`, () => imageNames(join(cwd, 'images')).length >= images, run);
  run.child.kill('SIGKILL');
  const end = await run.end;
  expect(end.signal).toBe('SIGKILL');
  return end.stdout;
}

describe('faultline run --checkpoint-every / restore / inspect', () => {
  it('a counter killed with SIGKILL after a random number of images continues from its newest image without gap or repeat', async () => {
    const cwd = workspace();
    const printed = await runAndKill(cwd, 1 + Math.floor(Math.random() * 5));
    const image = newestImage(join(cwd, 'images'));
    const kept = printed.slice(0, stdoutBytesAt(image));
    expect(printed.startsWith(kept)).toBe(true);
    const restored = faultline(['restore', 'images', '--max-instructions', '2000000', '--no-checkpoint'], cwd);
    expect(restored.status).toBe(124);
    const numbers = (kept + restored.stdout).split('\n').filter((l) => l !== '').map(Number);
    expect(numbers.length).toBeGreaterThan(10);
    expect(numbers).toEqual(numbers.map((_, k) => k));
  }, 60_000);

  it('restore --lazy continues the same way, and keeps checkpointing into the directory', async () => {
    const cwd = workspace();
    const printed = await runAndKill(cwd, 2);
    const image = newestImage(join(cwd, 'images'));
    const kept = printed.slice(0, stdoutBytesAt(image));
    const restored = faultline(['restore', 'images', '--lazy', '--max-instructions', '300000'], cwd);
    expect(restored.status).toBe(124);
    const numbers = (kept + restored.stdout).split('\n').filter((l) => l !== '').map(Number);
    expect(numbers).toEqual(numbers.map((_, k) => k));
    const again = faultline(['restore', 'images', '--max-instructions', '100000', '--no-checkpoint'], cwd);
    const later = again.stdout.split('\n').filter((l) => l !== '').map(Number);
    expect(later[0]).toBeGreaterThan(numbers[numbers.length - 1]! - 20);
  }, 60_000);

  it('restore IMAGE continues from that image (the chain before it in its directory)', async () => {
    const cwd = workspace();
    const printed = await runAndKill(cwd, 2);
    const image = newestImage(join(cwd, 'images'));
    const kept = printed.slice(0, stdoutBytesAt(image));
    const restored = faultline(['restore', image, '--max-instructions', '300000'], cwd);
    expect(restored.status).toBe(124);
    const numbers = (kept + restored.stdout).split('\n').filter((l) => l !== '').map(Number);
    expect(numbers.length).toBeGreaterThan(10);
    expect(numbers).toEqual(numbers.map((_, k) => k));
    // It goes on checkpointing into the image's directory.
    expect(newestImage(join(cwd, 'images')) > image).toBe(true);
  }, 60_000);

  it('inspect prints the sections, context, layout and page counts', () => {
    const cwd = workspace();
    const run = faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'images', '--max-instructions', '70000'], cwd);
    expect(run.status).toBe(124);
    const first = faultline(['inspect', join('images', '00000000.ckpt')], cwd);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/full image, chain [0-9a-f]{16}, sequence 0/);
    for (const tag of ['META', 'CPU ', 'LAYT', 'GHND', 'XTBL', 'PLUG', 'PIDX', 'PDAT', 'END ']) expect(first.stdout).toContain(`  ${tag}`);
    expect(first.stdout).toMatch(/cpu: pc 0x[0-9a-f]{8}, instret 20000/);
    expect(first.stdout).toContain('"[stack]"');
    expect(first.stdout).toMatch(/pages: \d+ \(\d+ bytes of data/);
    const second = faultline(['inspect', join('images', '00000001.ckpt')], cwd);
    expect(second.stdout).toMatch(/incremental image, chain [0-9a-f]{16}, sequence 1/);
  });

  it('a damaged image is refused with one line naming the file and offset, status 2', () => {
    const cwd = workspace();
    faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'images', '--max-instructions', '50000'], cwd);
    const path = join(cwd, 'images', '00000001.ckpt');
    const bytes = readFileSync(path);
    bytes[200]! ^= 0x40;
    writeFileSync(path, bytes);
    for (const args of [['restore', 'images'], ['inspect', join('images', '00000001.ckpt')]]) {
      const r = faultline(args, cwd);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^faultline: images\/00000001\.ckpt: offset 0x[0-9a-f]{8}: .+\n$/);
    }
    expect(faultline(['restore', 'nowhere'], cwd).stderr).toBe('faultline: cannot read checkpoint directory nowhere: no such file or directory\n');
    expect(faultline(['run', 'counter.s', '--checkpoint-every', '10'], cwd).status).toBe(2);
  });
});
