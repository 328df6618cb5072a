/**
 * Wrong JavaScript types at the checkpoint image functions are a
 * UsageError naming the function and the parameter — never a raw
 * TypeError from deep inside.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePluginJson, pluginStateOffset } from '../../src/checkpoint/plugin-state.js';
import { Machine, UsageError, assemble, crc32, type DecodedImage } from '../../src/index.js';
import { ObjectIds, captureLayout, decodeImage, planRestore, restoreMachine, verifyPage } from '../../src/plugin-kit.js';
import { checkpoint } from '../../handlers/index.js';
import { counterSource, newMachine } from './programs.js';

/** Calls `f` as plain JavaScript would (types erased). */
const loose = (f: (...args: never[]) => unknown) => f as unknown as (...args: unknown[]) => unknown;

let image: DecodedImage;

beforeAll(() => {
  const m = newMachine();
  m.load(assemble(counterSource(0, 50), { fileName: 'counter.s' }));
  const cp = checkpoint();
  m.use(cp);
  m.run({ maxInstructions: 3000 });
  image = decodeImage(cp.checkpoint(), 'a.ckpt');
});

describe('checkpoint image functions given arguments of the wrong type', () => {
  it.each([
    ['decodeImage(null)', () => loose(decodeImage)(null, 'a.ckpt'), 'decodeImage: bytes must be a Uint8Array, got null'],
    ['decodeImage(string)', () => loose(decodeImage)('\x89FLCKP', 'a.ckpt'), 'decodeImage: bytes must be a Uint8Array, got a string'],
    ['decodeImage(ArrayBuffer)', () => loose(decodeImage)(new ArrayBuffer(8), 'a.ckpt'), 'decodeImage: bytes must be a Uint8Array, got an ArrayBuffer'],
    ['decodeImage without a name', () => loose(decodeImage)(new Uint8Array(8)), 'decodeImage: name must be a string, got undefined'],
    ['decodeImage with options 7', () => loose(decodeImage)(new Uint8Array(8), 'a', 7), 'decodeImage: options must be an object, got the number 7'],
    ['planRestore(null)', () => loose(planRestore)(null), 'planRestore: images must be an array of decoded images, got null'],
    ['planRestore of raw bytes', () => loose(planRestore)([new Uint8Array(8)]), 'planRestore: images[0] is a Uint8Array, not an image from decodeImage'],
    ['restoreMachine(null, plan)', () => loose(restoreMachine)(null, planRestore([image])), 'restoreMachine: machine must be an object, got null'],
    ['restoreMachine(machine, null)', () => loose(restoreMachine)(new Machine(), null), 'restoreMachine: plan must be an object, got null'],
    ['verifyPage(null, 0)', () => loose(verifyPage)(null, 0), 'verifyPage: image must be an object, got null'],
    ['verifyPage past the records', () => verifyPage(image, 1e9), /^verifyPage: k must be an integer from 0 to \d+, got 1000000000$/],
    ['crc32(string)', () => loose(crc32)('123456789'), 'crc32: bytes must be a Uint8Array, got a string'],
    ['captureLayout(null)', () => loose(captureLayout)(null, new ObjectIds()), 'captureLayout: machine must be an object, got null'],
    ['captureLayout without ids', () => loose(captureLayout)(new Machine().addressSpace, {}), 'captureLayout: ids must be an ObjectIds, got an object'],
    ['decodePluginJson(null)', () => loose(decodePluginJson)(null, 'x'), 'decodePluginJson: image must be an object, got null'],
    ['pluginStateOffset without a name', () => loose(pluginStateOffset)(image, 5), 'pluginStateOffset: plugin must be a string, got the number 5'],
  ] as [string, () => unknown, string | RegExp][])('%s is a UsageError naming the parameter', (_, call, message) => {
    expect(call).toThrow(UsageError);
    expect(call).toThrow(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
  });
});
