/**
 * Type checks of the arguments of public functions, done once at the API
 * boundary so that a wrong JavaScript type is a {@link UsageError} naming
 * the function and the parameter, never a TypeError from deep inside.
 */

import { UsageError } from './errors.js';
import { describeValue } from './quote.js';

/**
 * Throws unless `value` is a `Uint8Array` (a Node `Buffer` is one).
 *
 * @param fn - the public function, for the message
 * @param param - the parameter's name
 * @param value - what the caller passed
 * @throws UsageError `fn: param must be a Uint8Array, got …`.
 * @example
 * ```ts
 * expectBytes('parseElf', 'bytes', bytes);
 * ```
 */
export function expectBytes(fn: string, param: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UsageError(`${fn}: ${param} must be a Uint8Array, got ${describeValue(value)}`);
}

/**
 * Throws unless `value` is a string.
 *
 * @param fn - the public function, for the message
 * @param param - the parameter's name
 * @param value - what the caller passed
 * @throws UsageError `fn: param must be a string, got …`.
 * @example
 * ```ts
 * expectString('assemble', 'source', source);
 * ```
 */
export function expectString(fn: string, param: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new UsageError(`${fn}: ${param} must be a string, got ${describeValue(value)}`);
}

/**
 * Throws unless `value` is an object (options bags, records) — or
 * `undefined` when `optional`.
 *
 * @param fn - the public function, for the message
 * @param param - the parameter's name
 * @param value - what the caller passed
 * @param optional - accept `undefined` too
 * @throws UsageError `fn: param must be an object, got …`.
 * @example
 * ```ts
 * expectObject('decodeImage', 'options', options, true);
 * ```
 */
export function expectObject(fn: string, param: string, value: unknown, optional = false): asserts value is object {
  if (optional && value === undefined) return;
  if (value === null || typeof value !== 'object') throw new UsageError(`${fn}: ${param} must be an object, got ${describeValue(value)}`);
}

/**
 * Throws unless `value` is an integer in `[min, max]`.
 *
 * @param fn - the public function, for the message
 * @param param - the parameter's name
 * @param value - what the caller passed
 * @param min - smallest value accepted
 * @param max - largest value accepted
 * @throws UsageError `fn: param must be an integer from min to max, got …`.
 * @example
 * ```ts
 * expectInteger('disassemble', 'word', word, -(2 ** 31), 2 ** 32 - 1);
 * ```
 */
export function expectInteger(fn: string, param: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const got = typeof value === 'number' ? String(value) : describeValue(value);
    throw new UsageError(`${fn}: ${param} must be an integer from ${min} to ${max}, got ${got}`);
  }
}
