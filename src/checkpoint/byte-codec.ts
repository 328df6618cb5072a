/**
 * Little-endian field encoding for checkpoint images: a growable writer and
 * a bounds-checked reader whose errors name the image and the byte offset.
 *
 * Every field is 4-byte aligned: numbers are u32 words (64-bit values are
 * two words, low first) and strings are a u32 byte length, UTF-8 bytes and
 * zero padding up to the next multiple of 4.
 */

import { FormatError, hex32 } from '../errors.js';

/** Longest string an image may hold (names of dataspaces, maps, plugins). */
export const MAX_STRING_BYTES = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Appends little-endian words and strings to a growing buffer.
 *
 * @internal Used by the image writer.
 * @example
 * ```ts
 * const w = new ByteWriter();
 * w.u32(7); w.string('heap');
 * const bytes = w.finish();
 * ```
 */
export class ByteWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  /** Bytes written so far. */
  length = 0;

  /** Makes room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends an unsigned 32-bit word (`value >>> 0`). */
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  /** Appends a non-negative safe integer as two words, low first. */
  u64(value: number): void {
    this.u32(value % 2 ** 32);
    this.u32(Math.floor(value / 2 ** 32));
  }

  /** Appends a length-prefixed UTF-8 string padded to 4 bytes. */
  string(text: string): void {
    const b = encoder.encode(text);
    this.u32(b.length);
    this.raw(b);
  }

  /** Appends `data` and zero padding up to a multiple of 4. */
  raw(data: Uint8Array): void {
    const padded = (data.length + 3) & ~3;
    this.reserve(padded);
    this.bytes.set(data, this.length);
    this.bytes.fill(0, this.length + data.length, this.length + padded);
    this.length += padded;
  }

  /** The bytes written (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/**
 * Reads words and strings from `bytes[start, end)` of an image; every
 * read that would pass `end`, and every value {@link fail} rejects, throws
 * a FormatError naming the image and the absolute offset.
 *
 * @internal Used by the image reader.
 * @example
 * ```ts
 * const r = new ByteReader(image, 'base.ckpt', 64, 128);
 * const count = r.count('regions', 16);
 * ```
 */
export class ByteReader {
  private readonly view: DataView;
  /** Absolute offset of the next read. */
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Image name for messages. */
    readonly image: string,
    start: number,
    /** Absolute offset where this reader's data ends. */
    readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws a FormatError `image: offset 0x…: what` at `at` (default: the current offset). */
  fail(what: string, at = this.offset): never {
    throw new FormatError(`${this.image}: offset ${hex32(at)}: ${what}`);
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.end) this.fail(`${what} runs past the end of its section (needs ${n} bytes, ${this.remaining} left)`);
  }

  /** Reads an unsigned 32-bit word. */
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /**
   * Reads `count` records of three little-endian 32-bit words each into
   * three arrays (one bounds check for all: a restore reads 16,384 page
   * records for 64 MiB, often in code that has not been optimized yet).
   *
   * @param count - number of records
   * @param what - what the records are, for the error message
   * @throws FormatError when the records run past the end of the section.
   */
  u32Triples(count: number, what: string): [Uint32Array, Uint32Array, Uint32Array] {
    this.need(count * 12, what);
    const a = new Uint32Array(count), b = new Uint32Array(count), c = new Uint32Array(count);
    const view = this.view;
    let at = this.offset;
    for (let k = 0; k < count; k++, at += 12) {
      a[k] = view.getUint32(at, true);
      b[k] = view.getUint32(at + 4, true);
      c[k] = view.getUint32(at + 8, true);
    }
    this.offset += count * 12;
    return [a, b, c];
  }

  /** Reads a boolean word: 0 or 1, anything else is refused. */
  flag(what: string): boolean {
    const v = this.u32(what);
    if (v > 1) this.fail(`${what} is ${v}, not 0 or 1`, this.offset - 4);
    return v === 1;
  }

  /** Reads a 32-bit word as a signed integer. */
  i32(what: string): number {
    return this.u32(what) | 0;
  }

  /** Reads a 64-bit value (two words) that must be a safe integer no larger than `max`. */
  u64(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.offset;
    const lo = this.u32(what);
    const hi = this.u32(what);
    const v = hi * 2 ** 32 + lo;
    if (v > max) this.fail(`${what} ${v} exceeds ${max}`, at);
    return v;
  }

  /** Reads a count of items of `itemBytes` each and checks that they fit in what is left. */
  count(what: string, itemBytes: number): number {
    const at = this.offset;
    const n = this.u32(`${what} count`);
    if (n * itemBytes > this.remaining) this.fail(`${what} count ${n} does not fit in the ${this.remaining} bytes left`, at);
    return n;
  }

  /** Reads a length-prefixed UTF-8 string. */
  string(what: string): string {
    const at = this.offset;
    const n = this.u32(`${what} length`);
    if (n > MAX_STRING_BYTES) this.fail(`${what} length ${n} exceeds ${MAX_STRING_BYTES}`, at);
    const b = this.raw(n, what);
    try {
      return decoder.decode(b);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at + 4);
    }
  }

  /** Reads `n` bytes (and their padding to 4) as a view into the image. */
  raw(n: number, what: string): Uint8Array {
    const padded = (n + 3) & ~3;
    this.need(padded, what);
    const b = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += padded;
    return b;
  }

  /** Throws unless every byte up to `end` was consumed. */
  expectEnd(what: string): void {
    if (this.offset !== this.end) this.fail(`${this.end - this.offset} unexpected bytes after ${what}`);
  }
}
