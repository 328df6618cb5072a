import { describe, expect, it } from 'vitest';
import { applyTreeImage, captureTree, FileSystem, UsageError } from '../../src/index.js';

describe('file system API arguments', () => {
  const fs = new FileSystem();
  const bad: readonly [string, () => unknown, RegExp][] = [
    ['resolve(42)', () => fs.resolve(42 as unknown as string), /^FileSystem\.resolve: path must be a string, got the number 42$/],
    ['openAt(path, { at: {} })', () => fs.openAt('x', { at: {} as never }), /^FileSystem\.openAt: options\.at must be a node \(FsNode\), got an object$/],
    ['read(null, 0, buf)', () => fs.read(null as never, 0, new Uint8Array(1)), /^FileSystem\.read: node must be a node \(FsNode\), got null$/],
    ['write(root, 0, [1])', () => fs.write(fs.root, 0, [1] as never), /^FileSystem\.write: src must be a Uint8Array, got an array$/],
    ['mkdir(root, 7, mode)', () => fs.mkdir(fs.root, 7 as never, 0o755), /^FileSystem\.mkdir: name must be a string, got the number 7$/],
    ['renameAt(a, undefined)', () => fs.renameAt('/a', undefined as never), /^FileSystem\.renameAt: path must be a string, got undefined$/],
    ['mount(path, null)', () => fs.mount('/m', null as never), /^FileSystem\.mount: directory must be a MountedDirectory, got null$/],
    ['captureTree({}, 0)', () => captureTree({} as never, 0), /^captureTree: fs must be a FileSystem, got an object$/],
    ['captureTree(fs, 99)', () => captureTree(fs, 99), /^captureTree: sinceGeneration 99 is not between 0 and/],
    ['applyTreeImage(fs, bytes)', () => applyTreeImage(new FileSystem(), new Uint8Array(8) as never), /^applyTreeImage: images must be an array of Uint8Array, got a Uint8Array$/],
    ['applyTreeImage(fs, ["x"])', () => applyTreeImage(new FileSystem(), ['x'] as never), /^applyTreeImage: tree image 0 is not a Uint8Array$/],
    ['new FileSystem({ quota: -1 })', () => new FileSystem({ quota: -1 }), /^FileSystem: quota -1 is not a non-negative safe integer$/],
  ];
  for (const [what, call, message] of bad) {
    it(`${what} is a UsageError naming the parameter`, () => {
      expect(call).toThrow(UsageError);
      expect(call).toThrow(message);
    });
  }
});
