/**
 * Errors thrown at the host: misuse of the API, malformed input and broken
 * invariants. Guest faults are never thrown; they are values that flow to
 * the handler chain.
 */

/**
 * Base class of every error faultline throws. The message names the
 * function or input, the reason and the offending value.
 *
 * @example
 * ```ts
 * try {
 *   machine.addressSpace.readBytes(0xdead0000, 4);
 * } catch (err) {
 *   if (err instanceof FaultlineError) console.error(err.message);
 * }
 * ```
 */
export class FaultlineError extends Error {
  /** @param message - what went wrong, naming the offending value */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Guest memory would exceed the machine's quota.
 *
 * @example
 * ```ts
 * const m = new Machine({ memoryQuota: 1 << 20 });
 * try { m.createDataspace(2 << 20); } catch (e) { console.log(e instanceof QuotaExceededError); }
 * ```
 */
export class QuotaExceededError extends FaultlineError {}

/**
 * An ELF file, assembly source or checkpoint image could not be decoded.
 * The message names the input and the offset (or file:line:column).
 *
 * @example
 * ```ts
 * try { parseElf(new Uint8Array(4)); } catch (e) { console.log((e as FormatError).message); }
 * ```
 */
export class FormatError extends FaultlineError {}

/**
 * An API was used wrongly: a bad argument, an overlapping attach, a
 * handler registered twice.
 *
 * @example
 * ```ts
 * try { regionMap.attach(ds, { at: 0x123 }); } catch (e) { console.log(e instanceof UsageError); }
 * ```
 */
export class UsageError extends FaultlineError {}

/** Formats a number as `0x`-prefixed, zero-padded 32-bit hex, for messages. */
export function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}
