/** One turn of the event loop. */

/**
 * Resolves after pending I/O callbacks had their turn (setImmediate where
 * there is one, else a zero timeout).
 *
 * @internal
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  return new Promise((resolve) => { if (g.setImmediate !== undefined) g.setImmediate(resolve); else setTimeout(resolve, 0); });
}
