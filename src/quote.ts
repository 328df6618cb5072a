/**
 * Text from untrusted input (names in checkpoint images, ELF symbols,
 * plugin names) as it may appear in a message: quoted, escaped and bounded,
 * so a name can neither break a one-line message nor colour a terminal.
 */

/** Longest part of a name a message shows; the rest is elided. */
const MAX_SHOWN = 120;

/**
 * Quotes `text` for a message: wraps it in double quotes, writes `"` and
 * `\` as `\"` and `\\`, and every control or invisible formatting
 * character (C0 and C1 controls, DEL, line and paragraph separators,
 * bidirectional overrides, lone surrogates) as `\xNN` or `\uNNNN`; more
 * than 120 characters are cut with `…`. The result is one line of
 * printable text. Never throws; a non-string is first turned into one.
 *
 * @param text - a name read from untrusted input
 * @returns e.g. `"heap\n\x1b[31m"` for a name with a newline and an escape
 * @example
 * ```ts
 * quote('heap');              // '"heap"'
 * quote('a\nb\x1b[31m');       // '"a\\nb\\x1b[31m"'
 * ```
 */
export function quote(text: string): string {
  const s = typeof text === 'string' ? text : String(text);
  let out = '"';
  let shown = 0;
  for (let i = 0; i < s.length; i++) {
    if (shown === MAX_SHOWN) {
      out += '…';
      break;
    }
    shown++;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    out += escapeUnit(c);
  }
  return out + '"';
}

/** One UTF-16 unit (not the first half of a surrogate pair) as shown in a message. */
function escapeUnit(c: number): string {
  if (c === 0x22) return '\\"';
  if (c === 0x5c) return '\\\\';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return '\\x' + c.toString(16).padStart(2, '0');
  if (isInvisible(c)) return '\\u' + c.toString(16).padStart(4, '0');
  return String.fromCharCode(c);
}

/** Line/paragraph separators, bidirectional controls, BOM and lone surrogates. */
function isInvisible(c: number): boolean {
  return (
    c === 0x2028 || c === 0x2029 || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) || c === 0xfeff || (c >= 0xd800 && c <= 0xdfff)
  );
}

/**
 * Describes a value of the wrong type for a usage message: `null`,
 * `undefined`, `a string`, `the number 42`, `an array`, `an object`, …
 * Never throws (not even for objects whose `toString` throws).
 *
 * @param value - what the caller passed
 * @example
 * ```ts
 * describeValue(null);      // 'null'
 * describeValue('abc');     // 'a string'
 * describeValue(42);        // 'the number 42'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined': return 'undefined';
    case 'string': return 'a string';
    case 'number': return `the number ${String(value)}`;
    case 'bigint': return 'a bigint';
    case 'boolean': return `${String(value)}`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    default: break;
  }
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${typedArrayName(value)}`;
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  return 'an object';
}

/** `Uint8Array`, `Int32Array`, `DataView`, …: the built-in tag of a view. */
function typedArrayName(view: ArrayBufferView): string {
  try {
    return /^\[object (\w+)\]$/.exec(Object.prototype.toString.call(view))?.[1] ?? 'typed array';
  } catch {
    return 'typed array';
  }
}
