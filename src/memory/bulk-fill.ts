/**
 * Filling byte ranges of a shared `WebAssembly.Memory` with WebAssembly's
 * `memory.fill` instruction.
 *
 * On a SharedArrayBuffer, `TypedArray.prototype.fill` stores element by
 * element (with relaxed atomics, as shared memory requires): zeroing a
 * 4 KiB frame of a wasm-backed {@link PhysicalMemory} costs ≈ 2.5 µs
 * against ≈ 0.14 µs on a plain ArrayBuffer, and clearing a 4 MiB TLB
 * ≈ 2.5 ms. `memory.fill` is a memset: ≈ 0.13 µs per 4 KiB, plus a call
 * into WebAssembly (tens of ns). See docs/performance.md, "Fault costs on
 * wasm-backed memory".
 */

import type { PhysicalMemory } from './physical-memory.js';

/** Fills `length` bytes at byte offset `at` with `byte`; throws a WebAssembly.RuntimeError past the memory's end. @internal */
export type BulkFill = (at: number, byte: number, length: number) => void;

/**
 * The module: imports a shared memory of any size ("m" "m", at least 0
 * pages, at most 65536) and exports `fill(at, byte, length)` =
 * `memory.fill`. Hand-assembled (WebAssembly binary format, bulk memory).
 */
const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type section: (i32 i32 i32) -> ()
  0x02, 0x0b, 0x01, 0x01, 0x6d, 0x01, 0x6d, 0x02, 0x03, 0x00, 0x80, 0x80, 0x04, // import "m" "m": memory, shared, min 0, max 65536
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x07, 0x08, 0x01, 0x04, 0x66, 0x69, 0x6c, 0x6c, 0x00, 0x00, // export "fill" = function 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code section: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfc, 0x0b, 0x00, // memory.fill (memory 0)
  0x0b, // end
]);

/** The compiled module (compiled once per process), null when compilation was refused, undefined before the first try. */
let compiled: WebAssembly.Module | null | undefined;

/**
 * `memory.fill` over `memory`, or null when this runtime refuses to compile
 * WebAssembly (a content security policy, say): callers then fill with
 * typed arrays.
 *
 * @internal
 */
export function bulkFillFor(memory: WebAssembly.Memory): BulkFill | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(MODULE_BYTES);
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  try {
    const instance = new WebAssembly.Instance(compiled, { m: { m: memory } });
    return instance.exports['fill'] as BulkFill;
  } catch {
    return null;
  }
}
