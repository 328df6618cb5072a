/**
 * Reading plugin state (PLUG sections) as untrusted input. The image
 * reader only checks a section's framing; what a plugin stored is the
 * plugin's format, and a crafted image can put anything there. These
 * helpers decode the common case — a JSON object of counts — and turn
 * every defect into a FormatError naming the image and the byte offset of
 * the state, so a plugin never meets a raw SyntaxError or `null`.
 */

import { expectObject, expectString } from '../arguments.js';
import { FormatError, hex32 } from '../errors.js';
import { describeValue, quote } from '../quote.js';
import { ByteReader } from './byte-codec.js';
import { SECTION_HEADER_SIZE, type DecodedImage } from './image-format.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Absolute offset in `image.bytes` of the state plugin `plugin` saved, or
 * -1 when the image holds none.
 *
 * @param image - a decoded image
 * @param plugin - the plugin's name
 * @example
 * ```ts
 * console.log(hex32(pluginStateOffset(image, 'faultline-cli')));
 * ```
 */
export function pluginStateOffset(image: DecodedImage, plugin: string): number {
  expectObject('pluginStateOffset', 'image', image);
  expectString('pluginStateOffset', 'plugin', plugin);
  if (!image.plugins.has(plugin)) return -1;
  for (const s of image.sections) {
    if (s.tag !== 'PLUG') continue;
    const start = s.offset + SECTION_HEADER_SIZE;
    const r = new ByteReader(image.bytes, image.name, start, start + s.length);
    if (r.string('plugin name') === plugin) return r.offset + 4;
  }
  return -1;
}

/**
 * A FormatError `image: offset 0x…: state of plugin "name" reason`, at
 * the offset of that plugin's state: for a plugin that finds its own saved
 * state unusable.
 *
 * @param image - the decoded image holding the state
 * @param plugin - the plugin's name
 * @param reason - what is wrong, e.g. `has no field "every"`
 * @example
 * ```ts
 * throw pluginStateError(image, 'my-plugin', 'has version 7, expected 1');
 * ```
 */
export function pluginStateError(image: DecodedImage, plugin: string, reason: string): FormatError {
  const at = pluginStateOffset(image, plugin);
  return new FormatError(`${image.name}: offset ${hex32(Math.max(at, 0))}: state of plugin ${quote(plugin)} ${reason}`);
}

/**
 * The state plugin `plugin` saved in `image`, parsed as UTF-8 JSON, or
 * `undefined` when the image holds none.
 *
 * @param image - a decoded image
 * @param plugin - the plugin's name
 * @returns the parsed value: any JSON value, `null` included — check its shape
 * @throws FormatError naming the image and offset when the state is not UTF-8 or not JSON.
 * @example
 * ```ts
 * const saved = decodePluginJson(image, 'my-plugin');
 * ```
 */
export function decodePluginJson(image: DecodedImage, plugin: string): unknown {
  expectObject('decodePluginJson', 'image', image);
  expectString('decodePluginJson', 'plugin', plugin);
  const state = image.plugins.get(plugin);
  if (state === undefined) return undefined;
  let text: string;
  try {
    text = utf8.decode(state);
  } catch {
    throw pluginStateError(image, plugin, 'is not UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    throw pluginStateError(image, plugin, `is not valid JSON${position === null ? '' : ` (at character ${position[1]})`}`);
  }
}

/**
 * The state plugin `plugin` saved in `image` as a JSON object whose fields
 * `keys` are all non-negative safe integers (other fields are ignored), or
 * `undefined` when the image holds none.
 *
 * @param image - a decoded image
 * @param plugin - the plugin's name
 * @param keys - the fields that must be present
 * @throws FormatError naming the image and offset when the state is not such an object.
 * @example
 * ```ts
 * const saved = decodePluginCounts(image, 'faultline-cli', ['stdoutBytes', 'stderrBytes', 'every', 'fullEvery']);
 * if (saved !== undefined) console.log(saved.every);
 * ```
 */
export function decodePluginCounts<K extends string>(image: DecodedImage, plugin: string, keys: readonly K[]): Record<K, number> | undefined {
  const value = decodePluginJson(image, plugin);
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw pluginStateError(image, plugin, `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a JSON object`);
  }
  const out = {} as Record<K, number>;
  for (const key of keys) {
    const v: unknown = Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw pluginStateError(image, plugin, `field ${quote(key)} is ${v === undefined ? 'missing' : describeValue(v)}, not a non-negative integer`);
    }
    out[key] = v;
  }
  return out;
}
