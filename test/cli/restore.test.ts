/**
 * `faultline restore` continues a run exactly: with the stock plugins the
 * run was started with (recorded in its images), without deleting images
 * the user did not ask to replace, and whatever names the directory holds.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, assemble } from '../../src/index.js';
import { decodeImage } from '../../src/plugin-kit.js';
import { checkpoint, demandPaging } from '../../handlers/index.js';
import { faultline } from '../helpers/cli.js';
import { imageNames } from '../helpers/cli-process.js';
import { counterSource } from '../checkpoint/programs.js';

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-restore-'));
  writeFileSync(join(dir, 'counter.s'), counterSource(400, 200));
  writeFileSync(join(dir, 'pages.s'), PAGES);
  return dir;
}

/**
 * Touches 64 pages of 0x50000000.. one after the other (nothing is mapped
 * there: demand paging serves them), writes a letter into each and prints
 * it from there, spinning between pages; exits with the number of pages.
 */
const PAGES = `
    li   s0, 0x50000000
    li   s1, 64
    li   s2, 0
1:  li   t1, 26
    remu t0, s2, t1
    addi t0, t0, 97
    sb   t0, 0(s0)
    li   a0, 1
    mv   a1, s0
    li   a2, 1
    li   a7, 64
    ecall
    li   t2, 3000
2:  addi t2, t2, -1
    bnez t2, 2b
    li   t3, 4096
    add  s0, s0, t3
    addi s2, s2, 1
    blt  s2, s1, 1b
    mv   a0, s2
    li   a7, 93
    ecall
`;
const PAGING = ['--demand-paging', '0x50000000:256K', '--dirty-log', '--stats'];

/** stderr without the run-time line of --stats, which varies. */
function report(stderr: string): string {
  return stderr.split('\n').filter((l) => !l.startsWith('[stats] time')).join('\n');
}

/** Bytes of stdout the run had written at `image` (the command line's state). */
function stdoutBytesAt(image: string): number {
  const decoded = decodeImage(readFileSync(image), image);
  return (JSON.parse(new TextDecoder().decode(decoded.plugins.get('faultline-cli')!)) as { stdoutBytes: number }).stdoutBytes;
}

