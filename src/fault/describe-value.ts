/**
 * Safe one-line descriptions of values a handler returned or threw, for
 * messages. Handler code is untrusted here: `String(value)` can throw (an
 * object without a prototype, a `toString` that throws), so these never
 * call user code that may fail without catching it.
 */

/**
 * `value` for a message: numbers, strings and other primitives as
 * themselves (strings quoted), objects by their `String()` when that works,
 * else as `an object`. Never throws.
 *
 * @param value - anything
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
    case 'number': case 'boolean': case 'undefined': case 'bigint': return String(value);
    case 'symbol': return value.description === undefined ? 'a symbol' : `Symbol(${value.description})`;
    case 'function': return 'a function';
    default:
      if (value === null) return 'null';
      try {
        const text = String(value);
        return typeof text === 'string' ? text : 'an object';
      } catch {
        return 'an object';
      }
  }
}

/**
 * What a handler threw, for messages: an Error's message when it is a
 * string, else {@link describeValue}. Never throws.
 *
 * @param err - the thrown value
 */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) {
    try {
      const message = err.message;
      if (typeof message === 'string') return message;
    } catch {
      // a message getter that throws: fall through
    }
    return 'an Error';
  }
  return describeValue(err);
}
