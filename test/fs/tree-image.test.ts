import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostDirectory } from '../../node/index.js';
import { applyTreeImage, captureTree, crc32, describeTree, FileSystem, FormatError, type FsNode, UsageError } from '../../src/index.js';

/** Recomputes the trailing CRC after an edit. */
function reseal(image: Uint8Array): Uint8Array {
  const copy = image.slice();
  new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy, 0, 0, copy.length - 4), true);
  return copy;
}

/** A small tree: a directory, a file with contents, a symlink. */
function sample(): FileSystem {
  const fs = new FileSystem();
  fs.mkdirAt('/d', 0o700);
  const f = fs.openAt('/d/f', { write: true, create: { mode: 0o600 } }) as FsNode;
  fs.write(f, 0, new TextEncoder().encode('contents'));
  fs.release(f);
  fs.symlinkAt('d/f', '/l');
  return fs;
}

let temp: string | null = null;
afterEach(() => {
  if (temp !== null) rmSync(temp, { recursive: true, force: true });
  temp = null;
});

describe('applyTreeImage refuses bad images before changing anything', () => {
  it('names the offset of a flipped byte (CRC), a bad magic and a short image', () => {
    const image = captureTree(sample(), 0);
    const flipped = image.slice();
    flipped[20]! ^= 1;
    expect(() => applyTreeImage(new FileSystem(), [flipped])).toThrow(/tree image 0: offset 0x[0-9a-f]{8}: CRC-32/);
    const magic = reseal(image);
    magic[0] = 0;
    expect(() => applyTreeImage(new FileSystem(), [reseal(magic)])).toThrow(/offset 0x00000000: magic/);
    expect(() => applyTreeImage(new FileSystem(), [image.subarray(0, 12)])).toThrow(FormatError);
    const truncated = reseal(image.subarray(0, image.length - 40));
    expect(() => applyTreeImage(new FileSystem(), [truncated])).toThrow(/runs past the end|does not fit|bytes follow/);
  });

  it('refuses an increment that does not follow the previous image, and a chain that does not start full', () => {
    const fs = sample();
    const full = captureTree(fs, 0);
    const g1 = fs.generation;
    fs.mkdirAt('/e', 0o755);
    const inc1 = captureTree(fs, g1);
    const g2 = fs.generation;
    fs.mkdirAt('/e/x', 0o755);
    const inc2 = captureTree(fs, g2);
    expect(() => applyTreeImage(new FileSystem(), [full, inc2])).toThrow(/tree image 1: .*taken since generation \d+, expected \d+/);
    expect(() => applyTreeImage(new FileSystem(), [inc1])).toThrow(/first image must be full/);
    const ok = new FileSystem();
    applyTreeImage(ok, [full, inc1, inc2]);
    expect(describeTree(ok)).toBe(describeTree(fs));
  });

  it('refuses a dangling entry and leaves the file system untouched', () => {
    const fs = new FileSystem();
    fs.mkdirAt('/d', 0o755);
    const image = captureTree(fs, 0);
    // The root's only entry names inode 2; point it at inode 9.
    const view = new DataView(image.buffer);
    let at = -1;
    for (let k = 0; k + 12 <= image.length; k += 4) {
      if (view.getUint32(k, true) === 1 && image[k + 4] === 0x64 && view.getUint32(k + 8, true) === 2) at = k + 8;
    }
    expect(at).toBeGreaterThan(0);
    const bad = image.slice();
    new DataView(bad.buffer).setUint32(at, 9, true);
    const target = new FileSystem();
    const before = describeTree(target);
    expect(() => applyTreeImage(target, [reseal(bad)])).toThrow(/entry "d" of directory 1: inode 9 is not in the image/);
    expect(describeTree(target)).toBe(before);
  });

  it('refuses to apply to a file system that is not fresh', () => {
    const image = captureTree(sample(), 0);
    const used = new FileSystem();
    used.mkdirAt('/x', 0o755);
    expect(() => applyTreeImage(used, [image])).toThrow(UsageError);
    expect(() => applyTreeImage(new FileSystem(), [])).toThrow(/no image/);
  });

  it('refuses a file larger than the restoring file system allows', () => {
    const fs = new FileSystem();
    const f = fs.openAt('/f', { write: true, create: { mode: 0o644 } }) as FsNode;
    fs.truncate(f, 10_000);
    fs.release(f);
    expect(() => applyTreeImage(new FileSystem({ maxFileSize: 4096 }), [captureTree(fs, 0)])).toThrow(/file size 10000 of inode 2 exceeds the limit 4096/);
  });

  it('carries the mount table and refuses a mount without a host directory, naming its path and label', () => {
    temp = mkdtempSync(join(tmpdir(), 'faultline-img-'));
    mkdirSync(join(temp, 'data'));
    writeFileSync(join(temp, 'data', 'x'), 'x');
    const fs = sample();
    fs.mount('/mnt/data', new HostDirectory(join(temp, 'data'), { label: 'data-v1' }), { readOnly: true });
    const image = captureTree(fs, 0);
    expect(() => applyTreeImage(new FileSystem(), [image])).toThrow(/no host directory for the mount at "\/mnt\/data" \(label "data-v1"\)/);
    const restored = new FileSystem();
    const asked: string[] = [];
    applyTreeImage(restored, [image], {
      mountedDirectory: (m) => {
        asked.push(`${m.guestPath} ${m.readOnly} ${m.label}`);
        return new HostDirectory(join(temp!, 'data'), { label: m.label });
      },
    });
    expect(asked).toEqual(['/mnt/data true data-v1']);
    expect(describeTree(restored)).toBe(describeTree(fs));
    expect(typeof restored.resolve('/mnt/data/x')).not.toBe('number');
  });
});