describe('restore continues with the plugins the run was started with', () => {
  it('a demand-paging run stopped after an image, restored with a plain restore DIR, ends as the uninterrupted run', () => {
    const cwd = workspace();
    const whole = faultline(['run', 'pages.s', ...PAGING, '--checkpoint-every', '40000', '--checkpoint-dir', 'whole'], cwd);
    expect(whole.status).toBe(64);
    expect(whole.stdout).toBe('abcdefghijklmnopqrstuvwxyz'.repeat(3).slice(0, 64));
    const first = faultline(['run', 'pages.s', ...PAGING, '--checkpoint-every', '40000', '--checkpoint-dir', 'part', '--max-instructions', '100000'], cwd);
    expect(first.status).toBe(124);
    const images = imageNames(join(cwd, 'part'));
    expect(images.length).toBe(2);
    const kept = first.stdout.slice(0, stdoutBytesAt(join(cwd, 'part', images[1]!)));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(64);

    const rest = faultline(['restore', 'part'], cwd);
    expect(rest.status).toBe(64);
    expect(kept + rest.stdout).toBe(whole.stdout);
    expect(report(rest.stderr)).toBe(report(whole.stderr));
  });

  it('the same with --lazy, and restoring the continued run again', () => {
    const cwd = workspace();
    const whole = faultline(['run', 'pages.s', ...PAGING], cwd);
    const first = faultline(['run', 'pages.s', ...PAGING, '--checkpoint-every', '30000', '--checkpoint-dir', 'part', '--max-instructions', '60000'], cwd);
    const atFirst = stdoutBytesAt(join(cwd, 'part', imageNames(join(cwd, 'part')).at(-1)!));
    const middle = faultline(['restore', 'part', '--lazy', '--max-instructions', '60000'], cwd);
    expect(middle.status).toBe(124);
    const atMiddle = stdoutBytesAt(join(cwd, 'part', imageNames(join(cwd, 'part')).at(-1)!));
    const kept = (first.stdout.slice(0, atFirst) + middle.stdout).slice(0, atMiddle);
    const rest = faultline(['restore', 'part', '--lazy', '--no-checkpoint'], cwd);
    expect(rest.status).toBe(64);
    expect(kept + rest.stdout).toBe(whole.stdout);
    expect(rest.stderr).toMatch(/^\[dirty-log\] 64 pages written, 64 first-write faults$/m);
  });

  it('options given to restore add to the recorded ones; a range that clashes with a recorded one is refused', () => {
    const cwd = workspace();
    faultline(['run', 'pages.s', '--demand-paging', '0x50000000:256K', '--checkpoint-every', '30000', '--checkpoint-dir', 'part', '--max-instructions', '60000'], cwd);
    const same = faultline(['restore', 'part', '--no-checkpoint', '--demand-paging', '0x50000000:0x40000', '--stats'], cwd);
    expect(same.status).toBe(64);
    // --stats was not recorded: it counts from the restore on.
    const served = Number(/^\[stats\]   fixed by demand-paging 0x50000000: (\d+)$/m.exec(same.stderr)?.[1]);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(64);
    const clash = faultline(['restore', 'part', '--no-checkpoint', '--demand-paging', '0x50000000:4K'], cwd);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toBe('faultline: --demand-paging 0x50000000:0x00001000: overlaps the range 0x50000000:0x00040000 the run was started with (give it exactly, or leave it out)\n');
  });
  it('an image that predates the recorded plugins restores its demand-paging range when restore is given it', () => {
    const cwd = workspace();
    // What an earlier faultline wrote: the output count and interval only.
    let printed = '';
    const machine = new Machine({ memoryQuota: 64 << 20, stdout: (b) => { printed += new TextDecoder().decode(b); } });
    machine.load(assemble(PAGES, { fileName: 'pages.s' }));
    machine.use(demandPaging({ at: 0x5000_0000, size: 256 << 10, backing: { kind: 'zero' }, name: 'demand-paging 0x50000000' }));
    const state = () => new TextEncoder().encode(JSON.stringify({ stdoutBytes: printed.length, stderrBytes: 0, every: 0, fullEvery: 1 }));
    const cp = checkpoint({ contributors: [{ name: 'faultline-cli', saveState: state, restoreState: () => {} }] });
    machine.use(cp);
    machine.run({ maxInstructions: 100_000 });
    writeFileSync(join(cwd, 'old.ckpt'), cp.checkpoint());
    const before = printed;

    expect(faultline(['restore', 'old.ckpt'], cwd).status).toBe(139);
    const r = faultline(['restore', 'old.ckpt', '--demand-paging', '0x50000000:256K'], cwd);
    expect(r.status).toBe(64);
    expect(before + r.stdout).toBe(faultline(['run', 'pages.s', '--demand-paging', '0x50000000:256K'], cwd).stdout);
  });
});

