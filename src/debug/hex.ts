/**
 * Hex helpers of the GDB remote protocol: little-endian register values,
 * memory as hex pairs, and strict parsing (a malformed number is null,
 * never NaN or an exception).
 */

/**
 * `value` as 8 hex digits in target (little-endian) byte order.
 *
 * @param value - a 32-bit register value
 * @example
 * ```ts
 * le32(0x10130); // '30010100'
 * ```
 */
export function le32(value: number): string {
  const v = value >>> 0;
  let s = '';
  for (let k = 0; k < 4; k++) s += ((v >>> (8 * k)) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/**
 * Parses 8 hex digits in target byte order; null when malformed.
 *
 * @param text - exactly 8 hex digits
 * @example
 * ```ts
 * parseLe32('30010100'); // 0x10130
 * ```
 */
export function parseLe32(text: string): number | null {
  if (!/^[0-9a-fA-F]{8}$/.test(text)) return null;
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v * 256) + parseInt(text.slice(2 * k, 2 * k + 2), 16);
  return v | 0;
}

/**
 * Bytes as lower-case hex pairs.
 *
 * @param bytes - memory contents
 * @example
 * ```ts
 * toHex(new Uint8Array([1, 0xab])); // '01ab'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Hex pairs as bytes; null for an odd length or a non-hex digit.
 *
 * @param text - hex pairs
 * @example
 * ```ts
 * fromHex('01ab'); // Uint8Array [1, 0xab]
 * ```
 */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(text.slice(2 * k, 2 * k + 2), 16);
  return out;
}

/**
 * A hex number of at most 8 digits (an address, a length, a register
 * number); null when empty, too long or not hex.
 *
 * @param text - hex digits, no prefix
 * @example
 * ```ts
 * parseHexNumber('100a8'); // 0x100a8
 * ```
 */
export function parseHexNumber(text: string): number | null {
  if (!/^[0-9a-fA-F]{1,8}$/.test(text)) return null;
  return parseInt(text, 16);
}

/**
 * UTF-8 text as hex pairs (for `O` console output and `qRcmd` replies).
 *
 * @param text - the text
 * @example
 * ```ts
 * textToHex('hi\n'); // '68690a'
 * ```
 */
export function textToHex(text: string): string {
  return toHex(new TextEncoder().encode(text));
}
