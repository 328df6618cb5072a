/**
 * Threads blocked in a pipe read or write and threads asleep survive a
 * checkpoint and restore: C programs are checkpointed (memory, threads,
 * the handle space and the file tree) at many points while they run, and
 * each restored copy finishes with the same output as the uninterrupted
 * run.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Machine, exitStatusOf, parseElf, ThreadState } from '../../src/index.js';
import { checkpoint, restoreCheckpoint } from '../../handlers/index.js';
import { captureHandleSpace, restoreHandleSpace } from '../../src/handles/handle-space-image.js';
import { applyTreeImage, captureTree } from '../../src/fs/tree-image.js';
import { Wait } from '../../src/threads/guest-thread.js';
import { GCC, describeWithTools } from '../helpers/toolchain.js';
import { buildWithRuntime } from '../runtime/guest-build.js';

const PROGRAMS = fileURLToPath(new URL('./programs', import.meta.url));

interface Outcome { stdout: string; status: number }

function machineWith(out: string[]): Machine {
  const decoder = new TextDecoder();
  return new Machine({ stdout: (b) => out.push(decoder.decode(b)), timeSlice: 3000 });
}

function finish(m: Machine, out: string[]): Outcome {
  const result = m.run({ maxInstructions: 500_000_000 });
  return { stdout: out.join(''), status: exitStatusOf(result) };
}

describeWithTools([GCC], 'blocked and sleeping threads through a checkpoint', () => {
  let dir = '';
  const elves = new Map<string, Uint8Array>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-waits-'));
    for (const name of ['pipe_threads', 'sleepers']) {
      const elf = join(dir, name);
      await buildWithRuntime([join(PROGRAMS, `${name}.c`)], elf);
      elves.set(name, new Uint8Array(readFileSync(elf)));
    }
  }, 120_000);

  afterAll(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });

  for (const name of ['pipe_threads', 'sleepers']) {
    it(`${name}: every restored copy finishes as the uninterrupted run does`, () => {
      const elf = elves.get(name)!;
      const plain: string[] = [];
      const reference = machineWith(plain);
      reference.load(parseElf(elf, name), { argv: [name] });
      const expected = finish(reference, plain);
      expect(expected.status).toBe(0);

      const out: string[] = [];
      const m = machineWith(out);
      m.load(parseElf(elf, name), { argv: [name] });
      const cp = checkpoint();
      m.use(cp);
      const images: Array<{ name: string; bytes: Uint8Array }> = [];
      let blockedSeen = 0, restores = 0;
      for (let step = 0; step < 400; step++) {
        const result = m.run({ maxInstructions: name === 'sleepers' ? 97 : 7919 });
        if (result.kind !== 'limit') break;
        images.push({ name: `#${images.length}`, bytes: cp.checkpoint() });
        const waitKind = name === 'sleepers' ? Wait.Sleep : Wait.Io;
        const blocked = m.threads.some((t) => t.state === ThreadState.Blocked && t.wait === waitKind);
        if (blocked) blockedSeen++;
        if (step % 9 !== 0 && !(blocked && blockedSeen <= 3)) continue;
        const handles = captureHandleSpace(m);
        const tree = captureTree(m.fileSystem, 0);
        const copyOut = [out.join('')];
        const copy = machineWith(copyOut);
        restoreCheckpoint(copy, images);
        applyTreeImage(copy.fileSystem, [tree]);
        restoreHandleSpace(copy, handles);
        expect(finish(copy, copyOut)).toEqual(expected);
        restores++;
      }
      expect(blockedSeen).toBeGreaterThan(0);
      expect(restores).toBeGreaterThan(2);
    }, 300_000);
  }
});
