/**
 * The order in which a restored guest first touched its pages, and the
 * file that keeps it between restores (a later lazy restore of the same
 * chain brings the pages in that order before the guest asks):
 *
 *   {"format":"faultline-touch-order","version":1,"chain":"0123456789abcdef",
 *    "pages":[id, page, id, page, ...]}
 *
 * Pages are named by dataspace id (stable across a chain's images) and
 * page number. The order is a hint: pages the chain does not have are
 * skipped, so an order recorded on an older chain is harmless.
 */

import { FormatError, UsageError } from '../../../src/index.js';

/**
 * A first-touch order.
 *
 * @example
 * ```ts
 * const order: TouchOrder = { chainId: '0123456789abcdef', pages: [[3, 0], [3, 1], [7, 12]] };
 * ```
 */
export interface TouchOrder {
  /** The chain the order was recorded on (16 hex digits). */
  readonly chainId: string;
  /** Dataspace id and page number, first touched first. */
  readonly pages: readonly (readonly [number, number])[];
}

/** The `format` field of a touch-order file. */
const FORMAT = 'faultline-touch-order';
/** Its version. */
const VERSION = 1;

/**
 * The JSON text of `order` (see the file comment).
 *
 * @param order - the order to save
 * @example
 * ```ts
 * await writeFile('order.json', encodeTouchOrder(remote.touchOrder()));
 * ```
 */
export function encodeTouchOrder(order: TouchOrder): string {
  const flat: number[] = [];
  for (const [id, page] of order.pages) flat.push(id, page);
  return `${JSON.stringify({ format: FORMAT, version: VERSION, chain: order.chainId, pages: flat })}\n`;
}

/**
 * Reads a touch-order file's text.
 *
 * @param text - the file's contents
 * @param name - what messages call it (a file name)
 * @throws FormatError `NAME: reason` for text that is not such a file.
 * @throws UsageError when `text` or `name` is not a string.
 * @example
 * ```ts
 * const order = decodeTouchOrder(await readFile('order.json', 'utf8'), 'order.json');
 * ```
 */
export function decodeTouchOrder(text: string, name: string): TouchOrder {
  if (typeof text !== 'string' || typeof name !== 'string') throw new UsageError('decodeTouchOrder: text and name must be strings');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${name}: not a touch-order file (${err instanceof Error ? err.message : String(err)})`);
  }
  const o = value as { format?: unknown; version?: unknown; chain?: unknown; pages?: unknown } | null;
  if (o === null || typeof o !== 'object' || o.format !== FORMAT) throw new FormatError(`${name}: not a touch-order file (no "format": "${FORMAT}")`);
  if (o.version !== VERSION) throw new FormatError(`${name}: touch-order version ${String(o.version)}, this faultline reads version ${VERSION}`);
  if (typeof o.chain !== 'string' || !/^[0-9a-f]{16}$/.test(o.chain)) throw new FormatError(`${name}: "chain" must be 16 hex digits`);
  const flat = o.pages;
  if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new FormatError(`${name}: "pages" must be an array of dataspace id, page number pairs`);
  const pages: [number, number][] = [];
  for (let k = 0; k < flat.length; k += 2) {
    const id = flat[k] as unknown, page = flat[k + 1] as unknown;
    if (!isWord(id) || !isWord(page)) throw new FormatError(`${name}: pages[${k}] and pages[${k + 1}] are not a dataspace id and a page number`);
    pages.push([id, page]);
  }
  return { chainId: o.chain, pages };
}

function isWord(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32;
}