describe('restore never deletes images the user did not ask to replace', () => {
  it('an image older than the newest is continued only elsewhere: refused with how, nothing deleted', () => {
    const cwd = workspace();
    expect(faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck', '--max-instructions', '110000'], cwd).status).toBe(124);
    const before = imageNames(join(cwd, 'ck'));
    expect(before).toEqual(['00000000.ckpt', '00000001.ckpt', '00000002.ckpt', '00000003.ckpt', '00000004.ckpt']);
    const older = join('ck', '00000002.ckpt');
    const refused = faultline(['restore', older], cwd);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`faultline: restore: ${older} is not the newest image of ck (ck/00000004.ckpt is); continuing it there would replace the newer images. Give --checkpoint-dir NEWDIR to write the continued run's images elsewhere, or --no-checkpoint\n`);
    expect(imageNames(join(cwd, 'ck'))).toEqual(before);

    const elsewhere = faultline(['restore', older, '--checkpoint-dir', 'branch', '--max-instructions', '50000'], cwd);
    expect(elsewhere.status).toBe(124);
    expect(imageNames(join(cwd, 'ck'))).toEqual(before);
    expect(imageNames(join(cwd, 'branch'))).toEqual(['00000000.ckpt', '00000001.ckpt']);
    expect(faultline(['restore', older, '--no-checkpoint', '--max-instructions', '1000'], cwd).status).toBe(124);
    expect(imageNames(join(cwd, 'ck'))).toEqual(before);
  });

  it('run refuses a directory that holds images of another run, and leaves them', () => {
    const cwd = workspace();
    faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck', '--max-instructions', '50000'], cwd);
    const before = imageNames(join(cwd, 'ck'));
    const again = faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck'], cwd);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe("faultline: --checkpoint-dir ck: the directory already holds checkpoint images (00000000.ckpt … 00000001.ckpt); continue them with 'faultline restore ck', or choose an empty directory\n");
    expect(imageNames(join(cwd, 'ck'))).toEqual(before);
  });

  it('a restore from the newest image replaces the chain it continued once its own full image is written', () => {
    const cwd = workspace();
    faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck', '--max-instructions', '50000'], cwd);
    expect(faultline(['restore', 'ck', '--max-instructions', '50000'], cwd).status).toBe(124);
    expect(imageNames(join(cwd, 'ck'))).toEqual(['00000002.ckpt', '00000003.ckpt']);
  });
});

describe('image names past eight digits and leftovers of killed runs', () => {
  it('a stray 99999999.ckpt makes run refuse the directory; nothing is lost', () => {
    const cwd = workspace();
    mkdirSync(join(cwd, 'ck'));
    writeFileSync(join(cwd, 'ck', '99999999.ckpt'), 'not an image');
    const r = faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck', '--max-instructions', '50000'], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already holds checkpoint images \(99999999\.ckpt\)/);
    expect(readdirSync(join(cwd, 'ck'))).toEqual(['99999999.ckpt']);
  });

  it('numbering goes on past 99999999 with names restore still recognises', () => {
    const cwd = workspace();
    faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-full-every', '1', '--checkpoint-dir', 'ck', '--max-instructions', '30000'], cwd);
    expect(imageNames(join(cwd, 'ck'))).toEqual(['00000000.ckpt']);
    renameSync(join(cwd, 'ck', '00000000.ckpt'), join(cwd, 'ck', '99999999.ckpt'));
    const first = faultline(['restore', 'ck', '--max-instructions', '30000'], cwd);
    expect(first.status).toBe(124);
    expect(imageNames(join(cwd, 'ck'))).toEqual(['100000000.ckpt']);
    const second = faultline(['restore', 'ck', '--no-checkpoint'], cwd);
    expect(second.status).toBe(0);
    const numbers = (first.stdout + second.stdout).split('\n').filter((l) => l !== '').map(Number);
    expect(numbers.at(-1)).toBe(399);
  });

  it('temporary files of dead runs are removed; those of live processes and every image are kept', () => {
    const cwd = workspace();
    faultline(['run', 'counter.s', '--checkpoint-every', '20000', '--checkpoint-dir', 'ck', '--max-instructions', '30000'], cwd);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const leftovers = [`00000001.ckpt.tmp-${dead}`, `00000007.ckpt.tmp-${process.pid}`, 'notes.tmp-1'];
    for (const name of leftovers) copyFileSync(join(cwd, 'ck', '00000000.ckpt'), join(cwd, 'ck', name));
    expect(faultline(['restore', 'ck', '--max-instructions', '1000'], cwd).status).toBe(124);
    expect(existsSync(join(cwd, 'ck', leftovers[0]!))).toBe(false);
    expect(existsSync(join(cwd, 'ck', leftovers[1]!))).toBe(true);
    expect(existsSync(join(cwd, 'ck', leftovers[2]!))).toBe(true);
    expect(imageNames(join(cwd, 'ck'))).toEqual(['00000000.ckpt']);
  });
});
