/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and
 * final XOR 0xFFFFFFFF), the checksum of zlib, PNG and gzip. The checkpoint
 * image format uses it for every section and every page.
 *
 * Slicing-by-8: eight 256-entry tables, so the inner loop consumes eight
 * bytes (two aligned 32-bit loads) with eight table loads and no
 * data-dependent branch.
 *
 *   T[0][b]     = CRC of the single byte b (the classic table)
 *   T[k][b]     = T[k-1][b] >>> 8 ^ T[0][T[k-1][b] & 0xff]
 *
 * and eight bytes b0..b7 at once, with c the running CRC XORed into b0..b3:
 *
 *   c' = T[7][b0] ^ T[6][b1] ^ T[5][b2] ^ T[4][b3] ^ T[3][b4] ^ T[2][b5] ^ T[1][b6] ^ T[0][b7]
 */

import { expectBytes } from '../arguments.js';

/** The reflected IEEE polynomial. */
const POLYNOMIAL = 0xedb88320;

/** True on a little-endian host, where an Int32Array reads the bytes in CRC order. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Eight tables of 256 entries, table k at [256 k, 256 k + 256). */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + b] = c;
    }
  }
  return t;
}

/**
 * CRC-32 of `bytes[start, end)`, continuing from `previous` (the CRC of the
 * bytes before, 0 for none), so `crc32(ab) === crc32(b, crc32(a))`. Returns
 * an unsigned 32-bit integer. Never throws; `start`/`end` are clamped.
 *
 * @param bytes - the data
 * @param previous - CRC of the data before (0 to start afresh)
 * @param start - first byte of `bytes` to include
 * @param end - byte after the last one to include
 * @throws UsageError when `bytes` is not a Uint8Array.
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * const whole = crc32(second, crc32(first));     // same as crc32 of first+second
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0, start = 0, end = bytes?.length): number {
  expectBytes('crc32', 'bytes', bytes);
  const t = TABLES;
  let c = ~previous;
  let i = Math.max(0, start);
  const stop = Math.min(end, bytes.length);
  // Bytes up to a 4-byte boundary of the underlying buffer, one at a time.
  while (i < stop && ((bytes.byteOffset + i) & 3) !== 0) c = (c >>> 8) ^ t[(c ^ bytes[i++]!) & 0xff]!;
  if (LITTLE_ENDIAN && stop - i >= 8) {
    // Aligned: eight bytes per step as two little-endian words.
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (stop - i) >>> 2);
    const n = words.length & ~1;
    for (let w = 0; w < n; w += 2) {
      const lo = c ^ words[w]!;
      const hi = words[w + 1]!;
      c =
        t[1792 + (lo & 0xff)]! ^
        t[1536 + ((lo >>> 8) & 0xff)]! ^
        t[1280 + ((lo >>> 16) & 0xff)]! ^
        t[1024 + (lo >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^
        t[512 + ((hi >>> 8) & 0xff)]! ^
        t[256 + ((hi >>> 16) & 0xff)]! ^
        t[hi >>> 24]!;
    }
    i += n * 4;
  }
  while (i < stop) c = (c >>> 8) ^ t[(c ^ bytes[i++]!) & 0xff]!;
  return ~c >>> 0;
}
