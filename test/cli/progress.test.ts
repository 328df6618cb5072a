import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRESS_DELAY_MS, ProgressLine, formatProgress, shortCount, startProgress } from '../../cli/progress.js';
import { faultline } from '../helpers/cli.js';

/** A fake stream and clock. */
function fake(isTTY: boolean) {
  const written: string[] = [];
  let t = 0;
  const stream = { isTTY, columns: 100, write: (s: string) => written.push(s) };
  const line = new ProgressLine(stream, () => ({ instructions: 12_345_678, faults: 4512, images: 3 }), () => t);
  return { written, line, advance: (ms: number) => { t += ms; } };
}

describe('progress line', () => {
  it('formats counts, rate and time on one line that fits the terminal', () => {
    expect(shortCount(999)).toBe('999');
    expect(shortCount(1234)).toBe('1.23k');
    expect(shortCount(12_345_678)).toBe('12.3M');
    expect(shortCount(123_456_789_012)).toBe('123G');
    expect(formatProgress({ instructions: 12_345_678, faults: 4512, images: 1 }, 2)).toBe('faultline: 12.3M instructions (6.17 MIPS), 4.51k faults, 1 image, 2.0 s');
    expect(formatProgress({ instructions: 0, faults: 0, images: 0 }, 0)).toBe('faultline: 0 instructions (0.00 MIPS), 0 faults, 0 images, 0.0 s');
    const narrow = formatProgress({ instructions: 12_345_678, faults: 4512, images: 3 }, 2, 30);
    expect(narrow.length).toBeLessThan(30);
    expect(narrow.endsWith('…')).toBe(true);
  });

  it('on a terminal: nothing before the delay, then one line redrawn in place, erased at the end', () => {
    const f = fake(true);
    f.line.tick();
    f.advance(PROGRESS_DELAY_MS - 1);
    f.line.tick();
    expect(f.written).toEqual([]);
    f.advance(1);
    f.line.tick();
    expect(f.written).toEqual(['\rfaultline: 12.3M instructions (6.17 MIPS), 4.51k faults, 3 images, 2.0 s\x1b[K']);
    f.line.stop();
    f.line.tick();
    expect(f.written.at(-1)).toBe('\r\x1b[K');
    expect(f.written.length).toBe(2);
  });

  it('a terminal of unknown width (columns 0) gets 80 columns', () => {
    const written: string[] = [];
    let t = 0;
    const line = new ProgressLine({ isTTY: true, columns: 0, write: (s: string) => written.push(s) }, () => ({ instructions: 5, faults: 0, images: 0 }), () => t);
    t = PROGRESS_DELAY_MS;
    line.tick();
    expect(written).toEqual(['\rfaultline: 5 instructions (0.00 MIPS), 0 faults, 0 images, 2.0 s\x1b[K']);
  });

  it('never writes when stderr is not a terminal', () => {
    const f = fake(false);
    expect(f.line.enabled).toBe(false);
    for (let k = 0; k < 5; k++) { f.advance(PROGRESS_DELAY_MS); f.line.tick(); }
    f.line.stop();
    expect(f.written).toEqual([]);
    const written: string[] = [];
    startProgress({ isTTY: false, write: (s: string) => written.push(s) }, () => ({ instructions: 1, faults: 0, images: 0 }))();
    expect(written).toEqual([]);
  });

  it('a long run of the command line with stderr in a pipe prints no progress', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-progress-'));
    const loop = join(dir, 'loop.s');
    writeFileSync(loop, '.text\n.globl _start\n_start:\n1: addi t0, t0, 1\n j 1b\n');
    // Hundreds of millions of instructions: seconds of wall time, past the delay on any machine this runs on.
    const started = performance.now();
    const r = faultline(['run', loop, '--max-instructions', '1000000000', '--checkpoint-every', '250000000', '--checkpoint-dir', join(dir, 'images')]);
    const seconds = (performance.now() - started) / 1000;
    expect(r.status).toBe(124);
    expect(r.stderr).not.toMatch(/\r|\x1b|MIPS/);
    // What the run printed instead: the one line of the limit, whatever the time it took.
    expect(r.stderr.split('\n').filter((l) => l !== '').length, `${seconds.toFixed(1)} s`).toBe(1);
  });
});
