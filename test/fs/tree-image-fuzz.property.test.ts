import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTreeImage, captureTree, crc32, describeTree, FileSystem, FormatError, type FsNode } from '../../src/index.js';

/** A tree with every kind of record: directories, a sparse file, a symlink, an unlinked open file. */
function sampleImages(): Uint8Array[] {
  const fs = new FileSystem({ clock: () => 42 });
  fs.mkdirAt('/d', 0o755);
  fs.mkdirAt('/d/e', 0o700);
  const f = fs.openAt('/d/f', { write: true, create: { mode: 0o644 } }) as FsNode;
  fs.write(f, 9000, new Uint8Array([1, 2, 3]));
  fs.symlinkAt('/d/f', '/l');
  const full = captureTree(fs, 0);
  const since = fs.generation;
  fs.unlinkAt('/d/f');
  fs.unlinkAt('/d/e', { directory: true });
  fs.write(f, 0, new Uint8Array([4]));
  return [full, captureTree(fs, since)];
}

/** Recomputes the trailing CRC so a mutation reaches the decoder's deeper checks. */
function reseal(image: Uint8Array): Uint8Array {
  const copy = image.slice();
  if (copy.length >= 4) new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy, 0, 0, copy.length - 4), true);
  return copy;
}

describe('tree images from hostile hands', () => {
  it('a mutated or truncated image is applied consistently or refused with a FormatError, never anything else', () => {
    const images = sampleImages();
    const pristine = new FileSystem();
    const fresh = describeTree(pristine);
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: 1 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 3, 0xff)) }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        (which, edits, cut, keepCrc) => {
          let bad: Uint8Array = images[which]!.slice();
          for (const { at, value } of edits) bad[at % bad.length] = value;
          if (cut !== undefined) bad = bad.subarray(0, cut % (bad.length + 1));
          if (keepCrc) bad = reseal(bad);
          const chain = which === 0 ? [bad] : [images[0]!, bad];
          const target = new FileSystem();
          try {
            applyTreeImage(target, chain);
            // Accepted: the result is a tree the API can walk.
            expect(typeof describeTree(target)).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
            expect((err as Error).message).toMatch(/^tree image \d/);
            expect(describeTree(target)).toBe(fresh);
            refused++;
          }
        },
      ),
      { numRuns: 1500 },
    );
    expect(refused).toBeGreaterThan(100);
  });
});
