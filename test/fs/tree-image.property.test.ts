import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTreeImage, captureTree, describeTree, FileSystem, type FsNode } from '../../src/index.js';
import { anyOpArb, applyOp, type FsOp } from './fs-ops.js';

/** A step of a run: an operation, or a checkpoint. */
type Step = { readonly kind: 'op'; readonly op: FsOp } | { readonly kind: 'capture' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: anyOpArb.map((op) => ({ kind: 'op' as const, op })), weight: 8 },
  { arbitrary: fc.constant({ kind: 'capture' as const }), weight: 1 },
);

/** Steps that leave an unlinked file held open. */
const ORPHAN_PREFIX: readonly Step[] = [
  { kind: 'op', op: { op: 'create', path: '/a' } },
  { kind: 'op', op: { op: 'write', path: '/a', offset: 5000, data: new Uint8Array([1, 2, 3]) } },
  { kind: 'op', op: { op: 'open', path: '/a' } },
  { kind: 'op', op: { op: 'unlink', path: '/a' } },
];

/** Virtual time of the runs: advanced by every step, shared by a file system and the one restored from it. */
let now = 1_000;

/** A file system reading the shared virtual time. */
function freshFs(quota: number): FileSystem {
  return new FileSystem({ clock: () => now, quota });
}

describe('checkpoint images of the in-memory tree', () => {
  it('a full image plus increments taken at random steps rebuilds each captured tree exactly', () => {
    let orphansSeen = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(stepArb, { minLength: 5, maxLength: 80 }), fc.constantFrom(64 * 1024, 1 << 20), (orphanFirst, randomSteps, quota) => {
        // Half the runs start with a file unlinked while open, so images carry such nodes.
        const steps: Step[] = orphanFirst ? [...ORPHAN_PREFIX, ...randomSteps] : randomSteps;
        const fs = freshFs(quota);
        const open: FsNode[] = [];
        const images: Uint8Array[] = [];
        const dumps: string[] = [];
        let since = 0;
        const capture = (): void => {
          images.push(captureTree(fs, since));
          dumps.push(describeTree(fs));
          since = fs.generation;
        };
        for (const step of steps) {
          now += 7;
          if (step.kind === 'op') applyOp(fs, step.op, open);
          else capture();
        }
        capture();
        if (dumps.some((d) => d.includes('(unlinked)'))) orphansSeen++;
        for (let k = 0; k < images.length; k++) {
          const restored = freshFs(quota);
          applyTreeImage(restored, images.slice(0, k + 1));
          expect(describeTree(restored)).toBe(dumps[k]);
        }
        // Held nodes come back by inode number, still holding their contents.
        const restored = freshFs(quota);
        applyTreeImage(restored, images);
        for (const n of open) {
          const back = restored.nodeByIno(n.ino);
          expect(back?.kind).toBe(n.kind);
          expect(restored.stat(back!)).toEqual(fs.stat(n));
        }
      }),
      { numRuns: 200 },
    );
    expect(orphansSeen).toBeGreaterThan(0);
  });

  it('a run restored at a random checkpoint and continued ends with the same tree as the uninterrupted run', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(stepArb, { minLength: 5, maxLength: 80 }), fc.nat(), (orphanFirst, randomSteps, pick) => {
        const steps: Step[] = orphanFirst ? [...ORPHAN_PREFIX, ...randomSteps] : randomSteps;
        const run = (restoreAt: number | null): string => {
          now = 1_000;
          let fs = freshFs(1 << 20);
          let open: FsNode[] = [];
          const images: Uint8Array[] = [];
          let since = 0;
          for (const step of steps) {
            now += 7;
            if (step.kind === 'op') {
              applyOp(fs, step.op, open);
              continue;
            }
            images.push(captureTree(fs, since));
            since = fs.generation;
            if (images.length - 1 === restoreAt) {
              const next = freshFs(1 << 20);
              applyTreeImage(next, images);
              open = open.map((n) => next.nodeByIno(n.ino)!);
              fs = next;
            }
          }
          for (const n of open) fs.release(n);
          return describeTree(fs);
        };
        const captures = steps.filter((s) => s.kind === 'capture').length;
        const uninterrupted = run(null);
        expect(run(captures === 0 ? null : pick % captures)).toBe(uninterrupted);
      }),
      { numRuns: 200 },
    );
  });

  it('an increment after a restore continues the chain', () => {
    const fs = freshFs(1 << 20);
    fs.mkdirAt('/d', 0o755);
    const full = captureTree(fs, 0);
    const restored = freshFs(1 << 20);
    applyTreeImage(restored, [full]);
    const since = restored.generation;
    const f = restored.openAt('/d/f', { write: true, create: { mode: 0o600 } }) as FsNode;
    restored.write(f, 3, new Uint8Array([1, 2]));
    restored.release(f);
    const inc = captureTree(restored, since);
    const again = freshFs(1 << 20);
    applyTreeImage(again, [full, inc]);
    expect(describeTree(again)).toBe(describeTree(restored));
  });

  it('an increment carries only the changed nodes and chunks', () => {
    const fs = new FileSystem();
    const f = fs.openAt('/big', { write: true, create: { mode: 0o644 } }) as FsNode;
    fs.write(f, 0, new Uint8Array(64 * 1024).fill(7));
    for (let k = 0; k < 50; k++) fs.mkdirAt(`/d${k}`, 0o755);
    const full = captureTree(fs, 0);
    const since = fs.generation;
    fs.write(f, 10, new Uint8Array([9]));
    const inc = captureTree(fs, since);
    expect(full.length).toBeGreaterThan(64 * 1024);
    expect(inc.length).toBeLessThan(4096 + 200 + 12 * 51);
    fs.release(f);
  });
});
