import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, HeaderField, IMAGE_VERSION, assemble, crc32, type Machine } from '../../src/index.js';
import { checkpoint, restoreCheckpoint, type ImageInput } from '../../handlers/index.js';
import { counterSource, newMachine } from './programs.js';

/** A chain of three images of the counter program (base + two increments). */
let chain: ImageInput[];

beforeAll(() => {
  const m = newMachine();
  m.load(assemble(counterSource(0, 50), { fileName: 'counter.s' }));
  const cp = checkpoint();
  m.use(cp);
  chain = [];
  for (let k = 0; k < 3; k++) {
    m.run({ maxInstructions: 5000 });
    chain.push({ name: `image-${k}.ckpt`, bytes: cp.checkpoint() });
  }
});

/** Restoring `images` into a fresh machine must throw a FormatError naming `name` and an offset, leaving the machine untouched. */
function expectRefused(images: ImageInput[], name: string): void {
  const fresh: Machine = newMachine();
  let error: unknown;
  try {
    restoreCheckpoint(fresh, images);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: offset 0x[0-9a-f]{8}: `));
  expect(fresh.program).toBeNull();
  expect(fresh.addressSpace.root.regionCount).toBe(0);
}

describe('corrupted image chains are refused with a clear error', () => {
  it('an intact chain restores', () => {
    expect(() => restoreCheckpoint(newMachine(), chain)).not.toThrow();
  });

  it('flipping any single byte of any image', () => {
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const target = chain[which]!;
        const bytes = target.bytes.slice();
        bytes[at % bytes.length]! ^= xor;
        const images = chain.map((img, k) => (k === which ? { name: img.name, bytes } : img));
        expectRefused(images, target.name);
      }),
      { numRuns: 400 },
    );
  });

  it('truncating any image at any offset', () => {
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), (which, at) => {
        const target = chain[which]!;
        const images = chain.map((img, k) => (k === which ? { name: img.name, bytes: img.bytes.subarray(0, at % img.bytes.length) } : img));
        expectRefused(images, target.name);
      }),
      { numRuns: 300 },
    );
  });

  it('swapping two images of the chain, or leaving out one but the last', () => {
    fc.assert(
      fc.property(fc.nat(2), fc.nat(2), fc.boolean(), (i, j, drop) => {
        fc.pre(drop ? i < 2 : i !== j);
        const images = [...chain];
        if (drop) images.splice(i, 1);
        else [images[i], images[j]] = [images[j]!, images[i]!];
        const first = images.findIndex((img, k) => img !== chain[k]);
        expectRefused(images, images[first]!.name);
      }),
    );
  });

  it('an image of another format version names the version', () => {
    const bytes = chain[0]!.bytes.slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(HeaderField.version, IMAGE_VERSION + 1, true);
    view.setUint32(HeaderField.crc, crc32(bytes, 0, 0, HeaderField.crc), true);
    expect(() => restoreCheckpoint(newMachine(), [{ name: 'next.ckpt', bytes }])).toThrow(`next.ckpt: offset 0x00000008: format version ${IMAGE_VERSION + 1}, this faultline reads versions 1 to ${IMAGE_VERSION}`);
  });

  it('random bytes give a clear error, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (junk, magic) => {
        const bytes = magic ? Uint8Array.from([...chain[0]!.bytes.subarray(0, 64), ...junk]) : junk;
        expectRefused([{ name: 'junk.ckpt', bytes }], 'junk.ckpt');
      }),
    );
  });
});
