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
  /**
   * Creates the error; `name` becomes the subclass's name.
   *
   * @param message - what went wrong, naming the offending value
   * @param options - `cause`: the error that led to this one, if any
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Guest memory would exceed the machine's quota: thrown by dataspace
 * creation and attaches from the host (the guest's own `mmap`/`brk` get
 * `-ENOMEM` instead). Nothing was reserved when it is thrown.
 *
 * @example
 * ```ts
 * const m = new Machine({ memoryQuota: 1 << 20 });
 * try { m.addressSpace.createDataspace(2 << 20); } catch (e) { console.log(e instanceof QuotaExceededError); } // true
 * ```
 */
export class QuotaExceededError extends FaultlineError {}

/**
 * An ELF file, assembly source or checkpoint image could not be decoded.
 * The message names the input and the offset (or file:line:column).
 *
 * @example
 * ```ts
 * try { parseElf(new Uint8Array(4)); } catch (e) { console.log(e instanceof FormatError, (e as Error).message); }
 * ```
 */
export class FormatError extends FaultlineError {}

/**
 * An API was used wrongly: a bad argument, an overlapping attach, a
 * handler registered twice.
 *
 * @example
 * ```ts
 * const as = new Machine().addressSpace;
 * const ds = as.createDataspace(PAGE_SIZE);
 * try { as.root.attach(ds, { at: 0x123 }); } catch (e) { console.log(e instanceof UsageError); } // true: not page aligned
 * ```
 */
export class UsageError extends FaultlineError {}

/**
 * Formats a number as `0x`-prefixed, zero-padded 32-bit hex, for messages.
 * Negative numbers show their two's-complement bits. Never throws.
 *
 * @param value - any number; only its low 32 bits are shown
 * @returns e.g. `0x0001007c`
 * @example
 * ```ts
 * hex32(0x1007c);   // '0x0001007c'
 * hex32(-1);        // '0xffffffff'
 * ```
 */
export function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}
